// Identifier: the national Tillit identifier, a 12-character string such as "ER7D0H5DJ6C7"
// (grouped for people as "ER7D-0H5D-J6C7"). This header provides the value type, its
// parser and its check character; the keyed mapping from serial numbers to identifiers is
// in tillit/identifier/scheme.h. The format is specified in docs/identifier.md; every
// constant and rule below is part of it.
//
// Thread safety: Identifier is an immutable value type; all functions are pure.
#pragma once

#include <compare>
#include <cstddef>
#include <cstdint>
#include <functional>
#include <string>
#include <string_view>
#include <utility>

#include "tillit/result.h"

namespace tillit::identifier {

// The 31 symbols, in value order: the value of a symbol is its index here. Upper-case ASCII
// without I, O, Q, V and W (docs/identifier.md §1). 31 is prime, which the check character
// relies on. DO NOT CHANGE.
inline constexpr std::string_view kAlphabet = "0123456789ABCDEFGHJKLMNPRSTUXYZ";
inline constexpr uint64_t kRadix = 31;
// The 21 letters of the alphabet (symbol values 10..30), the only symbols allowed in the
// first position. DO NOT CHANGE.
inline constexpr std::string_view kLetters = "ABCDEFGHJKLMNPRSTUXYZ";
// Canonical length, check character included. DO NOT CHANGE.
inline constexpr size_t kLength = 12;
// 31^10: the number of values of positions 2..11.
inline constexpr uint64_t kTailCount = 819628286980801ULL;
// N = 21 * 31^10 = 17,212,194,026,596,821: the number of distinct identifiers, and the
// size of the payload and serial domains [0, N). DO NOT CHANGE.
inline constexpr uint64_t kPayloadCount = 21 * kTailCount;

// Value of an alphabet symbol (upper case only), or -1 for any other byte.
int SymbolValue(char c);

// The check character for the first 11 characters of an identifier: the symbol v12 with
// sum_{i=1..12} i * v_i == 0 (mod 31) (docs/identifier.md §3). `first11` must be exactly 11
// upper-case alphabet symbols; anything else is a programmer error and aborts.
char ComputeCheckCharacter(std::string_view first11);

class Identifier {
 public:
  // Parses an identifier typed or pasted by a person (docs/identifier.md §5). Spaces and
  // hyphens anywhere are separators and are dropped; lower case is folded to upper case.
  // What remains must be exactly the canonical form. Errors, checked in this order:
  //   "invalidCharacter"      a byte that is not a separator nor (case-folded) an alphabet
  //                           symbol: I, O, Q, V, W, punctuation, non-ASCII bytes;
  //   "invalidLength"         not 12 symbols (also: empty, or separators only);
  //   "invalidFirstCharacter" the first symbol is a digit;
  //   "invalidCheckCharacter" the weighted sum is not 0 mod 31 (a mistyped character or two
  //                           swapped characters).
  static Result<Identifier> Parse(std::string_view text);

  // The identifier whose payload (docs/identifier.md §2) is `payload`. Errors:
  // "payloadOutOfRange" if payload >= kPayloadCount. This is the unkeyed encoding; issue
  // identifiers through IdentifierScheme::FromSerial, never from a counter directly.
  static Result<Identifier> FromPayload(uint64_t payload);

  // The payload in [0, kPayloadCount): the inverse of FromPayload.
  uint64_t Payload() const;

  // Canonical form: 12 upper-case symbols, no separators. This is the form to store,
  // compare, put in certificates and send on the wire.
  const std::string& ToString() const { return text_; }

  // Display form for people: three groups of four joined by '-', e.g. "ER7D-0H5D-J6C7".
  // Parse accepts it. Never store it.
  std::string Grouped() const;

  friend bool operator==(const Identifier&, const Identifier&) = default;
  // Orders as the canonical strings do, which is also the order of the payloads.
  friend std::strong_ordering operator<=>(const Identifier&, const Identifier&) = default;

 private:
  explicit Identifier(std::string canonical) : text_(std::move(canonical)) {}

  std::string text_;  // canonical form, always valid
};

}  // namespace tillit::identifier

template <>
struct std::hash<tillit::identifier::Identifier> {
  size_t operator()(const tillit::identifier::Identifier& id) const noexcept {
    return std::hash<std::string>{}(id.ToString());
  }
};
