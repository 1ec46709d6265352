// Certificates and CRLs signed through crypto::Signer (credential/signing.h): the Signer
// path gives byte for byte what the SigningKey path gives, calls the signer once per
// document, and a signer that fails or lies (a wrong key, a flipped bit, a malleated S, an
// outage) makes issuance fail with a clear code and no document.
#include <doctest/doctest.h>

#include <array>
#include <atomic>
#include <functional>
#include <string>
#include <utility>

#include "tillit/credential/certificate.h"
#include "tillit/credential/crl.h"
#include "tillit/crypto/ed25519.h"
#include "tillit/crypto/random.h"
#include "tillit/crypto/signer.h"
#include "tillit/identifier/identifier.h"

using namespace tillit;
using namespace tillit::credential;

namespace {

constexpr int64_t kDay = 86400;
constexpr int64_t kNow = 1767225600;  // 2026-01-01T00:00:00Z

std::string CodeOf(const auto& result) { return result.ok() ? "ok" : result.error().code; }

// Signs with `key`, then lets `tamper` change the signature or replace the outcome.
class TestSigner final : public crypto::Signer {
 public:
  using Tamper = std::function<Result<crypto::Signature>(ByteView message, crypto::Signature)>;
  TestSigner(const crypto::SigningKey& key, Tamper tamper = nullptr)
      : key_(key), tamper_(std::move(tamper)) {}
  const crypto::VerifyingKey& verifying_key() const override { return key_.verifying_key(); }
  Result<crypto::Signature> Sign(ByteView message) const override {
    ++calls;
    crypto::Signature signature = key_.Sign(message);
    return tamper_ ? tamper_(message, signature) : signature;
  }
  mutable std::atomic<int> calls{0};

 private:
  const crypto::SigningKey& key_;
  Tamper tamper_;
};

crypto::Signature FlipBit(const crypto::Signature& s, size_t bit) {
  Bytes bytes(s.bytes().begin(), s.bytes().end());
  bytes[bit / 8] ^= static_cast<uint8_t>(1u << (bit % 8));
  return crypto::Signature::Parse(bytes).value();
}

// S + L (RFC 8032 §5.1.7): verifies under lax implementations, never under ours.
crypto::Signature Malleate(const crypto::Signature& s) {
  static constexpr std::array<uint8_t, 32> kL = {
      0xed, 0xd3, 0xf5, 0x5c, 0x1a, 0x63, 0x12, 0x58, 0xd6, 0x9c, 0xf7, 0xa2, 0xde, 0xf9, 0xde, 0x14,
      0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x10};
  Bytes bytes(s.bytes().begin(), s.bytes().end());
  unsigned carry = 0;
  for (size_t i = 0; i < 32; ++i) {
    const unsigned sum = bytes[32 + i] + kL[i] + carry;
    bytes[32 + i] = static_cast<uint8_t>(sum);
    carry = sum >> 8;
  }
  REQUIRE(carry == 0);
  return crypto::Signature::Parse(bytes).value();
}

CaProfile Profile() {
  return {.common_name = "Tillit Signer Test CA",
          .organisation = "Tillit",
          .country = "SE",
          .not_before = kNow - 30 * kDay,
          .not_after = kNow + 3650 * kDay};
}

HolderCertificateRequest Request(const crypto::VerifyingKey& holder_key) {
  std::array<uint8_t, kSerialSize> serial{};
  serial.fill(0x5a);
  return {.identifier = identifier::Identifier::FromPayload(123456789).value(),
          .given_name = "Åsa",
          .surname = "Øberg",
          .assurance_level = 2,
          .evidence_class = EvidenceClass::kIdentityDocument,
          .holder_key = holder_key,
          .serial = serial,
          .not_before = kNow - kDay,
          .not_after = kNow + 365 * kDay};
}

std::vector<CrlEntry> Entries() {
  return {{.serial_hex = HexEncode(Bytes(16, 0x41)),
           .revocation_time = kNow - 60,
           .reason = RevocationReason::kKeyCompromise}};
}

struct Fixture {
  crypto::SigningKey ca_key = crypto::SigningKey::Generate();
  crypto::SigningKey holder = crypto::SigningKey::Generate();
  Bytes ca_der = CreateCaCertificate(ca_key, Profile()).value();
};

}  // namespace

TEST_CASE("a Signer gives the same certificates and CRLs as the key, one Sign call each") {
  Fixture f;
  const crypto::SoftwareSigner software(crypto::SigningKey::FromSeed(
      f.ca_key.seed(crypto::InsecureSecretAccess::Get())).value());
  CHECK(software.verifying_key() == f.ca_key.verifying_key());

  // Holder certificates and CRLs are deterministic (fixed serial, Ed25519 deterministic).
  const Result<Bytes> by_signer = IssueHolderCertificate(software, f.ca_der,
                                                         Request(f.holder.verifying_key()));
  REQUIRE_MESSAGE(by_signer.ok(), by_signer.error().message);
  CHECK(*by_signer ==
        IssueHolderCertificate(f.ca_key, f.ca_der, Request(f.holder.verifying_key())).value());
  CHECK(VerifyHolderCertificate(*by_signer, f.ca_der, kNow).ok());

  const Result<Bytes> crl = CreateCrl(software, f.ca_der, Entries(), kNow, kNow + 3600, 7);
  REQUIRE_MESSAGE(crl.ok(), crl.error().message);
  CHECK(*crl == CreateCrl(f.ca_key, f.ca_der, Entries(), kNow, kNow + 3600, 7).value());
  CHECK(ParseAndVerifyCrl(*crl, f.ca_der, kNow).ok());

  const Result<Bytes> ca = CreateCaCertificate(software, Profile());
  REQUIRE_MESSAGE(ca.ok(), ca.error().message);
  auto verified = VerifyCaCertificate(*ca, kNow);
  REQUIRE(verified.ok());
  CHECK(verified->ca_key() == f.ca_key.verifying_key());

  TestSigner counting(f.ca_key);
  CHECK(IssueHolderCertificate(counting, f.ca_der, Request(f.holder.verifying_key())).ok());
  CHECK(counting.calls == 1);
  CHECK(CreateCrl(counting, f.ca_der, {}, kNow, kNow + 3600, 8).ok());
  CHECK(counting.calls == 2);
  CHECK(CreateCaCertificate(counting, Profile()).ok());
  CHECK(counting.calls == 3);
}

TEST_CASE("a signer that fails or returns a bad signature produces nothing") {
  Fixture f;
  const crypto::SigningKey other = crypto::SigningKey::Generate();
  struct Case {
    const char* what;
    TestSigner::Tamper tamper;
    const char* code;
  };
  const std::vector<Case> cases = {
      {"an outage",
       [](ByteView, crypto::Signature) -> Result<crypto::Signature> {
         return MakeError("signerUnavailable", "token not present");
       },
       "signerUnavailable"},
      {"a signature by another key",
       [&other](ByteView message, crypto::Signature) -> Result<crypto::Signature> {
         return other.Sign(message);
       },
       "signerFailed"},
      {"a flipped bit in R",
       [](ByteView, crypto::Signature s) -> Result<crypto::Signature> { return FlipBit(s, 3); },
       "signerFailed"},
      {"a flipped bit in S",
       [](ByteView, crypto::Signature s) -> Result<crypto::Signature> { return FlipBit(s, 300); },
       "signerFailed"},
      {"S + L (malleated)",
       [](ByteView, crypto::Signature s) -> Result<crypto::Signature> { return Malleate(s); },
       "signerFailed"},
      {"a signature of other bytes",
       [&f](ByteView, crypto::Signature) -> Result<crypto::Signature> {
         return f.ca_key.Sign(AsBytes("something else"));
       },
       "signerFailed"},
  };
  for (const Case& c : cases) {
    CAPTURE(c.what);
    TestSigner signer(f.ca_key, c.tamper);
    CHECK(CodeOf(IssueHolderCertificate(signer, f.ca_der, Request(f.holder.verifying_key()))) ==
          c.code);
    CHECK(CodeOf(CreateCrl(signer, f.ca_der, Entries(), kNow, kNow + 3600, 1)) == c.code);
    CHECK(CodeOf(CreateCaCertificate(signer, Profile())) == c.code);
  }
}

TEST_CASE("a signer whose key is not the CA certificate's is refused before it signs") {
  Fixture f;
  const crypto::SigningKey other = crypto::SigningKey::Generate();
  TestSigner signer(other);
  CHECK(CodeOf(IssueHolderCertificate(signer, f.ca_der, Request(f.holder.verifying_key()))) ==
        "caKeyMismatch");
  CHECK(CodeOf(CreateCrl(signer, f.ca_der, {}, kNow, kNow + 3600, 1)) == "caKeyMismatch");
  CHECK(signer.calls == 0);
}
