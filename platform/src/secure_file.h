// Internal to tillit_platform: small POSIX file primitives for stores that must survive a
// crash or power loss at any instant and keep their files private to the user.
//
// Every function works relative to an open directory descriptor (openat & co.), so a store
// keeps operating on the directory it opened even if the path is later renamed or replaced,
// and refuses to follow symbolic links for the files inside it. Errors: "ioError" (with the
// file name and strerror in the message) unless stated otherwise.
//
// Thread safety: the functions are thread-safe; coordinating writers is the caller's job
// (see DirectoryLock).
#pragma once

#include <filesystem>
#include <optional>
#include <string_view>

#include "tillit/bytes.h"
#include "tillit/result.h"

namespace tillit::platform::internal {

// Opens dir (creating it, and its parents, if missing; the directory itself with mode 0700)
// and returns a descriptor for it (O_DIRECTORY | O_CLOEXEC), owned by the caller.
// An existing directory must be owned by the effective user and not accessible to group or
// others, as ssh insists for ~/.ssh: a store in a shared directory could be read or swapped.
// Errors: "ioError", "insecurePermissions".
Result<int> OpenPrivateDirectory(const std::filesystem::path& dir);

// The contents of the regular file `name` in dir_fd, or nullopt if it does not exist.
// Errors: "ioError", and `corrupt_code` if it is not a regular file or is larger than
// max_size bytes (so a swapped-in device file or a huge file is never read).
Result<std::optional<Bytes>> ReadSmallFile(int dir_fd, std::string_view name, size_t max_size,
                                           std::string_view corrupt_code);

// True iff `name` exists in dir_fd (as any kind of file).
Result<bool> FileExists(int dir_fd, std::string_view name);

// Replaces `name` with data atomically and durably: writes `name`.tmp (mode 0600, created
// exclusively after removing any leftover), fsyncs it, renames it over `name` and fsyncs the
// directory. A crash at any point leaves either the old file or the new one (plus perhaps a
// stale .tmp, which the next write or RemoveTempFile discards), never a mix.
[[nodiscard]] Status WriteFileAtomically(int dir_fd, std::string_view name, ByteView data);

// Removes a stale `name`.tmp left by an interrupted WriteFileAtomically, if any.
[[nodiscard]] Status RemoveTempFile(int dir_fd, std::string_view name);

// Overwrites `name` with zeros (fsync), unlinks it and fsyncs the directory. Succeeds if it
// does not exist. Best effort against forensic recovery only: on flash storage and
// journalling or copy-on-write file systems, earlier copies of the blocks may survive.
[[nodiscard]] Status WipeAndRemove(int dir_fd, std::string_view name);

// Unlinks `name` if it exists and fsyncs the directory.
[[nodiscard]] Status RemoveDurably(int dir_fd, std::string_view name);

// An advisory lock (flock) on the file `name` in a directory, created 0600 if missing and
// never removed. Locks are per open file description, so two DirectoryLocks exclude each
// other across processes and across threads of one process alike. Move-only; unlocks on
// destruction.
class DirectoryLock {
 public:
  enum class Mode { kShared, kExclusive };

  // Blocks until the lock is held.
  static Result<DirectoryLock> Acquire(int dir_fd, std::string_view name, Mode mode);

  DirectoryLock(const DirectoryLock&) = delete;
  DirectoryLock& operator=(const DirectoryLock&) = delete;
  DirectoryLock(DirectoryLock&& other) noexcept;
  DirectoryLock& operator=(DirectoryLock&& other) noexcept;
  ~DirectoryLock();

 private:
  explicit DirectoryLock(int fd) : fd_(fd) {}
  int fd_ = -1;
};

}  // namespace tillit::platform::internal
