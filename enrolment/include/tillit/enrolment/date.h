// Calendar dates as the desk writes them: ISO 8601 calendar form YYYY-MM-DD, nothing else.
// The library never reads a clock; every rule that depends on "today" takes it as a
// parameter, so the same inputs always give the same decision (and tests can pin the day).
//
// Thread safety: all functions are pure.
#pragma once

#include <string>
#include <string_view>

#include "tillit/identifier/swedish.h"
#include "tillit/result.h"

namespace tillit::enrolment {

using Date = identifier::CivilDate;

// Parses exactly YYYY-MM-DD (four-digit year 0001..9999, real calendar date; no spaces,
// no time, no other separators). Errors: "invalidParameters" naming `field`.
Result<Date> ParseDate(std::string_view text, std::string_view field);

// YYYY-MM-DD with leading zeros.
std::string SerializeDate(const Date& date);

}  // namespace tillit::enrolment
