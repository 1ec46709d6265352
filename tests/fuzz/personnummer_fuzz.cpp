// Fuzz target: personnummer and samordningsnummer (ParseSwedishNumber) and the Inera reserve
// ID shape (tillit/identifier/swedish.h). The first two bytes pick "today" (the century of
// a 10-digit form depends on it); the rest is the text. Invariants: the documented error
// codes; a parsed number's canonical form parses to the same number and its birth date is
// a real date.
#include <cstdint>
#include <string>

#include "fuzz/fuzz_support.h"
#include "tillit/identifier/swedish.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  using namespace tillit::identifier;
  if (size < 2) return 0;
  // Today: a day in years 1900..2155 (day 1..28 so that every month has it).
  const int year = 1900 + data[0];
  const int month = 1 + data[1] % 12;
  const int day = 1 + (data[1] / 12) % 28;
  auto today = CivilDate::Create(year, month, day);
  FUZZ_CHECK(today.ok());
  const std::string_view text = tillit::fuzz::AsText(data + 2, size - 2);
  (void)IsIneraReserveIdShape(text);
  auto number = ParseSwedishNumber(text, *today);
  if (!number.ok()) {
    const std::string& code = number.error().code;
    FUZZ_CHECK(code == "invalidFormat" || code == "invalidDate" || code == "invalidChecksum");
    return 0;
  }
  FUZZ_CHECK(number->canonical().size() == 12);
  const CivilDate& born = number->birth_date();
  FUZZ_CHECK(IsValidCivilDate(born.year(), born.month(), born.day()));
  auto again = ParseSwedishNumber(number->canonical(), *today);
  FUZZ_CHECK(again.ok());
  FUZZ_CHECK(again->canonical() == number->canonical());
  FUZZ_CHECK(again->kind() == number->kind());
  FUZZ_CHECK(again->birth_date() == number->birth_date());
  // A 12-digit personnummer never has the shape of a reserve ID (swedish.h).
  FUZZ_CHECK(!IsIneraReserveIdShape(number->canonical()) ||
             number->canonical().substr(0, 2) < "18" || number->canonical().substr(0, 2) > "21");
  return 0;
}
