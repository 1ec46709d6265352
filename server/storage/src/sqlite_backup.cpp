// SQLite online backup (see sqlite_backup.h; docs/operations.md §Backups): a read snapshot
// on a connection of its own, sqlite3_backup_step in steps into `dest`.tmp, fsync, then a
// rename that refuses to replace an existing file.
#include "sqlite_backup.h"

#include <errno.h>
#include <fcntl.h>
#include <sqlite3.h>
#include <stdio.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cstring>
#include <string_view>
#include <thread>

#include "sqlite.h"

namespace tillit::server::storage::sqlite {
namespace {

// 256 pages (1 MiB at SQLite's default 4 KiB page) per step: small enough for steady
// progress, large enough that a step's overhead does not matter.
constexpr int kPagesPerStep = 256;

Error SqliteError(sqlite3* db, int rc, std::string_view what) {
  // sqlite3_errmsg never holds bound values (there are none here); it may name the file.
  const char* message = db != nullptr ? sqlite3_errmsg(db) : sqlite3_errstr(rc);
  return Error{ErrorCodeFor(rc), "backup: " + std::string(what) + ": " + message};
}

Error FileError(std::string_view what, const std::string& path, int err) {
  const std::string code = err == ENOSPC ? "storageFull" : "storageUnavailable";
  return Error{code, "backup: " + std::string(what) + " " + path + ": " + std::strerror(err)};
}

std::string DirectoryOf(const std::string& path) {
  const size_t slash = path.rfind('/');
  if (slash == std::string::npos) return ".";
  if (slash == 0) return "/";
  return path.substr(0, slash);
}

Status FsyncPath(const std::string& path, int flags) {
  const int fd = ::open(path.c_str(), flags | O_CLOEXEC);
  if (fd < 0) return FileError("opening", path, errno);
  const int rc = ::fsync(fd);
  const int err = errno;
  ::close(fd);
  if (rc != 0) return FileError("syncing", path, err);
  return {};
}

// Closes a connection on every path out.
struct Db {
  sqlite3* db = nullptr;
  ~Db() { sqlite3_close_v2(db); }
};

Status Exec(sqlite3* db, const char* sql, std::string_view what) {
  const int rc = sqlite3_exec(db, sql, nullptr, nullptr, nullptr);
  if (rc != SQLITE_OK) return SqliteError(db, rc, what);
  return {};
}

// The copy itself, into `tmp` (which exists and is empty).
Status Copy(const std::string& source_path, const std::string& tmp,
            std::chrono::milliseconds busy_timeout,
            const std::function<void(const BackupProgress&)>& progress) {
  // The source is opened like the store's readers: read-write without create (a read-only
  // open of a WAL database needs the -shm file to exist already), and query_only.
  Db source;
  int rc = sqlite3_open_v2(source_path.c_str(), &source.db,
                           SQLITE_OPEN_READWRITE | SQLITE_OPEN_NOMUTEX | SQLITE_OPEN_PRIVATECACHE,
                           nullptr);
  if (rc != SQLITE_OK) return SqliteError(source.db, rc, "opening the database");
  sqlite3_extended_result_codes(source.db, 1);
  sqlite3_busy_timeout(source.db, static_cast<int>(busy_timeout.count()));
  TILLIT_TRY(Exec(source.db, "PRAGMA query_only = ON", "opening the database"));
  // Start the snapshot now and hold it to the end: every page comes from this one moment.
  TILLIT_TRY(Exec(source.db, "BEGIN; SELECT count(*) FROM sqlite_schema;",
                  "starting a read snapshot"));

  Db dest;
  rc = sqlite3_open_v2(tmp.c_str(), &dest.db, SQLITE_OPEN_READWRITE | SQLITE_OPEN_NOMUTEX,
                       nullptr);
  if (rc != SQLITE_OK) return SqliteError(dest.db, rc, "opening the copy");
  sqlite3_extended_result_codes(dest.db, 1);
  // The copy is new and private: fsync happens once, at the end.
  TILLIT_TRY(Exec(dest.db, "PRAGMA synchronous = OFF", "opening the copy"));

  sqlite3_backup* backup = sqlite3_backup_init(dest.db, "main", source.db, "main");
  if (backup == nullptr) {
    return SqliteError(dest.db, sqlite3_errcode(dest.db), "starting the backup");
  }
  const auto deadline = std::chrono::steady_clock::now() + busy_timeout;
  for (;;) {
    rc = sqlite3_backup_step(backup, kPagesPerStep);
    if (rc == SQLITE_OK || rc == SQLITE_DONE) {
      if (progress) {
        const auto total = static_cast<uint64_t>(sqlite3_backup_pagecount(backup));
        const auto left = static_cast<uint64_t>(sqlite3_backup_remaining(backup));
        progress(BackupProgress{.copied_pages = total - left, .total_pages = total});
      }
      if (rc == SQLITE_DONE) break;
      continue;
    }
    // Only the copy's own lock can be busy (the source snapshot is already held).
    if ((rc == SQLITE_BUSY || rc == SQLITE_LOCKED) &&
        std::chrono::steady_clock::now() < deadline) {
      std::this_thread::sleep_for(std::chrono::milliseconds(20));
      continue;
    }
    break;
  }
  const int finished = sqlite3_backup_finish(backup);
  if (rc != SQLITE_DONE) return SqliteError(dest.db, rc, "copying pages");
  if (finished != SQLITE_OK) return SqliteError(dest.db, finished, "finishing the backup");
  (void)sqlite3_exec(source.db, "COMMIT", nullptr, nullptr, nullptr);  // ends the snapshot
  rc = sqlite3_close(dest.db);
  if (rc != SQLITE_OK) return SqliteError(dest.db, rc, "closing the copy");
  dest.db = nullptr;
  return {};
}

}  // namespace

Status BackupDatabase(const std::string& source_path, const std::string& dest_path,
                      std::chrono::milliseconds busy_timeout,
                      const std::function<void(const BackupProgress&)>& progress) {
  if (dest_path.empty()) return MakeError("invalidParameters", "backup: the target path is empty");
  struct stat st {};
  if (::lstat(dest_path.c_str(), &st) == 0) {
    return MakeError("alreadyExists", "backup: " + dest_path + " exists; it is never overwritten");
  }
  const std::string tmp = dest_path + ".tmp";
  // O_EXCL: two backups to one target cannot share the temporary file, and a file left by
  // an interrupted backup is reported rather than silently reused.
  const int fd = ::open(tmp.c_str(), O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0600);
  if (fd < 0) {
    if (errno == EEXIST) {
      return MakeError("alreadyExists", "backup: " + tmp +
                                            " exists (a backup is running, or one was "
                                            "interrupted: remove it)");
    }
    return FileError("creating", tmp, errno);
  }
  ::close(fd);
  auto remove_tmp = [&] {
    ::unlink(tmp.c_str());
    ::unlink((tmp + "-journal").c_str());
  };

  Status copied = Copy(source_path, tmp, busy_timeout, progress);
  if (copied.ok()) copied = FsyncPath(tmp, O_RDONLY);
  if (!copied.ok()) {
    remove_tmp();
    return copied;
  }
  // Atomic and never replacing: a file that appeared at `dest_path` meanwhile is kept.
  if (::renameat2(AT_FDCWD, tmp.c_str(), AT_FDCWD, dest_path.c_str(), RENAME_NOREPLACE) != 0) {
    int err = errno;
    if (err == EINVAL || err == ENOSYS) {
      // A file system without RENAME_NOREPLACE: link() refuses an existing name as well.
      err = ::link(tmp.c_str(), dest_path.c_str()) == 0 ? 0 : errno;
      if (err == 0) ::unlink(tmp.c_str());
    }
    if (err != 0) {
      remove_tmp();
      if (err == EEXIST) {
        return MakeError("alreadyExists",
                         "backup: " + dest_path + " exists; it is never overwritten");
      }
      return FileError("renaming to", dest_path, err);
    }
  }
  return FsyncPath(DirectoryOf(dest_path), O_RDONLY | O_DIRECTORY);
}

}  // namespace tillit::server::storage::sqlite
