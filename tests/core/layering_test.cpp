// Enforces the dependency direction of design.md: core/ includes no HTTP, database or QR
// library, so it stays portable to the device.
#include <doctest/doctest.h>

#include <filesystem>
#include <fstream>
#include <regex>
#include <sstream>

namespace fs = std::filesystem;

TEST_CASE("core includes no HTTP, database or QR headers") {
  const fs::path core = fs::path(TILLIT_SOURCE_DIR) / "core";
  REQUIRE(fs::is_directory(core));
  const std::regex forbidden(R"(#\s*include\s*[<"](cpprest|boost/beast|boost/asio|sqlite3|ZXing|libpq))");
  int files = 0;
  for (const auto& entry : fs::recursive_directory_iterator(core)) {
    if (!entry.is_regular_file()) continue;
    const auto ext = entry.path().extension();
    if (ext != ".h" && ext != ".cpp") continue;
    ++files;
    std::ifstream in(entry.path());
    std::stringstream text;
    text << in.rdbuf();
    INFO(entry.path().string());
    CHECK_FALSE(std::regex_search(text.str(), forbidden));
  }
  CHECK(files > 0);
}

TEST_CASE("public core headers include neither sodium nor openssl") {
  // style.md: core/src is the only place that includes sodium.h or openssl/*.
  const fs::path include = fs::path(TILLIT_SOURCE_DIR) / "core" / "include";
  const std::regex forbidden(R"(#\s*include\s*[<"](sodium|openssl/))");
  for (const auto& entry : fs::recursive_directory_iterator(include)) {
    if (!entry.is_regular_file()) continue;
    std::ifstream in(entry.path());
    std::stringstream text;
    text << in.rdbuf();
    INFO(entry.path().string());
    CHECK_FALSE(std::regex_search(text.str(), forbidden));
  }
}
