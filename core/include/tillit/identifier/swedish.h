// Validators for the Swedish numbers that a Tillit identifier must never be mistaken for
// (design property 2, docs/identifier.md §7): personnummer, samordningsnummer and the
// shape of Inera's national reserve ID.
//
// All of them — in every written form — start with a digit, and a Tillit identifier
// starts with a letter. The same holds for the regions' local reserve numbers, which need
// no validator of their own here: Stockholm `99yyyyNNNNNC`, Västra Götaland
// `yyyymmdd{K|M|X}ggC`, Värmland `yyyymmddABNC` and the "day 32–59" schemes all begin with
// a digit, so none of them can equal an identifier either.
//
// Core has no clock: where the century of a 10-digit number depends on today's date, the
// caller passes it in.
//
// Thread safety: all functions are pure; the types are immutable values.
#pragma once

#include <compare>
#include <string>
#include <string_view>
#include <utility>

#include "tillit/result.h"

namespace tillit::identifier {

// A valid date in the proleptic Gregorian calendar, years 1..9999.
class CivilDate {
 public:
  // Errors: "invalidDate" (month not 1..12, day not in the month, year not 1..9999).
  static Result<CivilDate> Create(int year, int month, int day);

  int year() const { return year_; }
  int month() const { return month_; }
  int day() const { return day_; }

  friend bool operator==(const CivilDate&, const CivilDate&) = default;
  friend std::strong_ordering operator<=>(const CivilDate&, const CivilDate&) = default;

 private:
  CivilDate(int year, int month, int day) : year_(year), month_(month), day_(day) {}

  int year_;  // order matters: the defaulted <=> compares year, then month, then day
  int month_;
  int day_;
};

// True if year/month/day is a real date (years 1..9999).
bool IsValidCivilDate(int year, int month, int day);

enum class SwedishNumberKind {
  kPersonnummer,
  // Same layout, with 60 added to the day of birth.
  kSamordningsnummer,
};

// A syntactically valid personnummer or samordningsnummer.
class SwedishNumber {
 public:
  // The 12-digit form YYYYMMDDNNNC without separator (for a samordningsnummer the day
  // keeps its +60, as Skatteverket writes it).
  const std::string& canonical() const { return canonical_; }
  SwedishNumberKind kind() const { return kind_; }
  // The date of birth the number states (day - 60 for a samordningsnummer).
  const CivilDate& birth_date() const { return birth_date_; }

 private:
  friend Result<SwedishNumber> ParseSwedishNumber(std::string_view, const CivilDate&);
  SwedishNumber(std::string canonical, SwedishNumberKind kind, CivilDate birth_date)
      : canonical_(std::move(canonical)), kind_(kind), birth_date_(birth_date) {}

  std::string canonical_;
  SwedishNumberKind kind_;
  CivilDate birth_date_;
};

// Parses a personnummer or samordningsnummer in one of the written forms
//   YYMMDDNNNC   YYMMDD-NNNC   YYMMDD+NNNC   YYYYMMDDNNNC   YYYYMMDD-NNNC
// (no other separators, no surrounding spaces). Checks, in this order:
//   "invalidFormat"   not one of the forms above (length, non-digits, separator position,
//                     '+' in a 12-digit form);
//   "invalidDate"     MMDD is not a real date in the year; DD 61..91 is read as a
//                     samordningsnummer (day - 60), DD 32..60 is always invalid;
//   "invalidChecksum" the Luhn (mod 10, weights 2,1,2,...) digit over the 10-digit form.
// The century of a 10-digit form comes from `today`: the birth date is the latest one on
// or before `today` (the person is under 100), or 100 years earlier with '+'. The 12-digit
// forms ignore `today`; a birth date after `today` is not rejected.
Result<SwedishNumber> ParseSwedishNumber(std::string_view text, const CivilDate& today);

// True if `text` has the shape of an Inera national reserve ID `XXYYMMDDNNGC`: 12 digits,
// optionally written with '-' before the last four (XXYYMMDD-NNGC), whose first two digits
// are not 18..21 (which would make it a 12-digit personnummer). Deliberately permissive —
// no date or check-digit validation — so that "an identifier is never accepted" is the
// strongest statement it can be.
bool IsIneraReserveIdShape(std::string_view text);

}  // namespace tillit::identifier
