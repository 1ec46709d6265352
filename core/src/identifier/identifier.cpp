// Identifier parsing, formatting and the check character (docs/identifier.md §1–§3).
#include "tillit/identifier/identifier.h"

#include <array>

namespace tillit::identifier {
namespace {

static_assert(kAlphabet.size() == kRadix);
static_assert(kLetters.size() == 21);
static_assert(kTailCount == 31ULL * 31 * 31 * 31 * 31 * 31 * 31 * 31 * 31 * 31);
static_assert(kPayloadCount == 17212194026596821ULL);
static_assert(kPayloadCount <= (uint64_t{1} << 54) && kPayloadCount > (uint64_t{1} << 53));

constexpr std::array<int8_t, 256> MakeSymbolTable() {
  std::array<int8_t, 256> table{};
  for (auto& v : table) v = -1;
  for (size_t i = 0; i < kAlphabet.size(); ++i) {
    table[static_cast<uint8_t>(kAlphabet[i])] = static_cast<int8_t>(i);
  }
  return table;
}
constexpr std::array<int8_t, 256> kSymbolTable = MakeSymbolTable();

// The letters are exactly the symbols with values 10..30.
static_assert(kAlphabet.substr(10) == kLetters);

// 12 * 18 = 216 = 7 * 31 - 1, so 18 = -(12^-1) mod 31: v12 = 18 * S makes
// S + 12 * v12 == 0 (mod 31).
constexpr uint32_t kMinusInverseOf12 = 18;
static_assert((12 * kMinusInverseOf12) % kRadix == kRadix - 1);

// sum_{i=1..n} i * v_i over the first n symbols (all known to be valid).
uint32_t WeightedSum(std::string_view symbols) {
  uint32_t sum = 0;
  for (size_t i = 0; i < symbols.size(); ++i) {
    sum += static_cast<uint32_t>(i + 1) * static_cast<uint32_t>(SymbolValue(symbols[i]));
  }
  return sum;
}

std::string Printable(char c) {
  const auto b = static_cast<unsigned char>(c);
  if (b >= 0x21 && b < 0x7f) return std::string("'") + c + "'";
  static constexpr char kHex[] = "0123456789abcdef";
  return std::string("byte 0x") + kHex[b >> 4] + kHex[b & 15];
}

}  // namespace

int SymbolValue(char c) { return kSymbolTable[static_cast<uint8_t>(c)]; }

char ComputeCheckCharacter(std::string_view first11) {
  TILLIT_CHECK(first11.size() == kLength - 1);
  for (char c : first11) TILLIT_CHECK(SymbolValue(c) >= 0);
  return kAlphabet[(kMinusInverseOf12 * (WeightedSum(first11) % kRadix)) % kRadix];
}

Result<Identifier> Identifier::Parse(std::string_view text) {
  std::array<char, kLength> symbols{};
  size_t count = 0;
  for (size_t i = 0; i < text.size(); ++i) {
    char c = text[i];
    if (c == ' ' || c == '-') continue;
    if (c >= 'a' && c <= 'z') c = static_cast<char>(c - 'a' + 'A');
    if (SymbolValue(c) < 0) {
      std::string message = Printable(text[i]) + " at offset " + std::to_string(i) +
                            " is not an identifier character";
      if (c == 'O' || c == 'Q') {
        message += " (O and Q are never used: did you mean 0?)";
      } else if (c == 'I') {
        message += " (I is never used: did you mean 1?)";
      } else if (c == 'V' || c == 'W') {
        message += " (V and W are never used)";
      }
      return MakeError("invalidCharacter", message);
    }
    if (count < kLength) symbols[count] = c;
    ++count;
  }
  if (count != kLength) {
    return MakeError("invalidLength", "an identifier has 12 characters (separators aside), got " +
                                          std::to_string(count));
  }
  const std::string_view canonical(symbols.data(), symbols.size());
  if (SymbolValue(canonical[0]) < 10) {
    return MakeError("invalidFirstCharacter", "an identifier starts with a letter, not a digit");
  }
  if (WeightedSum(canonical) % kRadix != 0) {
    return MakeError("invalidCheckCharacter",
                     "check character mismatch: a character is mistyped or two are swapped");
  }
  return Identifier(std::string(canonical));
}

Result<Identifier> Identifier::FromPayload(uint64_t payload) {
  if (payload >= kPayloadCount) {
    return MakeError("payloadOutOfRange", "payload " + std::to_string(payload) + " is not below " +
                                              std::to_string(kPayloadCount));
  }
  // Symbol values: the letter, then the tail's ten base-31 digits. The tail is split into
  // two five-digit halves (each below 31^5 < 2^25) so that the two chains of divisions by
  // a constant run side by side; identifier allocation is on the enrolment path and its
  // throughput is benchmarked (docs/performance.md §7).
  constexpr uint32_t kHalfCount = 31 * 31 * 31 * 31 * 31;
  static_assert(uint64_t{kHalfCount} * kHalfCount == kTailCount);
  uint32_t values[kLength - 1];
  values[0] = 10 + static_cast<uint32_t>(payload / kTailCount);
  const uint64_t tail = payload % kTailCount;
  uint32_t high = static_cast<uint32_t>(tail / kHalfCount);
  uint32_t low = static_cast<uint32_t>(tail % kHalfCount);
  for (size_t i = 5; i >= 1; --i) {
    values[i] = high % kRadix;
    high /= kRadix;
    values[i + 5] = low % kRadix;
    low /= kRadix;
  }
  // The check character of docs/identifier.md §3, from the values already at hand (the
  // same arithmetic as ComputeCheckCharacter, which starts from text).
  uint32_t sum = 0;
  char text[kLength];
  for (size_t i = 0; i < kLength - 1; ++i) {
    sum += static_cast<uint32_t>(i + 1) * values[i];
    text[i] = kAlphabet[values[i]];
  }
  text[kLength - 1] = kAlphabet[(kMinusInverseOf12 * (sum % kRadix)) % kRadix];
  return Identifier(std::string(text, kLength));
}

uint64_t Identifier::Payload() const {
  uint64_t tail = 0;
  for (size_t i = 1; i < kLength - 1; ++i) {
    tail = tail * kRadix + static_cast<uint64_t>(SymbolValue(text_[i]));
  }
  const auto letter = static_cast<uint64_t>(SymbolValue(text_[0]) - 10);
  return letter * kTailCount + tail;
}

std::string Identifier::Grouped() const {
  return text_.substr(0, 4) + "-" + text_.substr(4, 4) + "-" + text_.substr(8, 4);
}

}  // namespace tillit::identifier
