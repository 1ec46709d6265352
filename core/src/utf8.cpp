// Strict UTF-8 decoding; see tillit/utf8.h.
#include "tillit/utf8.h"

#include <cstdint>
#include <cstring>

namespace tillit {

std::optional<uint32_t> NextUtf8CodePoint(std::string_view text, size_t& pos) {
  const auto byte = [&](size_t i) { return static_cast<uint8_t>(text[i]); };
  const uint8_t b0 = byte(pos);
  size_t length;
  uint32_t cp;
  uint32_t min;
  if (b0 < 0x80) {
    ++pos;
    return b0;
  } else if (b0 >= 0xc2 && b0 <= 0xdf) {
    length = 2, cp = b0 & 0x1f, min = 0x80;
  } else if (b0 >= 0xe0 && b0 <= 0xef) {
    length = 3, cp = b0 & 0x0f, min = 0x800;
  } else if (b0 >= 0xf0 && b0 <= 0xf4) {
    length = 4, cp = b0 & 0x07, min = 0x10000;
  } else {
    return std::nullopt;  // continuation byte, C0/C1 (always overlong) or F5..FF
  }
  if (text.size() - pos < length) return std::nullopt;
  for (size_t i = 1; i < length; ++i) {
    const uint8_t b = byte(pos + i);
    if ((b & 0xc0) != 0x80) return std::nullopt;
    cp = (cp << 6) | (b & 0x3f);
  }
  if (cp < min || cp > 0x10ffff || (cp >= 0xd800 && cp <= 0xdfff)) return std::nullopt;
  pos += length;
  return cp;
}

std::optional<size_t> Utf8CodePointCount(std::string_view text) {
  size_t count = 0;
  size_t pos = 0;
  while (pos < text.size()) {
    // ASCII runs (base64, identifiers, most names) eight bytes at a time: each byte is
    // one code point.
    while (text.size() - pos >= 8) {
      uint64_t word;
      std::memcpy(&word, text.data() + pos, sizeof word);
      if ((word & 0x8080808080808080ULL) != 0) break;
      pos += 8;
      count += 8;
    }
    if (pos == text.size()) break;
    if (!NextUtf8CodePoint(text, pos)) return std::nullopt;
    ++count;
  }
  return count;
}

}  // namespace tillit
