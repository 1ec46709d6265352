// Tests for tillit/protocol/jws.h (docs/protocol.md §6): the RFC 8037 Appendix A vectors
// (A.1 key, A.3 thumbprint, A.4 JWS) for interoperability, round trips, and the attacks a
// JWS verifier must refuse: alg none, HMAC confusion, missing alg, crit, non-string or
// duplicate header members, wrong part count, padding, wrong kid, tampered payload or
// signature, bad JWKs. A mutation loop stands in for a fuzzer.
#include <doctest/doctest.h>

#include <random>
#include <string>

#include "protocol/json_string_object.h"
#include "tillit/bytes.h"
#include "tillit/crypto/ed25519.h"
#include "tillit/crypto/hash.h"
#include "tillit/crypto/secret.h"
#include "tillit/protocol/jws.h"

using namespace tillit;
using namespace tillit::crypto;
using namespace tillit::protocol;

namespace {

// RFC 8037 Appendix A.1 (private key d, public key x), A.3 (thumbprint), A.4 (JWS).
constexpr std::string_view kRfcD = "nWGxne_9WmC6hEr0kuwsxERJxWl7MmkZcDusAxyuf2A";
constexpr std::string_view kRfcX = "11qYAYKxCrfVS_7TyWQHOg7hcvPapiMlrwIaaPcHURo";
constexpr std::string_view kRfcThumbprint = "kPrK_qmxVWaYVA9wwBF6Iuo3vVzz7TxHCTwXBygrS4k";
constexpr std::string_view kRfcSigningInput =
    "eyJhbGciOiJFZERTQSJ9.RXhhbXBsZSBvZiBFZDI1NTE5IHNpZ25pbmc";
constexpr std::string_view kRfcSignature =
    "hgyY0il_MGCjP0JzlnLWG1PPOt7-09PGcvMg3AIbQR6dWbhijcNR4ki4iylGjg5BhVsPt9g7sVvpAr_MuM0KAg";

std::string B64(std::string_view text) { return Base64UrlEncode(AsBytes(text)); }

SigningKey RfcKey() {
  const Bytes seed = Base64UrlDecode(kRfcD).value();
  return SigningKey::FromSeed(SecretBytes::CopyFrom(seed, InsecureSecretAccess::Get())).value();
}

// A compact JWS with any header, signed with Ed25519 by `key`: lets a test put a bad header
// under a valid signature, so only the header rule can be what refuses it.
std::string SignWithHeader(const SigningKey& key, std::string_view header,
                           std::string_view payload) {
  const std::string input = B64(header) + "." + B64(payload);
  return input + "." + Base64UrlEncode(key.Sign(AsBytes(input)).bytes());
}

void CheckParseRefuses(std::string_view text, std::string_view why) {
  INFO(std::string(why));
  const Result<UnverifiedJws> jws = ParseCompactJws(text);
  REQUIRE_FALSE(jws.ok());
  CHECK(jws.error().code == "invalidJws");
}

void CheckHeaderRefused(std::string_view header) {
  CheckParseRefuses(SignWithHeader(RfcKey(), header, "{}"), header);
}

std::string VerifyError(std::string_view text, const VerifyingKey& key) {
  const Result<UnverifiedJws> jws = ParseCompactJws(text);
  if (!jws.ok()) return "parse:" + jws.error().code;
  const Result<Bytes> payload = VerifyCompactJws(*jws, key);
  return payload.ok() ? "ok" : payload.error().code;
}

}  // namespace

// ---------------------------------------------------------------------------------------
// RFC 8037 Appendix A

TEST_CASE("RFC 8037 A.1/A.3: the key's public part and thumbprint") {
  const SigningKey key = RfcKey();
  CHECK(Base64UrlEncode(key.verifying_key().bytes()) == kRfcX);
  CHECK(JwkThumbprint(key.verifying_key()) == kRfcThumbprint);
  CHECK(SerializePublicJwk(key.verifying_key()) ==
        R"({"kty":"OKP","crv":"Ed25519","x":"11qYAYKxCrfVS_7TyWQHOg7hcvPapiMlrwIaaPcHURo",)"
        R"("kid":"kPrK_qmxVWaYVA9wwBF6Iuo3vVzz7TxHCTwXBygrS4k","use":"sig","alg":"EdDSA"})");
}

TEST_CASE("RFC 8037 A.4: the signature over A.4's signing input is reproduced exactly") {
  CHECK(kRfcSigningInput == B64(R"({"alg":"EdDSA"})") + "." + B64("Example of Ed25519 signing"));
  const Signature signature = RfcKey().Sign(AsBytes(kRfcSigningInput));
  CHECK(Base64UrlEncode(signature.bytes()) == kRfcSignature);
}

TEST_CASE("RFC 8037 A.4/A.5: the JWS parses and verifies (a header without kid is fine)") {
  const std::string text = std::string(kRfcSigningInput) + "." + std::string(kRfcSignature);
  const Result<UnverifiedJws> jws = ParseCompactJws(text);
  REQUIRE(jws.ok());
  CHECK(jws->alg == "EdDSA");
  CHECK(jws->kid.empty());
  CHECK(jws->typ.empty());
  CHECK(AsString(jws->payload) == "Example of Ed25519 signing");
  CHECK(jws->signing_input == kRfcSigningInput);
  const VerifyingKey key = ParsePublicJwk("OKP", "Ed25519", kRfcX).value();
  const Result<Bytes> payload = VerifyCompactJws(*jws, key);
  REQUIRE(payload.ok());
  CHECK(AsString(*payload) == "Example of Ed25519 signing");
  // A.5: changing the payload invalidates the signature.
  CHECK(VerifyError(B64(R"({"alg":"EdDSA"})") + "." + B64("Example of Ed25519 signinG") + "." +
                        std::string(kRfcSignature),
                    key) == "invalidSignature");
}

// ---------------------------------------------------------------------------------------
// JWKs

TEST_CASE("ParsePublicJwk: accepts the RFC key, refuses wrong kty, crv or x") {
  const VerifyingKey key = ParsePublicJwk("OKP", "Ed25519", kRfcX).value();
  CHECK(key == RfcKey().verifying_key());

  const auto refuses = [](std::string_view kty, std::string_view crv, std::string_view x) {
    const Result<VerifyingKey> parsed = ParsePublicJwk(kty, crv, x);
    INFO(std::string(kty), " ", std::string(crv), " ", std::string(x));
    REQUIRE_FALSE(parsed.ok());
    CHECK(parsed.error().code == "invalidJwk");
  };
  for (std::string_view kty : {"", "EC", "RSA", "oct", "okp", "OKP "})
    refuses(kty, "Ed25519", kRfcX);
  for (std::string_view crv : {"", "X25519", "Ed448", "ed25519", "P-256"})
    refuses("OKP", crv, kRfcX);
  const std::string x(kRfcX);
  refuses("OKP", "Ed25519", "");
  refuses("OKP", "Ed25519", x.substr(0, 42));                                 // 31 bytes
  refuses("OKP", "Ed25519", Base64UrlEncode(Bytes(31, 1)));                   // short x
  refuses("OKP", "Ed25519", Base64UrlEncode(Bytes(33, 1)));                   // long x
  refuses("OKP", "Ed25519", x + "=");                                         // padded
  refuses("OKP", "Ed25519", Base64Encode(RfcKey().verifying_key().bytes()));  // std alphabet
  refuses("OKP", "Ed25519", x.substr(0, 42) + "p");  // non-zero unused bits
  // The identity point: a small-order key that VerifyingKey::Create refuses.
  Bytes identity(32, 0);
  identity[0] = 1;
  refuses("OKP", "Ed25519", Base64UrlEncode(identity));
}

// ---------------------------------------------------------------------------------------
// Round trip

TEST_CASE("SignCompactJws -> ParseCompactJws -> VerifyCompactJws") {
  const SigningKey key = SigningKey::Generate();
  const std::string payload = R"({"iss":"https://issuer.example","action":"auth"})";
  const std::string text = SignCompactJws(key, AsBytes(payload));

  const std::string header(AsString(Base64UrlDecode(text.substr(0, text.find('.'))).value()));
  CHECK(header ==
        R"({"alg":"EdDSA","kid":")" + JwkThumbprint(key.verifying_key()) + R"(","typ":"JWT"})");
  const Result<UnverifiedJws> jws = ParseCompactJws(text);
  REQUIRE(jws.ok());
  CHECK(jws->alg == "EdDSA");
  CHECK(jws->kid == JwkThumbprint(key.verifying_key()));
  CHECK(jws->typ == "JWT");
  CHECK(AsString(jws->payload) == payload);
  CHECK(jws->signing_input + "." + Base64UrlEncode(jws->signature) == text);
  const Result<Bytes> verified = VerifyCompactJws(*jws, key.verifying_key());
  REQUIRE(verified.ok());
  CHECK(AsString(*verified) == payload);

  // Any bytes are signed as given, including none.
  const std::string empty = SignCompactJws(key, {});
  CHECK(VerifyError(empty, key.verifying_key()) == "ok");
  const Bytes binary = {0, 0xff, '.', '"'};
  const Result<UnverifiedJws> bin = ParseCompactJws(SignCompactJws(key, binary));
  REQUIRE(bin.ok());
  CHECK(VerifyCompactJws(*bin, key.verifying_key()).value() == binary);
}

// ---------------------------------------------------------------------------------------
// Algorithm attacks

TEST_CASE("alg none is refused, with or without a signature") {
  const SigningKey key = RfcKey();
  const std::string none_header = R"({"alg":"none"})";
  const std::string unsigned_jws = B64(none_header) + "." + B64("{}") + ".";
  CheckParseRefuses(unsigned_jws, "alg none, empty signature part");
  // With a (valid Ed25519) signature it parses, but alg is not EdDSA.
  CHECK(VerifyError(SignWithHeader(key, none_header, "{}"), key.verifying_key()) == "invalidJws");
  CHECK(VerifyError(SignWithHeader(key, R"({"alg":"None"})", "{}"), key.verifying_key()) ==
        "invalidJws");
}

TEST_CASE("HS256 with the public key as HMAC key (algorithm confusion) is refused") {
  const SigningKey key = RfcKey();
  const std::string header =
      R"({"alg":"HS256","kid":")" + JwkThumbprint(key.verifying_key()) + R"(","typ":"JWT"})";
  const std::string input = B64(header) + "." + B64(R"({"sub":"attacker"})");
  const Sha256Digest mac = HmacSha256(key.verifying_key().bytes(), AsBytes(input));
  CHECK(VerifyError(input + "." + Base64UrlEncode(mac), key.verifying_key()) == "invalidJws");
  // Even correctly signed with Ed25519, a header claiming another alg is refused.
  CHECK(VerifyError(SignWithHeader(key, header, "{}"), key.verifying_key()) == "invalidJws");
  for (std::string_view alg : {"ES256", "RS256", "Ed25519", "eddsa", "EdDSA ", ""}) {
    const std::string h = R"({"alg":")" + std::string(alg) + R"("})";
    INFO(h);
    CHECK(VerifyError(SignWithHeader(key, h, "{}"), key.verifying_key()) == "invalidJws");
  }
}

// ---------------------------------------------------------------------------------------
// Header rules

TEST_CASE("Header: alg missing, crit, non-string or duplicate members are refused") {
  CheckHeaderRefused(R"({})");
  CheckHeaderRefused(R"({"kid":"x","typ":"JWT"})");
  CheckHeaderRefused(R"({"ALG":"EdDSA"})");
  CheckHeaderRefused(R"({"alg":"EdDSA","crit":"exp"})");
  CheckHeaderRefused(R"({"alg":"EdDSA","crit":["exp"],"exp":"1"})");
  CheckHeaderRefused(R"({"alg":"EdDSA","b64":false})");
  CheckHeaderRefused(R"({"alg":"EdDSA","x":1})");
  CheckHeaderRefused(R"({"alg":"EdDSA","x":null})");
  CheckHeaderRefused(R"({"alg":"EdDSA","x":true})");
  CheckHeaderRefused(R"({"alg":"EdDSA","jwk":{}})");
  CheckHeaderRefused(R"({"alg":["EdDSA"]})");
  CheckHeaderRefused(R"({"alg":"EdDSA","alg":"EdDSA"})");
  CheckHeaderRefused(R"({"alg":"EdDSA","kid":"a","kid":"b"})");
  CheckHeaderRefused(R"({"alg":"EdDSA","\u0061lg":"none"})");  // duplicate after unescaping
  CheckHeaderRefused(R"({"alg":"EdDSA","kid":""})");           // empty kid would read as "no kid"
  CheckHeaderRefused(R"({"alg":"EdDSA","typ":""})");
  CheckHeaderRefused(R"(["alg","EdDSA"])");
  CheckHeaderRefused(R"("alg")");
  CheckHeaderRefused(R"({"alg":"EdDSA"} )"
                     "x");
  CheckHeaderRefused(R"({"alg":"EdDSA"}{})");
  CheckHeaderRefused(R"({"alg":"EdDSA",})");
  CheckHeaderRefused(R"({"alg":"EdDSA" "kid":"x"})");
  CheckHeaderRefused(R"({"alg" "EdDSA"})");
  CheckHeaderRefused(R"({alg:"EdDSA"})");
  CheckHeaderRefused(R"({'alg':'EdDSA'})");
  CheckHeaderRefused(R"({"alg":"EdDSA")");
  CheckHeaderRefused("");
  CheckHeaderRefused("\xef\xbb\xbf{\"alg\":\"EdDSA\"}");  // byte-order mark
}

TEST_CASE("Header: JSON string escapes and whitespace follow RFC 8259 strictly") {
  const SigningKey key = RfcKey();
  const auto accepts = [&](std::string_view header) {
    INFO(std::string(header));
    return VerifyError(SignWithHeader(key, header, "{}"), key.verifying_key()) == "ok";
  };
  CHECK(accepts(" \t\r\n{ \"alg\" : \"EdDSA\" , \"typ\" : \"JWT\" }\n"));
  CHECK(accepts(R"({"alg":"\u0045dDSA"})"));  // an escape spelling EdDSA
  CHECK(accepts(R"({"alg":"EdDSA","cty":"x\"\\\/\b\f\n\r\t\u00e9\uD83D\uDE00y"})"));
  CHECK(accepts(R"({"alg":"EdDSA","x-unknown":"members are allowed"})"));
  CHECK(accepts("{\"alg\":\"EdDSA\",\"n\":\"\xc3\xa4\xf0\x9f\x98\x80\"}"));  // raw UTF-8

  CheckHeaderRefused(R"({"alg":"EdDSA","x":"\x41"})");
  CheckHeaderRefused(R"({"alg":"EdDSA","x":"\'"})");
  CheckHeaderRefused(R"({"alg":"EdDSA","x":"\u004"})");
  CheckHeaderRefused(R"({"alg":"EdDSA","x":"\u00G1"})");
  CheckHeaderRefused(R"({"alg":"EdDSA","x":"\uD83D"})");  // lone high surrogate
  CheckHeaderRefused(R"({"alg":"EdDSA","x":"\uD83Dx"})");
  CheckHeaderRefused(R"({"alg":"EdDSA","x":"\uD83D\u0041"})");  // high + non-low
  CheckHeaderRefused(R"({"alg":"EdDSA","x":"\uDE00"})");        // lone low surrogate
  CheckHeaderRefused(R"({"alg":"EdDSA","x":"abc\"})");
  CheckHeaderRefused("{\"alg\":\"EdDSA\",\"x\":\"a\nb\"}");  // raw control character
  CheckHeaderRefused(
      "{\"alg\":\"EdDSA\",\"x\":\"a\x01"
      "b\"}");
  CheckHeaderRefused("{\"alg\":\"EdDSA\",\"x\":\"\xc3\"}");  // ill-formed UTF-8
  CheckHeaderRefused("{\"alg\":\"EdDSA\",\"x\":\"\xed\xa0\x80\"}");
  CheckHeaderRefused("{\"alg\":\"EdDSA\"}\f");        // form feed is not JSON space
  CheckHeaderRefused("{\"alg\":\"EdDSA\"\xc2\xa0}");  // NBSP is not JSON space
}

TEST_CASE("ParseJsonStringObject returns the unescaped members") {
  const auto parsed =
      protocol::internal::ParseJsonStringObject(R"({"a":"\u00e9\uD83D\uDE00","b":"","c\n":"\/"})");
  REQUIRE(parsed.ok());
  CHECK(parsed->size() == 3);
  CHECK(parsed->at("a") == "\xc3\xa9\xf0\x9f\x98\x80");
  CHECK(parsed->at("b").empty());
  CHECK(parsed->at("c\n") == "/");
  CHECK(protocol::internal::ParseJsonStringObject("{}").value().empty());
  CHECK(protocol::internal::ParseJsonStringObject(R"({"z":"\u0000"})").value().at("z") ==
        std::string(1, '\0'));
  CHECK(protocol::internal::ParseJsonStringObject(R"({"a":"1","a":"1"})").error().code ==
        "invalidJson");
}

// ---------------------------------------------------------------------------------------
// Compact serialization rules

TEST_CASE("Exactly three parts, strict unpadded base64url, non-empty signature") {
  const SigningKey key = RfcKey();
  const std::string text = SignCompactJws(key, AsBytes(std::string_view("{}")));
  const size_t first = text.find('.');
  const size_t second = text.find('.', first + 1);
  const std::string header = text.substr(0, first);
  const std::string payload = text.substr(first + 1, second - first - 1);
  const std::string signature = text.substr(second + 1);

  CheckParseRefuses(header + "." + payload, "2 parts");
  CheckParseRefuses(text + "." + signature, "4 parts");
  CheckParseRefuses(text + ".", "4 parts, last empty");
  CheckParseRefuses("." + text, "leading dot");
  CheckParseRefuses(header + "." + payload + ".", "empty signature");
  CheckParseRefuses("", "empty");
  CheckParseRefuses("..", "all empty");
  CheckParseRefuses(header, "1 part");

  // Padding, other alphabets and whitespace in each part.
  REQUIRE(signature.size() % 4 != 0);  // 64 bytes -> 86 chars: padding would be "=="
  CheckParseRefuses(header + "." + payload + "." + signature + "==", "padded signature");
  CheckParseRefuses(header + "=." + payload + "." + signature, "padded header");
  CheckParseRefuses(header + "." + payload + "=." + signature, "padded payload");
  CheckParseRefuses(header + "." + payload + "." + Base64Encode(key.Sign(AsBytes(header)).bytes()),
                    "standard base64 signature");
  CheckParseRefuses(header + " ." + payload + "." + signature, "space");
  CheckParseRefuses(header + "." + payload + "." + signature + "\n", "trailing newline");
  CheckParseRefuses(" " + text, "leading space");
  CheckParseRefuses(header + "." + payload + "." + signature.substr(0, 85) + "h",
                    "non-zero unused bits in the signature");

  // Oversize input is refused before it is decoded.
  CheckParseRefuses(header + "." + std::string(kMaxJwsBytes, 'A') + "." + signature, "oversize");
}

TEST_CASE("Wrong key: kid mismatch is invalidJws; without kid the signature fails") {
  const SigningKey signer = RfcKey();
  const SigningKey other = SigningKey::Generate();
  const std::string text = SignCompactJws(signer, AsBytes(std::string_view("{}")));
  CHECK(VerifyError(text, signer.verifying_key()) == "ok");
  CHECK(VerifyError(text, other.verifying_key()) == "invalidJws");

  const std::string no_kid = SignWithHeader(signer, R"({"alg":"EdDSA"})", "{}");
  CHECK(VerifyError(no_kid, signer.verifying_key()) == "ok");
  CHECK(VerifyError(no_kid, other.verifying_key()) == "invalidSignature");

  // A header naming the verifier's kid does not help a signature by another key.
  const std::string lying_kid = SignWithHeader(
      signer, R"({"alg":"EdDSA","kid":")" + JwkThumbprint(other.verifying_key()) + R"("})", "{}");
  CHECK(VerifyError(lying_kid, other.verifying_key()) == "invalidSignature");
  CHECK(VerifyError(lying_kid, signer.verifying_key()) == "invalidJws");
}

TEST_CASE("Tampered payload, header or signature") {
  const SigningKey key = RfcKey();
  const VerifyingKey& pub = key.verifying_key();
  const std::string text = SignCompactJws(key, AsBytes(std::string_view(R"({"sub":"alice"})")));
  const size_t first = text.find('.');
  const size_t second = text.find('.', first + 1);

  std::string swapped = text;
  swapped.replace(first + 1, second - first - 1, B64(R"({"sub":"mallory"})"));
  CHECK(VerifyError(swapped, pub) == "invalidSignature");

  // Every character of the text replaced by another base64url character: either the part
  // no longer decodes, or the header rules refuse it, or the signature fails.
  for (size_t i = 0; i < text.size(); ++i) {
    if (text[i] == '.') continue;
    std::string mutated = text;
    mutated[i] = mutated[i] == 'A' ? 'B' : 'A';
    const std::string result = VerifyError(mutated, pub);
    INFO("position ", i, " -> ", result);
    CHECK(result != "ok");
  }

  // Signatures of the wrong length are not signatures.
  const Result<UnverifiedJws> jws = ParseCompactJws(text);
  REQUIRE(jws.ok());
  for (size_t size : {1, 63, 65, 128}) {
    UnverifiedJws wrong = *jws;
    wrong.signature.resize(size, 0);
    CHECK(VerifyCompactJws(wrong, pub).error().code == "invalidSignature");
  }
}

TEST_CASE("VerifyCompactJws returns only signed bytes, even for a hand-built struct") {
  const SigningKey key = RfcKey();
  const UnverifiedJws jws =
      ParseCompactJws(SignCompactJws(key, AsBytes(std::string_view("signed")))).value();
  REQUIRE(VerifyCompactJws(jws, key.verifying_key()).ok());

  UnverifiedJws other_payload = jws;
  other_payload.payload = ToBytes("not signed");
  CHECK(VerifyCompactJws(other_payload, key.verifying_key()).error().code == "invalidJws");
  UnverifiedJws other_kid = jws;
  other_kid.kid.clear();
  CHECK(VerifyCompactJws(other_kid, key.verifying_key()).error().code == "invalidJws");
  UnverifiedJws other_input = jws;
  other_input.signing_input += "x";
  CHECK_FALSE(VerifyCompactJws(other_input, key.verifying_key()).ok());
}

TEST_CASE("ParseCompactJws: random mutations never crash; accepted text re-assembles") {
  std::mt19937 rng(8037);  // fixed seed: failures reproduce
  const SigningKey key = RfcKey();
  const std::string base = SignCompactJws(key, AsBytes(std::string_view(R"({"a":"b"})")));
  const std::string alphabet =
      "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_.=+/ ";
  int accepted = 0;
  for (int round = 0; round < 5000; ++round) {
    std::string text = base;
    const int edits = 1 + static_cast<int>(rng() % 3);
    for (int e = 0; e < edits && !text.empty(); ++e) {
      const size_t pos = rng() % text.size();
      switch (rng() % 4) {
        case 0:
          text[pos] = alphabet[rng() % alphabet.size()];
          break;
        case 1:
          text.insert(pos, 1, alphabet[rng() % alphabet.size()]);
          break;
        case 2:
          text.erase(pos, 1);
          break;
        default:
          text[pos] = static_cast<char>(rng());
          break;
      }
    }
    const Result<UnverifiedJws> jws = ParseCompactJws(text);
    if (!jws.ok()) {
      CHECK(jws.error().code == "invalidJws");
      continue;
    }
    ++accepted;
    CHECK(jws->signing_input + "." + Base64UrlEncode(jws->signature) == text);
    const Result<Bytes> verified = VerifyCompactJws(*jws, key.verifying_key());
    CHECK(verified.ok() == (text == base));
  }
  CHECK(accepted > 0);
}
