// Tests for tillit/identifier/identifier.h: the payload encoding, the parser's acceptance
// rules and rejections, and the check character's guarantees (docs/identifier.md §3),
// checked exhaustively over every (position, old symbol, new symbol) substitution and every
// (position pair, symbol pair) transposition, then again on 20,000 random identifiers.
#include "tillit/identifier/identifier.h"

#include <doctest/doctest.h>

#include <optional>
#include <random>
#include <utility>
#include <vector>
#include <algorithm>
#include <cctype>
#include <unordered_set>

using namespace tillit::identifier;

namespace {

std::string Substitute(std::string s, size_t pos, char c) {
  s[pos] = c;
  return s;
}

// A valid identifier with the given symbols at the given 0-based positions (at most two,
// the first position only letters) and random symbols elsewhere. If the check position 11
// is fixed, a free position among 1..10 is solved for: its weight is invertible mod 31, so
// exactly one of its 31 values gives the wanted check character.
std::string MakeValid(std::vector<std::pair<size_t, char>> fixed, std::mt19937_64& rng) {
  std::string s(kLength, '0');
  s[0] = kLetters[rng() % kLetters.size()];
  for (size_t i = 1; i < kLength - 1; ++i) s[i] = kAlphabet[rng() % kRadix];
  std::optional<char> wanted_check;
  std::vector<bool> taken(kLength, false);
  for (auto [pos, symbol] : fixed) {
    taken[pos] = true;
    if (pos == kLength - 1) {
      wanted_check = symbol;
    } else {
      s[pos] = symbol;
    }
  }
  const auto compute = [&] {
    s[kLength - 1] = ComputeCheckCharacter(std::string_view(s).substr(0, kLength - 1));
  };
  compute();
  if (!wanted_check) return s;
  size_t free_pos = 1;
  while (taken[free_pos]) ++free_pos;
  for (char c : kAlphabet) {
    s[free_pos] = c;
    compute();
    if (s[kLength - 1] == *wanted_check) return s;
  }
  FAIL("no value of position " << free_pos << " gives check character " << *wanted_check);
  return s;
}

}  // namespace

TEST_CASE("constants match the spec") {
  CHECK(kAlphabet == "0123456789ABCDEFGHJKLMNPRSTUXYZ");
  CHECK(kAlphabet.size() == 31);
  CHECK(kLetters == "ABCDEFGHJKLMNPRSTUXYZ");
  CHECK(kPayloadCount == 17212194026596821ULL);
  for (char c : std::string_view("IOQVW")) CHECK(kAlphabet.find(c) == std::string_view::npos);
  for (size_t i = 1; i < kAlphabet.size(); ++i) CHECK(kAlphabet[i - 1] < kAlphabet[i]);
}

TEST_CASE("check character: hand-computed values") {
  // A=10: 1*10 + 12*25 = 310 = 10*31, and 25 is 'S'.
  CHECK(ComputeCheckCharacter("A0000000000") == 'S');
  // 1*11 + 11*1 + 12*24 = 310, 24 is 'R'.
  CHECK(ComputeCheckCharacter("B0000000001") == 'R');
  // 30*66 + 12*21 = 2232 = 72*31, 21 is 'M'.
  CHECK(ComputeCheckCharacter("ZZZZZZZZZZZ") == 'M');
  // sum i*(9+i) for i=1..11 = 1100; 1100 + 12*22 = 1364 = 44*31, 22 is 'N'.
  CHECK(ComputeCheckCharacter("ABCDEFGHJKL") == 'N');
  // A digit check character: 1*10 + 7*3 = 31 is already 0 mod 31, so v12 = 0.
  CHECK(ComputeCheckCharacter("A0000030000") == '0');
}

TEST_CASE("payload encoding: boundaries and round trips") {
  CHECK(Identifier::FromPayload(0)->ToString() == "A0000000000S");
  CHECK(Identifier::FromPayload(kPayloadCount - 1)->ToString() == "ZZZZZZZZZZZM");
  CHECK(Identifier::FromPayload(kTailCount)->ToString().substr(0, 11) == "B0000000000");
  CHECK(Identifier::FromPayload(kTailCount - 1)->ToString().substr(0, 11) == "AZZZZZZZZZZ");
  // Where the encoder splits the tail into two five-digit halves.
  constexpr uint64_t kHalf = 31ULL * 31 * 31 * 31 * 31;
  CHECK(Identifier::FromPayload(kHalf - 1)->ToString().substr(0, 11) == "A00000ZZZZZ");
  CHECK(Identifier::FromPayload(kHalf)->ToString().substr(0, 11) == "A0000100000");
  CHECK(Identifier::FromPayload(kHalf * 3 + 2)->ToString().substr(0, 11) == "A0000300002");
  auto bad = Identifier::FromPayload(kPayloadCount);
  REQUIRE_FALSE(bad.ok());
  CHECK(bad.error().code == "payloadOutOfRange");
  CHECK_FALSE(Identifier::FromPayload(UINT64_MAX).ok());

  std::mt19937_64 rng(1);
  for (int n = 0; n < 100000; ++n) {
    const uint64_t payload = rng() % kPayloadCount;
    auto id = Identifier::FromPayload(payload);
    REQUIRE(id.ok());
    CHECK(id->Payload() == payload);
    auto parsed = Identifier::Parse(id->ToString());
    REQUIRE(parsed.ok());
    CHECK(*parsed == *id);
  }
}

TEST_CASE("order of identifiers is the order of payloads") {
  std::mt19937_64 rng(2);
  for (int n = 0; n < 10000; ++n) {
    const uint64_t a = rng() % kPayloadCount;
    const uint64_t b = rng() % kPayloadCount;
    CHECK((*Identifier::FromPayload(a) < *Identifier::FromPayload(b)) == (a < b));
  }
}

TEST_CASE("parse: canonical, grouped, lower case, spaces and hyphens") {
  const auto id = *Identifier::FromPayload(123456789012345ULL);
  const std::string canonical = id.ToString();
  CHECK(canonical.size() == 12);
  CHECK(id.Grouped() == canonical.substr(0, 4) + "-" + canonical.substr(4, 4) + "-" +
                            canonical.substr(8, 4));
  std::string lower = canonical;
  for (auto& c : lower) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  const std::string spaced = canonical.substr(0, 4) + " " + canonical.substr(4, 4) + " " +
                             canonical.substr(8);
  const std::string messy = " -" + canonical.substr(0, 1) + "--" + canonical.substr(1, 5) +
                            "  " + canonical.substr(6) + "- ";
  for (const std::string& text : {canonical, id.Grouped(), lower, spaced, messy}) {
    INFO(text);
    auto parsed = Identifier::Parse(text);
    REQUIRE(parsed.ok());
    CHECK(parsed->ToString() == canonical);
    CHECK(*parsed == id);
  }
}

TEST_CASE("parse: rejections with stable codes") {
  const std::string good = Identifier::FromPayload(987654321ULL)->ToString();
  struct Case {
    std::string text;
    const char* code;
  };
  std::vector<Case> cases = {
      {"", "invalidLength"},
      {"   ", "invalidLength"},
      {"---", "invalidLength"},
      {" - - ", "invalidLength"},
      {good.substr(0, 11), "invalidLength"},
      {good + "0", "invalidLength"},
      {good + good, "invalidLength"},
      {good + "!", "invalidCharacter"},
      {good + "\n", "invalidCharacter"},
      {good + "\t", "invalidCharacter"},
      {"\t" + good, "invalidCharacter"},
      {good.substr(0, 6) + "_" + good.substr(6), "invalidCharacter"},
      {good.substr(0, 6) + "." + good.substr(6), "invalidCharacter"},
      {good.substr(0, 6) + "/" + good.substr(6), "invalidCharacter"},
      {std::string("\xc3\x84") + good.substr(1), "invalidCharacter"},  // UTF-8 'Ä'
      {good.substr(0, 5) + "\xc3\xb6" + good.substr(6), "invalidCharacter"},  // 'ö'
      {good.substr(0, 5) + std::string(1, '\0') + good.substr(6), "invalidCharacter"},
      {good.substr(0, 5) + "\xff" + good.substr(6), "invalidCharacter"},
      {"0" + good.substr(1), "invalidFirstCharacter"},
      {"9" + good.substr(1), "invalidFirstCharacter"},
      {"1234567890AB", "invalidFirstCharacter"},
  };
  for (char banned : std::string_view("IOQVWiovqw")) {
    for (size_t pos : {size_t{0}, size_t{5}, size_t{11}}) {
      cases.push_back({Substitute(good, pos, banned), "invalidCharacter"});
    }
  }
  for (const auto& c : cases) {
    INFO("input: ", c.text);
    auto r = Identifier::Parse(c.text);
    REQUIRE_FALSE(r.ok());
    CHECK(r.error().code == c.code);
    CHECK_FALSE(r.error().message.empty());
  }
  // A wrong check character: every other symbol in the last position.
  for (char c : kAlphabet) {
    if (c == good.back()) continue;
    auto r = Identifier::Parse(Substitute(good, 11, c));
    REQUIRE_FALSE(r.ok());
    CHECK(r.error().code == "invalidCheckCharacter");
  }
}

TEST_CASE("check character: every single substitution is caught (exhaustive)") {
  // The change in the weighted sum depends only on (position, old, new), so covering every
  // such triple covers every identifier.
  std::mt19937_64 rng(3);
  int tried = 0;
  for (size_t pos = 0; pos < kLength; ++pos) {
    const std::string_view olds = pos == 0 ? kLetters : kAlphabet;
    for (char old_symbol : olds) {
      const std::string id = MakeValid({{pos, old_symbol}}, rng);
      REQUIRE(Identifier::Parse(id).ok());
      for (char new_symbol : kAlphabet) {
        if (new_symbol == old_symbol) continue;
        ++tried;
        INFO(id, " pos ", pos, " -> ", new_symbol);
        CHECK_FALSE(Identifier::Parse(Substitute(id, pos, new_symbol)).ok());
      }
    }
  }
  CHECK(tried == 21 * 30 + 11 * 31 * 30);
}

TEST_CASE("check character: every transposition of any two positions is caught (exhaustive)") {
  // The change is (j - i) * (v_i - v_j) for 1-based positions i < j: it depends only on the
  // two positions and the two symbols, so this covers every identifier.
  std::mt19937_64 rng(4);
  int tried = 0;
  for (size_t i = 0; i < kLength; ++i) {
    for (size_t j = i + 1; j < kLength; ++j) {
      for (char a : i == 0 ? kLetters : kAlphabet) {
        for (char b : kAlphabet) {
          if (a == b) continue;
          const std::string id = MakeValid({{i, a}, {j, b}}, rng);
          REQUIRE(id[i] == a);
          REQUIRE(id[j] == b);
          REQUIRE(Identifier::Parse(id).ok());
          std::string swapped = id;
          std::swap(swapped[i], swapped[j]);
          ++tried;
          INFO(id, " swap ", i, " ", j);
          CHECK_FALSE(Identifier::Parse(swapped).ok());
        }
      }
    }
  }
  CHECK(tried == 11 * 21 * 30 + 55 * 31 * 30);
}

TEST_CASE("check character: every twin error (aa -> bb) and jump twin error (aca -> bcb)") {
  // Changes (2i + 1)(b - a) and (2i + 2)(b - a): the factors 3..23 and 4..22 are non-zero mod
  // 31, so these are caught too (docs/identifier.md §3).
  std::mt19937_64 rng(7);
  int tried = 0;
  for (size_t gap : {size_t{1}, size_t{2}}) {
    for (size_t i = 0; i + gap < kLength; ++i) {
      const size_t j = i + gap;
      for (char a : i == 0 ? kLetters : kAlphabet) {
        const std::string id = MakeValid({{i, a}, {j, a}}, rng);
        REQUIRE(Identifier::Parse(id).ok());
        for (char b : kAlphabet) {
          if (b == a) continue;
          std::string changed = id;
          changed[i] = b;
          changed[j] = b;
          ++tried;
          INFO(id, " -> ", changed);
          CHECK_FALSE(Identifier::Parse(changed).ok());
        }
      }
    }
  }
  CHECK(tried == (21 + 10 * 31) * 30 + (21 + 9 * 31) * 30);
}

TEST_CASE("check character: 20,000 random identifiers, every substitution and adjacent swap") {
  std::mt19937_64 rng(5);
  std::unordered_set<Identifier> seen;
  long substitutions = 0;
  long swaps = 0;
  for (int n = 0; n < 20000; ++n) {
    const auto id = *Identifier::FromPayload(rng() % kPayloadCount);
    seen.insert(id);
    const std::string& text = id.ToString();
    for (size_t pos = 0; pos < kLength; ++pos) {
      for (char c : kAlphabet) {
        if (c == text[pos]) continue;
        ++substitutions;
        if (Identifier::Parse(Substitute(text, pos, c)).ok()) {
          FAIL("substitution accepted: ", text, " pos ", pos, " -> ", c);
        }
      }
    }
    for (size_t pos = 0; pos + 1 < kLength; ++pos) {
      if (text[pos] == text[pos + 1]) continue;
      std::string swapped = text;
      std::swap(swapped[pos], swapped[pos + 1]);
      ++swaps;
      if (Identifier::Parse(swapped).ok()) FAIL("swap accepted: ", text, " at ", pos);
    }
  }
  CHECK(substitutions == 20000L * 12 * 30);
  CHECK(swaps > 20000L * 10);
  CHECK(seen.size() > 19990);
}

TEST_CASE("check character: 2,000 random identifiers, every swap of any two positions") {
  std::mt19937_64 rng(6);
  for (int n = 0; n < 2000; ++n) {
    const std::string text = Identifier::FromPayload(rng() % kPayloadCount)->ToString();
    for (size_t i = 0; i < kLength; ++i) {
      for (size_t j = i + 1; j < kLength; ++j) {
        if (text[i] == text[j]) continue;
        std::string swapped = text;
        std::swap(swapped[i], swapped[j]);
        if (Identifier::Parse(swapped).ok()) FAIL("swap accepted: ", text, " ", i, " ", j);
      }
    }
  }
}

TEST_CASE("identifiers work as keys of hashed and ordered containers") {
  const auto a = *Identifier::FromPayload(1);
  const auto b = *Identifier::FromPayload(2);
  const auto a2 = *Identifier::Parse(a.Grouped());
  CHECK(a == a2);
  CHECK(a != b);
  CHECK(a < b);
  CHECK(std::hash<Identifier>{}(a) == std::hash<Identifier>{}(a2));
  std::unordered_set<Identifier> set = {a, b, a2};
  CHECK(set.size() == 2);
}
