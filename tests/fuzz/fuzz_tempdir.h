// A private scratch directory for the fuzz targets that need files (key store, wallet,
// tillit-verify, the issuer's database), made once per process under /dev/shm when it exists
// (no disk writes per input), else under /tmp, named after the process id, and removed at
// exit. libFuzzer does not always exit through atexit (a crash, a timeout), so directories
// of processes that no longer run are removed when the next one starts.
#pragma once

#include <errno.h>
#include <signal.h>
#include <stdlib.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cstdlib>
#include <filesystem>
#include <string>
#include <system_error>

#include "fuzz/fuzz_support.h"

namespace tillit::fuzz {

// The directory, mode 0700 (the key store refuses anything looser).
inline const std::filesystem::path& ScratchDirectory() {
  static const std::filesystem::path dir = [] {
    const std::string parent = ::access("/dev/shm", W_OK) == 0 ? "/dev/shm" : "/tmp";
    std::error_code ignored;
    for (const auto& entry : std::filesystem::directory_iterator(parent, ignored)) {
      const std::string name = entry.path().filename().string();
      if (name.rfind("tillit-fuzz-", 0) != 0) continue;
      const long pid = std::strtol(name.c_str() + 12, nullptr, 10);
      if (pid > 0 && ::kill(static_cast<pid_t>(pid), 0) != 0 && errno == ESRCH) {
        std::filesystem::remove_all(entry.path(), ignored);
      }
    }
    std::string pattern = parent + "/tillit-fuzz-" + std::to_string(::getpid()) + "-XXXXXX";
    FUZZ_CHECK(::mkdtemp(pattern.data()) != nullptr);
    static const std::string removed = pattern;
    std::atexit([] {
      std::error_code ignored;
      std::filesystem::remove_all(removed, ignored);
    });
    return std::filesystem::path(pattern);
  }();
  return dir;
}

// Writes `bytes` to dir/name (mode 0600), replacing it.
inline void WriteScratchFile(const std::filesystem::path& dir, const std::string& name,
                             std::string_view bytes) {
  const std::string path = (dir / name).string();
  FILE* f = std::fopen(path.c_str(), "wb");
  FUZZ_CHECK(f != nullptr);
  FUZZ_CHECK(bytes.empty() || std::fwrite(bytes.data(), 1, bytes.size(), f) == bytes.size());
  FUZZ_CHECK(std::fclose(f) == 0);
  FUZZ_CHECK(::chmod(path.c_str(), 0600) == 0);
}

}  // namespace tillit::fuzz
