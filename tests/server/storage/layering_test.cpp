// Enforces the storage boundary of design.md and style.md: sqlite3.h is included only by
// server/storage/src/*.cpp, so no SQLite type reaches the public headers, the services or
// anything else (a PostgreSQL backend can then be added without touching them).
#include <doctest/doctest.h>

#include <filesystem>
#include <fstream>
#include <sstream>

namespace fs = std::filesystem;

namespace {

std::string ReadFile(const fs::path& path) {
  std::ifstream in(path);
  std::stringstream text;
  text << in.rdbuf();
  return text.str();
}

// True if some line is an #include of sqlite3.h or sqlite3ext.h. (A hand-written scan:
// std::regex trips GCC 12's -Wmaybe-uninitialized under the sanitizers.)
bool IncludesSqlite(const std::string& text) {
  std::istringstream lines(text);
  std::string line;
  while (std::getline(lines, line)) {
    size_t i = line.find_first_not_of(" \t");
    if (i == std::string::npos || line[i] != '#') continue;
    i = line.find_first_not_of(" \t", i + 1);
    if (i == std::string::npos || line.compare(i, 7, "include") != 0) continue;
    i = line.find_first_not_of(" \t", i + 7);
    if (i == std::string::npos || (line[i] != '<' && line[i] != '"')) continue;
    const size_t end = line.find(line[i] == '<' ? '>' : '"', i + 1);
    if (end == std::string::npos) continue;
    const std::string name = line.substr(i + 1, end - i - 1);
    if (name == "sqlite3.h" || name == "sqlite3ext.h") return true;
  }
  return false;
}

bool IsSource(const fs::path& path) {
  const auto ext = path.extension();
  return ext == ".h" || ext == ".hpp" || ext == ".cpp" || ext == ".cc";
}

}  // namespace

TEST_CASE("sqlite3.h is included only by server/storage/src/*.cpp") {
  const fs::path root = fs::path(TILLIT_SOURCE_DIR);
  const fs::path allowed = root / "server" / "storage" / "src";
  int files = 0;
  int including = 0;
  for (const char* part : {"core", "platform", "server", "enrolment", "tools", "tests"}) {
    if (!fs::is_directory(root / part)) continue;
    for (const auto& entry : fs::recursive_directory_iterator(root / part)) {
      if (!entry.is_regular_file() || !IsSource(entry.path())) continue;
      ++files;
      if (!IncludesSqlite(ReadFile(entry.path()))) continue;
      ++including;
      INFO(entry.path().string());
      // The test-only VFS that fails file operations (an EIO disk) must speak SQLite's VFS
      // API; its header names no SQLite type.
      if (entry.path() == root / "tests" / "integration" / "faulty_vfs.cpp") continue;
      CHECK(entry.path().parent_path() == allowed);
      CHECK(entry.path().extension() == ".cpp");
    }
  }
  CHECK(files > 0);
  CHECK(including > 0);  // the backend itself does include it
}

TEST_CASE("public storage headers name no SQLite type") {
  const fs::path include =
      fs::path(TILLIT_SOURCE_DIR) / "server" / "storage" / "include" / "tillit" / "storage";
  REQUIRE(fs::is_directory(include));
  for (const auto& entry : fs::directory_iterator(include)) {
    INFO(entry.path().string());
    const std::string text = ReadFile(entry.path());
    CHECK(text.find("sqlite3") == std::string::npos);
    CHECK(text.find("SQLITE_") == std::string::npos);
  }
}
