// Tests for the strict codecs in tillit/bytes.h: RFC 4648 §10 vectors, round trips and
// every rejection rule.
#include "tillit/bytes.h"

#include <doctest/doctest.h>

#include <random>

using namespace tillit;

namespace {
Bytes B(std::string_view s) { return ToBytes(s); }
}  // namespace

TEST_CASE("hex: round trip and case") {
  CHECK(HexEncode(Bytes{0x00, 0x01, 0xab, 0xff}) == "0001abff");
  CHECK(*HexDecode("0001ABff") == B(std::string_view("\x00\x01\xab\xff", 4)));
  CHECK(HexDecode("")->empty());
}

TEST_CASE("hex: rejects odd length, bad characters, whitespace") {
  for (auto bad : {"0", "abc", "zz", "0g", " 00", "00 ", "0x00", "-1"}) {
    auto r = HexDecode(bad);
    REQUIRE_FALSE(r.ok());
    CHECK(r.error().code == "invalidEncoding");
  }
}

TEST_CASE("base64: RFC 4648 test vectors") {
  const std::pair<const char*, const char*> vectors[] = {
      {"", ""},         {"f", "Zg=="},         {"fo", "Zm8="},          {"foo", "Zm9v"},
      {"foob", "Zm9vYg=="}, {"fooba", "Zm9vYmE="}, {"foobar", "Zm9vYmFy"}};
  for (auto [plain, encoded] : vectors) {
    CHECK(Base64Encode(B(plain)) == encoded);
    CHECK(*Base64Decode(encoded) == B(plain));
    std::string url = encoded;
    while (!url.empty() && url.back() == '=') url.pop_back();
    CHECK(Base64UrlEncode(B(plain)) == url);
    CHECK(*Base64UrlDecode(url) == B(plain));
  }
}

TEST_CASE("base64: alphabets differ where they must") {
  const Bytes data = {0xfb, 0xff, 0xbf};
  CHECK(Base64Encode(data) == "+/+/");
  CHECK(Base64UrlEncode(data) == "-_-_");
  CHECK_FALSE(Base64Decode("-_-_").ok());
  CHECK_FALSE(Base64UrlDecode("+/+/").ok());
}

TEST_CASE("base64: rejects malformed input") {
  for (auto bad : {"Zg", "Zg=", "Zg===", "Z===", "Zm9=v", "Zm9v\n", " Zm9v", "Zm9v====",
                   "Zh==",  // non-zero pad bits: 'h' leaves bits set
                   "Zm9=",  // non-zero pad bits
                   "====", "Zm9vY", "Zm$v"}) {
    auto r = Base64Decode(bad);
    INFO(bad);
    REQUIRE_FALSE(r.ok());
    CHECK(r.error().code == "invalidEncoding");
  }
}

TEST_CASE("base64url: rejects padding, wrong alphabet and trailing bits") {
  for (auto bad : {"Zg==", "Zm8=", "Z", "Zh", "Zm9", "Zm+v", "Zm/v", "Zm9v ", "Zm9vY"}) {
    INFO(bad);
    auto r = Base64UrlDecode(bad);
    REQUIRE_FALSE(r.ok());
    CHECK(r.error().code == "invalidEncoding");
  }
}

TEST_CASE("codecs: random round trips, every length up to 64") {
  std::mt19937 rng(7);
  for (size_t len = 0; len <= 64; ++len) {
    Bytes data(len);
    for (auto& b : data) b = static_cast<uint8_t>(rng());
    CHECK(*HexDecode(HexEncode(data)) == data);
    CHECK(*Base64Decode(Base64Encode(data)) == data);
    CHECK(*Base64UrlDecode(Base64UrlEncode(data)) == data);
  }
}

// The decoder reads four characters at a time: a character outside the alphabet must be
// refused in every position of a block and in the last, partial block.
TEST_CASE("base64url: a bad character is refused at every position") {
  Bytes data(32);
  for (size_t i = 0; i < data.size(); ++i) data[i] = static_cast<uint8_t>(i * 37 + 1);
  const std::string text = Base64UrlEncode(data);  // 43 characters: the last block has 3
  for (size_t at = 0; at < text.size(); ++at) {
    for (char bad : {'=', '+', '/', ' ', '\0', '\x80'}) {
      std::string broken = text;
      broken[at] = bad;
      INFO(at);
      auto r = Base64UrlDecode(broken);
      REQUIRE_FALSE(r.ok());
      CHECK(r.error().code == "invalidEncoding");
    }
  }
  CHECK(*Base64UrlDecode(text) == data);
}

TEST_CASE("base64: a truncated text is rejected unless it ends on a block boundary") {
  const std::string text = Base64Encode(B("truncate me, please"));  // 19 bytes: ends in '='
  for (size_t n = 1; n < text.size(); ++n) {
    auto r = Base64Decode(text.substr(0, n));
    INFO(n);
    if (n % 4 == 0) {
      REQUIRE(r.ok());  // a whole-block prefix is a shorter valid text, never the original
      CHECK(r->size() == n / 4 * 3);
    } else {
      CHECK_FALSE(r.ok());
    }
  }
}
