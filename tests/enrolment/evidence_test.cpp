// Tests for tillit/enrolment/evidence.h and ValidateEnrolment: the shorthand parser, each
// type's field rules, expiry, checks, and the whole-enrolment consistency rules.
#include "tillit/enrolment/evidence.h"

#include <doctest/doctest.h>

#include <string>
#include <vector>

#include "enrolment/fixtures.h"
#include "tillit/enrolment/enrolment.h"

using namespace tillit;
using namespace tillit::enrolment;
using namespace tillit::enrolment::testing;

namespace {

void ExpectError(const Result<Evidence>& r, std::string_view code, std::string_view prefix) {
  REQUIRE_FALSE(r.ok());
  CHECK(r.error().code == code);
  CHECK_MESSAGE(r.error().message.rfind(prefix, 0) == 0, r.error().message);
}

}  // namespace

TEST_CASE("evidence: type and check names round-trip") {
  for (auto type :
       {EvidenceType::kPassport, EvidenceType::kNationalIdCard, EvidenceType::kResidencePermit,
        EvidenceType::kMigrationsverketDecision, EvidenceType::kLmaCard,
        EvidenceType::kSamordningsnummerStyrkt, EvidenceType::kNone}) {
    CHECK(*ParseEvidenceType(EvidenceTypeName(type), "type") == type);
  }
  CHECK(EvidenceTypeName(EvidenceType::kNationalIdCard) == "national-id-card");
  CHECK(EvidenceTypeName(EvidenceType::kSamordningsnummerStyrkt) == "samordningsnummer-styrkt");
  for (auto check : {Check::kVisualSecurityFeatures, Check::kChipRead, Check::kRegisterLookup,
                     Check::kFaceToPhoto}) {
    CHECK(*ParseCheck(CheckName(check), "checks") == check);
  }
  for (auto bad : {"Passport", "passport ", "id-card", "", "lma", "samordningsnummer"}) {
    CHECK(ParseEvidenceType(bad, "type").error().code == "invalidParameters");
  }
}

TEST_CASE("evidence: check lists") {
  CHECK(ParseCheckList("")->empty());
  const auto all =
      ParseCheckList("face-to-photo,chip-read,register-lookup,visual-security-features");
  REQUIRE(all.ok());
  CHECK(all->size() == 4);
  CHECK(SerializeCheckList(*all) ==
        "visual-security-features,chip-read,register-lookup,face-to-photo");
  CHECK(*ParseCheckList(SerializeCheckList(*all)) == *all);
  for (auto bad : {"chip-read,chip-read", "chip-read,", ",chip-read", "chip-read, face-to-photo",
                   "chip", "CHIP-READ", ","}) {
    INFO(bad);
    auto r = ParseCheckList(bad);
    REQUIRE_FALSE(r.ok());
    CHECK(r.error().code == "invalidParameters");
    CHECK(r.error().message.rfind("checks: ", 0) == 0);
  }
}

TEST_CASE("evidence: shorthand for each type") {
  const Evidence passport = Ev("passport:n 123-4567:syr:2030-01-31");
  CHECK(passport.type == EvidenceType::kPassport);
  CHECK(passport.number == "N1234567");
  CHECK(passport.issuing_country == "SYR");
  CHECK(passport.expiry == D(2030, 1, 31));

  CHECK(Ev("national-id-card:AB12345:D:2029-12-31").issuing_country == "DEU");
  CHECK(Ev("residence-permit:SE1234567:SWE:2027-03-01").issuing_country == "SWE");

  const Evidence decision = Ev("migrationsverket-decision:12-345678::");
  CHECK(decision.number == "12345678");
  CHECK(decision.issuing_country == "SWE");
  CHECK_FALSE(decision.expiry);
  const Evidence lma = Ev("lma-card:12-345678/1::");
  CHECK(lma.number == "12345678/1");
  CHECK(lma.issuing_country == "SWE");
  CHECK_FALSE(lma.expiry);
  CHECK(CaseNumberOf(lma) == "12-345678");
  CHECK(Ev("lma-card:12345678:SWE:2025-09-01").expiry == D(2025, 9, 1));

  const Evidence styrkt = Ev("samordningsnummer-styrkt:" + Samordningsnummer().substr(2) + "::");
  CHECK(styrkt.number == Samordningsnummer());
  CHECK(styrkt.issuing_country == "SWE");

  const Evidence none = Ev("none:::");
  CHECK(none == Ev("none"));
  CHECK(none.number.empty());
  CHECK(none.issuing_country.empty());
  CHECK_FALSE(CaseNumberOf(passport));
}

TEST_CASE("evidence: serialize round-trips") {
  const std::vector<std::string> texts = {
      "passport:N1234567:SYR:2030-01-31",
      "national-id-card:AB12345:DEU:2029-12-31",
      "residence-permit:SE1234567:SWE:2027-03-01",
      "migrationsverket-decision:X12345:SWE:",
      "lma-card:12345678/1:SWE:",
      "lma-card:12345678:SWE:2025-09-01",
      "none:::",
      "samordningsnummer-styrkt:" + Samordningsnummer() + ":SWE:"};
  for (const std::string& text : texts) {
    INFO(text);
    CHECK(SerializeEvidence(Ev(text)) == text);
  }
}

TEST_CASE("evidence: expiry is the last valid day") {
  CHECK(ParseEvidence("passport:N1234567:SYR:2025-06-15", Today()).ok());
  ExpectError(ParseEvidence("passport:N1234567:SYR:2025-06-14", Today()), "expiredEvidence",
              "evidence: ");
  ExpectError(ParseEvidence("residence-permit:SE1234:SWE:2020-01-01", Today()), "expiredEvidence",
              "evidence: ");
  ExpectError(ParseEvidence("lma-card:12-345678:SWE:2025-06-01", Today()), "expiredEvidence",
              "evidence: ");
  ExpectError(
      CreateEvidence("national-id-card", "AB123", "FRA", "2024-12-31", Today(), "evidence[2]"),
      "expiredEvidence", "evidence[2]: ");

  // An item valid when created is refused once it has expired.
  const Evidence passport = Ev("passport:N1234567:SYR:2025-07-01");
  CHECK(ValidateEvidence(passport, Today()).ok());
  CHECK(ValidateEvidence(passport, D(2025, 7, 2)).error().code == "expiredEvidence");
}

TEST_CASE("evidence: shorthand negatives") {
  struct Case {
    std::string text;
    const char* prefix;
  };
  const Case cases[] = {
      // shape
      {"", "evidence: "},
      {"passport", "evidence: "},
      {"passport:N1234567:SYR", "evidence: "},
      {"passport:N1234567:SYR:2030-01-01:extra", "evidence: "},
      {"passport:N12:34567:SYR:2030-01-01", "evidence: "},
      {"none::", "evidence: "},
      {"None", "evidence: "},
      // type
      {"pass:N1234567:SYR:2030-01-01", "evidence.type: "},
      {"PASSPORT:N1234567:SYR:2030-01-01", "evidence.type: "},
      {":N1234567:SYR:2030-01-01", "evidence.type: "},
      // number
      {"passport::SYR:2030-01-01", "evidence.number: "},
      {"passport:N1:SYR:2030-01-01", "evidence.number: "},
      {"passport:" + std::string(31, '1') + ":SYR:2030-01-01", "evidence.number: "},
      {"passport:N123/4567:SYR:2030-01-01", "evidence.number: "},
      {"passport:N123.4567:SYR:2030-01-01", "evidence.number: "},
      {"passport:N12345\xC3\xA9:SYR:2030-01-01", "evidence.number: "},
      {"passport:- - -:SYR:2030-01-01", "evidence.number: "},
      {"none:X::", "evidence.number: "},
      {"lma-card:12-34567::", "evidence.number: "},
      {"lma-card:12-345678/::", "evidence.number: "},
      {"lma-card:12-345678/A::", "evidence.number: "},
      {"lma-card:12-345678/12345::", "evidence.number: "},
      {"samordningsnummer-styrkt:900102-1234::", "evidence.number: "},
      {"samordningsnummer-styrkt:abc::", "evidence.number: "},
      // issuing country
      {"passport:N1234567::2030-01-01", "evidence.issuingCountry: "},
      {"passport:N1234567:ABC:2030-01-01", "evidence.issuingCountry: "},
      {"passport:N1234567:XXA:2030-01-01", "evidence.issuingCountry: "},
      {"passport:N1234567:XXX:2030-01-01", "evidence.issuingCountry: "},
      {"residence-permit:SE1234:NOR:2030-01-01", "evidence.issuingCountry: "},
      {"lma-card:12-345678:DEU:", "evidence.issuingCountry: "},
      {"none::SWE:", "evidence.issuingCountry: "},
      // expiry
      {"passport:N1234567:SYR:", "evidence.expiry: "},
      {"national-id-card:AB123:FRA:", "evidence.expiry: "},
      {"residence-permit:SE1234:SWE:", "evidence.expiry: "},
      {"passport:N1234567:SYR:2030-02-30", "evidence.expiry: "},
      {"passport:N1234567:SYR:30-01-2030", "evidence.expiry: "},
      {"passport:N1234567:SYR:2030", "evidence.expiry: "},
      {"passport:N1234567:SYR: 2030-01-01", "evidence.expiry: "},
      {"migrationsverket-decision:X12345::2030-01-01", "evidence.expiry: "},
      {"samordningsnummer-styrkt:" + Samordningsnummer() + "::2030-01-01", "evidence.expiry: "},
      {"none:::2030-01-01", "evidence.expiry: "},
  };
  for (const Case& c : cases) {
    INFO(c.text);
    ExpectError(ParseEvidence(c.text, Today()), "invalidParameters", c.prefix);
  }
}

TEST_CASE("evidence: document numbers are normalised") {
  CHECK(NormaliseDocumentNumber("ab 12-34") == "AB1234");
  CHECK(NormaliseDocumentNumber("AB1234") == "AB1234");
  CHECK(Ev("passport:ab 12-34:SWE:2030-01-01") == Ev("passport:AB1234:swe:2030-01-01"));
}

TEST_CASE("evidence: ValidateEvidence refuses non-canonical items") {
  Evidence e = Ev("passport:N1234567:SYR:2030-01-31");
  e.number = "n1234567";
  CHECK(ValidateEvidence(e, Today(), "evidence[0]")
            .error()
            .message.rfind("evidence[0].number: ", 0) == 0);
  e = Ev("passport:N1234567:SYR:2030-01-31");
  e.issuing_country = "syr";
  CHECK(ValidateEvidence(e, Today(), "evidence[0]")
            .error()
            .message.rfind("evidence[0].issuingCountry: ", 0) == 0);
  e = Ev("passport:N1234567:SYR:2030-01-31");
  e.expiry.reset();
  CHECK(ValidateEvidence(e, Today(), "evidence[0]")
            .error()
            .message.rfind("evidence[0].expiry: ", 0) == 0);
}

TEST_CASE("enrolment: whole-enrolment rules") {
  const Evidence passport = Ev("passport:N1234567:SYR:2030-01-31");
  CHECK(ValidateEnrolment(MakeEnrolment(Person(), {passport}), Today()).ok());

  auto error_of = [](const Enrolment& e) { return ValidateEnrolment(e, Today()).error(); };

  CHECK(error_of(MakeEnrolment(Person(), {})).message.rfind("evidence: ", 0) == 0);
  CHECK(error_of(MakeEnrolment(Person(), {passport, Ev("none")}))
            .message.rfind("evidence[1].type: ", 0) == 0);
  CHECK(error_of(MakeEnrolment(Person(), {Ev("none"), passport}))
            .message.rfind("evidence[0].type: ", 0) == 0);
  CHECK(error_of(MakeEnrolment(Person(), {passport, passport})).message.rfind("evidence[1]: ", 0) ==
        0);

  // An expired item anywhere refuses the enrolment.
  Evidence expired = passport;
  expired.expiry = D(2025, 6, 1);
  CHECK(error_of(MakeEnrolment(Person(), {Ev("residence-permit:SE1:SWE:2030-01-01"), expired}))
            .code == "expiredEvidence");

  // samordningsnummer-styrkt names the person's samordningsnummer.
  const Evidence styrkt = Ev("samordningsnummer-styrkt:" + Samordningsnummer() + "::");
  CHECK(error_of(MakeEnrolment(Person(), {styrkt})).message.rfind("evidence[0].number: ", 0) == 0);
  PersonRecord with_number = Person();
  with_number.samordningsnummer = Samordningsnummer();
  CHECK(ValidateEnrolment(MakeEnrolment(with_number, {styrkt}), Today()).ok());
  with_number.samordningsnummer = Samordningsnummer("900163123");
  CHECK(error_of(MakeEnrolment(with_number, {styrkt})).message.rfind("evidence[0].number: ", 0) ==
        0);

  // An LMA card's case number agrees with the person's.
  PersonRecord with_case = Person();
  with_case.migrationsverket_case = "12-345678";
  CHECK(ValidateEnrolment(MakeEnrolment(with_case, {Ev("lma-card:12-345678/3::")}), Today()).ok());
  CHECK(error_of(MakeEnrolment(with_case, {Ev("lma-card:87-654321/3::")}))
            .message.rfind("evidence[0].number: ", 0) == 0);

  // The person is validated too.
  PersonRecord bad = Person();
  bad.surname = "";
  CHECK(error_of(MakeEnrolment(bad, {passport})).message.rfind("surname: ", 0) == 0);
}
