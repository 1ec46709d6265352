// Tests for tillit/enrolment/country.h: the ICAO 9303 code list and its parser.
#include "tillit/enrolment/country.h"

#include <doctest/doctest.h>

#include <string>

using namespace tillit::enrolment;

TEST_CASE("country: ISO 3166-1 codes and ICAO specials are known") {
  for (auto code : {"SWE", "SYR", "AFG", "IRQ", "ERI", "SOM", "UKR", "DEU", "PSE", "SSD",
                    "ABW", "ZWE", "XXA", "XXB", "XXC", "XXX", "UNO", "UNA", "UNK", "RKS",
                    "EUE", "GBD", "GBN", "GBO", "GBP", "GBS", "XOM", "XPO", "XCE"}) {
    INFO(code);
    CHECK(IsKnownCountryCode(code));
  }
}

TEST_CASE("country: unknown, wrong length and non-canonical codes are not known") {
  for (auto code : {"ABC", "XXY", "ZZZ", "SE", "SWED", "", "swe", "D", "D<<", "UN", "XKX", "EU",
                    "SW3", "S E"}) {
    INFO(code);
    CHECK_FALSE(IsKnownCountryCode(code));
  }
}

TEST_CASE("country: ParseCountryCode normalises case, MRZ filler and Germany's D") {
  CHECK(*ParseCountryCode("SWE", "nationality") == "SWE");
  CHECK(*ParseCountryCode("swe", "nationality") == "SWE");
  CHECK(*ParseCountryCode(" Syr ", "nationality") == "SYR");
  CHECK(*ParseCountryCode("D", "nationality") == "DEU");
  CHECK(*ParseCountryCode("D<<", "nationality") == "DEU");
  CHECK(*ParseCountryCode("d", "nationality") == "DEU");
  CHECK(*ParseCountryCode("XXA", "nationality") == "XXA");
  CHECK(*ParseCountryCode("DEU", "nationality") == "DEU");
}

TEST_CASE("country: ParseCountryCode refuses unknown codes and names the field") {
  for (auto text : {"ABC", "", "  ", "<<<", "Sweden", "SE", "S", "1SW", "SWE1", "DD", "D<<X"}) {
    INFO(text);
    auto r = ParseCountryCode(text, "nationality");
    REQUIRE_FALSE(r.ok());
    CHECK(r.error().code == "invalidParameters");
    CHECK(r.error().message.rfind("nationality: ", 0) == 0);
  }
}

TEST_CASE("country: holder-status codes") {
  for (auto code : {"XXA", "XXB", "XXC", "XXX"}) CHECK(IsHolderStatusCode(code));
  for (auto code : {"SWE", "UNO", "XOM", "EUE"}) CHECK_FALSE(IsHolderStatusCode(code));
}

TEST_CASE("country: every three-letter upper-case string is classified without crashing") {
  // 17,576 strings; the count of known codes pins the list (249 ISO + 25 ICAO).
  int known = 0;
  std::string code = "AAA";
  for (char a = 'A'; a <= 'Z'; ++a) {
    for (char b = 'A'; b <= 'Z'; ++b) {
      for (char c = 'A'; c <= 'Z'; ++c) {
        code[0] = a, code[1] = b, code[2] = c;
        if (IsKnownCountryCode(code)) ++known;
      }
    }
  }
  CHECK(known == 249 + 25);
}
