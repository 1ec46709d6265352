// FaultyVfs (see faulty_vfs.h): a shim over the default SQLite VFS. Each file it opens is
// a FaultyFile: our io_methods in front, the wrapped VFS's file object right behind it
// (szOsFile makes SQLite allocate room for both). Every method forwards; xRead, xWrite,
// xTruncate and xSync first check whether a fault is armed for a database or WAL file.
#include "faulty_vfs.h"

#include <sqlite3.h>

#include <atomic>
#include <chrono>
#include <condition_variable>
#include <mutex>

#include "tillit/check.h"

namespace tillit::testing {
namespace {

struct FaultyFile {
  sqlite3_file base;   // first: SQLite sees a FaultyFile as a sqlite3_file
  sqlite3_file* real;  // the wrapped VFS's file, in the same allocation right after this
  bool faultable;      // a main database or WAL file
};

struct Shared {
  sqlite3_vfs vfs{};
  sqlite3_vfs* real = nullptr;
  std::atomic<IoFault> fault{IoFault::kNone};
  std::atomic<uint64_t> injected{0};

  std::mutex mutex;
  std::condition_variable cv;
  bool hold_next = false;  // guarded by mutex
  bool held = false;       // guarded by mutex: a sync is waiting in xSync
};

Shared& State() {
  static Shared shared;
  return shared;
}

sqlite3_file* Real(sqlite3_file* file) { return reinterpret_cast<FaultyFile*>(file)->real; }

bool Fails(sqlite3_file* file, IoFault kind) {
  if (!reinterpret_cast<FaultyFile*>(file)->faultable) return false;
  if (State().fault.load() != kind) return false;
  ++State().injected;
  return true;
}

// ---- io methods ----

int Close(sqlite3_file* f) { return Real(f)->pMethods->xClose(Real(f)); }

int Read(sqlite3_file* f, void* buffer, int amount, sqlite3_int64 offset) {
  if (Fails(f, IoFault::kRead)) return SQLITE_IOERR_READ;
  return Real(f)->pMethods->xRead(Real(f), buffer, amount, offset);
}

int Write(sqlite3_file* f, const void* buffer, int amount, sqlite3_int64 offset) {
  if (Fails(f, IoFault::kWrite)) return SQLITE_IOERR_WRITE;
  return Real(f)->pMethods->xWrite(Real(f), buffer, amount, offset);
}

int Truncate(sqlite3_file* f, sqlite3_int64 size) {
  if (Fails(f, IoFault::kWrite)) return SQLITE_IOERR_TRUNCATE;
  return Real(f)->pMethods->xTruncate(Real(f), size);
}

int Sync(sqlite3_file* f, int flags) {
  if (reinterpret_cast<FaultyFile*>(f)->faultable) {
    Shared& s = State();
    std::unique_lock lock(s.mutex);
    if (s.hold_next) {
      s.hold_next = false;
      s.held = true;
      s.cv.notify_all();
      s.cv.wait(lock, [&] { return !s.held; });
    }
  }
  if (Fails(f, IoFault::kSync)) return SQLITE_IOERR_FSYNC;
  return Real(f)->pMethods->xSync(Real(f), flags);
}

int FileSize(sqlite3_file* f, sqlite3_int64* size) {
  return Real(f)->pMethods->xFileSize(Real(f), size);
}
int Lock(sqlite3_file* f, int level) { return Real(f)->pMethods->xLock(Real(f), level); }
int Unlock(sqlite3_file* f, int level) { return Real(f)->pMethods->xUnlock(Real(f), level); }
int CheckReservedLock(sqlite3_file* f, int* out) {
  return Real(f)->pMethods->xCheckReservedLock(Real(f), out);
}
int FileControl(sqlite3_file* f, int op, void* arg) {
  return Real(f)->pMethods->xFileControl(Real(f), op, arg);
}
int SectorSize(sqlite3_file* f) { return Real(f)->pMethods->xSectorSize(Real(f)); }
int DeviceCharacteristics(sqlite3_file* f) {
  return Real(f)->pMethods->xDeviceCharacteristics(Real(f));
}
// WAL's shared memory (the -shm file) is mapped, not written through xWrite; it is left
// alone, as a failing disk leaves a page-cache mapping alone.
int ShmMap(sqlite3_file* f, int region, int size, int extend, void volatile** out) {
  return Real(f)->pMethods->xShmMap(Real(f), region, size, extend, out);
}
int ShmLock(sqlite3_file* f, int offset, int n, int flags) {
  return Real(f)->pMethods->xShmLock(Real(f), offset, n, flags);
}
void ShmBarrier(sqlite3_file* f) { Real(f)->pMethods->xShmBarrier(Real(f)); }
int ShmUnmap(sqlite3_file* f, int delete_flag) {
  return Real(f)->pMethods->xShmUnmap(Real(f), delete_flag);
}
int Fetch(sqlite3_file* f, sqlite3_int64 offset, int amount, void** out) {
  return Real(f)->pMethods->xFetch(Real(f), offset, amount, out);
}
int Unfetch(sqlite3_file* f, sqlite3_int64 offset, void* page) {
  return Real(f)->pMethods->xUnfetch(Real(f), offset, page);
}

const sqlite3_io_methods kMethods = {
    3,           Close,     Read,        Write,         Truncate,    Sync,    FileSize,
    Lock,        Unlock,    CheckReservedLock,          FileControl, SectorSize,
    DeviceCharacteristics,  ShmMap,      ShmLock,       ShmBarrier,  ShmUnmap, Fetch,
    Unfetch,
};

// ---- VFS methods: xOpen wraps; the rest forward to the wrapped VFS ----

int Open(sqlite3_vfs*, const char* name, sqlite3_file* file, int flags, int* out_flags) {
  sqlite3_vfs* real = State().real;
  auto* faulty = reinterpret_cast<FaultyFile*>(file);
  faulty->real = reinterpret_cast<sqlite3_file*>(faulty + 1);
  faulty->faultable = (flags & (SQLITE_OPEN_MAIN_DB | SQLITE_OPEN_WAL)) != 0;
  const int rc = real->xOpen(real, name, faulty->real, flags, out_flags);
  // SQLite calls xClose only when pMethods is set, as the wrapped VFS left its own.
  faulty->base.pMethods = faulty->real->pMethods != nullptr ? &kMethods : nullptr;
  // Every method above forwards unconditionally: the wrapped file must offer them all.
  if (faulty->real->pMethods != nullptr && faulty->real->pMethods->iVersion < 3) {
    faulty->real->pMethods->xClose(faulty->real);
    faulty->base.pMethods = nullptr;
    return SQLITE_CANTOPEN;
  }
  return rc;
}

int Delete(sqlite3_vfs*, const char* name, int sync_dir) {
  return State().real->xDelete(State().real, name, sync_dir);
}
int Access(sqlite3_vfs*, const char* name, int flags, int* out) {
  return State().real->xAccess(State().real, name, flags, out);
}
int FullPathname(sqlite3_vfs*, const char* name, int size, char* out) {
  return State().real->xFullPathname(State().real, name, size, out);
}
void* DlOpen(sqlite3_vfs*, const char* name) { return State().real->xDlOpen(State().real, name); }
void DlError(sqlite3_vfs*, int size, char* out) { State().real->xDlError(State().real, size, out); }
void (*DlSym(sqlite3_vfs*, void* handle, const char* symbol))(void) {
  return State().real->xDlSym(State().real, handle, symbol);
}
void DlClose(sqlite3_vfs*, void* handle) { State().real->xDlClose(State().real, handle); }
int Randomness(sqlite3_vfs*, int size, char* out) {
  return State().real->xRandomness(State().real, size, out);
}
int Sleep(sqlite3_vfs*, int micros) { return State().real->xSleep(State().real, micros); }
int CurrentTime(sqlite3_vfs*, double* out) {
  return State().real->xCurrentTime(State().real, out);
}
int GetLastError(sqlite3_vfs*, int size, char* out) {
  return State().real->xGetLastError(State().real, size, out);
}
int CurrentTimeInt64(sqlite3_vfs*, sqlite3_int64* out) {
  return State().real->xCurrentTimeInt64(State().real, out);
}

}  // namespace

FaultyVfs& FaultyVfs::Install() {
  static FaultyVfs* instance = [] {
    Shared& s = State();
    TILLIT_CHECK(sqlite3_initialize() == SQLITE_OK);
    s.real = sqlite3_vfs_find(nullptr);
    sqlite3_vfs& v = s.vfs;
    v.iVersion = 2;  // up to xCurrentTimeInt64; the system-call overrides are not offered
    v.szOsFile = static_cast<int>(sizeof(FaultyFile)) + s.real->szOsFile;
    v.mxPathname = s.real->mxPathname;
    v.zName = "tillit-faulty";
    v.xOpen = Open;
    v.xDelete = Delete;
    v.xAccess = Access;
    v.xFullPathname = FullPathname;
    v.xDlOpen = DlOpen;
    v.xDlError = DlError;
    v.xDlSym = DlSym;
    v.xDlClose = DlClose;
    v.xRandomness = Randomness;
    v.xSleep = Sleep;
    v.xCurrentTime = CurrentTime;
    v.xGetLastError = GetLastError;
    v.xCurrentTimeInt64 = CurrentTimeInt64;
    TILLIT_CHECK(sqlite3_vfs_register(&v, /*makeDflt=*/1) == SQLITE_OK);
    return new FaultyVfs();
  }();
  return *instance;
}

void FaultyVfs::Arm(IoFault fault) {
  State().fault.store(fault);
  State().injected.store(0);
}

uint64_t FaultyVfs::injected() const { return State().injected.load(); }

void FaultyVfs::HoldNextSync() {
  std::lock_guard lock(State().mutex);
  State().hold_next = true;
}

bool FaultyVfs::WaitForHeldSync(int seconds) {
  Shared& s = State();
  std::unique_lock lock(s.mutex);
  return s.cv.wait_for(lock, std::chrono::seconds(seconds), [&] { return s.held; });
}

void FaultyVfs::ReleaseSync() {
  Shared& s = State();
  {
    std::lock_guard lock(s.mutex);
    s.hold_next = false;
    s.held = false;
  }
  s.cv.notify_all();
}

std::string IntegrityCheck(const std::string& path) {
  sqlite3* db = nullptr;
  std::string out;
  if (sqlite3_open_v2(path.c_str(), &db, SQLITE_OPEN_READONLY, "unix") == SQLITE_OK) {
    sqlite3_stmt* stmt = nullptr;
    if (sqlite3_prepare_v2(db, "PRAGMA integrity_check", -1, &stmt, nullptr) == SQLITE_OK) {
      while (sqlite3_step(stmt) == SQLITE_ROW) {
        if (!out.empty()) out += "\n";
        out += reinterpret_cast<const char*>(sqlite3_column_text(stmt, 0));
      }
    }
    sqlite3_finalize(stmt);
  }
  if (out.empty()) out = std::string("cannot check: ") + sqlite3_errmsg(db);
  sqlite3_close_v2(db);
  return out;
}

}  // namespace tillit::testing
