// tillit::testing::TempDir: a fresh directory for one test, removed with everything in it
// when the test ends. Every test that needs files uses this one class.
//
// Failures are doctest REQUIREs, not exceptions: every test is a doctest case, and a failed
// REQUIRE is reported as an assertion with the reason (errno's text) and ends only that test.
//
// Thread safety: each test builds its own; file() and Write() may be called concurrently.
#pragma once

#include <doctest/doctest.h>
#include <stdlib.h>

#include <cerrno>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <string>
#include <string_view>
#include <system_error>
#include <utility>

namespace tillit::testing {

class TempDir {
 public:
  // Creates /tmp/<prefix>-XXXXXX with mkdtemp: mode 0700 and a name no other test (or run
  // in parallel under ctest -j) holds. Fails the test if it cannot.
  explicit TempDir(std::string_view prefix = "tillit-test") {
    std::string pattern = "/tmp/" + std::string(prefix) + "-XXXXXX";
    REQUIRE_MESSAGE(::mkdtemp(pattern.data()) != nullptr, pattern << ": " << std::strerror(errno));
    path_ = std::move(pattern);
  }
  // Removes the tree; a failure only leaves litter in /tmp, so it does not fail the test.
  ~TempDir() {
    std::error_code ignored;
    std::filesystem::remove_all(path_, ignored);
  }
  TempDir(const TempDir&) = delete;
  TempDir& operator=(const TempDir&) = delete;

  const std::string& path() const { return path_; }

  // path()/name; nothing is created.
  std::string file(std::string_view name) const { return path_ + "/" + std::string(name); }

  // Writes `content` byte for byte to path()/name, replacing it; returns that path.
  std::string Write(std::string_view name, std::string_view content) const {
    std::string target = file(name);
    std::ofstream out(target, std::ios::binary | std::ios::trunc);
    out.write(content.data(), static_cast<std::streamsize>(content.size()));
    out.close();
    REQUIRE_MESSAGE(!out.fail(), "cannot write " << target);
    return target;
  }

 private:
  std::string path_;
};

}  // namespace tillit::testing
