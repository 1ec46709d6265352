// Validation and normalisation of the person record (tillit/enrolment/person.h).
#include "tillit/enrolment/person.h"

#include <algorithm>

#include "text.h"
#include "tillit/enrolment/country.h"

namespace tillit::enrolment {
namespace {

using internal::FieldError;

bool AllDigits(std::string_view s) {
  for (char c : s) {
    if (c < '0' || c > '9') return false;
  }
  return !s.empty();
}

int ToInt(std::string_view digits) {
  int v = 0;
  for (char c : digits) v = v * 10 + (c - '0');
  return v;
}

Result<std::string> NormaliseOriginalName(std::string_view text) {
  auto decoded = internal::DecodeUtf8(text);
  if (!decoded) return FieldError("originalName", "is not valid UTF-8");
  std::u32string out;
  for (char32_t c : *decoded) {
    if (internal::IsForbiddenControl(c)) {
      return FieldError("originalName", "must not contain control characters");
    }
    const char32_t normalised = (c == 0x00A0) ? U' ' : c;
    if (normalised == U' ' && (out.empty() || out.back() == U' ')) continue;
    out.push_back(normalised);
  }
  while (!out.empty() && out.back() == U' ') out.pop_back();
  if (out.empty()) return FieldError("originalName", "must not be blank when given");
  if (out.size() > kMaxOriginalNameLength) {
    return FieldError("originalName", "must be at most 200 characters");
  }
  return internal::EncodeUtf8(out);
}

Result<std::string> ParseSamordningsnummer(std::string_view text, const Date& today) {
  auto number = identifier::ParseSwedishNumber(internal::TrimSpaces(text), today);
  if (!number.ok()) {
    // The core parser's codes say which check failed; the desk needs the field name.
    const std::string& code = number.error().code;
    if (code == "invalidChecksum") {
      return FieldError("samordningsnummer", "check digit is wrong (Luhn)");
    }
    if (code == "invalidDate") {
      return FieldError("samordningsnummer", "date part is not a valid date (day + 60)");
    }
    return FieldError("samordningsnummer",
                      "must be written YYMMDD-NNNC, YYMMDDNNNC, YYYYMMDD-NNNC or YYYYMMDDNNNC");
  }
  if (number->kind() != identifier::SwedishNumberKind::kSamordningsnummer) {
    // A personnummer holder is not in Tillit's population: they get BankID or Freja.
    return FieldError("samordningsnummer",
                      "is a personnummer, not a samordningsnummer (day must be 61-91)");
  }
  return number->canonical();
}

}  // namespace

Result<std::string> NormaliseLatinName(std::string_view text, std::string_view field,
                                       bool allow_empty) {
  auto decoded = internal::DecodeUtf8(text);
  if (!decoded) return FieldError(field, "is not valid UTF-8");
  std::u32string out;
  bool has_letter = false;
  for (char32_t c : *decoded) {
    if (internal::IsForbiddenControl(c)) {
      return FieldError(field, "must not contain control characters");
    }
    if (c == U' ' || c == 0x00A0) {
      if (!out.empty() && out.back() != U' ') out.push_back(U' ');
      continue;
    }
    if (internal::IsLatinLetter(c)) {
      has_letter = true;
    } else if (internal::IsCombiningMark(c)) {
      // A mark must follow a letter (or another mark on it): "å" may arrive decomposed.
      if (out.empty() ||
          !(internal::IsLatinLetter(out.back()) || internal::IsCombiningMark(out.back()))) {
        return FieldError(field, "has a combining mark that does not follow a letter");
      }
    } else if (c != U'-' && !internal::IsApostrophe(c)) {
      return FieldError(field,
                        "must contain only Latin letters (diacritics allowed), spaces, "
                        "hyphens and apostrophes, as printed on the document");
    }
    out.push_back(c);
  }
  while (!out.empty() && out.back() == U' ') out.pop_back();
  if (out.empty()) {
    if (allow_empty) return std::string();
    return FieldError(field, "must not be empty");
  }
  if (out.size() > kMaxNameLength) {
    return FieldError(field, "must be at most 100 characters");
  }
  if (!has_letter) return FieldError(field, "must contain at least one letter");
  return internal::EncodeUtf8(out);
}

Result<BirthDate> ParseBirthDate(std::string_view text, const Date& today) {
  BirthDate birth;
  if (text == "unknown") return birth;
  if (text.size() == 4 && AllDigits(text)) {
    birth.precision = BirthDate::Precision::kYear;
    birth.year = ToInt(text);
  } else {
    auto date = ParseDate(text, "birthDate");
    if (!date.ok()) {
      return FieldError("birthDate", "must be YYYY-MM-DD, YYYY or unknown");
    }
    birth.precision = BirthDate::Precision::kDay;
    birth.year = date->year();
    birth.month = date->month();
    birth.day = date->day();
  }
  const bool after_today =
      birth.year > today.year() ||
      (birth.precision == BirthDate::Precision::kDay && birth.year == today.year() &&
       (birth.month > today.month() || (birth.month == today.month() && birth.day > today.day())));
  if (after_today) return FieldError("birthDate", "must not be after today");
  if (birth.year < today.year() - kMaxAgeYears) {
    return FieldError("birthDate", "must not be more than 130 years ago");
  }
  return birth;
}

std::string SerializeBirthDate(const BirthDate& birth_date) {
  switch (birth_date.precision) {
    case BirthDate::Precision::kUnknown:
      return "unknown";
    case BirthDate::Precision::kYear: {
      std::string year = std::to_string(birth_date.year);
      return std::string(4 - std::min<size_t>(4, year.size()), '0') + year;
    }
    case BirthDate::Precision::kDay:
      break;
  }
  auto date = Date::Create(birth_date.year, birth_date.month, birth_date.day);
  TILLIT_CHECK(date.ok());  // a kDay BirthDate holds a real date by construction
  return SerializeDate(*date);
}

Result<std::string> ParseCaseNumber(std::string_view text, std::string_view field) {
  const std::string_view trimmed = internal::TrimSpaces(text);
  if (trimmed.find('/') != std::string_view::npos) {
    return FieldError(field, "must be the case number NN-NNNNNN without the LMA card serial (/N)");
  }
  std::string digits;
  if (trimmed.size() == 9 && trimmed[2] == '-') {
    digits = std::string(trimmed.substr(0, 2)) + std::string(trimmed.substr(3));
  } else {
    digits = std::string(trimmed);
  }
  if (digits.size() != 8 || !AllDigits(digits)) {
    return FieldError(field, "must be a Migrationsverket case number, eight digits NN-NNNNNN");
  }
  return digits.substr(0, 2) + "-" + digits.substr(2);
}

Result<PersonRecord> CreatePersonRecord(const PersonForm& form, const Date& today) {
  PersonRecord person;
  TILLIT_TRY_ASSIGN(person.given_name, NormaliseLatinName(form.given_name, "givenName", true));
  TILLIT_TRY_ASSIGN(person.surname, NormaliseLatinName(form.surname, "surname", false));
  if (!internal::TrimSpaces(form.original_name).empty()) {
    TILLIT_TRY_ASSIGN(person.original_name, NormaliseOriginalName(form.original_name));
  }
  TILLIT_TRY_ASSIGN(person.birth_date, ParseBirthDate(form.birth_date, today));
  TILLIT_TRY_ASSIGN(person.nationality, ParseCountryCode(form.nationality, "nationality"));
  if (!internal::TrimSpaces(form.samordningsnummer).empty()) {
    TILLIT_TRY_ASSIGN(person.samordningsnummer,
                      ParseSamordningsnummer(form.samordningsnummer, today));
  }
  if (!internal::TrimSpaces(form.migrationsverket_case).empty()) {
    TILLIT_TRY_ASSIGN(person.migrationsverket_case,
                      ParseCaseNumber(form.migrationsverket_case, "migrationsverketCase"));
  }
  return person;
}

Status ValidatePersonRecord(const PersonRecord& person, const Date& today) {
  // Re-running the factory on the record's own text proves both validity and canonical
  // form: a canonical value is a fixed point of normalisation.
  PersonForm form;
  form.given_name = person.given_name;
  form.surname = person.surname;
  form.original_name = person.original_name.value_or("");
  if (person.original_name && internal::TrimSpaces(*person.original_name).empty()) {
    return FieldError("originalName", "must not be blank when given");
  }
  if (person.birth_date.precision == BirthDate::Precision::kDay &&
      !identifier::IsValidCivilDate(person.birth_date.year, person.birth_date.month,
                                    person.birth_date.day)) {
    return FieldError("birthDate", "is not a calendar date");
  }
  form.birth_date = SerializeBirthDate(person.birth_date);
  form.nationality = person.nationality;
  form.samordningsnummer = person.samordningsnummer.value_or("");
  form.migrationsverket_case = person.migrationsverket_case.value_or("");
  TILLIT_TRY_ASSIGN(PersonRecord normalised, CreatePersonRecord(form, today));
  if (person.samordningsnummer && person.samordningsnummer->empty()) {
    return FieldError("samordningsnummer", "must not be empty when given");
  }
  if (person.migrationsverket_case && person.migrationsverket_case->empty()) {
    return FieldError("migrationsverketCase", "must not be empty when given");
  }
  if (normalised.given_name != person.given_name) {
    return FieldError("givenName", "is not in canonical form");
  }
  if (normalised.surname != person.surname)
    return FieldError("surname", "is not in canonical form");
  if (normalised.original_name != person.original_name) {
    return FieldError("originalName", "is not in canonical form");
  }
  if (normalised.birth_date != person.birth_date) {
    return FieldError("birthDate", "is not in canonical form");
  }
  if (normalised.nationality != person.nationality) {
    return FieldError("nationality", "is not in canonical form");
  }
  if (normalised.samordningsnummer != person.samordningsnummer) {
    return FieldError("samordningsnummer", "is not in canonical form");
  }
  if (normalised.migrationsverket_case != person.migrationsverket_case) {
    return FieldError("migrationsverketCase", "is not in canonical form");
  }
  return {};
}

}  // namespace tillit::enrolment
