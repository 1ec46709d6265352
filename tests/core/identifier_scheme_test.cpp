// Tests for tillit/identifier/scheme.h and serial_block.h: a million consecutive serials
// give a million distinct valid identifiers, none of which is a personnummer,
// samordningsnummer or Inera reserve ID in any written form; SerialOf inverts FromSerial;
// the ends of the serial domain; the known-answer vectors of docs/identifier.md §9;
// FromSerials gives FromSerial's identifiers and errors.
#include <doctest/doctest.h>

#include <sodium.h>

#include <algorithm>
#include <numeric>
#include <span>
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

std::vector<uint64_t> Serials(uint64_t first, uint64_t count) {
  std::vector<uint64_t> v(count);
  std::iota(v.begin(), v.end(), first);
  return v;
}

// FromSerials(serials) succeeds and equals FromSerial of each serial, in order.
void CheckBatch(const IdentifierScheme& scheme, const std::vector<uint64_t>& serials) {
  auto ids = scheme.FromSerials(serials);
  REQUIRE(ids.ok());
  REQUIRE(ids->size() == serials.size());
  size_t mismatches = 0, first = serials.size();
  for (size_t i = 0; i < serials.size(); ++i) {
    if (!((*ids)[i] == *scheme.FromSerial(serials[i]))) {
      ++mismatches;
      first = std::min(first, i);
    }
  }
  INFO("first mismatch at index ", first, " of ", serials.size());
  CHECK(mismatches == 0);
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

TEST_CASE("scheme: known-answer vectors through FromSerials (docs/identifier.md §9)") {
  auto scheme = IdentifierScheme::Create(TestKey());
  REQUIRE(scheme.ok());
  const std::pair<uint64_t, const char*> vectors[] = {
      {0, "YYYJPZRBD8ST"}, {1, "HFDS5A6RUBYD"}, {2, "SD1PTHSAUTBU"},
      {3, "M418070Z8T60"}, {4, "ML6C85GME2FH"}, {IdentifierScheme::kCapacity - 1, "XAKX26MA84YR"},
  };
  // Each vector at many positions of batches of several lengths: in every lane and the tail.
  for (size_t length : {size_t{1}, size_t{5}, size_t{6}, size_t{16}, size_t{37}, size_t{300}}) {
    for (size_t shift = 0; shift < 6; ++shift) {
      std::vector<uint64_t> serials(length);
      for (size_t i = 0; i < length; ++i) serials[i] = vectors[(i + shift) % 6].first;
      auto ids = scheme->FromSerials(serials);
      REQUIRE(ids.ok());
      REQUIRE(ids->size() == length);
      for (size_t i = 0; i < length; ++i) {
        INFO("length ", length, " shift ", shift, " index ", i);
        CHECK((*ids)[i].ToString() == vectors[(i + shift) % 6].second);
      }
    }
  }
}

TEST_CASE("scheme: FromSerials equals FromSerial one by one, for random keys") {
  REQUIRE(sodium_init() >= 0);
  const uint64_t n = IdentifierScheme::kCapacity;
  for (int k = 0; k < 4; ++k) {
    Bytes key(32);
    randombytes_buf(key.data(), key.size());
    auto scheme = IdentifierScheme::Create(key);
    REQUIRE(scheme.ok());
    CheckBatch(*scheme, Serials(0, 10000));
    CheckBatch(*scheme, Serials(n - 10000, 10000));
    const uint64_t start =
        (uint64_t{randombytes_random()} << 32 | randombytes_random()) % (n - 20000);
    CheckBatch(*scheme, Serials(start, 20000));
    // Short batches, for the tail after whole groups of lanes, at 0 and at the top.
    for (uint64_t length = 0; length <= 40; ++length) {
      CheckBatch(*scheme, Serials(0, length));
      CheckBatch(*scheme, Serials(n - length, length));
      CheckBatch(*scheme, Serials(start + 100 * length, length));
    }
    // Not consecutive, with a repeat.
    std::vector<uint64_t> scattered(1000);
    for (auto& s : scattered) s = (uint64_t{randombytes_random()} << 32 | randombytes_random()) % n;
    scattered[999] = scattered[0];
    CheckBatch(*scheme, scattered);
  }
}

TEST_CASE("scheme: FromSerials fails as FromSerial does for a serial out of range") {
  auto scheme = IdentifierScheme::Create(TestKey());
  REQUIRE(scheme.ok());
  const uint64_t n = IdentifierScheme::kCapacity;
  for (uint64_t bad : {n, n + 1, uint64_t{1} << 54, UINT64_MAX}) {
    const auto single = scheme->FromSerial(bad);
    REQUIRE_FALSE(single.ok());
    // Alone, first, in the middle, and last of a batch of whole lane groups plus a tail.
    for (size_t at : {size_t{0}, size_t{17}, size_t{99}}) {
      std::vector<uint64_t> serials = Serials(n - 100, 100);
      serials[at] = bad;
      const auto batch = scheme->FromSerials(serials);
      REQUIRE_FALSE(batch.ok());
      CHECK(batch.error().code == single.error().code);
      CHECK(batch.error().code == "serialOutOfRange");
      CHECK(batch.error().message.find("index " + std::to_string(at)) != std::string::npos);
    }
    const std::vector<uint64_t> alone = {bad};
    CHECK(scheme->FromSerials(alone).error().code == "serialOutOfRange");
  }
  // The first bad serial is the one reported.
  const std::vector<uint64_t> two_bad = {1, n + 5, 2, n};
  const auto r = scheme->FromSerials(two_bad);
  REQUIRE_FALSE(r.ok());
  CHECK(r.error().message.find(std::to_string(n + 5)) != std::string::npos);
  // Nothing to do is not an error.
  const auto empty = scheme->FromSerials(std::span<const uint64_t>());
  REQUIRE(empty.ok());
  CHECK(empty->empty());
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
