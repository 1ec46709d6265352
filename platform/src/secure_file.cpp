#include "secure_file.h"

#include <fcntl.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <string>
#include <system_error>
#include <utility>

namespace tillit::platform::internal {

namespace {

Error IoError(std::string_view what, std::string_view name, int err) {
  return MakeError("ioError", std::string(what) + " " + std::string(name) + ": " +
                                  std::strerror(err));
}

constexpr off_t kMaxWipeSize = 64 * 1024;

std::string TempName(std::string_view name) { return std::string(name) + ".tmp"; }

// Closes fd on scope exit.
class FdCloser {
 public:
  explicit FdCloser(int fd) : fd_(fd) {}
  FdCloser(const FdCloser&) = delete;
  FdCloser& operator=(const FdCloser&) = delete;
  ~FdCloser() {
    if (fd_ >= 0) ::close(fd_);
  }
  // Closes now and reports the error: after writing, close() can report a deferred write
  // error (e.g. on NFS) that must not be lost.
  int Close() {
    const int rc = ::close(fd_);
    fd_ = -1;
    return rc;
  }

 private:
  int fd_;
};

Status WriteAll(int fd, ByteView data, std::string_view name) {
  while (!data.empty()) {
    const ssize_t n = ::write(fd, data.data(), data.size());
    if (n < 0) {
      if (errno == EINTR) continue;
      return IoError("cannot write", name, errno);
    }
    data = data.subspan(static_cast<size_t>(n));
  }
  return {};
}

Status SyncDirectory(int dir_fd) {
  if (::fsync(dir_fd) != 0) return IoError("cannot fsync", "the key store directory", errno);
  return {};
}

Status UnlinkIfExists(int dir_fd, const std::string& name) {
  if (::unlinkat(dir_fd, name.c_str(), 0) != 0 && errno != ENOENT) {
    return IoError("cannot remove", name, errno);
  }
  return {};
}

}  // namespace

Result<int> OpenPrivateDirectory(const std::filesystem::path& dir) {
  struct stat st {};
  if (::stat(dir.c_str(), &st) != 0) {
    if (errno != ENOENT) return IoError("cannot stat", dir.string(), errno);
    std::error_code ec;
    if (dir.has_parent_path()) std::filesystem::create_directories(dir.parent_path(), ec);
    if (ec) return IoError("cannot create", dir.parent_path().string(), ec.value());
    if (::mkdir(dir.c_str(), 0700) != 0 && errno != EEXIST) {
      return IoError("cannot create", dir.string(), errno);
    }
    // mkdir's mode is filtered by the umask; make sure it is exactly 0700.
    if (::chmod(dir.c_str(), 0700) != 0) return IoError("cannot chmod", dir.string(), errno);
    if (::stat(dir.c_str(), &st) != 0) return IoError("cannot stat", dir.string(), errno);
  }
  if (!S_ISDIR(st.st_mode)) {
    return MakeError("ioError", dir.string() + " is not a directory");
  }
  if (st.st_uid != ::geteuid() || (st.st_mode & 077) != 0) {
    return MakeError("insecurePermissions",
                     dir.string() + " must be owned by this user and have mode 0700");
  }
  const int fd = ::open(dir.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC);
  if (fd < 0) return IoError("cannot open", dir.string(), errno);
  return fd;
}

Result<std::optional<Bytes>> ReadSmallFile(int dir_fd, std::string_view name, size_t max_size,
                                           std::string_view corrupt_code) {
  const std::string file(name);
  const int fd = ::openat(dir_fd, file.c_str(), O_RDONLY | O_NOFOLLOW | O_CLOEXEC | O_NONBLOCK);
  if (fd < 0) {
    if (errno == ENOENT) return std::optional<Bytes>();
    if (errno == ELOOP) {
      return MakeError(std::string(corrupt_code), file + " is a symbolic link");
    }
    return IoError("cannot open", file, errno);
  }
  FdCloser closer(fd);
  struct stat st {};
  if (::fstat(fd, &st) != 0) return IoError("cannot stat", file, errno);
  if (!S_ISREG(st.st_mode)) {
    return MakeError(std::string(corrupt_code), file + " is not a regular file");
  }
  if (static_cast<uintmax_t>(st.st_size) > max_size) {
    return MakeError(std::string(corrupt_code), file + " is too large");
  }
  // Read up to one byte past max_size, so a file that grew after fstat is still caught.
  Bytes data(max_size + 1);
  size_t total = 0;
  while (total < data.size()) {
    const ssize_t n = ::read(fd, data.data() + total, data.size() - total);
    if (n < 0) {
      if (errno == EINTR) continue;
      return IoError("cannot read", file, errno);
    }
    if (n == 0) break;
    total += static_cast<size_t>(n);
  }
  if (total > max_size) return MakeError(std::string(corrupt_code), file + " is too large");
  data.resize(total);
  return std::optional<Bytes>(std::move(data));
}

Result<bool> FileExists(int dir_fd, std::string_view name) {
  const std::string file(name);
  struct stat st {};
  if (::fstatat(dir_fd, file.c_str(), &st, AT_SYMLINK_NOFOLLOW) == 0) return true;
  if (errno == ENOENT) return false;
  return IoError("cannot stat", file, errno);
}

Status WriteFileAtomically(int dir_fd, std::string_view name, ByteView data) {
  const std::string file(name);
  const std::string temp = TempName(name);
  // O_EXCL after removing a leftover: we never write through a file (or symlink) that
  // someone else prepared.
  TILLIT_TRY(UnlinkIfExists(dir_fd, temp));
  const int fd =
      ::openat(dir_fd, temp.c_str(), O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, 0600);
  if (fd < 0) return IoError("cannot create", temp, errno);
  FdCloser closer(fd);
  Status status = WriteAll(fd, data, temp);
  // The mode given to openat is filtered by the umask; 0600 exactly is part of the contract.
  if (status.ok() && ::fchmod(fd, 0600) != 0) status = IoError("cannot chmod", temp, errno);
  // The data must be on disk before the rename makes it visible; otherwise a power loss can
  // leave the new name pointing at an empty or partial file.
  if (status.ok() && ::fsync(fd) != 0) status = IoError("cannot fsync", temp, errno);
  if (status.ok() && closer.Close() != 0) status = IoError("cannot close", temp, errno);
  if (status.ok() && ::renameat(dir_fd, temp.c_str(), dir_fd, file.c_str()) != 0) {
    status = IoError("cannot rename", temp, errno);
  }
  if (!status.ok()) {
    ::unlinkat(dir_fd, temp.c_str(), 0);  // best effort; the old file is untouched
    return status;
  }
  // The rename itself is durable only once the directory is.
  return SyncDirectory(dir_fd);
}

Status RemoveTempFile(int dir_fd, std::string_view name) {
  return UnlinkIfExists(dir_fd, TempName(name));
}

Status WipeAndRemove(int dir_fd, std::string_view name) {
  const std::string file(name);
  const int fd = ::openat(dir_fd, file.c_str(), O_WRONLY | O_NOFOLLOW | O_CLOEXEC | O_NONBLOCK);
  if (fd < 0) {
    if (errno == ENOENT) return {};
    // Not a regular file we can write (e.g. a symlink planted in its place): just unlink it.
    if (errno != ELOOP && errno != EISDIR && errno != ENXIO) {
      return IoError("cannot open", file, errno);
    }
  } else {
    FdCloser closer(fd);
    struct stat st {};
    if (::fstat(fd, &st) != 0) return IoError("cannot stat", file, errno);
    // Our files are a few hundred bytes; a huge planted file is unlinked without the wipe.
    if (S_ISREG(st.st_mode) && st.st_size > 0 && st.st_size <= kMaxWipeSize) {
      const Bytes zeros(static_cast<size_t>(st.st_size), 0);
      TILLIT_TRY(WriteAll(fd, zeros, file));
      if (::fsync(fd) != 0) return IoError("cannot fsync", file, errno);
    }
  }
  return RemoveDurably(dir_fd, name);
}

Status RemoveDurably(int dir_fd, std::string_view name) {
  TILLIT_TRY(UnlinkIfExists(dir_fd, std::string(name)));
  return SyncDirectory(dir_fd);
}

Result<DirectoryLock> DirectoryLock::Acquire(int dir_fd, std::string_view name, Mode mode) {
  const std::string file(name);
  const int fd = ::openat(dir_fd, file.c_str(), O_RDWR | O_CREAT | O_NOFOLLOW | O_CLOEXEC, 0600);
  if (fd < 0) return IoError("cannot open", file, errno);
  DirectoryLock lock(fd);
  const int operation = mode == Mode::kShared ? LOCK_SH : LOCK_EX;
  while (::flock(fd, operation) != 0) {
    if (errno != EINTR) return IoError("cannot lock", file, errno);
  }
  return lock;
}

DirectoryLock::DirectoryLock(DirectoryLock&& other) noexcept
    : fd_(std::exchange(other.fd_, -1)) {}

DirectoryLock& DirectoryLock::operator=(DirectoryLock&& other) noexcept {
  if (this != &other) {
    if (fd_ >= 0) ::close(fd_);
    fd_ = std::exchange(other.fd_, -1);
  }
  return *this;
}

DirectoryLock::~DirectoryLock() {
  if (fd_ >= 0) ::close(fd_);  // releases the flock
}

}  // namespace tillit::platform::internal
