// Strict UTF-8 (RFC 3629 §4): no overlong forms, no surrogates, nothing above U+10FFFF.
// The one decoder every layer uses to check text from outside (names, the text a resident
// signs, e-service names, QR payloads), so all of them accept exactly the same bytes.
//
// Thread safety: pure functions.
#pragma once

#include <cstddef>
#include <cstdint>
#include <optional>
#include <string_view>

namespace tillit {

// Decodes the code point starting at text[pos] and advances pos past it; nullopt (pos
// unchanged) if the bytes there are not a well-formed sequence. pos must be < text.size().
std::optional<uint32_t> NextUtf8CodePoint(std::string_view text, size_t& pos);

// The number of code points in text if it is well-formed UTF-8, else nullopt.
std::optional<size_t> Utf8CodePointCount(std::string_view text);

// True iff text is well-formed UTF-8 (U+0000 allowed).
inline bool IsValidUtf8(std::string_view text) { return Utf8CodePointCount(text).has_value(); }

// True iff text is well-formed UTF-8 without U+0000: text a person is shown (a NUL would
// end the text early in C strings and displays, showing less than what is signed).
inline bool IsUtf8Text(std::string_view text) {
  return text.find('\0') == std::string_view::npos && IsValidUtf8(text);
}

}  // namespace tillit
