// Tests for tillit/credential/certificate.h: CA creation, holder issue and verification
// round trips, the level and evidence policies, and every rejection in the verification
// order of docs/credential.md §6 (flipped bits, truncation, trailing bytes, wrong CA, CA as
// holder, expiry, foreign key types, missing or extra policies, bad identifiers).
#include "tillit/credential/certificate.h"

#include <doctest/doctest.h>
#include <openssl/err.h>
#include <openssl/evp.h>
#include <openssl/x509.h>
#include <openssl/x509v3.h>

#include <functional>
#include <memory>
#include <string>
#include <thread>
#include <vector>

#include "tillit/credential/policy.h"
#include "tillit/crypto/ed25519.h"
#include "tillit/crypto/random.h"
#include "tillit/crypto/secret.h"
#include "tillit/identifier/identifier.h"

using namespace tillit;
using namespace tillit::credential;

namespace {

constexpr int64_t kDay = 86400;
constexpr int64_t kNow = 1767225600;  // 2026-01-01T00:00:00Z

struct TestCa {
  crypto::SigningKey key;
  Bytes der;
};

TestCa MakeCa(std::string common_name = "Tillit Test CA") {
  crypto::SigningKey key = crypto::SigningKey::Generate();
  CaProfile profile{.common_name = std::move(common_name),
                    .organisation = "Tillit",
                    .country = "SE",
                    .not_before = kNow - 30 * kDay,
                    .not_after = kNow + 3650 * kDay};
  Result<Bytes> der = CreateCaCertificate(key, profile);
  REQUIRE_MESSAGE(der.ok(), der.error().message);
  return {std::move(key), std::move(der).value()};
}

identifier::Identifier TestIdentifier(uint64_t payload = 123456789) {
  return identifier::Identifier::FromPayload(payload).value();
}

std::array<uint8_t, kSerialSize> RandomSerial() {
  std::array<uint8_t, kSerialSize> serial{};
  const Bytes random = crypto::RandomBytes(kSerialSize);
  std::copy(random.begin(), random.end(), serial.begin());
  return serial;
}

HolderCertificateRequest MakeRequest(const crypto::VerifyingKey& holder_key, int level = 2) {
  return HolderCertificateRequest{.identifier = TestIdentifier(),
                                  .given_name = "Åsa",
                                  .surname = "Øberg",
                                  .assurance_level = level,
                                  .evidence_class = EvidenceClass::kIdentityDocument,
                                  .holder_key = holder_key,
                                  .serial = RandomSerial(),
                                  .not_before = kNow - kDay,
                                  .not_after = kNow + 365 * kDay};
}

Bytes Issue(const TestCa& ca, const HolderCertificateRequest& request) {
  Result<Bytes> der = IssueHolderCertificate(ca.key, ca.der, request);
  REQUIRE_MESSAGE(der.ok(), der.error().message);
  return std::move(der).value();
}

template <typename T>
std::string CodeOf(const Result<T>& r) {
  return r.ok() ? std::string("ok") : r.error().code;
}

// --- OpenSSL surgery for certificates the API cannot produce -----------------------------

struct X509Free {
  void operator()(X509* x) const { X509_free(x); }
};
struct PkeyFree {
  void operator()(EVP_PKEY* k) const { EVP_PKEY_free(k); }
};
using X509Ptr = std::unique_ptr<X509, X509Free>;
using PkeyPtr = std::unique_ptr<EVP_PKEY, PkeyFree>;

X509Ptr Decode(ByteView der) {
  const unsigned char* p = der.data();
  X509Ptr x(d2i_X509(nullptr, &p, static_cast<long>(der.size())));
  REQUIRE(x != nullptr);
  return x;
}

Bytes Encode(X509* x) {
  const int n = i2d_X509(x, nullptr);
  REQUIRE(n > 0);
  Bytes out(static_cast<size_t>(n));
  unsigned char* p = out.data();
  REQUIRE(i2d_X509(x, &p) == n);
  return out;
}

PkeyPtr OpensslKey(const crypto::SigningKey& key) {
  const ByteView seed =
      key.seed(crypto::InsecureSecretAccess::Get()).Expose(crypto::InsecureSecretAccess::Get());
  PkeyPtr pkey(EVP_PKEY_new_raw_private_key(EVP_PKEY_ED25519, nullptr, seed.data(), seed.size()));
  REQUIRE(pkey != nullptr);
  return pkey;
}

// Decodes `der`, lets `mutate` change it and signs it again with `signer`: a certificate the
// CA really signed, but with content outside the profile.
Bytes Resign(ByteView der, const crypto::SigningKey& signer,
             const std::function<void(X509*)>& mutate) {
  X509Ptr x = Decode(der);
  mutate(x.get());
  PkeyPtr pkey = OpensslKey(signer);
  REQUIRE(X509_sign(x.get(), pkey.get(), nullptr) > 0);
  return Encode(x.get());
}

void DeleteExtension(X509* x, int nid) {
  const int index = X509_get_ext_by_NID(x, nid, -1);
  REQUIRE(index >= 0);
  X509_EXTENSION_free(X509_delete_ext(x, index));
}

// Adds an extension written in OpenSSL's config syntax, e.g. "critical,CA:TRUE" (the
// certificate is its own subject and issuer for "hash" and "keyid").
void AddConfExtension(X509* x, int nid, const char* value) {
  X509V3_CTX ctx;
  X509V3_set_ctx(&ctx, x, x, nullptr, nullptr, 0);
  X509V3_set_ctx_nodb(&ctx);
  X509_EXTENSION* ext = X509V3_EXT_nconf_nid(nullptr, &ctx, nid, value);
  REQUIRE(ext != nullptr);
  REQUIRE(X509_add_ext(x, ext, -1) == 1);
  X509_EXTENSION_free(ext);
}

void ReplaceExtension(X509* x, int nid, const char* value) {
  DeleteExtension(x, nid);
  AddConfExtension(x, nid, value);
}

void SetPolicies(X509* x, const std::vector<std::string>& oids) {
  DeleteExtension(x, NID_certificate_policies);
  if (oids.empty()) return;
  CERTIFICATEPOLICIES* policies = sk_POLICYINFO_new_null();
  REQUIRE(policies != nullptr);
  for (const std::string& oid : oids) {
    POLICYINFO* info = POLICYINFO_new();
    ASN1_OBJECT_free(info->policyid);
    info->policyid = OBJ_txt2obj(oid.c_str(), 1);
    REQUIRE(info->policyid != nullptr);
    REQUIRE(sk_POLICYINFO_push(policies, info) > 0);
  }
  REQUIRE(X509_add1_ext_i2d(x, NID_certificate_policies, policies, 0, X509V3_ADD_DEFAULT) == 1);
  CERTIFICATEPOLICIES_free(policies);
}

// Rebuilds the subject from (nid, value) pairs, strings as UTF8String except serialNumber.
void SetSubject(X509* x, const std::vector<std::pair<int, std::string>>& entries) {
  X509_NAME* name = X509_NAME_new();
  for (const auto& [nid, value] : entries) {
    const int type = nid == NID_serialNumber ? V_ASN1_PRINTABLESTRING : V_ASN1_UTF8STRING;
    REQUIRE(X509_NAME_add_entry_by_NID(name, nid, type,
                                       reinterpret_cast<const unsigned char*>(value.data()),
                                       static_cast<int>(value.size()), -1, 0) == 1);
  }
  REQUIRE(X509_set_subject_name(x, name) == 1);
  X509_NAME_free(name);
}

PkeyPtr GenerateP256() {
  PkeyPtr key(EVP_PKEY_Q_keygen(nullptr, nullptr, "EC", "P-256"));
  REQUIRE(key != nullptr);
  return key;
}

}  // namespace

TEST_CASE("CA: creation and self-verification") {
  TestCa ca = MakeCa();
  Result<VerifiedCa> verified = VerifyCaCertificate(ca.der, kNow);
  REQUIRE_MESSAGE(verified.ok(), verified.error().message);
  CHECK(verified->ca_key() == ca.key.verifying_key());
  CHECK(verified->common_name() == "Tillit Test CA");
  CHECK(verified->serial_hex().size() == 32);
  CHECK(verified->not_before() == kNow - 30 * kDay);
  CHECK(verified->not_after() == kNow + 3650 * kDay);

  Result<ParsedCertificate> parsed = ParseCertificate(ca.der);
  REQUIRE(parsed.ok());
  CHECK(parsed->is_ca);
  CHECK(parsed->common_name == "Tillit Test CA");
  CHECK(parsed->organisation == "Tillit");
  CHECK(parsed->country == "SE");
  CHECK(parsed->issuer_common_name == "Tillit Test CA");
  CHECK(parsed->public_key_algorithm == kEd25519Oid);
  CHECK(std::ranges::equal(parsed->public_key, ca.key.verifying_key().bytes()));
  CHECK(parsed->policies.empty());
  CHECK_FALSE(parsed->assurance_level.has_value());

  // Two CAs never share a serial number (16 random bytes each).
  CHECK(ParseCertificate(MakeCa().der)->serial_hex != parsed->serial_hex);
}

TEST_CASE("CA: validity is notBefore <= now < notAfter") {
  TestCa ca = MakeCa();
  CHECK(VerifyCaCertificate(ca.der, kNow - 30 * kDay).ok());
  CHECK(VerifyCaCertificate(ca.der, kNow + 3650 * kDay - 1).ok());
  CHECK(CodeOf(VerifyCaCertificate(ca.der, kNow - 30 * kDay - 1)) == "certificateNotYetValid");
  CHECK(CodeOf(VerifyCaCertificate(ca.der, kNow + 3650 * kDay)) == "certificateExpired");
}

TEST_CASE("CA: bad profiles are rejected at creation") {
  crypto::SigningKey key = crypto::SigningKey::Generate();
  const CaProfile good{.common_name = "CA", .organisation = "Tillit", .country = "SE",
                       .not_before = kNow, .not_after = kNow + kDay};
  CHECK(CreateCaCertificate(key, good).ok());
  std::vector<CaProfile> bad(7, good);
  bad[0].common_name = "";
  bad[1].organisation = std::string(65, 'a');
  bad[2].country = "se";
  bad[3].country = "SWE";
  bad[4].not_after = bad[4].not_before;
  bad[5].not_before = -1;
  bad[6].common_name = "CA\n";
  for (const CaProfile& profile : bad) {
    CHECK(CodeOf(CreateCaCertificate(key, profile)) == "invalidParameters");
  }
}

TEST_CASE("CA: a bad self-signature is rejected") {
  TestCa ca = MakeCa();
  Bytes tampered = ca.der;
  tampered[tampered.size() - 5] ^= 0x01;  // inside the signature value
  CHECK(CodeOf(VerifyCaCertificate(tampered, kNow)) == "invalidSignature");
  crypto::SigningKey holder = crypto::SigningKey::Generate();
  const Bytes cert = Issue(ca, MakeRequest(holder.verifying_key()));
  CHECK(CodeOf(VerifyHolderCertificate(cert, tampered, kNow)) == "invalidCaCertificate");
}

TEST_CASE("holder: issue and verify round trip with UTF-8 names") {
  TestCa ca = MakeCa();
  crypto::SigningKey holder = crypto::SigningKey::Generate();
  struct Names {
    const char* given;
    const char* surname;
  };
  for (Names names : {Names{"Åsa", "Øberg"}, Names{"Øystein", "Nuñez-Šimić"},
                      Names{"محمد", "Al-Hassan"}, Names{"Jean-Luc", "D'Artagnan"}}) {
    HolderCertificateRequest request = MakeRequest(holder.verifying_key());
    request.given_name = names.given;
    request.surname = names.surname;
    const Bytes der = Issue(ca, request);
    Result<VerifiedHolderCertificate> v = VerifyHolderCertificate(der, ca.der, kNow);
    REQUIRE_MESSAGE(v.ok(), v.error().message);
    CHECK(v->identifier() == request.identifier);
    CHECK(v->given_name() == names.given);
    CHECK(v->surname() == names.surname);
    CHECK(v->assurance_level() == 2);
    CHECK(v->evidence_class() == EvidenceClass::kIdentityDocument);
    CHECK(v->holder_key() == holder.verifying_key());
    CHECK(v->not_before() == request.not_before);
    CHECK(v->not_after() == request.not_after);

    // The serial: the caller's bytes with bit 7 cleared and bit 6 set, always 16 bytes.
    std::array<uint8_t, kSerialSize> expected = request.serial;
    expected[0] = static_cast<uint8_t>((expected[0] & 0x7f) | 0x40);
    CHECK(v->serial_hex() == HexEncode(expected));

    Result<ParsedCertificate> p = ParseCertificate(der);
    REQUIRE(p.ok());
    CHECK_FALSE(p->is_ca);
    CHECK(p->subject_serial_number == request.identifier.ToString());
    CHECK(p->common_name == std::string(names.given) + " " + names.surname);
    CHECK_FALSE(p->country.has_value());
    CHECK(p->issuer_common_name == "Tillit Test CA");
  }
}

TEST_CASE("holder: serial numbers stay positive and 16 bytes whatever the caller passes") {
  TestCa ca = MakeCa();
  crypto::SigningKey holder = crypto::SigningKey::Generate();
  for (uint8_t first : {0x00, 0x01, 0x3f, 0x40, 0x7f, 0x80, 0xc0, 0xff}) {
    HolderCertificateRequest request = MakeRequest(holder.verifying_key());
    request.serial.fill(0);
    request.serial[0] = first;
    Result<VerifiedHolderCertificate> v =
        VerifyHolderCertificate(Issue(ca, request), ca.der, kNow);
    REQUIRE(v.ok());
    CHECK(v->serial_hex().size() == 32);
    CHECK(v->serial_hex()[0] >= '4');
    CHECK(v->serial_hex()[0] <= '7');
  }
}

TEST_CASE("holder: the level policy for 1, 2 and 3, with and without evidence class") {
  TestCa ca = MakeCa();
  crypto::SigningKey holder = crypto::SigningKey::Generate();
  for (int level = 1; level <= 3; ++level) {
    for (std::optional<EvidenceClass> evidence :
         {std::optional<EvidenceClass>(), std::optional(EvidenceClass::kIdentityDocument),
          std::optional(EvidenceClass::kSwedishAuthorityDocument),
          std::optional(EvidenceClass::kOther)}) {
      HolderCertificateRequest request = MakeRequest(holder.verifying_key(), level);
      request.evidence_class = evidence;
      const Bytes der = Issue(ca, request);
      Result<ParsedCertificate> p = ParseCertificate(der);
      REQUIRE(p.ok());
      std::vector<std::string> expected = {std::string(kPolicyArcOid) + ".1." +
                                           std::to_string(level)};
      if (evidence) {
        expected.push_back(std::string(kPolicyArcOid) + ".2." +
                           std::to_string(static_cast<int>(*evidence)));
      }
      CHECK(p->policies == expected);
      CHECK(p->assurance_level == level);
      CHECK(p->evidence_class == evidence);
      Result<VerifiedHolderCertificate> v = VerifyHolderCertificate(der, ca.der, kNow);
      REQUIRE(v.ok());
      CHECK(v->assurance_level() == level);
      CHECK(v->evidence_class() == evidence);
    }
  }
}

TEST_CASE("holder: levels outside 1..3 are rejected at issue") {
  TestCa ca = MakeCa();
  crypto::SigningKey holder = crypto::SigningKey::Generate();
  for (int level : {-1, 0, 4, 5}) {
    CHECK(CodeOf(IssueHolderCertificate(ca.key, ca.der, MakeRequest(holder.verifying_key(), level))) ==
          "invalidParameters");
  }
  HolderCertificateRequest request = MakeRequest(holder.verifying_key());
  request.evidence_class = static_cast<EvidenceClass>(4);
  CHECK(CodeOf(IssueHolderCertificate(ca.key, ca.der, request)) == "invalidParameters");
}

TEST_CASE("holder: the validity bound") {
  TestCa ca = MakeCa();
  crypto::SigningKey holder = crypto::SigningKey::Generate();
  HolderCertificateRequest request = MakeRequest(holder.verifying_key());
  request.not_after = request.not_before + kMaxHolderValiditySeconds;
  CHECK(IssueHolderCertificate(ca.key, ca.der, request).ok());
  request.not_after = request.not_before + kMaxHolderValiditySeconds + 1;
  CHECK(CodeOf(IssueHolderCertificate(ca.key, ca.der, request)) == "invalidParameters");
  request.not_after = request.not_before + 3 * 365 * kDay;
  CHECK(CodeOf(IssueHolderCertificate(ca.key, ca.der, request)) == "invalidParameters");
  request.not_after = request.not_before;
  CHECK(CodeOf(IssueHolderCertificate(ca.key, ca.der, request)) == "invalidParameters");
  request.not_after = request.not_before - 1;
  CHECK(CodeOf(IssueHolderCertificate(ca.key, ca.der, request)) == "invalidParameters");
  // Never outside the CA's validity.
  request.not_before = kNow - 31 * kDay;
  request.not_after = kNow;
  CHECK(CodeOf(IssueHolderCertificate(ca.key, ca.der, request)) == "invalidParameters");
  request.not_before = kNow + 3600 * kDay;
  request.not_after = kNow + 3651 * kDay;
  CHECK(CodeOf(IssueHolderCertificate(ca.key, ca.der, request)) == "invalidParameters");
}

TEST_CASE("holder: name rules at issue") {
  TestCa ca = MakeCa();
  crypto::SigningKey holder = crypto::SigningKey::Generate();
  const std::string max_ascii(kMaxNameBytes, 'a');
  const std::string max_two_byte(kMaxNameBytes / 2, '\0');
  for (const std::string& ok : {max_ascii, std::string("Ö") + std::string(62, 'x'),
                                std::string("Anna Maria"), std::string("O'Brien")}) {
    HolderCertificateRequest request = MakeRequest(holder.verifying_key());
    request.surname = ok;
    CHECK_MESSAGE(IssueHolderCertificate(ca.key, ca.der, request).ok(), ok);
  }
  const std::vector<std::string> bad = {
      "",
      std::string(kMaxNameBytes + 1, 'a'),
      std::string("Ö") + std::string(63, 'x'),  // 65 bytes
      "\xc3",                                    // truncated sequence
      "\xc0\xaf",                                // overlong
      "\xed\xa0\x80",                            // surrogate
      "\xf4\x90\x80\x80",                        // above U+10FFFF
      "\xff",
      "Anna\n",
      std::string("An\0na", 5),
      "\xc2\x85",            // NEL (C1)
      "abc\xe2\x80\xae",     // RIGHT-TO-LEFT OVERRIDE
      " Anna",
      "Anna ",
  };
  for (const std::string& name : bad) {
    for (int field = 0; field < 2; ++field) {
      HolderCertificateRequest request = MakeRequest(holder.verifying_key());
      (field == 0 ? request.given_name : request.surname) = name;
      CHECK_MESSAGE(CodeOf(IssueHolderCertificate(ca.key, ca.der, request)) == "invalidParameters",
                    HexEncode(AsBytes(name)));
    }
  }
}

TEST_CASE("holder: long names are kept whole; the CN is cut to 64 characters") {
  TestCa ca = MakeCa();
  crypto::SigningKey holder = crypto::SigningKey::Generate();
  HolderCertificateRequest request = MakeRequest(holder.verifying_key());
  request.given_name = std::string(32, 'G');               // 32 characters
  request.surname = "Ö" + std::string(40, 'S');            // 41 characters, 42 bytes
  const Bytes der = Issue(ca, request);
  Result<VerifiedHolderCertificate> v = VerifyHolderCertificate(der, ca.der, kNow);
  REQUIRE_MESSAGE(v.ok(), v.error().message);
  CHECK(v->given_name() == request.given_name);
  CHECK(v->surname() == request.surname);
  CHECK(ParseCertificate(der)->common_name ==
        std::string(32, 'G') + " Ö" + std::string(30, 'S'));  // 64 characters
}

TEST_CASE("holder: issuing needs the CA's own key and a CA certificate") {
  TestCa ca = MakeCa();
  crypto::SigningKey holder = crypto::SigningKey::Generate();
  crypto::SigningKey other = crypto::SigningKey::Generate();
  const HolderCertificateRequest request = MakeRequest(holder.verifying_key());
  CHECK(CodeOf(IssueHolderCertificate(other, ca.der, request)) == "caKeyMismatch");
  const Bytes holder_cert = Issue(ca, request);
  CHECK(CodeOf(IssueHolderCertificate(ca.key, holder_cert, request)) == "invalidCaCertificate");
  CHECK(CodeOf(IssueHolderCertificate(ca.key, Bytes{0x30, 0x00}, request)) ==
        "invalidCaCertificate");
}

TEST_CASE("holder: every flipped bit is rejected") {
  TestCa ca = MakeCa();
  crypto::SigningKey holder = crypto::SigningKey::Generate();
  const Bytes der = Issue(ca, MakeRequest(holder.verifying_key()));
  REQUIRE(VerifyHolderCertificate(der, ca.der, kNow).ok());
  int parse_failures = 0;
  for (size_t i = 0; i < der.size(); ++i) {
    for (int bit = 0; bit < 8; ++bit) {
      Bytes flipped = der;
      flipped[i] ^= static_cast<uint8_t>(1 << bit);
      const Result<VerifiedHolderCertificate> v = VerifyHolderCertificate(flipped, ca.der, kNow);
      if (v.ok()) FAIL_CHECK("flipped bit ", bit, " of byte ", i, " still verifies");
      if (!ParseCertificate(flipped).ok()) ++parse_failures;
    }
  }
  CHECK(parse_failures > 0);
  // The CA certificate too: a flipped CA never vouches for the holder.
  for (size_t i = 0; i < ca.der.size(); ++i) {
    Bytes flipped = ca.der;
    flipped[i] ^= 0x10;
    if (VerifyHolderCertificate(der, flipped, kNow).ok()) {
      FAIL_CHECK("flipped CA byte ", i, " still verifies");
    }
  }
}

TEST_CASE("holder: truncation and trailing bytes are rejected") {
  TestCa ca = MakeCa();
  crypto::SigningKey holder = crypto::SigningKey::Generate();
  const Bytes der = Issue(ca, MakeRequest(holder.verifying_key()));
  for (size_t length = 0; length < der.size(); ++length) {
    const ByteView prefix(der.data(), length);
    CHECK(CodeOf(ParseCertificate(prefix)) == "invalidCertificate");
    CHECK(CodeOf(VerifyHolderCertificate(prefix, ca.der, kNow)) == "invalidCertificate");
  }
  for (const Bytes& suffix : {Bytes{0x00}, Bytes{0x30, 0x00}, der}) {
    Bytes longer = der;
    longer.insert(longer.end(), suffix.begin(), suffix.end());
    CHECK(CodeOf(ParseCertificate(longer)) == "invalidCertificate");
    CHECK(CodeOf(VerifyHolderCertificate(longer, ca.der, kNow)) == "invalidCertificate");
  }
  Bytes ca_longer = ca.der;
  ca_longer.push_back(0);
  CHECK(CodeOf(VerifyCaCertificate(ca_longer, kNow)) == "invalidCertificate");
  CHECK(CodeOf(VerifyHolderCertificate(der, ca_longer, kNow)) == "invalidCaCertificate");
}

TEST_CASE("holder: wrong CA") {
  TestCa ca = MakeCa();
  TestCa same_name = MakeCa();  // same subject, another key
  TestCa other_name = MakeCa("Another CA");
  crypto::SigningKey holder = crypto::SigningKey::Generate();
  const Bytes der = Issue(ca, MakeRequest(holder.verifying_key()));
  CHECK(CodeOf(VerifyHolderCertificate(der, same_name.der, kNow)) == "untrustedIssuer");
  CHECK(CodeOf(VerifyHolderCertificate(der, other_name.der, kNow)) == "untrustedIssuer");

  // Same issuer name and key identifier, but signed by another key: the signature fails.
  const Bytes forged = Resign(der, same_name.key, [](X509*) {});
  CHECK(CodeOf(VerifyHolderCertificate(forged, ca.der, kNow)) == "invalidSignature");
}

TEST_CASE("holder: a CA certificate presented as a holder certificate") {
  TestCa ca = MakeCa();
  CHECK(CodeOf(VerifyHolderCertificate(ca.der, ca.der, kNow)) == "notHolderCertificate");
  TestCa other = MakeCa("Another CA");
  CHECK(CodeOf(VerifyHolderCertificate(other.der, ca.der, kNow)) == "untrustedIssuer");
}

TEST_CASE("holder: expiry and not-yet-valid, deterministic in now") {
  TestCa ca = MakeCa();
  crypto::SigningKey holder = crypto::SigningKey::Generate();
  const HolderCertificateRequest request = MakeRequest(holder.verifying_key());
  const Bytes der = Issue(ca, request);
  // notBefore <= now < notAfter, as OpenSSL decides it.
  CHECK(VerifyHolderCertificate(der, ca.der, request.not_before).ok());
  CHECK(VerifyHolderCertificate(der, ca.der, request.not_after - 1).ok());
  CHECK(CodeOf(VerifyHolderCertificate(der, ca.der, request.not_after)) == "certificateExpired");
  CHECK(CodeOf(VerifyHolderCertificate(der, ca.der, request.not_after + 1)) ==
        "certificateExpired");
  CHECK(CodeOf(VerifyHolderCertificate(der, ca.der, request.not_before - 1)) ==
        "certificateNotYetValid");
  // The CA's own validity counts too.
  HolderCertificateRequest late = MakeRequest(holder.verifying_key());
  late.not_before = kNow + 3000 * kDay;
  late.not_after = kNow + 3650 * kDay;
  const Bytes late_der = Issue(ca, late);
  CHECK(VerifyHolderCertificate(late_der, ca.der, kNow + 3650 * kDay - 1).ok());
  const Result<VerifiedHolderCertificate> ca_expired =
      VerifyHolderCertificate(late_der, ca.der, kNow + 3650 * kDay);
  CHECK(CodeOf(ca_expired) == "certificateExpired");
}

TEST_CASE("holder: non-Ed25519 certificates and keys") {
  TestCa ca = MakeCa();
  // A self-signed ECDSA P-256 certificate: rejected by the parser (signature algorithm).
  PkeyPtr ec = GenerateP256();
  X509Ptr x(X509_new());
  REQUIRE(X509_set_version(x.get(), X509_VERSION_3) == 1);
  REQUIRE(ASN1_INTEGER_set(X509_get_serialNumber(x.get()), 1) == 1);
  X509_NAME* name = X509_get_subject_name(x.get());
  REQUIRE(X509_NAME_add_entry_by_NID(name, NID_commonName, MBSTRING_UTF8,
                                     reinterpret_cast<const unsigned char*>("ecdsa"), -1, -1,
                                     0) == 1);
  REQUIRE(X509_set_issuer_name(x.get(), name) == 1);
  REQUIRE(X509_time_adj_ex(X509_getm_notBefore(x.get()), 0, 0, nullptr) != nullptr);
  REQUIRE(X509_time_adj_ex(X509_getm_notAfter(x.get()), 365, 0, nullptr) != nullptr);
  REQUIRE(X509_set_pubkey(x.get(), ec.get()) == 1);
  REQUIRE(X509_sign(x.get(), ec.get(), EVP_sha256()) > 0);
  const Bytes ecdsa_der = Encode(x.get());
  CHECK(CodeOf(ParseCertificate(ecdsa_der)) == "invalidCertificate");
  CHECK(CodeOf(VerifyHolderCertificate(ecdsa_der, ca.der, kNow)) == "invalidCertificate");
  CHECK(CodeOf(VerifyCaCertificate(ecdsa_der, kNow)) == "invalidCertificate");
  CHECK(CodeOf(VerifyHolderCertificate(ca.der, ecdsa_der, kNow)) == "invalidCaCertificate");

  // An Ed25519 signature by our CA over a P-256 holder key: signed, but not our key type.
  crypto::SigningKey holder = crypto::SigningKey::Generate();
  const Bytes der = Issue(ca, MakeRequest(holder.verifying_key()));
  const Bytes ec_holder = Resign(der, ca.key, [&](X509* cert) {
    REQUIRE(X509_set_pubkey(cert, ec.get()) == 1);
    DeleteExtension(cert, NID_subject_key_identifier);
    AddConfExtension(cert, NID_subject_key_identifier, "hash");
  });
  REQUIRE(ParseCertificate(ec_holder).ok());
  CHECK(CodeOf(VerifyHolderCertificate(ec_holder, ca.der, kNow)) == "unsupportedKey");
}

TEST_CASE("holder: the re-signing helper itself produces valid certificates") {
  TestCa ca = MakeCa();
  crypto::SigningKey holder = crypto::SigningKey::Generate();
  const Bytes der = Issue(ca, MakeRequest(holder.verifying_key()));
  const Bytes resigned = Resign(der, ca.key, [](X509*) {});
  CHECK(VerifyHolderCertificate(resigned, ca.der, kNow).ok());
}

TEST_CASE("holder: end-entity checks") {
  TestCa ca = MakeCa();
  crypto::SigningKey holder = crypto::SigningKey::Generate();
  const Bytes der = Issue(ca, MakeRequest(holder.verifying_key()));
  const auto verify = [&](const std::function<void(X509*)>& mutate) {
    return CodeOf(VerifyHolderCertificate(Resign(der, ca.key, mutate), ca.der, kNow));
  };
  CHECK(verify([](X509* x) { DeleteExtension(x, NID_key_usage); }) == "notHolderCertificate");
  CHECK(verify([](X509* x) { ReplaceExtension(x, NID_key_usage, "critical,keyEncipherment"); }) ==
        "notHolderCertificate");
  CHECK(verify([](X509* x) { DeleteExtension(x, NID_ext_key_usage); }) == "notHolderCertificate");
  CHECK(verify([](X509* x) { ReplaceExtension(x, NID_ext_key_usage, "serverAuth"); }) ==
        "notHolderCertificate");
  CHECK(verify([](X509* x) { ReplaceExtension(x, NID_basic_constraints, "critical,CA:TRUE"); }) ==
        "notHolderCertificate");
  // keyCertSign on an end entity is an RFC 5280 violation that OpenSSL's strict mode catches.
  CHECK(verify([](X509* x) {
          ReplaceExtension(x, NID_key_usage, "critical,digitalSignature,keyCertSign");
        }) == "invalidCertificate");
  // An unknown critical extension.
  CHECK(verify([](X509* x) {
          X509_EXTENSION* ext = X509V3_EXT_nconf(nullptr, nullptr, "1.3.6.1.4.1.99999.1",
                                                 "critical,DER:0C0178");
          REQUIRE(ext != nullptr);
          REQUIRE(X509_add_ext(x, ext, -1) == 1);
          X509_EXTENSION_free(ext);
        }) == "invalidCertificate");
}

TEST_CASE("holder: policy checks") {
  TestCa ca = MakeCa();
  crypto::SigningKey holder = crypto::SigningKey::Generate();
  const Bytes der = Issue(ca, MakeRequest(holder.verifying_key()));
  const std::string arc(kPolicyArcOid);
  const auto verify = [&](const std::vector<std::string>& oids) {
    const Bytes resigned = Resign(der, ca.key, [&](X509* x) { SetPolicies(x, oids); });
    return CodeOf(VerifyHolderCertificate(resigned, ca.der, kNow));
  };
  CHECK(verify({arc + ".1.3"}) == "ok");
  CHECK(verify({arc + ".2.2", arc + ".1.1"}) == "ok");
  CHECK(verify({}) == "invalidPolicy");                          // no policy at all
  CHECK(verify({arc + ".2.1"}) == "invalidPolicy");              // evidence, no level
  CHECK(verify({arc + ".1.1", arc + ".1.2"}) == "invalidPolicy");  // two levels
  CHECK(verify({arc + ".1.2", arc + ".1.2"}) == "invalidPolicy");  // repeated
  CHECK(verify({arc + ".1.4"}) == "invalidPolicy");              // no level 4
  CHECK(verify({arc + ".1.0"}) == "invalidPolicy");
  CHECK(verify({arc + ".1.2", arc + ".2.9"}) == "invalidPolicy");  // unknown evidence class
  CHECK(verify({arc + ".1.2", arc + ".2.1", arc + ".2.3"}) == "invalidPolicy");
  CHECK(verify({arc + ".1.2", "2.5.29.32.0"}) == "invalidPolicy");  // anyPolicy
  CHECK(verify({arc + ".3.1"}) == "invalidPolicy");

  // The unverified view reports a level only when there is exactly one.
  const Bytes two = Resign(der, ca.key, [&](X509* x) { SetPolicies(x, {arc + ".1.1", arc + ".1.3"}); });
  Result<ParsedCertificate> parsed = ParseCertificate(two);
  REQUIRE(parsed.ok());
  CHECK_FALSE(parsed->assurance_level.has_value());
  CHECK(parsed->policies.size() == 2);
}

TEST_CASE("holder: subject and identifier checks") {
  TestCa ca = MakeCa();
  crypto::SigningKey holder = crypto::SigningKey::Generate();
  const HolderCertificateRequest request = MakeRequest(holder.verifying_key());
  const Bytes der = Issue(ca, request);
  const std::string id = request.identifier.ToString();
  const auto verify = [&](const std::vector<std::pair<int, std::string>>& subject) {
    const Bytes resigned = Resign(der, ca.key, [&](X509* x) { SetSubject(x, subject); });
    return CodeOf(VerifyHolderCertificate(resigned, ca.der, kNow));
  };
  CHECK(verify({{NID_serialNumber, id}, {NID_givenName, "Åsa"}, {NID_surname, "Øberg"},
                {NID_commonName, "Åsa Øberg"}}) == "ok");

  // Identifier: wrong check character, lower case, grouped, too short, empty.
  std::string wrong_check = id;
  wrong_check.back() = wrong_check.back() == 'A' ? 'B' : 'A';
  std::string lower = id;
  for (char& c : lower) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  const std::string grouped = request.identifier.Grouped();
  for (const std::string& bad : {wrong_check, lower, grouped, id.substr(0, 11), std::string("O") + id.substr(1)}) {
    CHECK_MESSAGE(verify({{NID_serialNumber, bad}, {NID_givenName, "Åsa"}, {NID_surname, "Øberg"},
                          {NID_commonName, "Åsa Øberg"}}) == "invalidIdentifier",
                  bad);
  }

  // Shape: missing, extra or repeated attributes; CN not matching; a bad name.
  CHECK(verify({{NID_givenName, "Åsa"}, {NID_surname, "Øberg"}, {NID_commonName, "Åsa Øberg"}}) ==
        "invalidSubject");
  CHECK(verify({{NID_serialNumber, id}, {NID_givenName, "Åsa"}, {NID_surname, "Øberg"},
                {NID_commonName, "Åsa Øberg"}, {NID_countryName, "SE"}}) == "invalidSubject");
  CHECK(verify({{NID_serialNumber, id}, {NID_givenName, "Åsa"}, {NID_givenName, "Eva"},
                {NID_surname, "Øberg"}}) == "invalidCertificate");  // parser: repeated
  CHECK(verify({{NID_serialNumber, id}, {NID_givenName, "Åsa"}, {NID_surname, "Øberg"},
                {NID_commonName, "Someone Else"}}) == "invalidSubject");
  CHECK(verify({{NID_serialNumber, id}, {NID_givenName, "Åsa\x1b"}, {NID_surname, "Øberg"},
                {NID_commonName, "Åsa\x1b Øberg"}}) == "invalidSubject");
}

TEST_CASE("failures leave no OpenSSL errors behind, and keep the caller's") {
  ERR_clear_error();
  TestCa ca = MakeCa();
  CHECK_FALSE(ParseCertificate(Bytes{0x30, 0x03, 0x02, 0x01, 0x01}).ok());
  CHECK(ERR_peek_error() == 0);
  Bytes broken = ca.der;
  broken[broken.size() - 3] ^= 1;
  CHECK_FALSE(VerifyCaCertificate(broken, kNow).ok());
  CHECK(ERR_peek_error() == 0);
  crypto::SigningKey holder = crypto::SigningKey::Generate();
  const Bytes der = Issue(ca, MakeRequest(holder.verifying_key()));
  CHECK_FALSE(VerifyHolderCertificate(der, MakeCa().der, kNow).ok());
  CHECK(ERR_peek_error() == 0);
  CHECK(VerifyHolderCertificate(der, ca.der, kNow).ok());
  CHECK(ERR_peek_error() == 0);

  ERR_raise(ERR_LIB_X509, X509_R_CERT_ALREADY_IN_HASH_TABLE);
  const unsigned long callers = ERR_peek_error();
  CHECK_FALSE(VerifyHolderCertificate(der, MakeCa().der, kNow).ok());
  CHECK(ERR_peek_last_error() == callers);
  ERR_clear_error();
}

TEST_CASE("concurrent issuing and verification share nothing") {
  TestCa ca = MakeCa();
  TestCa other = MakeCa("Another CA");
  std::vector<int> failures(4, 0);
  std::vector<std::thread> threads;
  for (size_t t = 0; t < failures.size(); ++t) {
    threads.emplace_back([&, t] {
      for (int i = 0; i < 25; ++i) {
        crypto::SigningKey holder = crypto::SigningKey::Generate();
        HolderCertificateRequest request = MakeRequest(holder.verifying_key(), 1 + i % 3);
        Result<Bytes> der = IssueHolderCertificate(ca.key, ca.der, request);
        if (!der.ok()) { ++failures[t]; continue; }
        Result<VerifiedHolderCertificate> good = VerifyHolderCertificate(*der, ca.der, kNow);
        if (!good.ok() || good->assurance_level() != 1 + i % 3) ++failures[t];
        // A failure in one thread must not show up as a stale error in another.
        if (VerifyHolderCertificate(*der, other.der, kNow).ok()) ++failures[t];
        if (ERR_peek_error() != 0) ++failures[t];
      }
    });
  }
  for (std::thread& thread : threads) thread.join();
  for (int f : failures) CHECK(f == 0);
}

TEST_CASE("PEM: round trip and strictness") {
  TestCa ca = MakeCa();
  const std::string pem = CertificateToPem(ca.der);
  CHECK(pem.rfind("-----BEGIN CERTIFICATE-----\n", 0) == 0);
  CHECK(pem.size() > 30);
  CHECK(pem.substr(pem.size() - 26) == "-----END CERTIFICATE-----\n");
  Result<Bytes> back = CertificateFromPem(pem);
  REQUIRE(back.ok());
  CHECK(*back == ca.der);

  // Line-break variants that carry the same certificate.
  std::string crlf;
  for (char c : pem) {
    if (c == '\n') crlf += '\r';
    crlf += c;
  }
  CHECK(CertificateFromPem(crlf).ok());
  CHECK(CertificateFromPem(pem.substr(0, pem.size() - 1)).ok());  // no final newline
  CHECK(CertificateFromPem(pem + "\n").ok());

  crypto::SigningKey holder = crypto::SigningKey::Generate();
  const std::string holder_pem = CertificateToPem(Issue(ca, MakeRequest(holder.verifying_key())));
  std::string bad_base64 = pem;
  bad_base64[40] = '*';
  std::string missing_line = pem;
  missing_line.erase(pem.find('\n') + 1, 65);
  const std::vector<std::string> bad = {
      "",
      pem + holder_pem,                                     // two certificates
      holder_pem + pem,
      "garbage\n" + pem,                                    // text before
      pem + "garbage\n",                                    // text after
      " " + pem,
      pem.substr(0, pem.size() - 10),                       // END line cut
      "-----BEGIN PUBLIC KEY-----" + pem.substr(27),        // wrong label
      bad_base64,
      missing_line,
      std::string("-----BEGIN CERTIFICATE-----\n-----END CERTIFICATE-----\n"),
      CertificateToPem(Bytes{0x30, 0x00}),                  // PEM fine, DER not
  };
  for (const std::string& text : bad) {
    const Result<Bytes> r = CertificateFromPem(text);
    CHECK_MESSAGE(!r.ok(), text);
    if (!r.ok()) CHECK((r.error().code == "invalidPem" || r.error().code == "invalidCertificate"));
  }
  CHECK(CodeOf(CertificateFromPem(CertificateToPem(Bytes{0x30, 0x00}))) == "invalidCertificate");
  CHECK(CodeOf(CertificateFromPem(pem + holder_pem)) == "invalidPem");
}
