// Shared helpers of the fuzz targets (tests/fuzz/*_fuzz.cpp): an invariant check that aborts
// (libFuzzer and the replay driver both report an abort as a finding), the fixed test data of
// tests/fuzz/data/, and a splitter for inputs that carry several fields.
//
// Not thread-safe (fuzz targets run one input at a time).
#pragma once

#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <fstream>
#include <iterator>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "tillit/bytes.h"

// Aborts with the failed condition: a broken invariant of the parser under test.
#define FUZZ_CHECK(condition)                                                           \
  do {                                                                                  \
    if (!(condition)) {                                                                 \
      std::fprintf(stderr, "%s:%d: fuzz invariant failed: %s\n", __FILE__, __LINE__,    \
                   #condition);                                                         \
      std::abort();                                                                     \
    }                                                                                   \
  } while (false)

namespace tillit::fuzz {

// The input as text or bytes.
inline std::string_view AsText(const uint8_t* data, size_t size) {
  return size == 0 ? std::string_view() : std::string_view(reinterpret_cast<const char*>(data), size);
}
inline ByteView AsView(const uint8_t* data, size_t size) {
  return size == 0 ? ByteView() : ByteView(data, size);
}

// tests/fuzz/data/NAME, written by fuzz_seed_gen; aborts if it is missing.
inline std::string ReadDataFile(const std::string& name) {
  const std::string path = std::string(TILLIT_FUZZ_DATA_DIR) + "/" + name;
  std::ifstream in(path, std::ios::binary);
  if (!in) {
    std::fprintf(stderr, "fuzz: cannot read %s\n", path.c_str());
    std::abort();
  }
  return std::string((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
}

// Splits the input at each occurrence of kFieldSeparator, into at most max_parts parts (the
// last part keeps any further separators). Seeds and dictionaries use the same separator.
inline constexpr std::string_view kFieldSeparator = "\n--\n";
inline std::vector<std::string_view> SplitFields(std::string_view text, size_t max_parts) {
  std::vector<std::string_view> parts;
  while (parts.size() + 1 < max_parts) {
    const size_t at = text.find(kFieldSeparator);
    if (at == std::string_view::npos) break;
    parts.push_back(text.substr(0, at));
    text.remove_prefix(at + kFieldSeparator.size());
  }
  parts.push_back(text);
  return parts;
}

}  // namespace tillit::fuzz
