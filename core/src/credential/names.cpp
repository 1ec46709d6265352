// Name rules for certificate subjects; see names.h.
#include "credential/names.h"

#include <cstdint>
#include <string>

#include "tillit/credential/certificate.h"

namespace tillit::credential::internal {
namespace {

// Decodes the code point starting at text[pos], advancing pos; nullopt if malformed.
std::optional<uint32_t> NextCodePoint(std::string_view text, size_t& pos) {
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

bool IsForbiddenInName(uint32_t cp) {
  return cp < 0x20 || (cp >= 0x7f && cp <= 0x9f) || cp == 0x200e || cp == 0x200f ||
         cp == 0x2028 || cp == 0x2029 || (cp >= 0x202a && cp <= 0x202e) ||
         (cp >= 0x2066 && cp <= 0x2069) || cp == 0xfeff;
}

}  // namespace

std::optional<size_t> Utf8CodePointCount(std::string_view text) {
  size_t count = 0;
  for (size_t pos = 0; pos < text.size(); ++count) {
    if (!NextCodePoint(text, pos)) return std::nullopt;
  }
  return count;
}

Status CheckName(std::string_view name, std::string_view what, const char* error_code) {
  const auto fail = [&](std::string_view why) {
    return MakeError(error_code, std::string(what) + " " + std::string(why));
  };
  if (name.empty()) return fail("is empty");
  if (name.size() > kMaxNameBytes) return fail("is longer than 64 bytes of UTF-8");
  if (name.front() == ' ' || name.back() == ' ') return fail("begins or ends with a space");
  for (size_t pos = 0; pos < name.size();) {
    const std::optional<uint32_t> cp = NextCodePoint(name, pos);
    if (!cp) return fail("is not well-formed UTF-8");
    if (IsForbiddenInName(*cp)) return fail("contains a control or bidi-override character");
  }
  return {};
}

std::string HolderCommonName(std::string_view given_name, std::string_view surname) {
  std::string full = std::string(given_name) + " " + std::string(surname);
  size_t pos = 0;
  for (size_t count = 0; pos < full.size() && count < kMaxCommonNameChars; ++count) {
    if (!NextCodePoint(full, pos)) break;  // unreachable for names that passed CheckName
  }
  full.resize(pos);
  while (!full.empty() && full.back() == ' ') full.pop_back();
  return full;
}

}  // namespace tillit::credential::internal
