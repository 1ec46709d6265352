// Tests for tillit/protocol/signed_data.h (docs/protocol.md §5): the byte layout against a
// hand-written known answer, round trips, and the attacks a parser must refuse: truncation
// at every byte, trailing bytes, flipped bits, wrong context/version/action, bad flags,
// non-zero hashes after flag 0, lengths running past the end, fields out of bounds. Every
// field rule is checked on both sides: Serialize refuses the value (invalidParameters) and
// Parse refuses the same value encoded by the test's own unchecked encoder.
#include <doctest/doctest.h>

#include <cstdint>
#include <functional>
#include <random>
#include <string>
#include <vector>

#include "tillit/bytes.h"
#include "tillit/crypto/hash.h"
#include "tillit/protocol/signed_data.h"

using namespace tillit;
using namespace tillit::protocol;

namespace {

crypto::Sha256Digest Digest(std::string_view text) { return crypto::Sha256(AsBytes(text)); }

SignedData Sample() {
  SignedData data;
  data.action = OrderAction::kSign;
  data.order_ref = "131daac9-16c6-4618-beb0-365768f37288";
  data.challenge = Bytes(kChallengeSize);
  for (size_t i = 0; i < kChallengeSize; ++i) data.challenge[i] = static_cast<uint8_t>(0xa0 + i);
  data.rp_id = "exempelkommun";
  data.rp_name = "Exempelkommun Ö";
  data.credential_serial = "0123456789abcdef0123456789abcdef";
  data.start = "tillit.67df3917-fa0d-44e5-b327-edcc928297f8.0.abc";
  data.visible_data_hash = Digest("Jag godkänner");
  data.non_visible_data_hash = std::nullopt;
  data.signed_at = 1796033700;
  return data;
}

// The layout written out independently of the implementation and without any field checks,
// so that invalid values can be encoded and fed to the parser.
struct RawFields {
  std::string context = std::string("tillit-signed-data") + '\0';
  uint8_t version = 1;
  uint8_t visible_flag = 0xff;  // 0xff: derive from the optional
  uint8_t non_visible_flag = 0xff;
  std::optional<crypto::Sha256Digest> visible_raw_hash;  // overrides the zero hash
};

void Put16(Bytes& out, size_t n) {
  out.push_back(static_cast<uint8_t>(n >> 8));
  out.push_back(static_cast<uint8_t>(n));
}
void PutStr(Bytes& out, std::string_view s) {
  Put16(out, s.size());
  out.insert(out.end(), s.begin(), s.end());
}
void PutHash(Bytes& out, uint8_t flag, const std::optional<crypto::Sha256Digest>& hash) {
  out.push_back(flag);
  const crypto::Sha256Digest bytes = hash.value_or(crypto::Sha256Digest{});
  out.insert(out.end(), bytes.begin(), bytes.end());
}

Bytes RawEncode(const SignedData& d, const RawFields& raw = {}) {
  Bytes out(raw.context.begin(), raw.context.end());
  out.push_back(raw.version);
  out.push_back(static_cast<uint8_t>(d.action));
  PutStr(out, d.order_ref);
  out.insert(out.end(), d.challenge.begin(), d.challenge.end());
  PutStr(out, d.rp_id);
  PutStr(out, d.rp_name);
  PutStr(out, d.credential_serial);
  PutStr(out, d.start);
  const uint8_t vflag = raw.visible_flag != 0xff ? raw.visible_flag : d.visible_data_hash ? 1 : 0;
  PutHash(out, vflag, raw.visible_raw_hash ? raw.visible_raw_hash : d.visible_data_hash);
  const uint8_t nflag = raw.non_visible_flag != 0xff ? raw.non_visible_flag
                        : d.non_visible_data_hash    ? 1
                                                     : 0;
  PutHash(out, nflag, d.non_visible_data_hash);
  for (int shift = 56; shift >= 0; shift -= 8) {
    out.push_back(static_cast<uint8_t>(static_cast<uint64_t>(d.signed_at) >> shift));
  }
  return out;
}

void CheckParseRefuses(ByteView bytes, std::string_view why) {
  INFO(std::string(why));
  const Result<SignedData> parsed = ParseSignedData(bytes);
  REQUIRE_FALSE(parsed.ok());
  CHECK(parsed.error().code == "invalidSignedData");
}

// Both sides refuse: the value cannot be serialized, and its raw encoding does not parse.
void CheckBothRefuse(const SignedData& data, std::string_view why) {
  INFO(std::string(why));
  const Result<Bytes> serialized = SerializeSignedData(data);
  REQUIRE_FALSE(serialized.ok());
  CHECK(serialized.error().code == "invalidParameters");
  CheckParseRefuses(RawEncode(data), why);
}

void CheckRoundTrip(const SignedData& data) {
  const Bytes bytes = SerializeSignedData(data).value();
  CHECK(bytes == RawEncode(data));
  const Result<SignedData> parsed = ParseSignedData(bytes);
  REQUIRE(parsed.ok());
  CHECK(*parsed == data);
}

}  // namespace

// ---------------------------------------------------------------------------------------
// Layout and round trips

TEST_CASE("SerializeSignedData: known answer for the version 1 layout (DO NOT CHANGE)") {
  SignedData data = Sample();
  data.action = OrderAction::kAuth;
  data.challenge = Bytes(kChallengeSize, 0x11);
  data.rp_id = "rp";
  data.rp_name = "R\xc3\xa4";  // "Rä"
  data.start = "autostart.x";
  data.visible_data_hash = std::nullopt;
  data.non_visible_data_hash = crypto::Sha256Digest{};
  data.non_visible_data_hash->fill(0x22);
  data.signed_at = -2;
  const std::string expected =
      "74696c6c69742d7369676e65642d6461746100"  // "tillit-signed-data" 0x00
      "01"                                      // version
      "01"                                      // action auth
      "0024"
      "31333164616163392d313663362d343631382d626562302d333635373638663337323838"
      "1111111111111111111111111111111111111111111111111111111111111111"
      "0002"
      "7270"  // rpId
      "0003"
      "52c3a4"  // rpName
      "0020"
      "3031323334353637383961626364656630313233343536373839616263646566"
      "000b"
      "6175746f73746172742e78"  // start
      "00"
      "0000000000000000000000000000000000000000000000000000000000000000"
      "01"
      "2222222222222222222222222222222222222222222222222222222222222222"
      "fffffffffffffffe";  // signedAt -2, two's complement
  CHECK(HexEncode(SerializeSignedData(data).value()) == expected);
  CHECK(ParseSignedData(HexDecode(expected).value()).value() == data);
}

TEST_CASE("Serialize -> Parse round trips, field by field") {
  SignedData data = Sample();
  CheckRoundTrip(data);
  data.action = OrderAction::kAuth;
  CheckRoundTrip(data);
  data.visible_data_hash = std::nullopt;
  data.non_visible_data_hash = Digest("secret");
  CheckRoundTrip(data);
  data.visible_data_hash = Digest("");
  CheckRoundTrip(data);
  for (int64_t t : {int64_t{0}, int64_t{-1}, INT64_MIN, INT64_MAX}) {
    data.signed_at = t;
    CheckRoundTrip(data);
  }
  data.rp_id = std::string(kMaxRpIdBytes, 'r');
  data.rp_name = std::string(kMaxRpNameBytes - 4, 'n') + "\xf0\x9f\x98\x80";  // 4-byte char
  data.start = std::string(kMaxStartBytes, '~');
  CheckRoundTrip(data);
  data.rp_id = "r";
  data.rp_name = std::string(1, '\0');  // one byte of well-formed UTF-8
  data.start = " ";
  CheckRoundTrip(data);
}

TEST_CASE("OrderActionName / ParseOrderAction") {
  CHECK(OrderActionName(OrderAction::kAuth) == "auth");
  CHECK(OrderActionName(OrderAction::kSign) == "sign");
  CHECK(ParseOrderAction("auth").value() == OrderAction::kAuth);
  CHECK(ParseOrderAction("sign").value() == OrderAction::kSign);
  for (std::string_view bad : {"", "Auth", "SIGN", "auth ", "login", "1"}) {
    const Result<OrderAction> action = ParseOrderAction(bad);
    REQUIRE_FALSE(action.ok());
    CHECK(action.error().code == "invalidParameters");
  }
}

// ---------------------------------------------------------------------------------------
// Parser negatives on valid encodings

TEST_CASE("ParseSignedData refuses truncation at every byte and trailing bytes") {
  const Bytes bytes = SerializeSignedData(Sample()).value();
  for (size_t n = 0; n < bytes.size(); ++n) {
    CheckParseRefuses(ByteView(bytes).first(n), "truncated to " + std::to_string(n));
  }
  for (size_t extra : {1, 2, 8, 100}) {
    Bytes longer = bytes;
    longer.resize(bytes.size() + extra, 0);
    CheckParseRefuses(longer, "trailing zero bytes");
  }
  Bytes twice = bytes;
  twice.insert(twice.end(), bytes.begin(), bytes.end());
  CheckParseRefuses(twice, "two payloads back to back");
}

TEST_CASE("ParseSignedData: every flipped bit is refused or changes the value") {
  const SignedData original = Sample();
  const Bytes bytes = SerializeSignedData(original).value();
  for (size_t i = 0; i < bytes.size(); ++i) {
    for (int bit = 0; bit < 8; ++bit) {
      Bytes mutated = bytes;
      mutated[i] ^= static_cast<uint8_t>(1 << bit);
      const Result<SignedData> parsed = ParseSignedData(mutated);
      if (!parsed.ok()) continue;
      INFO("byte ", i, " bit ", bit);
      CHECK_FALSE(*parsed == original);  // a different value, so the issuer's match fails
      CHECK(SerializeSignedData(*parsed).value() == mutated);
    }
  }
}

TEST_CASE("ParseSignedData: wrong context or version") {
  const SignedData data = Sample();
  for (size_t i = 0; i < 19; ++i) {
    RawFields raw;
    raw.context[i] = static_cast<char>(raw.context[i] ^ 0x20);
    CheckParseRefuses(RawEncode(data, raw), "context byte " + std::to_string(i));
  }
  RawFields activation;
  activation.context = std::string("tillit-activation-v1");  // the other signature context
  CheckParseRefuses(RawEncode(data, activation), "activation context");
  RawFields unterminated;
  unterminated.context = "tillit-signed-data";
  CheckParseRefuses(RawEncode(data, unterminated), "context without 0x00");
  for (uint8_t version : {0, 2, 0x81, 0xff}) {
    RawFields raw;
    raw.version = version;
    CheckParseRefuses(RawEncode(data, raw), "version " + std::to_string(version));
  }
}

TEST_CASE("Both sides refuse an unknown action") {
  for (uint8_t action : {0, 3, 0x81, 0xff}) {
    SignedData data = Sample();
    data.action = static_cast<OrderAction>(action);
    CheckBothRefuse(data, "action " + std::to_string(action));
  }
}

TEST_CASE("ParseSignedData: flags other than 0/1 and a non-zero hash after flag 0") {
  const SignedData data = Sample();  // visible present, nonVisible absent
  for (uint8_t flag : {2, 0x80, 0xfe}) {
    RawFields raw;
    raw.visible_flag = flag;
    CheckParseRefuses(RawEncode(data, raw), "visible flag " + std::to_string(flag));
    RawFields raw2;
    raw2.non_visible_flag = flag;
    CheckParseRefuses(RawEncode(data, raw2), "nonVisible flag " + std::to_string(flag));
  }
  RawFields visible_zero_flag;
  visible_zero_flag.visible_flag = 0;  // with the non-zero hash still written
  CheckParseRefuses(RawEncode(data, visible_zero_flag), "visible hash after flag 0");

  Bytes bytes = SerializeSignedData(data).value();
  const size_t non_visible_hash_end = bytes.size() - 8;
  for (size_t i = non_visible_hash_end - 32; i < non_visible_hash_end; ++i) {
    Bytes mutated = bytes;
    mutated[i] = 0x01;
    CheckParseRefuses(mutated, "nonVisible hash byte after flag 0");
  }
  // Flag 1 with a zero hash is a legitimate (if improbable) SHA-256 value.
  RawFields raw;
  raw.non_visible_flag = 1;
  const Result<SignedData> parsed = ParseSignedData(RawEncode(data, raw));
  REQUIRE(parsed.ok());
  CHECK(parsed->non_visible_data_hash == crypto::Sha256Digest{});
}

TEST_CASE("ParseSignedData: a length prefix running past the end") {
  const Bytes bytes = SerializeSignedData(Sample()).value();
  const size_t order_ref_length = 19 + 2;  // after context, version, action
  for (uint16_t length : {37, 0x100, 0x7fff, 0xffff}) {
    Bytes mutated = bytes;
    mutated[order_ref_length] = static_cast<uint8_t>(length >> 8);
    mutated[order_ref_length + 1] = static_cast<uint8_t>(length);
    CheckParseRefuses(mutated, "orderRef length " + std::to_string(length));
  }
  // The last str16 (start) claiming one byte more than is left.
  SignedData data = Sample();
  Bytes tail = RawEncode(data);
  tail.resize(19 + 2 + 2 + 36 + 32 + 2 + data.rp_id.size() + 2 + data.rp_name.size() + 2 + 32);
  Put16(tail, 999);
  CheckParseRefuses(tail, "start length past the end");
}

// ---------------------------------------------------------------------------------------
// Field bounds: both sides

TEST_CASE("Both sides refuse a bad orderRef or challenge") {
  const auto with_order_ref = [](std::string value) {
    SignedData data = Sample();
    data.order_ref = std::move(value);
    return data;
  };
  CheckBothRefuse(with_order_ref(""), "empty orderRef");
  CheckBothRefuse(with_order_ref("131daac9-16c6-4618-beb0-365768f3728"), "35 bytes");
  CheckBothRefuse(with_order_ref("131daac9-16c6-4618-beb0-365768f372880"), "37 bytes");
  CheckBothRefuse(with_order_ref("131DAAC9-16C6-4618-BEB0-365768F37288"), "upper case");
  CheckBothRefuse(with_order_ref("131daac9-16c6-1618-beb0-365768f37288"), "not v4");
  CheckBothRefuse(with_order_ref(std::string(36, 'x')), "not a UUID");

  for (size_t size : {0, 31, 33, 64}) {
    SignedData data = Sample();
    data.challenge = Bytes(size, 7);
    INFO("challenge size ", size);
    const Result<Bytes> serialized = SerializeSignedData(data);
    REQUIRE_FALSE(serialized.ok());
    CHECK(serialized.error().code == "invalidParameters");
    // The wire challenge has a fixed size, so a wrong one shows up as misaligned fields.
    CheckParseRefuses(RawEncode(data), "challenge size");
  }
}

TEST_CASE("Both sides refuse an empty or over-long rpId, rpName or start") {
  SignedData data = Sample();
  data.rp_id = "";
  CheckBothRefuse(data, "empty rpId");
  data.rp_id = std::string(kMaxRpIdBytes + 1, 'r');
  CheckBothRefuse(data, "65-byte rpId");

  data = Sample();
  data.rp_name = "";
  CheckBothRefuse(data, "empty rpName");
  data.rp_name = std::string(kMaxRpNameBytes + 1, 'n');
  CheckBothRefuse(data, "257-byte rpName");
  data.rp_name = std::string(kMaxRpNameBytes - 1, 'n') + "\xc3\xa4";  // 257 bytes, 256 chars
  CheckBothRefuse(data, "257 bytes in 256 characters");

  data = Sample();
  data.start = "";
  CheckBothRefuse(data, "empty start");
  data.start = std::string(kMaxStartBytes + 1, 's');
  CheckBothRefuse(data, "257-byte start");
  data.start = std::string(0x10000, 's');  // would not even fit the u16 length
  const Result<Bytes> huge = SerializeSignedData(data);
  REQUIRE_FALSE(huge.ok());
  CHECK(huge.error().code == "invalidParameters");
}

TEST_CASE("Both sides refuse ill-formed UTF-8 in rpName") {
  for (std::string_view bad : {"\x80", "a\xbf", "\xc0\xaf", "\xc1\x81", "\xe0\x80\xaf",
                               "\xed\xa0\x80",      // UTF-16 surrogate D800
                               "\xf4\x90\x80\x80",  // above U+10FFFF
                               "\xf5\x80\x80\x80", "\xff", "\xe2\x82", "Kommun\xc3"}) {
    SignedData data = Sample();
    data.rp_name = std::string(bad);
    CheckBothRefuse(data, "rpName " + HexEncode(AsBytes(bad)));
  }
}

TEST_CASE("Both sides refuse non-printable ASCII in start") {
  const std::vector<std::string> bad_starts = {
      std::string(1, '\0'), "\t", "\n", "\x1f", "\x7f", "\x80", "tillit.\xc3\xa4", "tillit.x\r\n"};
  for (const std::string& bad : bad_starts) {
    SignedData data = Sample();
    data.start = bad;
    CheckBothRefuse(data, "start " + HexEncode(AsBytes(bad)));
  }
}

TEST_CASE("Both sides refuse a credentialSerial that is not 32 lower-case hex") {
  for (std::string_view bad :
       {"", "0123456789abcdef0123456789abcde", "0123456789abcdef0123456789abcdef0",
        "0123456789ABCDEF0123456789ABCDEF", "0123456789abcdef0123456789abcdeg",
        "0123456789abcdef 123456789abcdef"}) {
    SignedData data = Sample();
    data.credential_serial = std::string(bad);
    CheckBothRefuse(data, "serial " + std::string(bad));
  }
}

// ---------------------------------------------------------------------------------------
// Robustness

TEST_CASE("ParseSignedData: random mutations never crash; accepted bytes re-serialize") {
  std::mt19937 rng(5);  // fixed seed: failures reproduce
  SignedData with_both = Sample();
  with_both.non_visible_data_hash = Digest("x");
  const std::vector<Bytes> seeds = {SerializeSignedData(Sample()).value(),
                                    SerializeSignedData(with_both).value()};
  int accepted = 0;
  for (int round = 0; round < 5000; ++round) {
    Bytes bytes = seeds[round % seeds.size()];
    const int edits = 1 + static_cast<int>(rng() % 3);
    for (int e = 0; e < edits && !bytes.empty(); ++e) {
      const size_t pos = rng() % bytes.size();
      switch (rng() % 5) {
        case 0:
          bytes[pos] = static_cast<uint8_t>(rng());
          break;
        case 1:
          bytes[pos] ^= static_cast<uint8_t>(1u << (rng() % 8));
          break;
        case 2:
          bytes.insert(bytes.begin() + static_cast<ptrdiff_t>(pos), static_cast<uint8_t>(rng()));
          break;
        case 3:
          bytes.erase(bytes.begin() + static_cast<ptrdiff_t>(pos));
          break;
        default:
          bytes.resize(pos);
          break;
      }
    }
    const Result<SignedData> parsed = ParseSignedData(bytes);
    if (!parsed.ok()) {
      CHECK(parsed.error().code == "invalidSignedData");
      continue;
    }
    ++accepted;
    const Result<Bytes> again = SerializeSignedData(*parsed);
    REQUIRE(again.ok());
    CHECK(*again == bytes);
  }
  CHECK(accepted > 0);
}
