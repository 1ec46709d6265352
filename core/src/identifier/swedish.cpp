// Personnummer / samordningsnummer validation (Skatteverket, SKV 704) and the shape of
// Inera's national reserve ID.
#include "tillit/identifier/swedish.h"

#include <array>

namespace tillit::identifier {
namespace {

bool IsDigit(char c) { return c >= '0' && c <= '9'; }

bool AllDigits(std::string_view s) {
  for (char c : s) {
    if (!IsDigit(c)) return false;
  }
  return true;
}

int Number(std::string_view digits) {
  int v = 0;
  for (char c : digits) v = v * 10 + (c - '0');
  return v;
}

bool IsLeapYear(int year) { return (year % 4 == 0 && year % 100 != 0) || year % 400 == 0; }

int DaysInMonth(int year, int month) {
  static constexpr std::array<int, 12> kDays = {31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31};
  if (month == 2 && IsLeapYear(year)) return 29;
  return kDays[static_cast<size_t>(month - 1)];
}

// Luhn over the 10-digit form: weights 2,1,2,1,... on the first nine digits, digit sums
// of the products, and the tenth digit makes the total a multiple of 10.
bool LuhnValid(std::string_view ten_digits) {
  int sum = 0;
  for (size_t i = 0; i < 10; ++i) {
    int d = ten_digits[i] - '0';
    if (i % 2 == 0) {
      d *= 2;
      if (d > 9) d -= 9;
    }
    sum += d;
  }
  return sum % 10 == 0;
}

Error InvalidFormat() {
  return MakeError("invalidFormat",
                   "expected YYMMDD-NNNC, YYMMDD+NNNC, YYMMDDNNNC, YYYYMMDD-NNNC or YYYYMMDDNNNC");
}

}  // namespace

bool IsValidCivilDate(int year, int month, int day) {
  return year >= 1 && year <= 9999 && month >= 1 && month <= 12 && day >= 1 &&
         day <= DaysInMonth(year, month);
}

Result<CivilDate> CivilDate::Create(int year, int month, int day) {
  if (!IsValidCivilDate(year, month, day)) {
    return MakeError("invalidDate", "not a calendar date: " + std::to_string(year) + "-" +
                                        std::to_string(month) + "-" + std::to_string(day));
  }
  return CivilDate(year, month, day);
}

Result<SwedishNumber> ParseSwedishNumber(std::string_view text, const CivilDate& today) {
  // Split into an optional century, YYMMDD, a separator and NNNC.
  std::string_view century;
  std::string_view date6;
  std::string_view last4;
  char separator = 0;
  switch (text.size()) {
    case 10:  // YYMMDDNNNC
      date6 = text.substr(0, 6);
      last4 = text.substr(6);
      break;
    case 11:  // YYMMDD-NNNC, YYMMDD+NNNC
      date6 = text.substr(0, 6);
      separator = text[6];
      last4 = text.substr(7);
      if (separator != '-' && separator != '+') return InvalidFormat();
      break;
    case 12:  // YYYYMMDDNNNC
      century = text.substr(0, 2);
      date6 = text.substr(2, 6);
      last4 = text.substr(8);
      break;
    case 13:  // YYYYMMDD-NNNC
      century = text.substr(0, 2);
      date6 = text.substr(2, 6);
      separator = text[8];
      last4 = text.substr(9);
      if (separator != '-') return InvalidFormat();
      break;
    default:
      return InvalidFormat();
  }
  if (!AllDigits(century) || !AllDigits(date6) || !AllDigits(last4)) return InvalidFormat();

  const int yy = Number(date6.substr(0, 2));
  const int month = Number(date6.substr(2, 2));
  const int stated_day = Number(date6.substr(4, 2));
  SwedishNumberKind kind = SwedishNumberKind::kPersonnummer;
  int day = stated_day;
  if (stated_day > 60) {
    kind = SwedishNumberKind::kSamordningsnummer;
    day = stated_day - 60;
  }
  int year;
  if (!century.empty()) {
    year = Number(century) * 100 + yy;
  } else {
    // The latest date with a year ending in yy that is on or before today (the person is
    // under 100); '+' means a century earlier (100 years or older).
    year = today.year() - ((today.year() - yy) % 100 + 100) % 100;
    if (year == today.year() &&
        (month > today.month() || (month == today.month() && day > today.day()))) {
      year -= 100;
    }
    if (separator == '+') year -= 100;
  }
  if (!IsValidCivilDate(year, month, day)) {
    return MakeError("invalidDate", "not a date of birth: " + std::string(date6));
  }
  std::string ten(date6);
  ten += last4;
  if (!LuhnValid(ten)) return MakeError("invalidChecksum", "the check digit does not match");

  std::string canonical = std::to_string(year / 100);
  if (canonical.size() < 2) canonical.insert(0, 2 - canonical.size(), '0');
  canonical += ten;
  return SwedishNumber(std::move(canonical), kind, CivilDate::Create(year, month, day).value());
}

bool IsIneraReserveIdShape(std::string_view text) {
  std::string digits;
  if (text.size() == 12) {
    digits = text;
  } else if (text.size() == 13 && text[8] == '-') {
    digits = std::string(text.substr(0, 8)) + std::string(text.substr(9));
  } else {
    return false;
  }
  if (!AllDigits(digits)) return false;
  const int first_two = Number(std::string_view(digits).substr(0, 2));
  return first_two < 18 || first_two > 21;
}

}  // namespace tillit::identifier
