// ServeLock (tillit/service/data_dir_lock.h): one holder per data directory, in this
// process and across processes; released by destruction, by a move-assignment over it and
// by the death of the holding process; the directory and a 0600 close-on-exec lock file
// are created; a directory that cannot exist gives storageUnavailable.
#include <doctest/doctest.h>
#include <fcntl.h>
#include <signal.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include <filesystem>
#include <optional>
#include <string>
#include <utility>

#include "temp_dir.h"
#include "tillit/service/data_dir_lock.h"

namespace tillit::service {
namespace {

namespace fs = std::filesystem;

void RequireBusy(const Result<ServeLock>& taken, const std::string& dir) {
  REQUIRE_FALSE(taken.ok());
  CHECK(taken.error().code == "dataDirectoryBusy");
  CHECK(taken.error().message ==
        "another tillit-server serve or tillit-bench-seed is using " + dir);
}

// The descriptor this process has open on `path`, or -1.
int OpenDescriptorOf(const std::string& path) {
  const fs::path wanted = fs::canonical(path);
  for (const auto& entry : fs::directory_iterator("/proc/self/fd")) {
    std::error_code ignored;
    if (fs::read_symlink(entry.path(), ignored) == wanted) {
      return std::stoi(entry.path().filename().string());
    }
  }
  return -1;
}

TEST_CASE("a second Take in the same process is busy until the first is released") {
  testing::TempDir tmp("tillit-lock");
  auto first = ServeLock::Take(tmp.path());
  REQUIRE(first.ok());
  // flock belongs to the open file description: a new one conflicts even in this process.
  RequireBusy(ServeLock::Take(tmp.path()), tmp.path());
  RequireBusy(ServeLock::Take(tmp.path() + "/"), tmp.path() + "/");  // the same file

  SUBCASE("released by destruction") {
    { ServeLock gone = std::move(*first); }
    CHECK(ServeLock::Take(tmp.path()).ok());
  }
  SUBCASE("a move keeps it held; the moved-to lock releases it") {
    std::optional<ServeLock> moved(std::move(*first));
    RequireBusy(ServeLock::Take(tmp.path()), tmp.path());
    moved.reset();
    CHECK(ServeLock::Take(tmp.path()).ok());
  }
  SUBCASE("released by assigning another lock over it") {
    testing::TempDir other("tillit-lock");
    auto second = ServeLock::Take(other.path());
    REQUIRE(second.ok());
    *first = std::move(*second);
    CHECK(ServeLock::Take(tmp.path()).ok());
    RequireBusy(ServeLock::Take(other.path()), other.path());
  }
}

TEST_CASE("two directories are independent") {
  testing::TempDir a("tillit-lock"), b("tillit-lock");
  auto lock_a = ServeLock::Take(a.path());
  auto lock_b = ServeLock::Take(b.path());
  CHECK(lock_a.ok());
  CHECK(lock_b.ok());
}

TEST_CASE("creates the directory 0700 and the lock file 0600, close-on-exec") {
  testing::TempDir tmp("tillit-lock");
  const std::string dir = tmp.file("data");
  auto lock = ServeLock::Take(dir);
  REQUIRE(lock.ok());
  struct stat st {};
  REQUIRE(::stat(dir.c_str(), &st) == 0);
  CHECK(S_ISDIR(st.st_mode));
  CHECK((st.st_mode & 0777) == 0700);
  REQUIRE(::stat((dir + "/serve.lock").c_str(), &st) == 0);
  CHECK(S_ISREG(st.st_mode));
  CHECK((st.st_mode & 0777) == 0600);
  // A server's children (none today) must not inherit the lock past exec.
  const int fd = OpenDescriptorOf(dir + "/serve.lock");
  REQUIRE(fd >= 0);
  CHECK((::fcntl(fd, F_GETFD) & FD_CLOEXEC) != 0);
}

TEST_CASE("another process holding the lock makes Take busy; its death releases it") {
  testing::TempDir tmp("tillit-lock");
  int ready[2];
  REQUIRE(::pipe(ready) == 0);
  const pid_t child = ::fork();
  REQUIRE(child >= 0);
  if (child == 0) {
    ::close(ready[0]);
    auto held = ServeLock::Take(tmp.path());
    const char status = held.ok() ? 'y' : 'n';
    if (::write(ready[1], &status, 1) != 1) ::_exit(1);
    for (;;) ::pause();  // until killed, as a server crashing would be
  }
  ::close(ready[1]);
  char status = 0;
  REQUIRE(::read(ready[0], &status, 1) == 1);
  ::close(ready[0]);
  CHECK(status == 'y');

  RequireBusy(ServeLock::Take(tmp.path()), tmp.path());

  REQUIRE(::kill(child, SIGKILL) == 0);
  int wait_status = 0;
  REQUIRE(::waitpid(child, &wait_status, 0) == child);
  CHECK(WIFSIGNALED(wait_status));
  CHECK(ServeLock::Take(tmp.path()).ok());
}

TEST_CASE("this process holding the lock makes another process's Take busy") {
  testing::TempDir tmp("tillit-lock");
  auto held = ServeLock::Take(tmp.path());
  REQUIRE(held.ok());
  const pid_t child = ::fork();
  REQUIRE(child >= 0);
  if (child == 0) {
    auto taken = ServeLock::Take(tmp.path());
    ::_exit(!taken.ok() && taken.error().code == "dataDirectoryBusy" ? 0 : 1);
  }
  int wait_status = 0;
  REQUIRE(::waitpid(child, &wait_status, 0) == child);
  CHECK(WIFEXITED(wait_status));
  CHECK(WEXITSTATUS(wait_status) == 0);
}

TEST_CASE("a directory that cannot be created or opened gives storageUnavailable") {
  testing::TempDir tmp("tillit-lock");
  std::string dir;
  std::string names;
  SUBCASE("missing parent") {
    dir = tmp.file("missing/data");
    names = "mkdir " + dir + ": ";
  }
  SUBCASE("a file, not a directory") {
    dir = tmp.Write("data", "not a directory");
    names = "open " + dir + "/serve.lock: ";
  }
  SUBCASE("a directory this user cannot write") {
    // Root writes anyway; the two cases above cover it there.
    if (::geteuid() == 0) return;
    dir = tmp.file("read-only");
    REQUIRE(::mkdir(dir.c_str(), 0500) == 0);
    names = "open " + dir + "/serve.lock: ";
  }
  auto taken = ServeLock::Take(dir);
  REQUIRE_FALSE(taken.ok());
  CHECK(taken.error().code == "storageUnavailable");
  // The path and the system's reason, nothing more.
  CHECK(taken.error().message.rfind(names, 0) == 0);
  CHECK(taken.error().message.size() > names.size());
}

}  // namespace
}  // namespace tillit::service
