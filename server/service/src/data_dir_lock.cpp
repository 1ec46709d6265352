// ServeLock: see tillit/service/data_dir_lock.h.
#include "tillit/service/data_dir_lock.h"

#include <fcntl.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <utility>

namespace tillit::service {
namespace {

// `errno_value` is passed in: the caller reads errno before anything else can change it.
Error Unavailable(const std::string& what, int errno_value) {
  return MakeError("storageUnavailable", what + ": " + std::strerror(errno_value));
}

}  // namespace

Result<ServeLock> ServeLock::Take(const std::string& data_dir) {
  if (::mkdir(data_dir.c_str(), 0700) != 0 && errno != EEXIST) {
    return Unavailable("mkdir " + data_dir, errno);
  }
  const std::string path = data_dir + "/serve.lock";
  const int fd = ::open(path.c_str(), O_RDWR | O_CREAT | O_CLOEXEC | O_NOFOLLOW, 0600);
  if (fd < 0) return Unavailable("open " + path, errno);
  ServeLock lock(fd);
  if (::flock(fd, LOCK_EX | LOCK_NB) != 0) {
    const int flock_errno = errno;
    if (flock_errno == EWOULDBLOCK) {
      return MakeError("dataDirectoryBusy",
                       "another tillit-server serve or tillit-bench-seed is using " + data_dir);
    }
    return Unavailable("flock " + path, flock_errno);
  }
  return lock;
}

ServeLock::ServeLock(ServeLock&& other) noexcept : fd_(std::exchange(other.fd_, -1)) {}

ServeLock& ServeLock::operator=(ServeLock&& other) noexcept {
  if (this != &other) {
    Release();
    fd_ = std::exchange(other.fd_, -1);
  }
  return *this;
}

ServeLock::~ServeLock() { Release(); }

void ServeLock::Release() {
  if (fd_ >= 0) ::close(std::exchange(fd_, -1));  // closing the only descriptor drops the flock
}

}  // namespace tillit::service
