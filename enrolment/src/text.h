// Internal text helpers for the enrolment library: strict UTF-8 decoding and encoding,
// the character classes that name validation and name matching agree on, and the small
// field-error constructor every validator uses. Not a public header.
//
// Thread safety: all functions are pure.
#pragma once

#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "tillit/result.h"

namespace tillit::enrolment::internal {

// Decodes strict UTF-8 (RFC 3629): no overlong forms, no surrogates, nothing above
// U+10FFFF, no truncated sequences. nullopt for anything else.
std::optional<std::u32string> DecodeUtf8(std::string_view text);

// Appends the UTF-8 encoding of a scalar value (which must be valid).
void AppendUtf8(char32_t c, std::string& out);
std::string EncodeUtf8(std::u32string_view text);

// Characters no stored text may contain: C0 and C1 controls, DEL, line and paragraph
// separators, and the bidirectional embedding/override/isolate controls, which can make
// a name display as something other than what is stored (Unicode TR #36 §2.1).
bool IsForbiddenControl(char32_t c);

// Combining diacritical marks (U+0300..U+036F): a decomposed "å" is "a" + U+030A.
bool IsCombiningMark(char32_t c);

// Letters of the Latin script as they appear on documents: ASCII letters, Latin-1
// letters, Latin Extended-A/B, schwa (Azerbaijani) and Latin Extended Additional
// (Vietnamese and others).
bool IsLatinLetter(char32_t c);

// The apostrophes that appear in printed names: ASCII ', U+2019, U+02BC and the Uzbek
// U+02BB. All are accepted as printed; name matching ignores them.
bool IsApostrophe(char32_t c);

// Lower-case ASCII for a Latin letter with its diacritics removed ("Å" -> "a",
// "ß" -> "ss", "Æ" -> "ae"); empty if `c` is not a letter this table knows.
std::string_view FoldLatinLetter(char32_t c);

// Trims ASCII spaces at both ends.
std::string_view TrimSpaces(std::string_view text);

// ASCII upper-casing (the codes and numbers handled here are ASCII).
std::string AsciiUpper(std::string_view text);
std::string AsciiLower(std::string_view text);

// Error{"invalidParameters", "<field>: <problem>"}: the shape the API layer passes on.
Error FieldError(std::string_view field, std::string_view problem);

// Number of scalar values in valid UTF-8 (bytes that are not continuation bytes).
size_t CountCodePoints(std::string_view utf8);

}  // namespace tillit::enrolment::internal
