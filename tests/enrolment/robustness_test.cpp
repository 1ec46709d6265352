// Randomised robustness tests for the enrolment parsers and matchers: arbitrary bytes must
// give a clean Result (never a crash or an abort), and what is accepted must round-trip.
// A fixed seed keeps failures reproducible; the ASan/UBSan build runs these too.
#include <doctest/doctest.h>

#include <random>
#include <string>
#include <vector>

#include "enrolment/fixtures.h"
#include "tillit/enrolment/country.h"
#include "tillit/enrolment/names.h"
#include "tillit/enrolment/person.h"

using namespace tillit;
using namespace tillit::enrolment;
using namespace tillit::enrolment::testing;

namespace {

// Bytes drawn mostly from the characters the parsers care about, plus arbitrary bytes and
// pieces of multi-byte UTF-8.
std::string RandomText(std::mt19937& rng, size_t max_length) {
  static const std::vector<std::string> kPieces = {"a",
                                                   "Z",
                                                   "0",
                                                   "9",
                                                   "-",
                                                   ":",
                                                   "/",
                                                   " ",
                                                   "'",
                                                   "<",
                                                   "\xC3\xA5",
                                                   "\xCC\x8A",
                                                   "\xE2\x80\x99",
                                                   "\xE2\x80\xAE",
                                                   "\xFF",
                                                   "\xC3",
                                                   "\x00",
                                                   "\n",
                                                   "passport",
                                                   "lma-card",
                                                   "none",
                                                   "SWE",
                                                   "XXA",
                                                   "2030-01-31",
                                                   "12-345678",
                                                   "unknown",
                                                   "1990",
                                                   "h",
                                                   "ch",
                                                   "abd",
                                                   "al",
                                                   "y"};
  std::uniform_int_distribution<size_t> length(0, max_length);
  std::uniform_int_distribution<size_t> piece(0, kPieces.size() - 1);
  std::uniform_int_distribution<int> byte(0, 255);
  std::uniform_int_distribution<int> coin(0, 3);
  std::string out;
  const size_t n = length(rng);
  for (size_t i = 0; i < n; ++i) {
    if (coin(rng) == 0) {
      out.push_back(static_cast<char>(byte(rng)));
    } else {
      out += kPieces[piece(rng)];
    }
  }
  return out;
}

}  // namespace

TEST_CASE("robustness: evidence shorthand") {
  std::mt19937 rng(20250615);
  int accepted = 0;
  for (int i = 0; i < 20000; ++i) {
    const std::string text = RandomText(rng, 8);
    const auto r = ParseEvidence(text, Today());
    if (!r.ok()) {
      CHECK((r.error().code == "invalidParameters" || r.error().code == "expiredEvidence"));
      continue;
    }
    ++accepted;
    INFO(text);
    const auto again = ParseEvidence(SerializeEvidence(*r), Today());
    REQUIRE(again.ok());
    CHECK(*again == *r);
    CHECK(ValidateEvidence(*r, Today()).ok());
  }
  CHECK(accepted > 0);
}

TEST_CASE("robustness: names, dates, codes") {
  std::mt19937 rng(7);
  for (int i = 0; i < 20000; ++i) {
    const std::string a = RandomText(rng, 12);
    const std::string b = RandomText(rng, 12);
    INFO(a << " / " << b);
    auto name = NormaliseLatinName(a, "surname", false);
    if (name.ok()) CHECK(*NormaliseLatinName(*name, "surname", false) == *name);
    auto birth = ParseBirthDate(a, Today());
    if (birth.ok()) CHECK(SerializeBirthDate(*birth) == a);
    auto code = ParseCountryCode(a, "nationality");
    if (code.ok()) CHECK(IsKnownCountryCode(*code));
    (void)ParseCaseNumber(a, "migrationsverketCase");
    (void)FoldName(a);
    const auto ab = CompareNames(a, b, b, a);
    const auto ba = CompareNames(b, a, a, b);
    CHECK(ab.score == ba.score);
    CHECK(ab.similar == ba.similar);
    CHECK(ab.score >= 0.0);
    CHECK(ab.score <= 1.0);
  }
}
