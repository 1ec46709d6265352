// Name rules for certificate subjects; see names.h.
#include "credential/names.h"

#include <cstdint>
#include <string>

#include "tillit/credential/certificate.h"
#include "tillit/utf8.h"

namespace tillit::credential::internal {
namespace {

bool IsForbiddenInName(uint32_t cp) {
  return cp < 0x20 || (cp >= 0x7f && cp <= 0x9f) || cp == 0x200e || cp == 0x200f ||
         cp == 0x2028 || cp == 0x2029 || (cp >= 0x202a && cp <= 0x202e) ||
         (cp >= 0x2066 && cp <= 0x2069) || cp == 0xfeff;
}

}  // namespace

Status CheckName(std::string_view name, std::string_view what, const char* error_code) {
  const auto fail = [&](std::string_view why) {
    return MakeError(error_code, std::string(what) + " " + std::string(why));
  };
  if (name.empty()) return fail("is empty");
  if (name.size() > kMaxNameBytes) return fail("is longer than 64 bytes of UTF-8");
  if (name.front() == ' ' || name.back() == ' ') return fail("begins or ends with a space");
  for (size_t pos = 0; pos < name.size();) {
    const std::optional<uint32_t> cp = NextUtf8CodePoint(name, pos);
    if (!cp) return fail("is not well-formed UTF-8");
    if (IsForbiddenInName(*cp)) return fail("contains a control or bidi-override character");
  }
  return {};
}

std::string HolderCommonName(std::string_view given_name, std::string_view surname) {
  std::string full = std::string(given_name) + " " + std::string(surname);
  size_t pos = 0;
  for (size_t count = 0; pos < full.size() && count < kMaxCommonNameChars; ++count) {
    if (!NextUtf8CodePoint(full, pos)) break;  // unreachable for names that passed CheckName
  }
  full.resize(pos);
  while (!full.empty() && full.back() == ' ') full.pop_back();
  return full;
}

}  // namespace tillit::credential::internal
