// UTF-8 codec, character classes and the Latin fold table behind name validation and
// name matching (docs/duplicates.md §Name normalisation).
#include "text.h"

#include <array>
#include <cstdint>

namespace tillit::enrolment::internal {
namespace {

// clang-format off
// U+00C0..U+00FF, one entry per code point. "" for × and ÷, which are not letters.
constexpr std::array<std::string_view, 64> kLatin1 = {
    "a", "a", "a", "a", "a", "a", "ae", "c",  // ÀÁÂÃÄÅÆÇ
    "e", "e", "e", "e", "i", "i", "i",  "i",  // ÈÉÊËÌÍÎÏ
    "d", "n", "o", "o", "o", "o", "o",  "",   // ÐÑÒÓÔÕÖ×
    "o", "u", "u", "u", "u", "y", "th", "ss", // ØÙÚÛÜÝÞß
    "a", "a", "a", "a", "a", "a", "ae", "c",  // àáâãäåæç
    "e", "e", "e", "e", "i", "i", "i",  "i",  // èéêëìíîï
    "d", "n", "o", "o", "o", "o", "o",  "",   // ðñòóôõö÷
    "o", "u", "u", "u", "u", "y", "th", "y",  // øùúûüýþÿ
};

// U+0100..U+017F (Latin Extended-A), one letter per code point; '*' marks the two
// ligatures handled separately (Ĳ ĳ -> "ij", Œ œ -> "oe").
constexpr std::string_view kExtendedA =
    "aaaaaaccccccccdd"   // Ā..ď
    "ddeeeeeeeeeegggg"   // Đ..ğ
    "gggghhhhiiiiiiii"   // Ġ..į
    "ii**jjkkklllllll"   // İ..Ŀ
    "lllnnnnnnnnnoooo"   // ŀ..ŏ
    "oo**rrrrrrssssss"   // Ő..ş
    "ssttttttuuuuuuuu"   // Š..ů
    "uuuuwwyyyzzzzzzs";  // Ű..ſ
static_assert(kExtendedA.size() == 128);

// U+1E00..U+1E9F (Latin Extended Additional, first part); '*' = ẞ (capital sharp s).
constexpr std::string_view kAdditional1 =
    "aabbbbbbccddddddddddeeeeeeeeeeffgghhhhhhhhhhiiii"
    "kkkkkkllllllllmmmmmmnnnnnnnnoooooooopppprrrrrrrr"
    "ssssssssssttttttttuuuuuuuuuuvvvvwwwwwwwwwwxxxxyy"
    "zzzzzzhtwyasss*d";
static_assert(kAdditional1.size() == 160);
// U+1EA0..U+1EFF (Vietnamese vowels and a few Welsh/medieval letters).
constexpr std::string_view kAdditional2 =
    "aaaaaaaaaaaaaaaaaaaaaaaa"  // Ạ..ặ
    "eeeeeeeeeeeeeeee"          // Ẹ..ệ
    "iiii"                      // Ỉ..ị
    "oooooooooooooooooooooooo"  // Ọ..ợ
    "uuuuuuuuuuuuuu"            // Ụ..ự
    "yyyyyyyy"                  // Ỳ..ỹ
    "**vvyy";                   // Ỻ ỻ (ll) Ỽ ỽ Ỿ ỿ
static_assert(kAdditional2.size() == 96);
// clang-format on

// A single-letter view into one of the tables above.
std::string_view Letter(std::string_view table, size_t index) { return table.substr(index, 1); }

// Latin Extended-B (U+0180..U+024F) has no regular layout; these are the letters that
// appear in the Latin orthographies of the languages the desk meets (Azerbaijani,
// Romanian, Vietnamese, Pinyin tone marks, Sami, African alphabets).
std::string_view FoldExtendedB(char32_t c) {
  // clang-format off
  switch (c) {
    case 0x0180: case 0x0181: case 0x0182: case 0x0183: return "b";
    case 0x0187: case 0x0188: return "c";
    case 0x0189: case 0x018A: case 0x018B: case 0x018C: return "d";
    case 0x018E: case 0x018F: case 0x0190: case 0x01DD: return "e";  // Ǝ Ə Ɛ ǝ
    case 0x0191: case 0x0192: return "f";
    case 0x0193: case 0x01E4: case 0x01E5: case 0x01E6: case 0x01E7: case 0x01F4:
    case 0x01F5: return "g";
    case 0x0197: case 0x01CF: case 0x01D0: case 0x0208: case 0x0209: case 0x020A:
    case 0x020B: return "i";
    case 0x0198: case 0x0199: case 0x01E8: case 0x01E9: return "k";
    case 0x019A: return "l";
    case 0x019D: case 0x019E: case 0x01F8: case 0x01F9: case 0x0220: return "n";
    case 0x019F: case 0x01A0: case 0x01A1: case 0x01D1: case 0x01D2: case 0x01EA:
    case 0x01EB: case 0x01EC: case 0x01ED: case 0x01FE: case 0x01FF: case 0x020C:
    case 0x020D: case 0x020E: case 0x020F: case 0x022A: case 0x022B: case 0x022C:
    case 0x022D: case 0x022E: case 0x022F: case 0x0230: case 0x0231: return "o";
    case 0x01A4: case 0x01A5: return "p";
    case 0x0210: case 0x0211: case 0x0212: case 0x0213: return "r";
    case 0x0218: case 0x0219: return "s";  // Ș ș (Romanian)
    case 0x01AB: case 0x01AC: case 0x01AD: case 0x01AE: case 0x021A: case 0x021B:
      return "t";  // Ț ț (Romanian)
    case 0x01AF: case 0x01B0: case 0x01D3: case 0x01D4: case 0x01D5: case 0x01D6:
    case 0x01D7: case 0x01D8: case 0x01D9: case 0x01DA: case 0x01DB: case 0x01DC:
    case 0x0214: case 0x0215: case 0x0216: case 0x0217: return "u";
    case 0x01B2: return "v";
    case 0x01B3: case 0x01B4: case 0x0232: case 0x0233: return "y";
    case 0x01B5: case 0x01B6: case 0x0224: case 0x0225: return "z";
    case 0x01B7: case 0x01EE: case 0x01EF: return "z";  // Ʒ ezh (Sami)
    case 0x01C4: case 0x01C5: case 0x01C6: return "dz";
    case 0x01C7: case 0x01C8: case 0x01C9: return "lj";
    case 0x01CA: case 0x01CB: case 0x01CC: return "nj";
    case 0x01CD: case 0x01CE: case 0x01DE: case 0x01DF: case 0x01E0: case 0x01E1:
    case 0x01FA: case 0x01FB: case 0x0200: case 0x0201: case 0x0202: case 0x0203:
    case 0x0226: case 0x0227: return "a";
    case 0x01E2: case 0x01E3: case 0x01FC: case 0x01FD: return "ae";
    case 0x01F1: case 0x01F2: case 0x01F3: return "dz";
    case 0x0204: case 0x0205: case 0x0206: case 0x0207: case 0x0228: case 0x0229:
      return "e";
    case 0x021E: case 0x021F: return "h";
    case 0x0259: return "e";  // ə (Azerbaijani)
    default: return "";
  }
  // clang-format on
}

}  // namespace

std::optional<std::u32string> DecodeUtf8(std::string_view text) {
  std::u32string out;
  out.reserve(text.size());
  size_t i = 0;
  while (i < text.size()) {
    const auto b0 = static_cast<uint8_t>(text[i]);
    if (b0 < 0x80) {
      out.push_back(b0);
      ++i;
      continue;
    }
    size_t length;
    char32_t c;
    char32_t min;
    if ((b0 & 0xE0) == 0xC0) {
      length = 2, c = b0 & 0x1F, min = 0x80;
    } else if ((b0 & 0xF0) == 0xE0) {
      length = 3, c = b0 & 0x0F, min = 0x800;
    } else if ((b0 & 0xF8) == 0xF0) {
      length = 4, c = b0 & 0x07, min = 0x10000;
    } else {
      return std::nullopt;  // continuation byte or 0xF8..0xFF as a lead byte
    }
    if (text.size() - i < length) return std::nullopt;
    for (size_t k = 1; k < length; ++k) {
      const auto b = static_cast<uint8_t>(text[i + k]);
      if ((b & 0xC0) != 0x80) return std::nullopt;
      c = (c << 6) | (b & 0x3F);
    }
    if (c < min || c > 0x10FFFF || (c >= 0xD800 && c <= 0xDFFF)) return std::nullopt;
    out.push_back(c);
    i += length;
  }
  return out;
}

void AppendUtf8(char32_t c, std::string& out) {
  if (c < 0x80) {
    out.push_back(static_cast<char>(c));
  } else if (c < 0x800) {
    out.push_back(static_cast<char>(0xC0 | (c >> 6)));
    out.push_back(static_cast<char>(0x80 | (c & 0x3F)));
  } else if (c < 0x10000) {
    out.push_back(static_cast<char>(0xE0 | (c >> 12)));
    out.push_back(static_cast<char>(0x80 | ((c >> 6) & 0x3F)));
    out.push_back(static_cast<char>(0x80 | (c & 0x3F)));
  } else {
    out.push_back(static_cast<char>(0xF0 | (c >> 18)));
    out.push_back(static_cast<char>(0x80 | ((c >> 12) & 0x3F)));
    out.push_back(static_cast<char>(0x80 | ((c >> 6) & 0x3F)));
    out.push_back(static_cast<char>(0x80 | (c & 0x3F)));
  }
}

std::string EncodeUtf8(std::u32string_view text) {
  std::string out;
  out.reserve(text.size());
  for (char32_t c : text) AppendUtf8(c, out);
  return out;
}

bool IsForbiddenControl(char32_t c) {
  return c < 0x20 || (c >= 0x7F && c <= 0x9F) || c == 0x2028 || c == 0x2029 ||
         (c >= 0x202A && c <= 0x202E) || (c >= 0x2066 && c <= 0x2069) || c == 0xFEFF;
}

bool IsCombiningMark(char32_t c) { return c >= 0x0300 && c <= 0x036F; }

bool IsLatinLetter(char32_t c) {
  if ((c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z')) return true;
  if (c >= 0x00C0 && c <= 0x00FF) return c != 0x00D7 && c != 0x00F7;
  if (c >= 0x0100 && c <= 0x024F) return true;
  if (c == 0x0259) return true;
  return c >= 0x1E00 && c <= 0x1EFF;
}

bool IsApostrophe(char32_t c) { return c == '\'' || c == 0x2019 || c == 0x02BC || c == 0x02BB; }

std::string_view FoldLatinLetter(char32_t c) {
  static constexpr std::string_view kLetters = "abcdefghijklmnopqrstuvwxyz";
  if (c >= 'A' && c <= 'Z') return kLetters.substr(c - 'A', 1);
  if (c >= 'a' && c <= 'z') return kLetters.substr(c - 'a', 1);
  if (c >= 0x00C0 && c <= 0x00FF) return kLatin1[c - 0x00C0];
  if (c >= 0x0100 && c <= 0x017F) {
    if (c == 0x0132 || c == 0x0133) return "ij";
    if (c == 0x0152 || c == 0x0153) return "oe";
    return Letter(kExtendedA, c - 0x0100);
  }
  if ((c >= 0x0180 && c <= 0x024F) || c == 0x0259) return FoldExtendedB(c);
  if (c >= 0x1E00 && c <= 0x1E9F) {
    if (c == 0x1E9E) return "ss";
    return Letter(kAdditional1, c - 0x1E00);
  }
  if (c >= 0x1EA0 && c <= 0x1EFF) {
    if (c == 0x1EFA || c == 0x1EFB) return "ll";
    return Letter(kAdditional2, c - 0x1EA0);
  }
  return "";
}

std::string_view TrimSpaces(std::string_view text) {
  while (!text.empty() && text.front() == ' ') text.remove_prefix(1);
  while (!text.empty() && text.back() == ' ') text.remove_suffix(1);
  return text;
}

std::string AsciiUpper(std::string_view text) {
  std::string out(text);
  for (char& c : out) {
    if (c >= 'a' && c <= 'z') c = static_cast<char>(c - 'a' + 'A');
  }
  return out;
}

std::string AsciiLower(std::string_view text) {
  std::string out(text);
  for (char& c : out) {
    if (c >= 'A' && c <= 'Z') c = static_cast<char>(c - 'A' + 'a');
  }
  return out;
}

Error FieldError(std::string_view field, std::string_view problem) {
  std::string message(field);
  message += ": ";
  message += problem;
  return MakeError("invalidParameters", std::move(message));
}

size_t CountCodePoints(std::string_view utf8) {
  size_t n = 0;
  for (char c : utf8) {
    if ((static_cast<uint8_t>(c) & 0xC0) != 0x80) ++n;
  }
  return n;
}

}  // namespace tillit::enrolment::internal
