// Shared fixtures for the enrolment tests: a fixed "today" and builders for valid
// records, so each test states only what it varies.
#pragma once

#include <doctest/doctest.h>

#include <string>
#include <string_view>

#include "tillit/enrolment/enrolment.h"
#include "tillit/enrolment/evidence.h"
#include "tillit/enrolment/person.h"

namespace tillit::enrolment::testing {

// The tests' fixed today. The library has no clock.
inline Date Today() { return *Date::Create(2025, 6, 15); }

inline Date D(int y, int m, int d) { return *Date::Create(y, m, d); }

// A valid samordningsnummer: born 1990-01-02 (day 02 + 60 = 62), serial 123, Luhn digit
// computed below so the fixture cannot drift from the algorithm.
inline std::string Samordningsnummer(std::string_view first9 = "900162123") {
  int sum = 0;
  for (size_t i = 0; i < 9; ++i) {
    int d = first9[i] - '0';
    if (i % 2 == 0) d *= 2;
    sum += d > 9 ? d - 9 : d;
  }
  return "19" + std::string(first9) + std::to_string((10 - sum % 10) % 10);
}

inline PersonForm Form(std::string given = "Mohammed", std::string surname = "Hassan",
                       std::string birth = "1990-01-02", std::string nationality = "SYR") {
  PersonForm form;
  form.given_name = std::move(given);
  form.surname = std::move(surname);
  form.birth_date = std::move(birth);
  form.nationality = std::move(nationality);
  return form;
}

inline PersonRecord Person(std::string given = "Mohammed", std::string surname = "Hassan",
                           std::string birth = "1990-01-02", std::string nationality = "SYR") {
  auto person = CreatePersonRecord(Form(given, surname, birth, nationality), Today());
  REQUIRE_MESSAGE(person.ok(), person.error().message);
  return *person;
}

inline Evidence Ev(std::string_view shorthand) {
  auto evidence = ParseEvidence(shorthand, Today());
  REQUIRE_MESSAGE(evidence.ok(), evidence.error().message);
  return *evidence;
}

inline Enrolment MakeEnrolment(PersonRecord person, std::vector<Evidence> evidence,
                               CheckSet checks = {}) {
  return Enrolment{std::move(person), std::move(evidence), std::move(checks)};
}

}  // namespace tillit::enrolment::testing
