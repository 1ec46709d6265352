// Text folding for person search (see search_text.h).
#include "search_text.h"

#include <cstdint>

namespace tillit::server::storage::sqlite {
namespace {

// The small letter of a capital in the ranges FoldCase covers, else the code point.
char32_t FoldCodePoint(char32_t c) {
  if (c >= 'A' && c <= 'Z') return c + 0x20;
  if (c < 0x80) return c;
  // Latin-1 Supplement: À..Þ except × (U+00D7).
  if (c >= 0x00C0 && c <= 0x00DE && c != 0x00D7) return c + 0x20;
  // Latin Extended-A: capitals and small letters alternate, with the parity flipping at
  // U+0138/U+0139 and at U+0178/U+0179.
  if (c == 0x0130) return 'i';     // İ: its lower case is i + combining dot; i matches best
  if (c == 0x0178) return 0x00FF;  // Ÿ -> ÿ
  if ((c >= 0x0100 && c <= 0x0137) || (c >= 0x014A && c <= 0x0177)) {
    return (c % 2 == 0) ? c + 1 : c;
  }
  if ((c >= 0x0139 && c <= 0x0148) || (c >= 0x0179 && c <= 0x017E)) {
    return (c % 2 == 1) ? c + 1 : c;
  }
  // Greek capitals Α..Ω (U+03A2 is unassigned) and the accented ones.
  if (c >= 0x0391 && c <= 0x03A9 && c != 0x03A2) return c + 0x20;
  if (c == 0x0386) return 0x03AC;
  if (c >= 0x0388 && c <= 0x038A) return c + 0x25;
  if (c == 0x038C) return 0x03CC;
  if (c == 0x038E || c == 0x038F) return c + 0x3F;
  // Cyrillic: Ѐ..Џ and А..Я.
  if (c >= 0x0400 && c <= 0x040F) return c + 0x50;
  if (c >= 0x0410 && c <= 0x042F) return c + 0x20;
  return c;
}

void AppendUtf8(char32_t c, std::string& out) {
  if (c < 0x80) {
    out += static_cast<char>(c);
  } else if (c < 0x800) {
    out += static_cast<char>(0xC0 | (c >> 6));
    out += static_cast<char>(0x80 | (c & 0x3F));
  } else if (c < 0x10000) {
    out += static_cast<char>(0xE0 | (c >> 12));
    out += static_cast<char>(0x80 | ((c >> 6) & 0x3F));
    out += static_cast<char>(0x80 | (c & 0x3F));
  } else {
    out += static_cast<char>(0xF0 | (c >> 18));
    out += static_cast<char>(0x80 | ((c >> 12) & 0x3F));
    out += static_cast<char>(0x80 | ((c >> 6) & 0x3F));
    out += static_cast<char>(0x80 | (c & 0x3F));
  }
}

bool IsSpace(char c) {
  return c == ' ' || c == '\t' || c == '\n' || c == '\r' || c == '\f' || c == '\v';
}

}  // namespace

std::string FoldCase(std::string_view text) {
  std::string out;
  out.reserve(text.size());
  size_t i = 0;
  while (i < text.size()) {
    const auto lead = static_cast<uint8_t>(text[i]);
    if (lead < 0x80) {
      out += static_cast<char>(FoldCodePoint(lead));
      ++i;
      continue;
    }
    // Only two-byte sequences can hold the letters folded here (U+0080..U+07FF); longer
    // and invalid sequences are copied byte by byte, unchanged.
    if (lead >= 0xC2 && lead <= 0xDF && i + 1 < text.size() &&
        (static_cast<uint8_t>(text[i + 1]) & 0xC0) == 0x80) {
      const char32_t c = (char32_t{lead} & 0x1F) << 6 | (static_cast<uint8_t>(text[i + 1]) & 0x3F);
      AppendUtf8(FoldCodePoint(c), out);
      i += 2;
      continue;
    }
    out += text[i];
    ++i;
  }
  return out;
}

std::string Compact(std::string_view text) {
  std::string out;
  out.reserve(text.size());
  for (char c : text) {
    if (c == ' ' || c == '-') continue;
    out += (c >= 'a' && c <= 'z') ? static_cast<char>(c - 0x20) : c;
  }
  return out;
}

std::string EscapeLike(std::string_view text) {
  std::string out;
  out.reserve(text.size());
  for (char c : text) {
    if (c == '\\' || c == '%' || c == '_') out += '\\';
    out += c;
  }
  return out;
}

std::vector<std::string> SplitWords(std::string_view text, size_t max_words) {
  std::vector<std::string> words;
  size_t i = 0;
  while (i < text.size() && words.size() < max_words) {
    while (i < text.size() && IsSpace(text[i])) ++i;
    const size_t start = i;
    while (i < text.size() && !IsSpace(text[i])) ++i;
    if (i > start) words.emplace_back(text.substr(start, i - start));
  }
  return words;
}

std::string_view Trim(std::string_view text) {
  while (!text.empty() && IsSpace(text.front())) text.remove_prefix(1);
  while (!text.empty() && IsSpace(text.back())) text.remove_suffix(1);
  return text;
}

}  // namespace tillit::server::storage::sqlite
