#include "tillit/keystore.h"

#include <algorithm>
#include <iterator>

namespace tillit {

namespace {

// Sources: DataGenetics' PIN-frequency analysis and published leaked 6-digit PIN sets (the
// most frequent entries), plus keypad shapes (columns, diagonals, crosses) and numbers that
// read as words (520 = "I love you", 1314 = "for ever"). Entries the rules below already
// catch (111111, 123456, 121212, ...) are listed anyway so that the list stands on its own.
constexpr std::string_view kBlockList[] = {
    "123456",     "654321",    "000000",    "111111",     "222222",   "333333",
    "444444",     "555555",    "666666",    "777777",     "888888",   "999999",
    "121212",     "112233",    "123123",    "159753",     "123321",   "696969",
    "101010",     "131313",    "520520",    "147258",     "789456",   "1234567",
    "12345678",   "123456789", "1234567890", "159357",    "147852",   "258369",
    "147369",     "123654",    "321654",    "456123",     "963852",   "852456",
    "753951",     "951753",    "135790",    "246810",     "102030",   "010203",
    "112211",     "998877",    "332211",    "111222",     "123789",   "987123",
    "142536",     "142857",    "314159",    "271828",     "5201314",  "1314520",
    "147258369",  "789456123", "741852963", "987654321",  "11223344", "12344321",
    "0123456789", "9876543210", "101010101", "123454321",
};

bool IsOneDigitRepeated(std::string_view pin) {
  return std::all_of(pin.begin(), pin.end(), [&](char c) { return c == pin.front(); });
}

// Each digit is the previous one plus step (mod 10): 345678 (+1), 876543 (-1), 8901234 (+1).
bool IsRun(std::string_view pin, int step) {
  for (size_t i = 1; i < pin.size(); ++i) {
    if ((pin[i - 1] - '0' + step + 10) % 10 != pin[i] - '0') return false;
  }
  return true;
}

// pin is a shorter block written out two or more times: 121212, 520520, 12341234.
bool IsRepeatedBlock(std::string_view pin) {
  for (size_t period = 1; period <= pin.size() / 2; ++period) {
    if (pin.size() % period != 0) continue;
    bool repeats = true;
    for (size_t i = period; i < pin.size() && repeats; ++i) repeats = pin[i] == pin[i - period];
    if (repeats) return true;
  }
  return false;
}

}  // namespace

KeyStore::~KeyStore() = default;

std::span<const std::string_view> PinBlockList() { return kBlockList; }

Status ValidateNewPin(std::string_view pin) {
  if (pin.size() > kMaxPinLength) {
    return MakeError("pinTooLong", "a PIN has at most 64 digits");
  }
  // ASCII digits only, tested by value: std::isdigit depends on the locale.
  if (!std::all_of(pin.begin(), pin.end(), [](char c) { return c >= '0' && c <= '9'; })) {
    return MakeError("pinNotDigits", "a PIN may contain only the digits 0-9");
  }
  if (pin.size() < kMinPinLength) {
    return MakeError("pinTooShort", "a PIN has at least 6 digits");
  }
  if (IsOneDigitRepeated(pin) || IsRun(pin, +1) || IsRun(pin, -1) || IsRepeatedBlock(pin) ||
      std::find(std::begin(kBlockList), std::end(kBlockList), pin) != std::end(kBlockList)) {
    return MakeError("pinTooCommon", "this PIN is too easy to guess; choose another");
  }
  return {};
}

}  // namespace tillit
