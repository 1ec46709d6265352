// Strict ISO 8601 calendar dates for tillit/enrolment/date.h.
#include "tillit/enrolment/date.h"

#include <cstdio>

#include "text.h"

namespace tillit::enrolment {
namespace {

bool Digits(std::string_view s, int& value) {
  value = 0;
  for (char c : s) {
    if (c < '0' || c > '9') return false;
    value = value * 10 + (c - '0');
  }
  return !s.empty();
}

}  // namespace

Result<Date> ParseDate(std::string_view text, std::string_view field) {
  int year = 0;
  int month = 0;
  int day = 0;
  if (text.size() != 10 || text[4] != '-' || text[7] != '-' || !Digits(text.substr(0, 4), year) ||
      !Digits(text.substr(5, 2), month) || !Digits(text.substr(8, 2), day)) {
    return internal::FieldError(field, "must be a date written YYYY-MM-DD");
  }
  auto date = Date::Create(year, month, day);
  if (!date.ok()) return internal::FieldError(field, "is not a calendar date");
  return *date;
}

std::string SerializeDate(const Date& date) {
  char buffer[16];
  std::snprintf(buffer, sizeof buffer, "%04d-%02d-%02d", date.year(), date.month(), date.day());
  return buffer;
}

}  // namespace tillit::enrolment
