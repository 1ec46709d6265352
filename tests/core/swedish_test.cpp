// Tests for tillit/identifier/swedish.h: personnummer and samordningsnummer in every
// written form, the century rules, dates, Luhn, and the Inera reserve-ID shape.
#include "tillit/identifier/swedish.h"

#include <doctest/doctest.h>

using namespace tillit;
using namespace tillit::identifier;

namespace {

CivilDate Date(int y, int m, int d) { return *CivilDate::Create(y, m, d); }

const CivilDate kToday = Date(2026, 6, 15);

std::string CanonicalOf(std::string_view text, const CivilDate& today = kToday) {
  auto r = ParseSwedishNumber(text, today);
  REQUIRE_MESSAGE(r.ok(), text, ": ", r.error().code);
  return r->canonical();
}

std::string ErrorOf(std::string_view text, const CivilDate& today = kToday) {
  auto r = ParseSwedishNumber(text, today);
  REQUIRE_MESSAGE(!r.ok(), text, " unexpectedly valid");
  return r.error().code;
}

// Appends the Luhn check digit to "YYMMDD-NNN" (or any text whose digits are the first
// nine of the 10-digit form, after an optional century).
std::string WithLuhn(std::string text) {
  std::string digits;
  for (char c : text) {
    if (c >= '0' && c <= '9') digits += c;
  }
  if (digits.size() == 11) digits = digits.substr(2);
  REQUIRE(digits.size() == 9);
  int sum = 0;
  for (size_t i = 0; i < 9; ++i) {
    int d = (digits[i] - '0') * (i % 2 == 0 ? 2 : 1);
    sum += d > 9 ? d - 9 : d;
  }
  return text + static_cast<char>('0' + (10 - sum % 10) % 10);
}

}  // namespace

TEST_CASE("test helper: Luhn digits of known numbers") {
  CHECK(WithLuhn("811218-987") == "811218-9876");
  CHECK(WithLuhn("19811218-987") == "19811218-9876");
  CHECK(WithLuhn("701063-239") == "701063-2391");
  CHECK(WithLuhn("170101-239") == "170101-2393");
}

TEST_CASE("civil dates") {
  CHECK(IsValidCivilDate(2024, 2, 29));
  CHECK(IsValidCivilDate(2000, 2, 29));
  CHECK_FALSE(IsValidCivilDate(1900, 2, 29));
  CHECK_FALSE(IsValidCivilDate(2023, 2, 29));
  CHECK_FALSE(IsValidCivilDate(2023, 4, 31));
  CHECK(IsValidCivilDate(2023, 12, 31));
  CHECK_FALSE(IsValidCivilDate(2023, 13, 1));
  CHECK_FALSE(IsValidCivilDate(2023, 0, 1));
  CHECK_FALSE(IsValidCivilDate(2023, 1, 0));
  CHECK_FALSE(IsValidCivilDate(0, 1, 1));
  CHECK(CivilDate::Create(2023, 2, 29).error().code == "invalidDate");
  CHECK(Date(2020, 1, 2) < Date(2020, 2, 1));
  CHECK(Date(2019, 12, 31) < Date(2020, 1, 1));
}

TEST_CASE("personnummer: known-valid numbers in every written form") {
  // Wikipedia's example, a classic, and a Skatteverket test number (dataportal.se,
  // "testpersonnummer").
  CHECK(CanonicalOf("811218-9876") == "198112189876");
  CHECK(CanonicalOf("8112189876") == "198112189876");
  CHECK(CanonicalOf("19811218-9876") == "198112189876");
  CHECK(CanonicalOf("198112189876") == "198112189876");
  CHECK(CanonicalOf("121212-1212") == "201212121212");
  CHECK(CanonicalOf("19121212-1212") == "191212121212");
  CHECK(CanonicalOf("121212+1212") == "191212121212");
  CHECK(CanonicalOf("201701012393") == "201701012393");
  CHECK(CanonicalOf("170101-2393") == "201701012393");
  CHECK(CanonicalOf("19900101-0017") == "199001010017");
  CHECK(CanonicalOf("200002296127") == "200002296127");  // leap day 2000
  CHECK(CanonicalOf("000101-0107") == "200001010107");
  CHECK(CanonicalOf("6403273813") == "196403273813");

  auto r = ParseSwedishNumber("811218-9876", kToday);
  REQUIRE(r.ok());
  CHECK(r->kind() == SwedishNumberKind::kPersonnummer);
  CHECK(r->birth_date() == Date(1981, 12, 18));
}

TEST_CASE("samordningsnummer: day + 60") {
  auto r = ParseSwedishNumber("701063-2391", kToday);
  REQUIRE(r.ok());
  CHECK(r->kind() == SwedishNumberKind::kSamordningsnummer);
  CHECK(r->canonical() == "197010632391");
  CHECK(r->birth_date() == Date(1970, 10, 3));
  CHECK(CanonicalOf("19701063-2391") == "197010632391");
  CHECK(CanonicalOf("7010632391") == "197010632391");
  // Day 91 = the 31st; 61 = the 1st.
  CHECK(ErrorOf("701091-2391") == "invalidChecksum");  // a real date, wrong check digit
  CHECK(ErrorOf("700292-0000") == "invalidDate");      // Feb 32
  CHECK(ErrorOf("701192-0000") == "invalidDate");      // day 92
  CHECK(ErrorOf("701160-0000") == "invalidDate");      // day 60 = day 0
}

TEST_CASE("century of 10-digit forms comes from the reference date") {
  // Born on or before today this century -> 20xx; later in the year -> 19xx.
  const auto june15 = Date(2026, 6, 15);
  CHECK(CanonicalOf(WithLuhn("260615-000"), june15).substr(0, 8) == "20260615");
  CHECK(CanonicalOf(WithLuhn("260616-000"), june15).substr(0, 8) == "19260616");  // 99 years
  CHECK(CanonicalOf(WithLuhn("260615+000"), june15).substr(0, 8) == "19260615");  // 100 today
  CHECK(CanonicalOf(WithLuhn("260616+000"), june15).substr(0, 8) == "18260616");
  CHECK(CanonicalOf(WithLuhn("270101-000"), june15).substr(0, 8) == "19270101");
  CHECK(CanonicalOf(WithLuhn("991231-000"), june15).substr(0, 8) == "19991231");
  CHECK(CanonicalOf(WithLuhn("000101-000"), june15).substr(0, 8) == "20000101");
  // The same for a samordningsnummer: the real day (day - 60) is compared with today.
  CHECK(CanonicalOf(WithLuhn("260675-000"), june15).substr(0, 8) == "20260675");
  CHECK(CanonicalOf(WithLuhn("260676-000"), june15).substr(0, 8) == "19260676");
  // '+' adds a century.
  CHECK(CanonicalOf("121212+1212", Date(2026, 1, 1)) == "191212121212");
  CHECK(CanonicalOf("121212-1212", Date(2012, 12, 12)) == "201212121212");
  CHECK(CanonicalOf("121212-1212", Date(2012, 12, 11)) == "191212121212");
  CHECK(CanonicalOf("121212+1212", Date(2012, 12, 11)) == "181212121212");
  // The 10-digit form without separator reads like '-'.
  CHECK(CanonicalOf("1212121212", Date(2026, 1, 1)) == "201212121212");
  // Leap day: the century decides validity.
  CHECK(CanonicalOf(WithLuhn("000229-000"), june15).substr(0, 8) == "20000229");
  CHECK(ErrorOf(WithLuhn("000229+000"), june15) == "invalidDate");  // 1900 was no leap year
  // The 12-digit forms ignore the reference date, even for a date after it.
  CHECK(CanonicalOf(WithLuhn("20300101-000"), june15).substr(0, 8) == "20300101");
}

TEST_CASE("invalid dates") {
  for (const char* text :
       {"810230-9871", "811232-9876", "811200-9876", "811318-9876", "810018-9876", "811292-9876",
        "19810230-9871", "230229-1234", "811245-9876"}) {
    INFO(text);
    CHECK(ErrorOf(text) == "invalidDate");
  }
}

TEST_CASE("wrong check digit") {
  for (const char* text : {"811218-9875", "811218-9877", "8112189870", "19811218-9870",
                           "121212-1213", "701063-2392", "811218-9786" /* swapped */}) {
    INFO(text);
    CHECK(ErrorOf(text) == "invalidChecksum");
  }
}

TEST_CASE("wrong format") {
  for (const char* text : {"",
                           "811218",
                           "811218-987",
                           "811218-98765",
                           "81121-89876",
                           "811218 9876",
                           " 811218-9876",
                           "811218-9876 ",
                           "811218/9876",
                           "19811218+9876",
                           "1981121-89876",
                           "198112189876-",
                           "81121898761",
                           "1981121898760",
                           "A11218-9876",
                           "81121B-9876",
                           "811218-987X",
                           "ABCDEFGHJKLM",
                           "811218--9876",
                           "19811218 9876",
                           "+811218-9876",
                           "811218\xe2\x80\x93"
                           "9876" /* en dash */}) {
    INFO(text);
    CHECK(ErrorOf(text) == "invalidFormat");
  }
}

TEST_CASE("Inera reserve ID shape") {
  // XXYYMMDDNNGC: XX is not 18..21.
  for (const char* text : {"991981121234", "001234567890", "171234567890", "221234567890",
                           "99198112-1234", "000000000000", "999999999999"}) {
    INFO(text);
    CHECK(IsIneraReserveIdShape(text));
  }
  for (const char* text : {"181234567890", "191234567890", "201234567890", "211234567890",
                           "19811218-9876", "20170101-2393",                 // personnummer
                           "99198112123", "9919811212345", "9919811-21234",  // lengths
                           "991981121-234", "99198112+1234", "A91981121234", "9919811212X4", "",
                           " 991981121234", "991981121234 ", "ABCDEFGHJKLM"}) {
    INFO(text);
    CHECK_FALSE(IsIneraReserveIdShape(text));
  }
}
