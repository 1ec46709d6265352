// Tests for tillit/enrolment/assurance.h: the rule table of docs/assurance.md checked
// exhaustively (every evidence type, and every pair of types, against all 16 check
// combinations) against a truth table written out by hand here, independent of the code.
#include "tillit/enrolment/assurance.h"

#include <doctest/doctest.h>

#include <algorithm>
#include <array>
#include <string>
#include <vector>

#include "enrolment/fixtures.h"

using namespace tillit;
using namespace tillit::enrolment;
using namespace tillit::enrolment::testing;

namespace {

// Check mask bits: 1 visual-security-features, 2 chip-read, 4 register-lookup,
// 8 face-to-photo.
CheckSet ChecksOf(int mask) {
  CheckSet checks;
  if (mask & 1) checks.insert(Check::kVisualSecurityFeatures);
  if (mask & 2) checks.insert(Check::kChipRead);
  if (mask & 4) checks.insert(Check::kRegisterLookup);
  if (mask & 8) checks.insert(Check::kFaceToPhoto);
  return checks;
}

struct Row {
  const char* shorthand;
  // Expected level for check masks 0..15, from docs/assurance.md §Rules by hand:
  // level 3 needs face-to-photo (8) plus chip-read (2) or visual-security-features (1).
  const char* levels;
};

const std::array<Row, 7> kTruth = {{
    {"passport:N1234567:SYR:2030-01-31", "1111111113331333"},
    {"national-id-card:AB12345:IRQ:2030-01-31", "1111111113331333"},
    {"residence-permit:SE1234567:SWE:2027-03-01", "1111111122222222"},
    {"lma-card:12-345678/1::", "1111111111112222"},
    {"samordningsnummer-styrkt:SAMORDNING::", "1111111122222222"},
    {"migrationsverket-decision:12-345678::", "1111111111111111"},
    {"none:::", "1111111111111111"},
}};

Evidence EvidenceOf(const Row& row) {
  std::string text = row.shorthand;
  const auto at = text.find("SAMORDNING");
  if (at != std::string::npos) text.replace(at, 10, Samordningsnummer());
  return Ev(text);
}

PersonRecord PersonWithNumbers() {
  PersonRecord person = Person();
  person.samordningsnummer = Samordningsnummer();
  return person;
}

AssuranceDecision DecideOk(const Enrolment& enrolment) {
  auto decision = Decide(enrolment, Today());
  REQUIRE_MESSAGE(decision.ok(), decision.error().message);
  return *decision;
}

int Expected(const Row& row, int mask) { return row.levels[mask] - '0'; }

bool HasReason(const AssuranceDecision& d, std::string_view rule, bool matched) {
  return std::any_of(d.reasons.begin(), d.reasons.end(), [&](const AssuranceReason& r) {
    return r.rule == rule && r.matched == matched;
  });
}

}  // namespace

TEST_CASE("assurance: every evidence type x every check combination") {
  int cases = 0;
  for (const Row& row : kTruth) {
    for (int mask = 0; mask < 16; ++mask) {
      INFO(row.shorthand << " checks=" << SerializeCheckList(ChecksOf(mask)));
      const AssuranceDecision d =
          DecideOk(MakeEnrolment(PersonWithNumbers(), {EvidenceOf(row)}, ChecksOf(mask)));
      CHECK(LevelNumber(d.level) == Expected(row, mask));
      // The first reason is a matched rule giving exactly the decided level.
      REQUIRE_FALSE(d.reasons.empty());
      CHECK(d.reasons.front().matched);
      CHECK(d.reasons.front().level == d.level);
      CHECK(HasReason(d, "baseline", true));
      ++cases;
    }
  }
  CHECK(cases == 7 * 16);
}

TEST_CASE("assurance: every pair of evidence types x every check combination") {
  // Checks are one set for the enrolment, so two items give the higher of their levels.
  int cases = 0;
  for (size_t i = 0; i < kTruth.size(); ++i) {
    for (size_t j = i + 1; j < kTruth.size(); ++j) {
      if (std::string(kTruth[i].shorthand) == "none:::" ||
          std::string(kTruth[j].shorthand) == "none:::") {
        continue;  // none stands alone (evidence_test covers the refusal)
      }
      for (int mask = 0; mask < 16; ++mask) {
        INFO(kTruth[i].shorthand << " + " << kTruth[j].shorthand
                                 << " checks=" << SerializeCheckList(ChecksOf(mask)));
        const AssuranceDecision d = DecideOk(MakeEnrolment(
            PersonWithNumbers(), {EvidenceOf(kTruth[i]), EvidenceOf(kTruth[j])}, ChecksOf(mask)));
        CHECK(LevelNumber(d.level) ==
              std::max(Expected(kTruth[i], mask), Expected(kTruth[j], mask)));
        ++cases;
      }
    }
  }
  CHECK(cases == 15 * 16);
}

TEST_CASE("assurance: reasons name the rule that matched and what was missing") {
  const CheckSet full = ChecksOf(15);
  AssuranceDecision d =
      DecideOk(MakeEnrolment(Person(), {Ev("passport:N1234567:SYR:2030-01-31")}, full));
  CHECK(d.level == AssuranceLevel::kLevel3);
  CHECK(d.reasons.front().rule == "identityDocumentVerified");

  d = DecideOk(
      MakeEnrolment(Person(), {Ev("passport:N1234567:SYR:2030-01-31")}, {Check::kFaceToPhoto}));
  CHECK(d.level == AssuranceLevel::kLevel1);
  CHECK(d.reasons.front().rule == "baseline");
  CHECK(HasReason(d, "identityDocumentUnverified", false));

  d = DecideOk(
      MakeEnrolment(Person(), {Ev("passport:N1234567:SYR:2030-01-31")}, {Check::kChipRead}));
  CHECK(d.level == AssuranceLevel::kLevel1);
  CHECK(HasReason(d, "noFaceToPhoto", false));

  d = DecideOk(MakeEnrolment(Person(), {Ev("lma-card:12-345678::")}, {Check::kFaceToPhoto}));
  CHECK(d.level == AssuranceLevel::kLevel1);
  CHECK(HasReason(d, "lmaCardNotRegistered", false));
  CHECK(HasReason(d, "lmaCardNotIdentityDocument", false));

  d = DecideOk(MakeEnrolment(Person(), {Ev("lma-card:12-345678::")},
                             {Check::kFaceToPhoto, Check::kRegisterLookup, Check::kChipRead}));
  CHECK(d.level == AssuranceLevel::kLevel2);  // chip-read cannot turn an LMA card into ID
  CHECK(d.reasons.front().rule == "lmaCardRegistered");
  CHECK(HasReason(d, "lmaCardNotIdentityDocument", false));

  d = DecideOk(MakeEnrolment(Person(), {Ev("migrationsverket-decision:12-345678::")}, full));
  CHECK(d.level == AssuranceLevel::kLevel1);
  CHECK(HasReason(d, "decisionHasNoPhoto", false));

  d = DecideOk(MakeEnrolment(Person(), {Ev("none")}, full));
  CHECK(d.level == AssuranceLevel::kLevel1);
  CHECK(HasReason(d, "noEvidence", false));

  // Several matching rules are all listed, highest first.
  d = DecideOk(MakeEnrolment(
      Person(), {Ev("residence-permit:SE1:SWE:2030-01-01"), Ev("passport:N1234567:SYR:2030-01-31")},
      full));
  REQUIRE(d.reasons.size() >= 3);
  CHECK(d.reasons[0].rule == "identityDocumentVerified");
  CHECK(d.reasons[1].rule == "residencePermit");
  CHECK(d.reasons[2].rule == "baseline");
}

TEST_CASE("assurance: expired or invalid evidence gets no decision") {
  Evidence passport = Ev("passport:N1234567:SYR:2025-06-15");
  CHECK(Decide(MakeEnrolment(Person(), {passport}, ChecksOf(15)), Today()).ok());
  auto r = Decide(MakeEnrolment(Person(), {passport}, ChecksOf(15)), D(2025, 6, 16));
  REQUIRE_FALSE(r.ok());
  CHECK(r.error().code == "expiredEvidence");

  // An expired passport next to a valid residence permit is still refused: the desk must
  // take it off the evidence list rather than have it silently ignored.
  r = Decide(
      MakeEnrolment(Person(), {Ev("residence-permit:SE1:SWE:2030-01-01"), passport}, ChecksOf(15)),
      D(2025, 7, 1));
  REQUIRE_FALSE(r.ok());
  CHECK(r.error().code == "expiredEvidence");

  r = Decide(MakeEnrolment(Person(), {}, ChecksOf(15)), Today());
  REQUIRE_FALSE(r.ok());
  CHECK(r.error().code == "invalidParameters");
}

TEST_CASE("assurance: levels are 1..3, never 4") {
  CHECK(*ParseAssuranceLevel("1") == AssuranceLevel::kLevel1);
  CHECK(*ParseAssuranceLevel("2") == AssuranceLevel::kLevel2);
  CHECK(*ParseAssuranceLevel("3") == AssuranceLevel::kLevel3);
  for (auto bad : {"4", "0", "", "3 ", "03", "three"}) {
    CHECK(ParseAssuranceLevel(bad).error().code == "invalidParameters");
  }
  CHECK(LevelNumber(AssuranceLevel::kLevel3) == 3);
}

TEST_CASE("assurance: four-eyes rule") {
  CHECK(NeedsApproval(AssuranceLevel::kLevel1, false));
  CHECK(NeedsApproval(AssuranceLevel::kLevel1, true));
  CHECK_FALSE(NeedsApproval(AssuranceLevel::kLevel2, false));
  CHECK(NeedsApproval(AssuranceLevel::kLevel2, true));
  CHECK_FALSE(NeedsApproval(AssuranceLevel::kLevel3, false));
  CHECK(NeedsApproval(AssuranceLevel::kLevel3, true));
}
