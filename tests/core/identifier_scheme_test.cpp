// Tests for tillit/identifier/scheme.h and serial_block.h: a million consecutive serials
// give a million distinct valid identifiers, none of which is a personnummer,
// samordningsnummer or Inera reserve ID in any written form; SerialOf inverts FromSerial;
// the ends of the serial domain; the known-answer vectors of docs/identifier.md §9.
#include <doctest/doctest.h>

#include <algorithm>
#include <vector>

#include "tillit/identifier/scheme.h"
#include "tillit/identifier/serial_block.h"
#include "tillit/identifier/swedish.h"

using namespace tillit;
using namespace tillit::identifier;

namespace {

// The default test key of tillit-id: bytes 00 01 .. 1f.
Bytes TestKey() {
  Bytes key(32);
  for (size_t i = 0; i < key.size(); ++i) key[i] = static_cast<uint8_t>(i);
  return key;
}

}  // namespace

TEST_CASE("scheme: known-answer vectors (docs/identifier.md §9; DO NOT CHANGE)") {
  auto scheme = IdentifierScheme::Create(TestKey());
  REQUIRE(scheme.ok());
  const char* expected[] = {"YYYJPZRBD8ST", "HFDS5A6RUBYD", "SD1PTHSAUTBU", "M418070Z8T60",
                            "ML6C85GME2FH"};
  for (uint64_t serial = 0; serial < 5; ++serial) {
    INFO("serial ", serial);
    CHECK(scheme->FromSerial(serial)->ToString() == expected[serial]);
  }
}

TEST_CASE("scheme: a million consecutive serials, distinct, valid, never a Swedish number") {
  auto scheme = IdentifierScheme::Create(TestKey());
  REQUIRE(scheme.ok());
  const auto today = *CivilDate::Create(2026, 6, 15);
  constexpr uint64_t kCount = 1000000;
  std::vector<uint64_t> payloads;
  payloads.reserve(kCount);
  uint64_t parse_failures = 0, inverse_failures = 0, swedish_accepted = 0, inera_accepted = 0,
           digit_first = 0;
  for (uint64_t serial = 0; serial < kCount; ++serial) {
    const auto id = scheme->FromSerial(serial);
    REQUIRE(id.ok());
    const std::string& text = id->ToString();
    payloads.push_back(id->Payload());

    const auto parsed = Identifier::Parse(text);
    if (!parsed.ok() || !(*parsed == *id)) ++parse_failures;
    const auto back = scheme->SerialOf(*id);
    if (!back.ok() || *back != serial) ++inverse_failures;
    if (text[0] >= '0' && text[0] <= '9') ++digit_first;

    // The identifier as stored, and cut the ways the Swedish forms are written.
    const std::string forms[] = {
        text,
        text.substr(0, 8) + "-" + text.substr(8),  // YYYYMMDD-NNNC
        text.substr(0, 8) + "+" + text.substr(8),  // YYYYMMDD+NNNC
        text.substr(0, 6) + "-" + text.substr(6),  // YYMMDD-NNNNNN
        text.substr(0, 6) + "+" + text.substr(6),
        id->Grouped(),
    };
    for (const auto& form : forms) {
      if (ParseSwedishNumber(form, today).ok()) ++swedish_accepted;
      if (IsIneraReserveIdShape(form)) ++inera_accepted;
    }
  }
  CHECK(parse_failures == 0);
  CHECK(inverse_failures == 0);
  CHECK(digit_first == 0);
  CHECK(swedish_accepted == 0);
  CHECK(inera_accepted == 0);
  std::sort(payloads.begin(), payloads.end());
  CHECK(std::adjacent_find(payloads.begin(), payloads.end()) == payloads.end());
  // Not sequential: the payloads are spread over the whole domain.
  CHECK(payloads.front() < kPayloadCount / 1000);
  CHECK(payloads.back() > kPayloadCount - kPayloadCount / 1000);
}

TEST_CASE("scheme: the top of the serial domain") {
  auto scheme = IdentifierScheme::Create(TestKey());
  REQUIRE(scheme.ok());
  CHECK(IdentifierScheme::kCapacity == 17212194026596821ULL);
  std::vector<std::string> top;
  for (uint64_t serial = IdentifierScheme::kCapacity - 10000; serial < IdentifierScheme::kCapacity;
       ++serial) {
    auto id = scheme->FromSerial(serial);
    REQUIRE(id.ok());
    REQUIRE(Identifier::Parse(id->ToString()).ok());
    REQUIRE(*scheme->SerialOf(*id) == serial);
    top.push_back(id->ToString());
  }
  std::sort(top.begin(), top.end());
  CHECK(std::adjacent_find(top.begin(), top.end()) == top.end());

  for (uint64_t serial : {IdentifierScheme::kCapacity, IdentifierScheme::kCapacity + 1,
                          uint64_t{1} << 54, UINT64_MAX}) {
    auto r = scheme->FromSerial(serial);
    REQUIRE_FALSE(r.ok());
    CHECK(r.error().code == "serialOutOfRange");
  }
}

TEST_CASE("scheme: SerialOf of any identifier is a serial that maps back to it") {
  auto scheme = IdentifierScheme::Create(TestKey());
  REQUIRE(scheme.ok());
  for (const char* text : {"A0000000000S", "ZZZZZZZZZZZM", "ABCDEFGHJKLN"}) {
    const auto id = *Identifier::Parse(text);
    const auto serial = scheme->SerialOf(id);
    REQUIRE(serial.ok());
    CHECK(*serial < IdentifierScheme::kCapacity);
    CHECK(*scheme->FromSerial(*serial) == id);
  }
}

TEST_CASE("scheme: the key decides the identifiers") {
  Bytes other = TestKey();
  other[0] ^= 1;
  auto a = IdentifierScheme::Create(TestKey());
  auto b = IdentifierScheme::Create(other);
  REQUIRE(a.ok());
  REQUIRE(b.ok());
  int same = 0;
  for (uint64_t serial = 0; serial < 1000; ++serial) {
    same += *a->FromSerial(serial) == *b->FromSerial(serial);
  }
  CHECK(same == 0);
  for (size_t len : {0, 16, 31, 33}) {
    auto r = IdentifierScheme::Create(Bytes(len, 1));
    REQUIRE_FALSE(r.ok());
    CHECK(r.error().code == "invalidKey");
  }
}

TEST_CASE("serial blocks: validation, containment, overlap") {
  const uint64_t n = IdentifierScheme::kCapacity;
  auto empty = SerialBlock::Create(5, 0);
  REQUIRE_FALSE(empty.ok());
  CHECK(empty.error().code == "emptySerialBlock");
  for (auto [first, count] :
       {std::pair{n, uint64_t{1}}, std::pair{n - 1, uint64_t{2}},
        std::pair{uint64_t{1}, UINT64_MAX}, std::pair{UINT64_MAX, uint64_t{1}}}) {
    auto r = SerialBlock::Create(first, count);
    REQUIRE_FALSE(r.ok());
    CHECK(r.error().code == "serialOutOfRange");
  }
  CHECK(SerialBlock::Create(0, n).ok());
  CHECK(SerialBlock::Create(n - 1, 1).ok());

  const auto a = *SerialBlock::Create(100, 50);  // [100, 150)
  CHECK(a.end() == 150);
  CHECK_FALSE(a.Contains(99));
  CHECK(a.Contains(100));
  CHECK(a.Contains(149));
  CHECK_FALSE(a.Contains(150));
  CHECK_FALSE(a.Contains(UINT64_MAX));
  CHECK(a.Overlaps(a));
  CHECK(a.Overlaps(*SerialBlock::Create(149, 1)));
  CHECK(a.Overlaps(*SerialBlock::Create(0, 101)));
  CHECK(a.Overlaps(*SerialBlock::Create(120, 5)));
  CHECK(SerialBlock::Create(120, 5)->Overlaps(a));
  CHECK_FALSE(a.Overlaps(*SerialBlock::Create(150, 10)));
  CHECK_FALSE(a.Overlaps(*SerialBlock::Create(0, 100)));
  CHECK_FALSE(SerialBlock::Create(0, 100)->Overlaps(a));
}

TEST_CASE("serial blocks: leases taken from a counter are disjoint, so are their identifiers") {
  auto scheme = IdentifierScheme::Create(TestKey());
  REQUIRE(scheme.ok());
  uint64_t next = 0;  // the central counter
  std::vector<SerialBlock> leases;
  for (uint64_t size : {1, 500, 1, 1000, 37, 1}) {
    leases.push_back(*SerialBlock::Create(next, size));
    next += size;
  }
  std::vector<std::string> issued;
  for (size_t i = 0; i < leases.size(); ++i) {
    for (size_t j = 0; j < leases.size(); ++j) CHECK(leases[i].Overlaps(leases[j]) == (i == j));
    for (uint64_t s = leases[i].first(); s < leases[i].end(); ++s) {
      issued.push_back(scheme->FromSerial(s)->ToString());
    }
  }
  std::sort(issued.begin(), issued.end());
  CHECK(std::adjacent_find(issued.begin(), issued.end()) == issued.end());
  CHECK(issued.size() == next);
}
