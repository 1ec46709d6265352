// The person being enrolled: names as printed on the document, birth date (often only a
// year, or unknown, for this population), nationality, and the Swedish numbers the person
// may already have. PersonForm is what the desk or the API receives (all text);
// CreatePersonRecord validates and normalises it into a PersonRecord, the form that is
// stored and compared. Validation rules and error messages: docs/assurance.md §Input validation.
//
// Thread safety: plain values; all functions are pure.
#pragma once

#include <optional>
#include <string>
#include <string_view>

#include "tillit/enrolment/date.h"
#include "tillit/result.h"

namespace tillit::enrolment {

// Longest name, in Unicode scalar values after trimming. ICAO 9303's MRZ holds 39
// characters for both names together; the visual zone and national ID cards hold more.
inline constexpr size_t kMaxNameLength = 100;
// Longest name in original script.
inline constexpr size_t kMaxOriginalNameLength = 200;
// Oldest accepted birth year is today's year minus this.
inline constexpr int kMaxAgeYears = 130;

// A birth date known to the day, known only to the year, or unknown. Estimated dates are
// common for asylum seekers, so the precision is part of the value and matching uses it.
struct BirthDate {
  enum class Precision { kUnknown, kYear, kDay };
  Precision precision = Precision::kUnknown;
  int year = 0;   // valid for kYear and kDay
  int month = 0;  // valid for kDay
  int day = 0;    // valid for kDay

  friend bool operator==(const BirthDate&, const BirthDate&) = default;
};

// Parses "YYYY-MM-DD", "YYYY" or "unknown" (exactly these forms). The date may not be
// after `today`, nor more than kMaxAgeYears before it.
// Errors: "invalidParameters" ("birthDate: ...").
Result<BirthDate> ParseBirthDate(std::string_view text, const Date& today);

// "YYYY-MM-DD", "YYYY" or "unknown": the inverse of ParseBirthDate.
std::string SerializeBirthDate(const BirthDate& birth_date);

// Parses a Migrationsverket case number (dossiernummer, the "LMA-nummer" printed under
// the photo on an LMA card): eight digits, written NN-NNNNNN or NNNNNNNN, surrounding
// spaces ignored. Returns the canonical NN-NNNNNN. A trailing card serial ("/1") belongs
// to the LMA card number, not to the case, and is refused here.
// Errors: "invalidParameters" naming `field`.
Result<std::string> ParseCaseNumber(std::string_view text, std::string_view field);

// Input as received. Empty optional fields mean "not given".
struct PersonForm {
  std::string given_name;
  std::string surname;
  std::string original_name;
  std::string birth_date;  // "YYYY-MM-DD", "YYYY" or "unknown"
  std::string nationality;
  std::string samordningsnummer;
  std::string migrationsverket_case;
};

// A validated, normalised person. Every field is in its canonical form, so two records
// can be compared field by field.
struct PersonRecord {
  // As printed in Latin script (ICAO 9303 Part 3: secondary and primary
  // identifier), trimmed, inner runs of spaces collapsed. The given name may be empty:
  // ICAO puts the whole name of a person with a single name in the primary identifier.
  std::string given_name;
  std::string surname;
  // The name in its original script (Arabic, Cyrillic, Ge'ez...), if recorded.
  std::optional<std::string> original_name;
  BirthDate birth_date;
  std::string nationality;                           // canonical code, see country.h
  std::optional<std::string> samordningsnummer;      // 12 digits, YYYYMMDDNNNC
  std::optional<std::string> migrationsverket_case;  // NN-NNNNNN

  friend bool operator==(const PersonRecord&, const PersonRecord&) = default;
};

// Validates and normalises a form. Checks each field in declaration order and reports
// the first problem. Errors: "invalidParameters" with the API field name first in the
// message ("givenName: ...", "surname: ...", "originalName: ...", "birthDate: ...",
// "nationality: ...", "samordningsnummer: ...", "migrationsverketCase: ...").
Result<PersonRecord> CreatePersonRecord(const PersonForm& form, const Date& today);

// Checks that a record (for example one read back from storage) is valid and already in
// canonical form. Same errors as CreatePersonRecord, plus "...: is not in canonical form".
Status ValidatePersonRecord(const PersonRecord& person, const Date& today);

// Validates a name printed in Latin script and returns it normalised: trimmed, runs of
// spaces collapsed, U+00A0 read as a space. Allowed: Latin letters with any diacritics
// (precomposed or as combining marks), spaces, hyphens, apostrophes (' ’ ʼ ʻ); at least
// one letter; 1..kMaxNameLength scalar values (0 allowed when `allow_empty`).
// Errors: "invalidParameters" naming `field`.
Result<std::string> NormaliseLatinName(std::string_view text, std::string_view field,
                                       bool allow_empty);

}  // namespace tillit::enrolment
