// Tests for tillit/enrolment/person.h: every field's validation, normalisation and
// error message (the API passes the field name on to clients).
#include "tillit/enrolment/person.h"

#include <doctest/doctest.h>

#include <string>

#include "enrolment/fixtures.h"

using namespace tillit;
using namespace tillit::enrolment;
using namespace tillit::enrolment::testing;

namespace {

// Expects an invalidParameters error whose message starts with "<field>: ".
void ExpectFieldError(const Result<PersonRecord>& r, std::string_view field) {
  REQUIRE_FALSE(r.ok());
  CHECK(r.error().code == "invalidParameters");
  CHECK_MESSAGE(r.error().message.rfind(std::string(field) + ": ", 0) == 0, r.error().message);
}

}  // namespace

TEST_CASE("person: a full valid form is normalised") {
  PersonForm form = Form("  José  María ", "Åström-Nuñez", "1990-01-02", "esp");
  form.original_name = " خوسيه ";
  form.samordningsnummer = Samordningsnummer().substr(2, 6) + "-" + Samordningsnummer().substr(8);
  form.migrationsverket_case = "12345678";
  auto person = CreatePersonRecord(form, Today());
  REQUIRE_MESSAGE(person.ok(), person.error().message);
  CHECK(person->given_name == "José María");
  CHECK(person->surname == "Åström-Nuñez");
  CHECK(person->original_name == "خوسيه");
  CHECK(person->birth_date == BirthDate{BirthDate::Precision::kDay, 1990, 1, 2});
  CHECK(person->nationality == "ESP");
  CHECK(person->samordningsnummer == Samordningsnummer());
  CHECK(person->migrationsverket_case == "12-345678");
  CHECK(ValidatePersonRecord(*person, Today()).ok());
}

TEST_CASE("person: optional fields may be absent") {
  auto person = CreatePersonRecord(Form("", "Mohammadi", "unknown", "XXA"), Today());
  REQUIRE(person.ok());
  CHECK(person->given_name.empty());  // ICAO: a single name goes in the primary identifier
  CHECK_FALSE(person->original_name);
  CHECK_FALSE(person->samordningsnummer);
  CHECK_FALSE(person->migrationsverket_case);
  CHECK(person->birth_date.precision == BirthDate::Precision::kUnknown);
}

TEST_CASE("person: names accept Latin letters with diacritics, hyphens, apostrophes") {
  for (auto name : {"O'Brien", "N’Diaye", "Oʻrinboy", "Jean-Luc", "Nguyễn Thị", "Łukasz", "Ağaoğlu",
                    "Məmmədov", "Þórunn", "Ørsted", "Ștefan", "Åsa"}) {
    INFO(name);
    auto r = NormaliseLatinName(name, "surname", false);
    REQUIRE(r.ok());
    CHECK(*r == name);
  }
  // Decomposed å (a + COMBINING RING ABOVE) is accepted as printed.
  CHECK(NormaliseLatinName("A\xCC\x8Asa", "givenName", false).ok());
  // Inner runs of spaces and NBSP collapse to one space.
  CHECK(*NormaliseLatinName("Ali \xC2\xA0  Reza", "givenName", false) == "Ali Reza");
}

TEST_CASE("person: name negatives") {
  const std::string long_name(101, 'a');
  const std::string max_name(100, 'a');
  CHECK(NormaliseLatinName(max_name, "surname", false).ok());
  struct Case {
    std::string text;
    const char* why;
  };
  const Case cases[] = {
      {"", "empty"},
      {"   ", "blank"},
      {long_name, "101 characters"},
      {"Ali2", "digit"},
      {"Ali.", "full stop"},
      {"Ali,Hassan", "comma"},
      {"Ali\tHassan", "tab (control)"},
      {"Ali\nHassan", "newline (control)"},
      {std::string("Ali\0Hassan", 10), "NUL (control)"},
      {"Ali\x7F", "DEL (control)"},
      {"Ali\xC2\x85", "NEL (C1 control)"},
      {"Ali\xE2\x80\xAE", "RIGHT-TO-LEFT OVERRIDE"},
      {"\xD0\x90\xD0\xBB\xD0\xB8", "Cyrillic (belongs in originalName)"},
      {"\xD8\xB9\xD9\x84\xD9\x8A", "Arabic (belongs in originalName)"},
      {"Ali\xFF", "invalid UTF-8"},
      {"Ali\xC3", "truncated UTF-8"},
      {"\xC0\xAF", "overlong UTF-8"},
      {"\xED\xA0\x80", "UTF-8 surrogate"},
      {"\xCC\x8A"
       "Asa",
       "combining mark first"},
      {"- '", "no letter"},
      {"Ali\xC3\x97", "multiplication sign"},
  };
  for (const Case& c : cases) {
    INFO(c.why);
    auto r = NormaliseLatinName(c.text, "givenName", false);
    REQUIRE_FALSE(r.ok());
    CHECK(r.error().code == "invalidParameters");
    CHECK(r.error().message.rfind("givenName: ", 0) == 0);
  }
}

TEST_CASE("person: each field's error names the field") {
  ExpectFieldError(CreatePersonRecord(Form("Ali1"), Today()), "givenName");
  ExpectFieldError(CreatePersonRecord(Form("Ali", ""), Today()), "surname");
  ExpectFieldError(CreatePersonRecord(Form("Ali", "Hassan!"), Today()), "surname");

  PersonForm original = Form();
  original.original_name = "Ali\x01";
  ExpectFieldError(CreatePersonRecord(original, Today()), "originalName");
  original.original_name = std::string(201, 'x');
  ExpectFieldError(CreatePersonRecord(original, Today()), "originalName");
  original.original_name = "\xFF";
  ExpectFieldError(CreatePersonRecord(original, Today()), "originalName");

  ExpectFieldError(CreatePersonRecord(Form("Ali", "Hassan", "1990-13-01"), Today()), "birthDate");
  ExpectFieldError(CreatePersonRecord(Form("Ali", "Hassan", "1990", "ABC"), Today()),
                   "nationality");
  ExpectFieldError(CreatePersonRecord(Form("Ali", "Hassan", "1990", ""), Today()), "nationality");

  PersonForm samordning = Form();
  samordning.samordningsnummer = "19900162-1230";
  ExpectFieldError(CreatePersonRecord(samordning, Today()), "samordningsnummer");

  PersonForm case_number = Form();
  case_number.migrationsverket_case = "1234567";
  ExpectFieldError(CreatePersonRecord(case_number, Today()), "migrationsverketCase");
}

TEST_CASE("person: birth date forms") {
  CHECK(*ParseBirthDate("unknown", Today()) == BirthDate{});
  CHECK(*ParseBirthDate("1990", Today()) == BirthDate{BirthDate::Precision::kYear, 1990, 0, 0});
  CHECK(*ParseBirthDate("2000-02-29", Today()) ==
        BirthDate{BirthDate::Precision::kDay, 2000, 2, 29});
  CHECK(ParseBirthDate("2025-06-15", Today()).ok());  // born today
  CHECK(ParseBirthDate("2025", Today()).ok());
  CHECK(ParseBirthDate("1895", Today()).ok());  // 130 years
  for (auto text : {"1990-01-02", "1990", "unknown"}) {
    CHECK(SerializeBirthDate(*ParseBirthDate(text, Today())) == text);
  }
}

TEST_CASE("person: birth date negatives") {
  for (auto text : {"",           "Unknown",    "UNKNOWN",    "unk",        "90",
                    "19900",      "1990-1-2",   "1990-01-2",  "1990/01/02", "02-01-1990",
                    "1990-02-30", "1900-02-29", "1990-00-10", "1990-01-00", "1990-01-02T00:00",
                    " 1990",      "1990 ",      "1990-01",    "199O",
                    "2025-06-16",  // tomorrow
                    "2026",        // next year
                    "1894",        // more than 130 years ago
                    "0000"}) {
    INFO(text);
    auto r = ParseBirthDate(text, Today());
    REQUIRE_FALSE(r.ok());
    CHECK(r.error().code == "invalidParameters");
    CHECK(r.error().message.rfind("birthDate: ", 0) == 0);
  }
}

TEST_CASE("person: samordningsnummer") {
  const std::string valid = Samordningsnummer();  // 19900162123C
  for (const std::string& text :
       {valid, valid.substr(2), valid.substr(2, 6) + "-" + valid.substr(8),
        valid.substr(0, 8) + "-" + valid.substr(8), " " + valid + " "}) {
    PersonForm form = Form();
    form.samordningsnummer = text;
    auto r = CreatePersonRecord(form, Today());
    INFO(text);
    REQUIRE(r.ok());
    CHECK(r->samordningsnummer == valid);
  }
  std::string wrong_check = valid;
  wrong_check.back() = static_cast<char>('0' + (valid.back() - '0' + 1) % 10);
  // A personnummer (day 02, not 62) with a correct check digit.
  const std::string personnummer = Samordningsnummer("900102123");
  for (const std::string& text :
       {wrong_check, personnummer, std::string("19900192") + "1230", std::string("abc"),
        valid + "0", valid.substr(0, 11), std::string("19900162_1234")}) {
    PersonForm form = Form();
    form.samordningsnummer = text;
    INFO(text);
    ExpectFieldError(CreatePersonRecord(form, Today()), "samordningsnummer");
  }
}

TEST_CASE("person: Migrationsverket case number shape") {
  CHECK(*ParseCaseNumber("12-345678", "c") == "12-345678");
  CHECK(*ParseCaseNumber("12345678", "c") == "12-345678");
  CHECK(*ParseCaseNumber(" 12-345678 ", "c") == "12-345678");
  for (auto text : {"", "1234567", "123456789", "12-34567", "123-45678", "12-345678/1", "AB-345678",
                    "12 345678", "12--45678", "12-3456789"}) {
    INFO(text);
    auto r = ParseCaseNumber(text, "migrationsverketCase");
    REQUIRE_FALSE(r.ok());
    CHECK(r.error().code == "invalidParameters");
    CHECK(r.error().message.rfind("migrationsverketCase: ", 0) == 0);
  }
}

TEST_CASE("person: ValidatePersonRecord refuses non-canonical records") {
  const PersonRecord good = Person();
  CHECK(ValidatePersonRecord(good, Today()).ok());

  PersonRecord r = good;
  r.given_name = " Mohammed";
  CHECK(ValidatePersonRecord(r, Today()).error().message.rfind("givenName: ", 0) == 0);
  r = good;
  r.nationality = "syr";
  CHECK(ValidatePersonRecord(r, Today()).error().message.rfind("nationality: ", 0) == 0);
  r = good;
  r.nationality = "D";
  CHECK(ValidatePersonRecord(r, Today()).error().message.rfind("nationality: ", 0) == 0);
  r = good;
  r.birth_date = BirthDate{BirthDate::Precision::kDay, 1990, 2, 30};
  CHECK(ValidatePersonRecord(r, Today()).error().message.rfind("birthDate: ", 0) == 0);
  r = good;
  r.birth_date = BirthDate{BirthDate::Precision::kUnknown, 1990, 0, 0};
  CHECK(ValidatePersonRecord(r, Today()).error().message.rfind("birthDate: ", 0) == 0);
  r = good;
  r.samordningsnummer = Samordningsnummer().substr(2);
  CHECK(ValidatePersonRecord(r, Today()).error().message.rfind("samordningsnummer: ", 0) == 0);
  r = good;
  r.samordningsnummer = "";
  CHECK(ValidatePersonRecord(r, Today()).error().message.rfind("samordningsnummer: ", 0) == 0);
  r = good;
  r.migrationsverket_case = "12345678";
  CHECK(ValidatePersonRecord(r, Today()).error().message.rfind("migrationsverketCase: ", 0) == 0);
  r = good;
  r.original_name = " ";
  CHECK(ValidatePersonRecord(r, Today()).error().message.rfind("originalName: ", 0) == 0);
}
