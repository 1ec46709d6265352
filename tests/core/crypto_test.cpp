// Tests for tillit/crypto: known answers (FIPS 180-2 SHA-256, RFC 4231 HMAC, RFC 8032
// Ed25519) and, in the style of libsodium's test/default/sign.c, the attacks that must fail:
// flipped bits in every position, truncation, trailing bytes, malleated S, wrong key,
// wrong message or associated data. The Wycheproof vectors are in crypto_wycheproof_test.cpp.
#include <doctest/doctest.h>

#include <algorithm>
#include <ostream>
#include <set>
#include <type_traits>

#include "crypto/aead_internal.h"
#include "tillit/bytes.h"
#include "tillit/crypto/aead.h"
#include "tillit/crypto/compare.h"
#include "tillit/crypto/ed25519.h"
#include "tillit/crypto/hash.h"
#include "tillit/crypto/random.h"
#include "tillit/crypto/secret.h"

using namespace tillit;
using namespace tillit::crypto;

namespace {

Bytes H(std::string_view hex) { return HexDecode(hex).value(); }
std::string Hex(ByteView b) { return HexEncode(b); }
InsecureSecretAccess Access() { return InsecureSecretAccess::Get(); }

template <typename T>
concept Printable = requires(std::ostream& os, const T& t) {
  os << t;
};

}  // namespace

// ---------------------------------------------------------------------------------------
// SecretBytes

static_assert(!std::is_copy_constructible_v<SecretBytes>);
static_assert(!std::is_copy_assignable_v<SecretBytes>);
static_assert(std::is_nothrow_move_constructible_v<SecretBytes>);
static_assert(std::is_nothrow_move_assignable_v<SecretBytes>);
static_assert(!Printable<SecretBytes>);
static_assert(!std::is_convertible_v<size_t, SecretBytes>);  // explicit

TEST_CASE("SecretBytes: sized constructor zero-fills; default is empty") {
  const SecretBytes zeros(16);
  CHECK(zeros.size() == 16);
  CHECK_FALSE(zeros.empty());
  const ByteView view = zeros.Expose(Access());
  CHECK(std::all_of(view.begin(), view.end(), [](uint8_t b) { return b == 0; }));

  const SecretBytes none;
  CHECK(none.empty());
  CHECK(none.size() == 0);
  CHECK(none.Expose(Access()).empty());
}

TEST_CASE("SecretBytes: CopyFrom copies; ExposeMutable writes") {
  const Bytes data = ToBytes("correct horse battery staple");
  SecretBytes secret = SecretBytes::CopyFrom(data, Access());
  CHECK(Bytes(secret.Expose(Access()).begin(), secret.Expose(Access()).end()) == data);
  secret.ExposeMutable(Access())[0] = 'C';
  CHECK(secret.Expose(Access())[0] == 'C');
  CHECK(data[0] == 'c');  // the source is not aliased
}

TEST_CASE("SecretBytes: a moved-from secret is empty and holds nothing") {
  const Bytes data = ToBytes("0123456789abcdef");
  SecretBytes a = SecretBytes::CopyFrom(data, Access());

  SecretBytes b = std::move(a);
  CHECK(a.empty());  // NOLINT(bugprone-use-after-move): the moved-from state is the contract
  CHECK(a.size() == 0);
  CHECK(a.Expose(Access()).empty());
  CHECK(a.Expose(Access()).data() == nullptr);
  CHECK(b.size() == data.size());
  CHECK(std::equal(data.begin(), data.end(), b.Expose(Access()).begin()));

  SecretBytes c = SecretBytes::CopyFrom(ToBytes("previous"), Access());
  c = std::move(b);
  CHECK(b.empty());  // NOLINT(bugprone-use-after-move)
  CHECK(b.Expose(Access()).data() == nullptr);
  CHECK(std::equal(data.begin(), data.end(), c.Expose(Access()).begin()));
  CHECK(c.size() == data.size());

  SecretBytes& alias = c;  // a self-move (via a reference) leaves the contents alone
  c = std::move(alias);
  CHECK(c.size() == data.size());
  CHECK(std::equal(data.begin(), data.end(), c.Expose(Access()).begin()));
}

TEST_CASE("SecretBytes: equality compares contents and length") {
  const auto a = SecretBytes::CopyFrom(ToBytes("secret value"), Access());
  const auto same = SecretBytes::CopyFrom(ToBytes("secret value"), Access());
  const auto other = SecretBytes::CopyFrom(ToBytes("secret valuf"), Access());
  const auto prefix = SecretBytes::CopyFrom(ToBytes("secret valu"), Access());
  CHECK(a == same);
  CHECK_FALSE(a == other);
  CHECK(a != other);
  CHECK_FALSE(a == prefix);
  CHECK_FALSE(prefix == a);
  CHECK(SecretBytes() == SecretBytes(0));
  CHECK_FALSE(SecretBytes() == SecretBytes(1));
  CHECK(SecretBytes(4) == SecretBytes::CopyFrom(Bytes(4, 0), Access()));
}

// ---------------------------------------------------------------------------------------
// Randomness and comparison

TEST_CASE("RandomBytes / RandomSecret: requested lengths, distinct outputs") {
  for (size_t n : {0, 1, 16, 24, 32, 1000}) {
    CHECK(RandomBytes(n).size() == n);
    CHECK(RandomSecret(n).size() == n);
  }
  CHECK(RandomBytes(32) != RandomBytes(32));
  CHECK_FALSE(RandomSecret(32) == RandomSecret(32));
  const Bytes zeros(32, 0);
  CHECK(RandomBytes(32) != zeros);
}

TEST_CASE("RandomUniform: stays below the bound and reaches every value") {
  CHECK(RandomUniform(1) == 0);
  std::set<uint32_t> seen;
  for (int i = 0; i < 2000; ++i) {
    const uint32_t r = RandomUniform(10);
    REQUIRE(r < 10);
    seen.insert(r);
  }
  CHECK(seen.size() == 10);  // misses a value with probability < 1e-90
  for (int i = 0; i < 100; ++i) CHECK(RandomUniform(0xffffffffu) < 0xffffffffu);
}

TEST_CASE("ConstantTimeEquals") {
  CHECK(ConstantTimeEquals(ToBytes("abc"), ToBytes("abc")));
  CHECK_FALSE(ConstantTimeEquals(ToBytes("abc"), ToBytes("abd")));
  CHECK_FALSE(ConstantTimeEquals(ToBytes("abc"), ToBytes("ab")));
  CHECK_FALSE(ConstantTimeEquals(ToBytes("ab"), ToBytes("abc")));
  CHECK_FALSE(ConstantTimeEquals(ToBytes(""), ToBytes("a")));
  CHECK(ConstantTimeEquals(ByteView(), ByteView()));
  Bytes a = RandomBytes(64);
  for (size_t i = 0; i < a.size(); ++i) {
    Bytes b = a;
    b[i] ^= 0x80;
    CHECK_FALSE(ConstantTimeEquals(a, b));
  }
}

// ---------------------------------------------------------------------------------------
// SHA-256 and HMAC-SHA-256

TEST_CASE("SHA-256: FIPS 180-2 known answers") {
  CHECK(Hex(Sha256(ToBytes(""))) ==
        "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855");
  CHECK(Hex(Sha256(ToBytes("abc"))) ==
        "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad");
  CHECK(Hex(Sha256(ToBytes("abcdbcdecdefdefgefghfghighijhijkijkljklmklmnlmnomnopnopq"))) ==
        "248d6a61d20638b8e5c026930c3e6039a33ce45964ff2167f6ecedd419db06c1");
}

TEST_CASE("SHA-256: streaming equals one-shot for every split and byte-at-a-time") {
  const Bytes message = RandomBytes(200);  // spans several 64-byte blocks
  const Sha256Digest expected = Sha256(message);
  const ByteView view = message;
  for (size_t split = 0; split <= message.size(); ++split) {
    Sha256Hasher hasher;
    hasher.Update(view.first(split));
    hasher.Update(view.subspan(split));
    CHECK(hasher.Finish() == expected);
  }
  Sha256Hasher bytewise;
  for (uint8_t b : message) bytewise.Update(ByteView(&b, 1));
  CHECK(bytewise.Finish() == expected);

  Sha256Hasher empty;
  CHECK(Hex(empty.Finish()) == "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855");

  Sha256Hasher moved_from;
  moved_from.Update(ToBytes("ab"));
  Sha256Hasher moved = std::move(moved_from);
  moved.Update(ToBytes("c"));
  CHECK(moved.Finish() == Sha256(ToBytes("abc")));
}

TEST_CASE("HMAC-SHA-256: RFC 4231 test cases 1, 2 and 6") {
  // Test case 1: 20-byte key of 0x0b.
  CHECK(Hex(HmacSha256(Bytes(20, 0x0b), ToBytes("Hi There"))) ==
        "b0344c61d8db38535ca8afceaf0bf12b881dc200c9833da726e9376c2e32cff7");
  // Test case 2: a key shorter than the output.
  CHECK(Hex(HmacSha256(ToBytes("Jefe"), ToBytes("what do ya want for nothing?"))) ==
        "5bdcc146bf60754e6a042426089575c75a003f089d2739839dec58b964ec3843");
  // Test case 6: a 131-byte key, longer than the block, is hashed first.
  CHECK(Hex(HmacSha256(Bytes(131, 0xaa),
                       ToBytes("Test Using Larger Than Block-Size Key - Hash Key First"))) ==
        "60e431591ee0b67f0d8a26aacbf5b77f8e0bc6213728c5140546040f0ee37f54");
  // Empty key and message (an empty span may carry nullptr; libsodium wants non-null).
  CHECK(Hex(HmacSha256(ByteView(), ByteView())) ==
        "b613679a0814d9ec772f95d778c35fc5ff1697c493715653c6c712144292c5ad");
}

TEST_CASE("VerifyHmacSha256: accepts the tag, rejects every modification") {
  const Bytes key = RandomBytes(32);
  const Bytes message = ToBytes("challenge-response");
  const Sha256Digest mac = HmacSha256(key, message);
  const Bytes tag(mac.begin(), mac.end());
  CHECK(VerifyHmacSha256(key, message, tag).ok());

  for (size_t i = 0; i < tag.size(); ++i) {
    for (int bit = 0; bit < 8; ++bit) {
      Bytes flipped = tag;
      flipped[i] ^= static_cast<uint8_t>(1 << bit);
      const auto status = VerifyHmacSha256(key, message, flipped);
      REQUIRE_FALSE(status.ok());
      CHECK(status.error().code == "invalidMac");
    }
  }
  const ByteView view = tag;
  CHECK_FALSE(VerifyHmacSha256(key, message, view.first(16)).ok());  // truncated
  CHECK_FALSE(VerifyHmacSha256(key, message, view.first(31)).ok());
  CHECK_FALSE(VerifyHmacSha256(key, message, ByteView()).ok());
  Bytes trailing = tag;
  trailing.push_back(0);
  CHECK_FALSE(VerifyHmacSha256(key, message, trailing).ok());
  CHECK_FALSE(VerifyHmacSha256(RandomBytes(32), message, tag).ok());  // wrong key
  CHECK_FALSE(VerifyHmacSha256(key, ToBytes("challenge-responsf"), tag).ok());
  CHECK_FALSE(VerifyHmacSha256(key, ToBytes("challenge-response "), tag).ok());
}

// ---------------------------------------------------------------------------------------
// Ed25519

static_assert(!std::is_copy_constructible_v<SigningKey>);
static_assert(std::is_nothrow_move_constructible_v<SigningKey>);

namespace {
// RFC 8032 §7.1, TEST 1 and TEST 2.
constexpr std::string_view kSeed1 =
    "9d61b19deffd5a60ba844af492ec2cc44449c5697b326919703bac031cae7f60";
constexpr std::string_view kPublic1 =
    "d75a980182b10ab7d54bfed3c964073a0ee172f3daa62325af021a68f707511a";
constexpr std::string_view kSignature1 =
    "e5564300c360ac729086e2cc806e828a84877f1eb8e5d974d873e06522490155"
    "5fb8821590a33bacc61e39701cf9b46bd25bf5f0595bbe24655141438e7a100b";
constexpr std::string_view kSeed2 =
    "4ccd089b28ff96da9db6c346ec114e0f5b8a319f35aba624da8cf6ed4fb8a6fb";
constexpr std::string_view kPublic2 =
    "3d4017c3e843895a92b70aa74d1b7ebc9c982ccf2ec4968cc0cd55f12af4660c";
constexpr std::string_view kSignature2 =
    "92a009a9f0d4cab8720e820b5f642540a2b27b5416503f8fb3762223ebdb69da"
    "085ac1e43e15996e458f3613d0f11d8c387b2eaeb4302aeeb00d291612bb0c00";

SigningKey KeyFromSeed(std::string_view seed_hex) {
  return SigningKey::FromSeed(SecretBytes::CopyFrom(H(seed_hex), Access())).value();
}
}  // namespace

TEST_CASE("Ed25519: RFC 8032 known answers") {
  const SigningKey key1 = KeyFromSeed(kSeed1);
  CHECK(Hex(key1.verifying_key().bytes()) == kPublic1);
  const Signature sig1 = key1.Sign(ByteView());
  CHECK(Hex(sig1.bytes()) == kSignature1);
  CHECK(key1.verifying_key().Verify(ByteView(), sig1).ok());

  const SigningKey key2 = KeyFromSeed(kSeed2);
  CHECK(Hex(key2.verifying_key().bytes()) == kPublic2);
  const Bytes message2 = {0x72};
  CHECK(Hex(key2.Sign(message2).bytes()) == kSignature2);
  const auto public2 = VerifyingKey::Create(H(kPublic2));
  REQUIRE(public2.ok());
  CHECK(*public2 == key2.verifying_key());
  CHECK(public2->Verify(message2, Signature::Parse(H(kSignature2)).value()).ok());
}

TEST_CASE("Ed25519: Generate, sign, verify, and the seed round trip") {
  const SigningKey key = SigningKey::Generate();
  const Bytes message = ToBytes("tillit login v1");
  const Signature signature = key.Sign(message);
  CHECK(key.verifying_key().Verify(message, signature).ok());
  CHECK(key.Sign(message) == signature);  // deterministic (RFC 8032 §5.1.6)

  const SecretBytes& seed = key.seed(Access());
  CHECK(seed.size() == SigningKey::kSeedSize);
  const SigningKey again = SigningKey::FromSeed(seed).value();
  CHECK(again.verifying_key() == key.verifying_key());
  CHECK(again.seed(Access()) == seed);

  CHECK_FALSE(SigningKey::Generate().verifying_key() == key.verifying_key());

  SigningKey moved = SigningKey::Generate();
  const VerifyingKey public_key = moved.verifying_key();
  SigningKey target = std::move(moved);
  CHECK(public_key.Verify(message, target.Sign(message)).ok());
}

TEST_CASE("Ed25519: FromSeed needs exactly 32 bytes") {
  for (size_t n : {0, 31, 33, 64}) {
    const auto key = SigningKey::FromSeed(SecretBytes(n));
    REQUIRE_FALSE(key.ok());
    CHECK(key.error().code == "invalidLength");
  }
}

TEST_CASE("Ed25519: a flipped bit anywhere in the signature is rejected") {
  const SigningKey key = SigningKey::Generate();
  const Bytes message = ToBytes("message");
  const Signature signature = key.Sign(message);
  const Bytes good(signature.bytes().begin(), signature.bytes().end());
  for (size_t i = 0; i < good.size(); ++i) {
    for (int bit = 0; bit < 8; ++bit) {
      Bytes bad = good;
      bad[i] ^= static_cast<uint8_t>(1 << bit);
      const auto status = key.verifying_key().Verify(message, Signature::Parse(bad).value());
      INFO("byte " << i << " bit " << bit);
      REQUIRE_FALSE(status.ok());
      CHECK(status.error().code == "invalidSignature");
    }
  }
}

TEST_CASE("Ed25519: S + L (same scalar mod L) is rejected (RFC 8032 §5.1.7)") {
  // L = 2^252 + 27742317777372353535851937790883648493, little-endian.
  const Bytes order = H("edd3f55c1a631258d69cf7a2def9de1400000000000000000000000000000010");
  const SigningKey key = SigningKey::Generate();
  const Bytes message = ToBytes("malleate me");
  const Signature signature = key.Sign(message);
  Bytes malleated(signature.bytes().begin(), signature.bytes().end());
  unsigned carry = 0;
  for (size_t i = 0; i < 32; ++i) {
    const unsigned sum = malleated[32 + i] + order[i] + carry;
    malleated[32 + i] = static_cast<uint8_t>(sum);
    carry = sum >> 8;
  }
  REQUIRE(carry == 0);  // S < L < 2^253, so S + L fits
  CHECK_FALSE(key.verifying_key().Verify(message, Signature::Parse(malleated).value()).ok());
}

TEST_CASE("Ed25519: truncated and extended signatures do not parse") {
  const Signature signature = SigningKey::Generate().Sign(ToBytes("m"));
  const ByteView good = signature.bytes();
  for (size_t n : {0, 1, 32, 63}) {
    const auto parsed = Signature::Parse(good.first(n));
    REQUIRE_FALSE(parsed.ok());
    CHECK(parsed.error().code == "invalidLength");
  }
  Bytes trailing(good.begin(), good.end());
  trailing.push_back(0);
  const auto parsed = Signature::Parse(trailing);
  REQUIRE_FALSE(parsed.ok());
  CHECK(parsed.error().code == "invalidLength");
  CHECK(Signature::Parse(good).value() == signature);
}

TEST_CASE("Ed25519: VerifyingKey::Create rejects bad lengths and invalid points") {
  const Bytes good = H(kPublic1);
  const ByteView view = good;
  for (size_t n : {0, 1, 31}) {
    const auto key = VerifyingKey::Create(view.first(n));
    REQUIRE_FALSE(key.ok());
    CHECK(key.error().code == "invalidLength");
  }
  Bytes trailing = good;
  trailing.push_back(0);
  CHECK(VerifyingKey::Create(trailing).error().code == "invalidLength");

  const std::pair<std::string, std::string_view> invalid[] = {
      {"all zero (order 4)", "0000000000000000000000000000000000000000000000000000000000000000"},
      {"identity (order 1)", "0100000000000000000000000000000000000000000000000000000000000000"},
      {"order 8", "c7176a703d4dd84fba3c0b760d10670f2a2053fa2c39ccc64ec7fd7792ac037a"},
      {"y = p, non-canonical", "edffffffffffffffffffffffffffffffffffffffffffffffffffffffffffff7f"},
      {"y = 2^255 - 1, non-canonical",
       "ffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffff7f"},
      // kPublic1 plus a point of order 8: on the curve, but outside the prime-order
      // subgroup. libsodium's verify does not catch this (it accepts 1 in 8 signatures made
      // with the matching secret scalar); Create does.
      {"mixed order", "9158312a9a8d6e3b34c891d6d61444f8b8211c5117ebad15bdb0bd68b07e0245"},
  };
  for (const auto& entry : invalid) {
    INFO(entry.first);
    const auto key = VerifyingKey::Create(H(entry.second));
    REQUIRE_FALSE(key.ok());
    CHECK(key.error().code == "invalidKey");
  }
  // x^2 = (y^2 - 1) / (d y^2 + 1) has no root for y = 2: not on the curve.
  CHECK_FALSE(
      VerifyingKey::Create(H("0200000000000000000000000000000000000000000000000000000000000000"))
          .ok());
  CHECK(VerifyingKey::Create(good).ok());
}

TEST_CASE("Ed25519: wrong key and wrong message are rejected") {
  const SigningKey key = SigningKey::Generate();
  const SigningKey other = SigningKey::Generate();
  const Bytes message = ToBytes("sign in to example.se");
  const Signature signature = key.Sign(message);

  CHECK(key.verifying_key().Verify(message, signature).ok());
  CHECK(other.verifying_key().Verify(message, signature).error().code == "invalidSignature");

  Bytes flipped = message;
  flipped[0] ^= 1;
  CHECK_FALSE(key.verifying_key().Verify(flipped, signature).ok());
  Bytes longer = message;
  longer.push_back(0);
  CHECK_FALSE(key.verifying_key().Verify(longer, signature).ok());
  CHECK_FALSE(
      key.verifying_key().Verify(ByteView(message).first(message.size() - 1), signature).ok());
  CHECK_FALSE(key.verifying_key().Verify(ByteView(), signature).ok());
}

// ---------------------------------------------------------------------------------------
// XChaCha20-Poly1305

static_assert(!std::is_copy_constructible_v<AeadKey>);
static_assert(std::is_nothrow_move_constructible_v<AeadKey>);

TEST_CASE("AEAD: Seal/Open round trip and the sealed layout") {
  const AeadKey key = AeadKey::Generate();
  const Bytes ad = ToBytes("keystore v1");
  for (size_t n : {0, 1, 15, 16, 17, 64, 1000}) {
    const Bytes plaintext = RandomBytes(n);
    const Bytes sealed = Seal(key, plaintext, ad);
    CHECK(sealed.size() == n + kAeadOverhead);
    CHECK(*Open(key, sealed, ad) == plaintext);
    const auto secret = OpenSecret(key, sealed, ad);
    REQUIRE(secret.ok());
    CHECK(*secret == SecretBytes::CopyFrom(plaintext, Access()));

    // nonce (24) || ciphertext || tag (16), as documented in aead.h.
    const ByteView view = sealed;
    const auto detached = crypto::internal::AeadDecryptDetached(
        key.key_bytes(Access()).Expose(Access()), view.first(kAeadNonceSize),
        view.subspan(kAeadNonceSize, n), view.last(kAeadTagSize), ad);
    REQUIRE(detached.ok());
    CHECK(*detached == plaintext);
  }
  CHECK(*Open(key, Seal(key, ToBytes("no ad"), ByteView()), ByteView()) == ToBytes("no ad"));
}

TEST_CASE("AEAD: Create wraps exactly 32 bytes") {
  const SecretBytes bytes = RandomSecret(kAeadKeySize);
  auto key = AeadKey::Create(SecretBytes::CopyFrom(bytes.Expose(Access()), Access()));
  REQUIRE(key.ok());
  CHECK(key->key_bytes(Access()) == bytes);
  for (size_t n : {0, 16, 31, 33, 64}) {
    const auto bad = AeadKey::Create(SecretBytes(n));
    REQUIRE_FALSE(bad.ok());
    CHECK(bad.error().code == "invalidLength");
  }
}

TEST_CASE("AEAD: two Seals of the same plaintext differ (fresh nonce)") {
  const AeadKey key = AeadKey::Generate();
  const Bytes plaintext = ToBytes("same plaintext");
  const Bytes a = Seal(key, plaintext, ByteView());
  const Bytes b = Seal(key, plaintext, ByteView());
  CHECK(a != b);
  CHECK_FALSE(std::equal(a.begin(), a.begin() + kAeadNonceSize, b.begin()));
  CHECK(*Open(key, a, ByteView()) == *Open(key, b, ByteView()));
}

TEST_CASE("AEAD: a flipped bit in nonce, ciphertext or tag fails to open") {
  const AeadKey key = AeadKey::Generate();
  const Bytes ad = ToBytes("ad");
  const Bytes sealed = Seal(key, ToBytes("sixteen byte msg"), ad);
  for (size_t i = 0; i < sealed.size(); ++i) {
    for (int bit = 0; bit < 8; ++bit) {
      Bytes bad = sealed;
      bad[i] ^= static_cast<uint8_t>(1 << bit);
      INFO("byte " << i << " bit " << bit);
      const auto opened = Open(key, bad, ad);
      REQUIRE_FALSE(opened.ok());
      CHECK(opened.error().code == "decryptionFailed");
      CHECK_FALSE(OpenSecret(key, bad, ad).ok());
    }
  }
}

TEST_CASE("AEAD: truncated, extended, wrong AD and wrong key fail to open") {
  const AeadKey key = AeadKey::Generate();
  const Bytes ad = ToBytes("keystore v1");
  const Bytes sealed = Seal(key, ToBytes("wrapped key material"), ad);
  const ByteView view = sealed;
  for (size_t n = 0; n < sealed.size(); ++n) {
    INFO("prefix " << n);
    const auto opened = Open(key, view.first(n), ad);
    REQUIRE_FALSE(opened.ok());
    CHECK(opened.error().code == "decryptionFailed");
    CHECK(OpenSecret(key, view.first(n), ad).error().code == "decryptionFailed");
    CHECK_FALSE(Open(key, view.subspan(sealed.size() - n), ad).ok());  // missing prefix
  }
  Bytes trailing = sealed;
  trailing.push_back(0);
  CHECK_FALSE(Open(key, trailing, ad).ok());

  CHECK(Open(key, sealed, ToBytes("keystore v2")).error().code == "decryptionFailed");
  CHECK_FALSE(Open(key, sealed, ByteView()).ok());
  CHECK_FALSE(Open(AeadKey::Generate(), sealed, ad).ok());
  CHECK_FALSE(OpenSecret(AeadKey::Generate(), sealed, ad).ok());
  CHECK(Open(key, sealed, ad).ok());
}

TEST_CASE("AEAD internals: sizes are checked, failures leave no plaintext") {
  const Bytes key = RandomBytes(kAeadKeySize);
  const Bytes nonce = RandomBytes(kAeadNonceSize);
  const Bytes plaintext = ToBytes("attack at dawn");
  const Bytes ct_tag = crypto::internal::AeadEncryptWithNonce(key, nonce, plaintext, {}).value();
  const ByteView ct = ByteView(ct_tag).first(plaintext.size());
  const ByteView tag = ByteView(ct_tag).last(kAeadTagSize);

  for (size_t n : {0, 8, 12, 16, 23, 25, 32}) {
    INFO("nonce size " << n);
    const Bytes bad_nonce = RandomBytes(n);
    CHECK(crypto::internal::AeadEncryptWithNonce(key, bad_nonce, plaintext, {}).error().code ==
          "invalidLength");
    CHECK(crypto::internal::AeadDecryptDetached(key, bad_nonce, ct, tag, {}).error().code ==
          "invalidLength");
  }
  for (size_t n : {0, 16, 31, 33}) {
    INFO("key size " << n);
    const Bytes bad_key = RandomBytes(n);
    CHECK_FALSE(crypto::internal::AeadEncryptWithNonce(bad_key, nonce, plaintext, {}).ok());
    CHECK_FALSE(crypto::internal::AeadDecryptDetached(bad_key, nonce, ct, tag, {}).ok());
  }
  for (size_t n : {0, 12, 15, 17, 32}) {
    INFO("tag size " << n);
    const Bytes bad_tag = RandomBytes(n);
    CHECK(crypto::internal::AeadDecryptDetached(key, nonce, ct, bad_tag, {}).error().code ==
          "invalidLength");
  }
  CHECK(*crypto::internal::AeadDecryptDetached(key, nonce, ct, tag, {}) == plaintext);

  // On an authentication failure the output buffer is wiped, whatever it held before.
  Bytes out(ct.size(), 0xaa);
  Bytes bad_tag(tag.begin(), tag.end());
  bad_tag[0] ^= 1;
  const auto status = crypto::internal::AeadDecryptDetachedInto(out, key, nonce, ct, bad_tag, {});
  REQUIRE_FALSE(status.ok());
  CHECK(status.error().code == "decryptionFailed");
  CHECK(out == Bytes(ct.size(), 0));
  Bytes out2(ct.size(), 0xaa);
  CHECK_FALSE(
      crypto::internal::AeadDecryptDetachedInto(out2, key, RandomBytes(12), ct, tag, {}).ok());
  CHECK(out2 == Bytes(ct.size(), 0));
}
