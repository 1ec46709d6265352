// ServeLock: one writer of person and credential rows per data directory, enforced with an
// exclusive, non-blocking flock on DATA_DIR/serve.lock (docs/operations.md §1).
//
// Why: `tillit-server serve` keeps persons and credentials rows in memory and invalidates
// them only when it writes those tables itself. A second `serve` or a `tillit-bench-seed`
// writing the same database would change rows behind the cache, and the server would go
// on answering from stale entries (a revoked credential still good). So both take this
// lock for as long as they run; the admin commands do not (they run beside a live server
// and leave persons and credentials alone).
//
// The kernel drops the lock when its file description is closed, including when the
// process dies, so a crash never leaves the directory locked; the file itself stays.
// flock locks belong to the open file description: a second Take in the same process
// conflicts with the first like another process would.
//
// Thread safety: a ServeLock is a plain value; Take may be called from any thread.
#pragma once

#include <string>

#include "tillit/result.h"

namespace tillit::service {

class ServeLock {
 public:
  // Creates `data_dir` (mode 0700, not its parents) if it does not exist, as serve does on
  // first start, opens or creates data_dir/serve.lock (0600, close-on-exec) and locks it
  // without waiting. The lock is held until the ServeLock (or what it was moved to) is
  // destroyed.
  // Errors: "dataDirectoryBusy" (another process, or another ServeLock in this one, holds
  // it), "storageUnavailable" (the directory or file cannot be created, opened or locked;
  // the message names the path and the system's reason).
  static Result<ServeLock> Take(const std::string& data_dir);

  ServeLock(ServeLock&& other) noexcept;
  ServeLock& operator=(ServeLock&& other) noexcept;
  ServeLock(const ServeLock&) = delete;
  ServeLock& operator=(const ServeLock&) = delete;
  ~ServeLock();

 private:
  explicit ServeLock(int fd) : fd_(fd) {}
  void Release();

  int fd_ = -1;
};

}  // namespace tillit::service
