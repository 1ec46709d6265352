// Test support: a failing disk under the real store. FaultyVfs is a SQLite VFS that wraps
// the default one (unix) and, when armed, makes reads, writes or fsyncs of database and
// WAL files fail with SQLITE_IOERR_READ / _WRITE / _FSYNC, as a disk returning EIO does.
// Installed as SQLite's default VFS before the store opens, it reaches production code
// (server/storage/src/sqlite.cpp) unchanged: the store names no VFS. Other files SQLite
// opens (temporary files) are never faulted.
//
// sqlite3.h stays in faulty_vfs.cpp (tests/server/storage/layering_test.cpp allows that
// one file), so this header names no SQLite type.
//
// Thread safety: every method may be called from any thread while SQLite connections on
// other threads use the VFS.
#pragma once

#include <cstdint>
#include <string>

namespace tillit::testing {

enum class IoFault { kNone, kRead, kWrite, kSync };

class FaultyVfs {
 public:
  // Registers the VFS as SQLite's default (once per process; later calls return the same
  // instance). Connections opened before keep the VFS they were opened with, so call this
  // before the store is opened.
  static FaultyVfs& Install();

  // From now on every operation of kind `fault` on a database or WAL file fails (kWrite
  // also fails truncation), until Disarm or the next Arm. Resets injected().
  void Arm(IoFault fault);
  void Disarm() { Arm(IoFault::kNone); }
  // Operations failed since the last Arm: a test checks it is non-zero, so a scenario that
  // never reached the disk cannot pass by accident.
  uint64_t injected() const;

  // Makes the next fsync of a database or WAL file wait until ReleaseSync (and then fail
  // if kSync is armed by then): a committing transaction can be held at its fsync while
  // other writers queue behind it. WaitForHeldSync waits until a sync is held, false if
  // none was within `seconds`. ReleaseSync lets it go (and cancels a hold not yet taken).
  void HoldNextSync();
  bool WaitForHeldSync(int seconds = 10);
  void ReleaseSync();

  FaultyVfs(const FaultyVfs&) = delete;
  FaultyVfs& operator=(const FaultyVfs&) = delete;

 private:
  FaultyVfs() = default;
};

// PRAGMA integrity_check of the database at `path`, through a read-only connection of its
// own on the plain unix VFS: "ok" when the file is sound, else SQLite's report.
std::string IntegrityCheck(const std::string& path);

}  // namespace tillit::testing
