// Tests for tillit/enrolment/duplicates.h: hard-match keys and rules, person comparison
// (birth date and nationality compatibility), and Classify.
#include "tillit/enrolment/duplicates.h"

#include <doctest/doctest.h>

#include <algorithm>
#include <string>
#include <vector>

#include "enrolment/fixtures.h"

using namespace tillit;
using namespace tillit::enrolment;
using namespace tillit::enrolment::testing;

namespace {

ExistingPerson Existing(std::string identifier, PersonRecord person,
                        std::vector<Evidence> evidence = {}) {
  return {std::move(identifier), std::move(person), std::move(evidence)};
}

std::vector<std::string> Rules(const DuplicateCheck& check) {
  std::vector<std::string> rules;
  for (const auto& hard : check.hard) rules.push_back(hard.rule);
  return rules;
}

}  // namespace

TEST_CASE("duplicates: hard-match keys") {
  PersonRecord person = Person();
  person.samordningsnummer = Samordningsnummer();
  person.migrationsverket_case = "12-345678";
  const auto keys =
      HardMatchKeys(person, {Ev("passport:n12 345-67:syr:2030-01-31"), Ev("lma-card:12-345678/2::"),
                             Ev("samordningsnummer-styrkt:" + Samordningsnummer() + "::")});
  const std::vector<std::string> expected = {
      "case:12-345678",
      "document:lma-card:SWE:12345678/2",
      "document:passport:SYR:N1234567",
      "samordningsnummer:" + Samordningsnummer(),
  };
  CHECK(keys == expected);
  CHECK(HardMatchKeys(Person(), {Ev("none")}).empty());
}

TEST_CASE("duplicates: same document is a hard match whatever the names") {
  const Enrolment candidate =
      MakeEnrolment(Person("Ali", "Karimi"), {Ev("passport:N 1234-567:SYR:2030-01-31")});
  const std::vector<ExistingPerson> others = {
      Existing("ER7D0H5DJ6C7", Person("Totally", "Different", "1970", "IRQ"),
               {Ev("passport:n1234567:SYR:2029-01-01")}),
  };
  const DuplicateCheck check = Classify(candidate, others);
  REQUIRE(check.hard.size() == 1);
  CHECK(check.hard[0].identifier == "ER7D0H5DJ6C7");
  CHECK(check.hard[0].rule == "sameDocument");
  CHECK(check.hard[0].detail == "same passport N1234567 issued by SYR");
  CHECK(check.possible.empty());
}

TEST_CASE("duplicates: a document needs the same type, number and country") {
  const Enrolment candidate = MakeEnrolment(Person(), {Ev("passport:N1234567:SYR:2030-01-31")});
  for (const char* other :
       {"passport:N1234567:IRQ:2030-01-31", "national-id-card:N1234567:SYR:2030-01-31",
        "passport:N1234568:SYR:2030-01-31"}) {
    INFO(other);
    const auto check = Classify(
        candidate, {Existing("A1", Person("Other", "Person", "1970", "IRQ"), {Ev(other)})});
    CHECK(check.hard.empty());
  }
}

TEST_CASE("duplicates: same samordningsnummer or case number is a hard match") {
  PersonRecord mine = Person("Ali", "Karimi");
  mine.samordningsnummer = Samordningsnummer();
  PersonRecord theirs = Person("Someone", "Else", "1970", "IRQ");
  theirs.samordningsnummer = Samordningsnummer();
  auto check = Classify(MakeEnrolment(mine, {Ev("none")}), {Existing("B2", theirs)});
  CHECK(Rules(check) == std::vector<std::string>{"sameSamordningsnummer"});

  // The samordningsnummer on a styrkt evidence item counts the same way.
  theirs.samordningsnummer.reset();
  check = Classify(
      MakeEnrolment(mine, {Ev("none")}),
      {Existing("B2", theirs, {Ev("samordningsnummer-styrkt:" + Samordningsnummer() + "::")})});
  CHECK(Rules(check) == std::vector<std::string>{"sameSamordningsnummer"});

  // Case number: on the person, or read from an LMA card (any card serial).
  PersonRecord with_case = Person("Ali", "Karimi");
  with_case.migrationsverket_case = "12-345678";
  check =
      Classify(MakeEnrolment(with_case, {Ev("none")}),
               {Existing("C3", Person("X", "Y", "1970", "IRQ"), {Ev("lma-card:12345678/1::")})});
  CHECK(Rules(check) == std::vector<std::string>{"sameCaseNumber"});
  check =
      Classify(MakeEnrolment(Person("Ali", "Karimi"), {Ev("lma-card:12-345678/2::")}),
               {Existing("C3", Person("X", "Y", "1970", "IRQ"), {Ev("lma-card:12345678/1::")})});
  CHECK(Rules(check) == std::vector<std::string>{"sameCaseNumber"});
  CHECK(check.hard[0].detail == "same Migrationsverket case number 12-345678");
  // The same card is both the same document and the same case.
  check =
      Classify(MakeEnrolment(Person("Ali", "Karimi"), {Ev("lma-card:12-345678/1::")}),
               {Existing("C3", Person("X", "Y", "1970", "IRQ"), {Ev("lma-card:12345678/1::")})});
  CHECK(Rules(check) == std::vector<std::string>{"sameCaseNumber", "sameDocument"});

  // Different numbers: no hard match.
  PersonRecord other_case = Person("X", "Y", "1970", "IRQ");
  other_case.migrationsverket_case = "12-345679";
  check = Classify(MakeEnrolment(with_case, {Ev("none")}), {Existing("D4", other_case)});
  CHECK(check.hard.empty());
}

TEST_CASE("duplicates: possible match needs similar name, birth and nationality") {
  const PersonRecord me = Person("Mohammed", "Hassan", "1990-01-02", "SYR");
  CHECK(Compare(me, Person("Muhammad", "Hasan", "1990-01-02", "SYR")).possible_match);
  CHECK(Compare(me, Person("Hasan", "Muhammad", "1990-01-02", "SYR")).possible_match);
  // Same year, or one side known only to the year, or unknown.
  CHECK(Compare(me, Person("Mohamed", "Hassan", "1990-07-01", "SYR")).possible_match);
  CHECK(Compare(me, Person("Mohamed", "Hassan", "1990", "SYR")).possible_match);
  CHECK(Compare(me, Person("Mohamed", "Hassan", "unknown", "SYR")).possible_match);
  // XXX (unspecified nationality) is compatible with any nationality.
  CHECK(Compare(me, Person("Mohamed", "Hassan", "1990", "XXX")).possible_match);
  // Different year, nationality or name: not a possible match.
  CHECK_FALSE(Compare(me, Person("Mohamed", "Hassan", "1991-01-02", "SYR")).possible_match);
  CHECK_FALSE(Compare(me, Person("Mohamed", "Hassan", "1989", "SYR")).possible_match);
  CHECK_FALSE(Compare(me, Person("Mohamed", "Hassan", "1990", "IRQ")).possible_match);
  CHECK_FALSE(Compare(me, Person("Mohamed", "Hassan", "1990", "XXA")).possible_match);
  CHECK_FALSE(Compare(me, Person("Ali", "Karimi", "1990-01-02", "SYR")).possible_match);

  const MatchScore score = Compare(me, Person("Muhammad", "Hasan", "1990", "SYR"));
  REQUIRE(score.reasons.size() == 3);
  CHECK(score.reasons[0].rfind("similar names: score 1.00", 0) == 0);
  CHECK(score.reasons[1] == "same birth year 1990 (1990-01-02 / 1990)");
  CHECK(score.reasons[2] == "same nationality SYR");
}

TEST_CASE("duplicates: Compare is symmetric") {
  const std::vector<PersonRecord> people = {
      Person("Mohammed", "Hassan", "1990-01-02", "SYR"), Person("Muhammad", "Hasan", "1990", "SYR"),
      Person("Ali", "Hassan", "unknown", "XXX"),         Person("Hassan", "Ali", "1990", "AFG"),
      Person("Åsa", "Öberg", "1985-05-05", "SWE"),       Person("Asa", "Oberg", "1985", "SWE"),
  };
  for (const auto& a : people) {
    for (const auto& b : people) {
      const MatchScore ab = Compare(a, b);
      const MatchScore ba = Compare(b, a);
      CHECK(ab.possible_match == ba.possible_match);
      CHECK(ab.birth_compatible == ba.birth_compatible);
      CHECK(ab.nationality_compatible == ba.nationality_compatible);
      CHECK(ab.name.score == ba.name.score);
    }
  }
}

TEST_CASE("duplicates: Classify lists possible matches best first, hard matches apart") {
  PersonRecord me = Person("Mohammed Ali", "Hassan", "1990-01-02", "SYR");
  const Enrolment candidate = MakeEnrolment(me, {Ev("passport:N1234567:SYR:2030-01-31")});
  const std::vector<ExistingPerson> others = {
      Existing("P-PARTIAL", Person("Mohamed", "Hassan", "1990", "SYR")),       // 0.8
      Existing("P-EXACT", Person("Muhammad Ali", "Hasan", "unknown", "SYR")),  // 1.0
      Existing("P-NO", Person("Mohamed", "Hassan", "1975", "SYR")),            // other year
      Existing("P-HARD", Person("Muhammad Ali", "Hasan", "1990", "SYR"),
               {Ev("passport:N1234567:SYR:2030-01-31")}),
  };
  const DuplicateCheck check = Classify(candidate, others);
  REQUIRE(check.hard.size() == 1);
  CHECK(check.hard[0].identifier == "P-HARD");
  REQUIRE(check.possible.size() == 2);
  CHECK(check.possible[0].identifier == "P-EXACT");
  CHECK(check.possible[1].identifier == "P-PARTIAL");
  CHECK(check.possible[1].score.name.score == doctest::Approx(0.8));

  // Storage may return a person once per key that found them: reported once.
  const DuplicateCheck twice = Classify(candidate, {others[1], others[1], others[3], others[3]});
  CHECK(twice.hard.size() == 1);
  CHECK(twice.possible.size() == 1);

  CHECK(Classify(candidate, {}).hard.empty());
  CHECK(Classify(candidate, {}).possible.empty());
}

TEST_CASE("duplicates: storage lookup by keys finds every possible match") {
  // Simulates storage: index everyone's NameKeys; a candidate's possible matches must all
  // be among the persons that share a key with it.
  const std::vector<PersonRecord> people = {
      Person("Mohammed", "Hassan", "1990", "SYR"),   Person("Muhammad Ali", "Hasan", "1990", "SYR"),
      Person("Ali Reza", "Hosseini", "1990", "AFG"), Person("Alireza", "Husseini", "1990", "AFG"),
      Person("Fatemeh", "Ahmadi", "1990", "AFG"),    Person("Fatima", "Ahmadi", "unknown", "AFG"),
      Person("Youssef", "Al-Khatib", "1990", "SYR"), Person("Yusuf", "Khatib", "1990", "SYR"),
      Person("", "Mohammadi", "1990", "XXA"),        Person("Ali", "Hassan", "1990", "SYR"),
  };
  for (const PersonRecord& candidate : people) {
    const auto keys = NameKeys(candidate.given_name, candidate.surname);
    for (const PersonRecord& other : people) {
      if (!Compare(candidate, other).possible_match) continue;
      const auto theirs = NameKeys(other.given_name, other.surname);
      const bool found = std::any_of(keys.begin(), keys.end(), [&](const std::string& k) {
        return std::find(theirs.begin(), theirs.end(), k) != theirs.end();
      });
      INFO(candidate.given_name << " " << candidate.surname << " / " << other.given_name << " "
                                << other.surname);
      CHECK(found);
    }
  }
}
