// The issuer's CRL (core/include/tillit/credential/crl.h, docs/status.md): round trip,
// deterministic encoding, creation errors, every check of ParseAndVerifyCrl with the
// attacks that must fail (flipped bytes, truncation, trailing bytes, another CA, stale,
// not DER, critical extensions, v1), PEM, and interop with the OpenSSL command line.
#include <doctest/doctest.h>

#include <array>
#include <cstdio>
#include <ctime>
#include <functional>
#include <string>

#include "credential/openssl_util.h"
#include "temp_dir.h"
#include "tillit/credential/certificate.h"
#include "tillit/credential/crl.h"
#include "tillit/crypto/ed25519.h"
#include "tillit/crypto/random.h"

using namespace tillit;
using namespace tillit::credential;
using tillit::testing::TempDir;
namespace ci = tillit::credential::internal;

namespace {

constexpr int64_t kDay = 86400;
constexpr int64_t kNow = 1748772000;  // 2025-06-01T10:00:00Z

std::string ErrorCode(const auto& result) { return result.ok() ? "ok" : result.error().code; }

struct Ca {
  crypto::SigningKey key = crypto::SigningKey::Generate();
  Bytes der;
  explicit Ca(int64_t now = kNow, std::string name = "Tillit CRL Test CA") {
    der = CreateCaCertificate(key, {.common_name = std::move(name),
                                    .organisation = "Tillit",
                                    .country = "SE",
                                    .not_before = now - kDay,
                                    .not_after = now + 3650 * kDay})
              .value();
  }
};

std::string Serial(uint8_t fill) { return HexEncode(Bytes(16, fill)); }

std::vector<CrlEntry> SampleEntries() {
  return {
      {.serial_hex = Serial(0x55), .revocation_time = kNow - 300,
       .reason = RevocationReason::kCertificateHold},
      {.serial_hex = Serial(0x41), .revocation_time = kNow - 7200,
       .reason = RevocationReason::kUnspecified},
      {.serial_hex = Serial(0x7f), .revocation_time = kNow - 60,
       .reason = RevocationReason::kSuperseded},
      {.serial_hex = "01", .revocation_time = 0, .reason = RevocationReason::kKeyCompromise},
  };
}

Bytes MakeCrl(const Ca& ca, const std::vector<CrlEntry>& entries = SampleEntries(),
              int64_t this_update = kNow, int64_t next_update = kNow + 3600,
              int64_t number = kNow) {
  return CreateCrl(ca.key, ca.der, entries, this_update, next_update, number).value();
}

// Builds a CRL with OpenSSL directly, signed by `ca`, so that tests can produce what
// CreateCrl never writes. `edit` changes the unsigned CRL before signing.
Bytes CustomCrl(const Ca& ca, const std::function<void(X509_CRL*)>& edit,
                bool with_next_update = true) {
  const unsigned char* p = ca.der.data();
  ci::X509Ptr ca_x509(d2i_X509(nullptr, &p, static_cast<long>(ca.der.size())));
  REQUIRE(ca_x509 != nullptr);
  ci::X509CrlPtr crl(X509_CRL_new());
  REQUIRE(X509_CRL_set_version(crl.get(), X509_CRL_VERSION_2) == 1);
  REQUIRE(X509_CRL_set_issuer_name(crl.get(), X509_get_subject_name(ca_x509.get())) == 1);
  ci::Asn1TimePtr t(ASN1_TIME_new());
  REQUIRE(ci::SetAsn1Time(t.get(), kNow).ok());
  REQUIRE(X509_CRL_set1_lastUpdate(crl.get(), t.get()) == 1);
  if (with_next_update) {
    REQUIRE(ci::SetAsn1Time(t.get(), kNow + 3600).ok());
    REQUIRE(X509_CRL_set1_nextUpdate(crl.get(), t.get()) == 1);
  }
  ci::AuthorityKeyIdPtr akid(AUTHORITY_KEYID_new());
  akid->keyid = ASN1_OCTET_STRING_dup(X509_get0_subject_key_id(ca_x509.get()));
  REQUIRE(X509_CRL_add1_ext_i2d(crl.get(), NID_authority_key_identifier, akid.get(), 0, 0) == 1);
  ci::Asn1IntegerPtr number(ASN1_INTEGER_new());
  REQUIRE(ASN1_INTEGER_set_int64(number.get(), 7) == 1);
  REQUIRE(X509_CRL_add1_ext_i2d(crl.get(), NID_crl_number, number.get(), 0, 0) == 1);
  edit(crl.get());
  auto key = ci::OpensslSigningKey(ca.key);
  REQUIRE(key.ok());
  REQUIRE(X509_CRL_sign(crl.get(), key->get(), nullptr) > 0);
  unsigned char* out = nullptr;
  const int length = i2d_X509_CRL(crl.get(), &out);
  REQUIRE(length > 0);
  Bytes der(out, out + length);
  OPENSSL_free(out);
  return der;
}

void AddRevoked(X509_CRL* crl, uint8_t fill, std::optional<long> reason) {
  X509_REVOKED* revoked = X509_REVOKED_new();
  Bytes serial(16, fill);
  BIGNUM* bn = BN_bin2bn(serial.data(), 16, nullptr);
  ASN1_INTEGER* integer = BN_to_ASN1_INTEGER(bn, nullptr);
  X509_REVOKED_set_serialNumber(revoked, integer);
  ASN1_TIME* t = ASN1_TIME_new();
  REQUIRE(ci::SetAsn1Time(t, kNow - 10).ok());
  X509_REVOKED_set_revocationDate(revoked, t);
  if (reason) {
    ASN1_ENUMERATED* code = ASN1_ENUMERATED_new();
    ASN1_ENUMERATED_set(code, *reason);
    X509_REVOKED_add1_ext_i2d(revoked, NID_crl_reason, code, 0, 0);
    ASN1_ENUMERATED_free(code);
  }
  X509_CRL_add0_revoked(crl, revoked);
  ASN1_TIME_free(t);
  ASN1_INTEGER_free(integer);
  BN_free(bn);
}

std::pair<int, std::string> Run(const std::string& command) {
  std::string output;
  FILE* pipe = popen((command + " 2>&1").c_str(), "r");
  REQUIRE(pipe != nullptr);
  std::array<char, 4096> buffer;
  size_t n;
  while ((n = fread(buffer.data(), 1, buffer.size(), pipe)) > 0) output.append(buffer.data(), n);
  return {pclose(pipe), output};
}

}  // namespace

TEST_CASE("CRL: create and verify round trip, entries sorted by serial") {
  Ca ca;
  const Bytes crl = MakeCrl(ca);
  auto verified = ParseAndVerifyCrl(crl, ca.der, kNow);
  REQUIRE(verified.ok());
  CHECK(verified->this_update() == kNow);
  CHECK(verified->next_update() == kNow + 3600);
  CHECK(verified->crl_number() == kNow);
  REQUIRE(verified->entries().size() == 4);
  CHECK(verified->entries()[0].serial_hex == "01");
  CHECK(verified->entries()[1].serial_hex == Serial(0x41));
  CHECK(verified->entries()[2].serial_hex == Serial(0x55));
  CHECK(verified->entries()[3].serial_hex == Serial(0x7f));
  for (const CrlEntry& expected : SampleEntries()) {
    const CrlEntry* found = verified->Find(expected.serial_hex);
    REQUIRE(found != nullptr);
    CHECK(*found == expected);
  }
  CHECK(verified->Find(Serial(0x42)) == nullptr);
  CHECK(RevocationReasonName(verified->Find(Serial(0x55))->reason) == "certificateHold");
}

TEST_CASE("CRL: an empty CRL, serials with the high bit set, and determinism") {
  Ca ca;
  auto empty = ParseAndVerifyCrl(MakeCrl(ca, {}), ca.der, kNow);
  REQUIRE(empty.ok());
  CHECK(empty->entries().empty());
  // 0x80.. needs a 00 pad in DER: 20 content bytes at most, so 19 magnitude bytes.
  const std::vector<CrlEntry> high = {
      {.serial_hex = HexEncode(Bytes(19, 0x80)), .revocation_time = kNow,
       .reason = RevocationReason::kCessationOfOperation}};
  auto verified = ParseAndVerifyCrl(MakeCrl(ca, high), ca.der, kNow);
  REQUIRE(verified.ok());
  CHECK(verified->entries() == high);
  // Ed25519 is deterministic and the entries are sorted: same statuses, same bytes.
  std::vector<CrlEntry> reversed = SampleEntries();
  std::reverse(reversed.begin(), reversed.end());
  CHECK(MakeCrl(ca, reversed) == MakeCrl(ca));
  // Times from 2050 are GeneralizedTime (RFC 5280 §5.1.2.4) and still verify.
  const int64_t y2050 = 2524608000;
  auto late = ParseAndVerifyCrl(MakeCrl(ca, SampleEntries(), y2050 - 10, y2050 + 10), ca.der,
                                y2050);
  CHECK(late.ok());
}

TEST_CASE("CRL: creation refuses bad parameters, a foreign key and a non-CA") {
  Ca ca;
  auto create = [&](std::vector<CrlEntry> entries, int64_t this_update = kNow,
                    int64_t next_update = kNow + 3600, int64_t number = 1) {
    return ErrorCode(CreateCrl(ca.key, ca.der, entries, this_update, next_update, number));
  };
  CHECK(create({}, kNow, kNow) == "invalidParameters");
  CHECK(create({}, kNow, kNow - 1) == "invalidParameters");
  CHECK(create({}, -1, kNow) == "invalidParameters");
  CHECK(create({}, kNow, 253402300800) == "invalidParameters");
  CHECK(create({}, kNow, kNow + 1, -1) == "invalidParameters");
  CHECK(create({}, kNow, kNow + 1, 0) == "ok");
  auto entry = [](std::string serial) {
    return CrlEntry{.serial_hex = std::move(serial), .revocation_time = kNow};
  };
  CHECK(create({entry("")}) == "invalidParameters");
  CHECK(create({entry("00")}) == "invalidParameters");
  CHECK(create({entry("00ab")}) == "invalidParameters");
  CHECK(create({entry("abc")}) == "invalidParameters");
  CHECK(create({entry("AB")}) == "invalidParameters");
  CHECK(create({entry("xy")}) == "invalidParameters");
  CHECK(create({entry(HexEncode(Bytes(20, 0x7f)))}) == "ok");
  CHECK(create({entry(HexEncode(Bytes(21, 0x7f)))}) == "invalidParameters");
  CHECK(create({entry(HexEncode(Bytes(20, 0x80)))}) == "invalidParameters");
  CHECK(create({entry("ab"), entry("ab")}) == "invalidParameters");
  CrlEntry bad_time = entry("ab");
  bad_time.revocation_time = -5;
  CHECK(create({bad_time}) == "invalidParameters");
  CrlEntry remove = entry("ab");
  remove.reason = static_cast<RevocationReason>(8);  // removeFromCRL: delta CRLs only
  CHECK(create({remove}) == "invalidParameters");

  Ca other;
  CHECK(ErrorCode(CreateCrl(other.key, ca.der, {}, kNow, kNow + 1, 1)) == "caKeyMismatch");
  crypto::SigningKey holder_key = crypto::SigningKey::Generate();
  const Bytes holder =
      IssueHolderCertificate(ca.key, ca.der,
                             {.identifier = identifier::Identifier::FromPayload(12345).value(),
                              .given_name = "Amal",
                              .surname = "Hassan",
                              .assurance_level = 3,
                              .evidence_class = std::nullopt,
                              .holder_key = holder_key.verifying_key(),
                              .not_before = kNow,
                              .not_after = kNow + kDay})
          .value();
  CHECK(ErrorCode(CreateCrl(ca.key, holder, {}, kNow, kNow + 1, 1)) == "invalidCaCertificate");
  CHECK(ErrorCode(CreateCrl(ca.key, Bytes{0x30, 0x00}, {}, kNow, kNow + 1, 1)) ==
        "invalidCaCertificate");
}

TEST_CASE("CRL: every flipped byte is rejected") {
  Ca ca;
  const Bytes crl = MakeCrl(ca, {SampleEntries()[0]});
  REQUIRE(ParseAndVerifyCrl(crl, ca.der, kNow).ok());
  for (size_t i = 0; i < crl.size(); ++i) {
    for (uint8_t mask : {uint8_t{0x01}, uint8_t{0x80}}) {
      Bytes tampered = crl;
      tampered[i] ^= mask;
      auto result = ParseAndVerifyCrl(tampered, ca.der, kNow);
      INFO("byte " << i << " mask " << int{mask});
      CHECK_FALSE(result.ok());
    }
  }
  // A flip in the signature value is exactly a bad signature.
  Bytes bad_signature = crl;
  bad_signature.back() ^= 0x01;
  CHECK(ErrorCode(ParseAndVerifyCrl(bad_signature, ca.der, kNow)) == "invalidSignature");
}

TEST_CASE("CRL: truncation, trailing bytes, garbage and PEM are rejected") {
  Ca ca;
  const Bytes crl = MakeCrl(ca);
  for (size_t n : {size_t{0}, size_t{1}, size_t{2}, crl.size() / 2, crl.size() - 1}) {
    CHECK(ErrorCode(ParseAndVerifyCrl(ByteView(crl).first(n), ca.der, kNow)) == "invalidCrl");
  }
  Bytes trailing = crl;
  trailing.push_back(0x00);
  CHECK(ErrorCode(ParseAndVerifyCrl(trailing, ca.der, kNow)) == "invalidCrl");
  Bytes two = crl;
  two.insert(two.end(), crl.begin(), crl.end());
  CHECK(ErrorCode(ParseAndVerifyCrl(two, ca.der, kNow)) == "invalidCrl");
  CHECK(ErrorCode(ParseAndVerifyCrl(crypto::RandomBytes(300), ca.der, kNow)) == "invalidCrl");
  const std::string pem = CrlToPem(crl);
  CHECK(ErrorCode(ParseAndVerifyCrl(AsBytes(pem), ca.der, kNow)) == "invalidCrl");
  // A certificate is not a CRL.
  CHECK(ErrorCode(ParseAndVerifyCrl(ca.der, ca.der, kNow)) == "invalidCrl");
  // The CA argument must be a CA.
  CHECK(ErrorCode(ParseAndVerifyCrl(crl, crl, kNow)) == "invalidCaCertificate");
}

TEST_CASE("CRL: another CA, with the same name or another, is not trusted") {
  Ca ca;
  Ca same_name;  // same subject, different key: the authorityKeyIdentifier tells them apart
  Ca other_name(kNow, "Another CA");
  const Bytes crl = MakeCrl(ca);
  CHECK(ErrorCode(ParseAndVerifyCrl(crl, same_name.der, kNow)) == "untrustedIssuer");
  CHECK(ErrorCode(ParseAndVerifyCrl(crl, other_name.der, kNow)) == "untrustedIssuer");
  CHECK(ErrorCode(ParseAndVerifyCrl(MakeCrl(other_name), ca.der, kNow)) == "untrustedIssuer");
  // Right name and key identifier but signed by another key.
  const Bytes forged = CustomCrl(same_name, [&](X509_CRL* c) {
    const unsigned char* p = ca.der.data();
    ci::X509Ptr real(d2i_X509(nullptr, &p, static_cast<long>(ca.der.size())));
    X509_EXTENSION_free(
        X509_CRL_delete_ext(c, X509_CRL_get_ext_by_NID(c, NID_authority_key_identifier, -1)));
    ci::AuthorityKeyIdPtr akid(AUTHORITY_KEYID_new());
    akid->keyid = ASN1_OCTET_STRING_dup(X509_get0_subject_key_id(real.get()));
    X509_CRL_add1_ext_i2d(c, NID_authority_key_identifier, akid.get(), 0, 0);
  });
  CHECK(ErrorCode(ParseAndVerifyCrl(forged, ca.der, kNow)) == "invalidSignature");
}

TEST_CASE("CRL: thisUpdate <= now < nextUpdate") {
  Ca ca;
  const Bytes crl = MakeCrl(ca, SampleEntries(), kNow, kNow + 3600);
  CHECK(ErrorCode(ParseAndVerifyCrl(crl, ca.der, kNow - 1)) == "crlNotYetValid");
  CHECK(ErrorCode(ParseAndVerifyCrl(crl, ca.der, kNow)) == "ok");
  CHECK(ErrorCode(ParseAndVerifyCrl(crl, ca.der, kNow + 3599)) == "ok");
  CHECK(ErrorCode(ParseAndVerifyCrl(crl, ca.der, kNow + 3600)) == "crlExpired");
  CHECK(ErrorCode(ParseAndVerifyCrl(crl, ca.der, kNow + 30 * kDay)) == "crlExpired");
}

TEST_CASE("CRL: profile violations that a correct signature does not excuse") {
  Ca ca;
  // The code, and for failures the message, so each case shows which check caught it.
  auto verify = [&](const Bytes& der) {
    auto result = ParseAndVerifyCrl(der, ca.der, kNow);
    if (!result.ok()) MESSAGE(result.error().message);
    return ErrorCode(result);
  };
  CHECK(verify(CustomCrl(ca, [](X509_CRL*) {})) == "ok");
  CHECK(verify(CustomCrl(ca, [](X509_CRL* c) { AddRevoked(c, 0x44, 6); })) == "ok");
  SUBCASE("v1") {
    CHECK(verify(CustomCrl(ca, [](X509_CRL* c) {
            // A v1 CRL has no extensions (RFC 5280 §5.1.2.1).
            while (X509_CRL_get_ext_count(c) > 0) X509_EXTENSION_free(X509_CRL_delete_ext(c, 0));
            X509_CRL_set_version(c, 0);
          })) == "invalidCrl");
  }
  SUBCASE("a critical extension: issuingDistributionPoint, or cRLNumber marked critical") {
    CHECK(verify(CustomCrl(ca, [](X509_CRL* c) {
            ISSUING_DIST_POINT* idp = ISSUING_DIST_POINT_new();
            idp->onlyuser = 0xff;
            X509_CRL_add1_ext_i2d(c, NID_issuing_distribution_point, idp, 1, 0);
            ISSUING_DIST_POINT_free(idp);
          })) == "invalidCrl");
    CHECK(verify(CustomCrl(ca, [](X509_CRL* c) {
            X509_EXTENSION_set_critical(X509_CRL_get_ext(c, 1), 1);
          })) == "invalidCrl");
  }
  SUBCASE("an unknown non-critical extension is ignored") {
    CHECK(verify(CustomCrl(ca, [](X509_CRL* c) {
            ASN1_OBJECT* oid = OBJ_txt2obj("1.3.6.1.4.1.99999.1", 1);
            ASN1_OCTET_STRING* data = ASN1_OCTET_STRING_new();
            const unsigned char null_value[] = {0x05, 0x00};
            ASN1_OCTET_STRING_set(data, null_value, 2);
            X509_EXTENSION* ext = X509_EXTENSION_create_by_OBJ(nullptr, oid, 0, data);
            X509_CRL_add_ext(c, ext, -1);
            X509_EXTENSION_free(ext);
            ASN1_OCTET_STRING_free(data);
            ASN1_OBJECT_free(oid);
          })) == "ok");
  }
  SUBCASE("cRLNumber or authorityKeyIdentifier missing; nextUpdate missing") {
    CHECK(verify(CustomCrl(ca, [](X509_CRL* c) {
            X509_EXTENSION_free(X509_CRL_delete_ext(c, X509_CRL_get_ext_by_NID(c, NID_crl_number, -1)));
          })) == "invalidCrl");
    CHECK(verify(CustomCrl(ca, [](X509_CRL* c) {
            X509_EXTENSION_free(X509_CRL_delete_ext(
                c, X509_CRL_get_ext_by_NID(c, NID_authority_key_identifier, -1)));
          })) == "invalidCrl");
    CHECK(verify(CustomCrl(ca, [](X509_CRL*) {}, /*with_next_update=*/false)) == "invalidCrl");
  }
  SUBCASE("entries: removeFromCRL, an unknown reason, a serial listed twice") {
    CHECK(verify(CustomCrl(ca, [](X509_CRL* c) { AddRevoked(c, 0x44, 8); })) == "invalidCrl");
    CHECK(verify(CustomCrl(ca, [](X509_CRL* c) { AddRevoked(c, 0x44, 11); })) == "invalidCrl");
    CHECK(verify(CustomCrl(ca, [](X509_CRL* c) {
            AddRevoked(c, 0x44, 1);
            AddRevoked(c, 0x44, std::nullopt);
          })) == "invalidCrl");
  }
  SUBCASE("an extension with critical FALSE written out is not DER") {
    CHECK(verify(CustomCrl(ca, [](X509_CRL* c) {
            // OpenSSL writes the BOOLEAN when the field is 0 rather than absent (-1).
            X509_EXTENSION* ext = X509_CRL_get_ext(c, 1);
            X509_EXTENSION_set_critical(ext, 1);
            ASN1_OBJECT* oid = OBJ_dup(X509_EXTENSION_get_object(ext));
            ASN1_OCTET_STRING* data = ASN1_OCTET_STRING_dup(X509_EXTENSION_get_data(ext));
            X509_EXTENSION_free(X509_CRL_delete_ext(c, 1));
            // Build "critical FALSE" by decoding a hand-made Extension.
            Bytes encoded = {0x30, 0x00};
            unsigned char* oid_der = nullptr;
            const int oid_len = i2d_ASN1_OBJECT(oid, &oid_der);
            Bytes body(oid_der, oid_der + oid_len);
            OPENSSL_free(oid_der);
            body.insert(body.end(), {0x01, 0x01, 0x00, 0x04,
                                     static_cast<uint8_t>(ASN1_STRING_length(data))});
            const unsigned char* d = ASN1_STRING_get0_data(data);
            body.insert(body.end(), d, d + ASN1_STRING_length(data));
            encoded[1] = static_cast<uint8_t>(body.size());
            encoded.insert(encoded.end(), body.begin(), body.end());
            const unsigned char* p = encoded.data();
            X509_EXTENSION* explicit_false =
                d2i_X509_EXTENSION(nullptr, &p, static_cast<long>(encoded.size()));
            REQUIRE(explicit_false != nullptr);
            X509_CRL_add_ext(c, explicit_false, -1);
            X509_EXTENSION_free(explicit_false);
            ASN1_OCTET_STRING_free(data);
            ASN1_OBJECT_free(oid);
          })) == "invalidCrl");
  }
}

TEST_CASE("CRL: PEM round trip and strictness") {
  Ca ca;
  const Bytes crl = MakeCrl(ca);
  const std::string pem = CrlToPem(crl);
  CHECK(pem.rfind("-----BEGIN X509 CRL-----\n", 0) == 0);
  CHECK(pem.ends_with("-----END X509 CRL-----\n"));
  auto der = CrlFromPem(pem);
  REQUIRE(der.ok());
  CHECK(*der == crl);
  CHECK(ErrorCode(CrlFromPem(CertificateToPem(crl))) == "invalidPem");
  CHECK(ErrorCode(CrlFromPem("junk\n" + pem)) == "invalidPem");
  CHECK(ErrorCode(CrlFromPem(pem + pem)) == "invalidPem");
  // The certificate reader is unchanged by the shared PEM code.
  CHECK(ErrorCode(CertificateFromPem(pem)) == "invalidPem");
  CHECK(CertificateFromPem(CertificateToPem(ca.der)).value() == ca.der);
}

TEST_CASE("CRL: openssl crl verifies it and openssl verify -crl_check sees the revocation") {
  if (Run("command -v openssl").first != 0) {
    MESSAGE("openssl CLI not installed; interop not checked");
    return;
  }
  const int64_t now = static_cast<int64_t>(std::time(nullptr));
  Ca ca(now);
  crypto::SigningKey holder_key = crypto::SigningKey::Generate();
  std::array<uint8_t, kSerialSize> serial{};
  const Bytes random = crypto::RandomBytes(kSerialSize);
  std::copy(random.begin(), random.end(), serial.begin());
  const Bytes holder =
      IssueHolderCertificate(ca.key, ca.der,
                             {.identifier = identifier::Identifier::FromPayload(987654).value(),
                              .given_name = "Amal",
                              .surname = "Hassan",
                              .assurance_level = 3,
                              .evidence_class = std::nullopt,
                              .holder_key = holder_key.verifying_key(),
                              .serial = serial,
                              .not_before = now - 60,
                              .not_after = now + 365 * kDay})
          .value();
  const std::string holder_serial = ParseCertificate(holder).value().serial_hex;

  TempDir dir("tillit-crl");
  const std::string ca_pem = dir.Write("ca.pem", CertificateToPem(ca.der));
  const std::string holder_pem = dir.Write("holder.pem", CertificateToPem(holder));
  const std::string empty_crl =
      dir.Write("empty.pem", CrlToPem(MakeCrl(ca, {}, now - 10, now + 3600, now)));
  const Bytes hold_der =
      MakeCrl(ca, {{.serial_hex = holder_serial, .revocation_time = now - 5,
                    .reason = RevocationReason::kCertificateHold}},
              now - 10, now + 3600, now + 1);
  const std::string hold_crl = dir.Write("hold.der", AsString(hold_der));
  const std::string hold_pem = dir.Write("hold.pem", CrlToPem(hold_der));

  int status = 0;
  std::string text;
  std::tie(status, text) = Run("openssl crl -inform DER -in " + hold_crl + " -CAfile " + ca_pem + " -noout");
  CHECK(status == 0);
  CHECK(text.find("verify OK") != std::string::npos);
  std::tie(status, text) = Run("openssl crl -inform DER -in " + hold_crl + " -noout -text");
  REQUIRE(status == 0);
  INFO(text);
  CHECK(text.find("Version 2 (0x1)") != std::string::npos);
  CHECK(text.find("Signature Algorithm: ED25519") != std::string::npos);
  CHECK(text.find("X509v3 Authority Key Identifier") != std::string::npos);
  CHECK(text.find("X509v3 CRL Number") != std::string::npos);
  CHECK(text.find("Certificate Hold") != std::string::npos);
  CHECK(text.find("Serial Number: " + [&] {
          std::string upper = holder_serial;
          for (char& c : upper) c = static_cast<char>(std::toupper(c));
          return upper;
        }()) != std::string::npos);
  // Another CA: openssl refuses the signature.
  Ca other(now);
  const std::string other_pem = dir.Write("other.pem", CertificateToPem(other.der));
  std::tie(status, text) = Run("openssl crl -inform DER -in " + hold_crl + " -CAfile " + other_pem + " -noout");
  CHECK(text.find("verify OK") == std::string::npos);

  // Path validation with the CRL: good with the empty one, revoked with the hold entry.
  std::tie(status, text) = Run("openssl verify -crl_check -CAfile " + ca_pem + " -CRLfile " +
                               empty_crl + " " + holder_pem);
  CHECK(status == 0);
  CHECK(text == holder_pem + ": OK\n");
  std::tie(status, text) = Run("openssl verify -crl_check -CAfile " + ca_pem + " -CRLfile " +
                               hold_pem + " " + holder_pem);
  CHECK(status != 0);
  CHECK(text.find("certificate revoked") != std::string::npos);

  // openssl's own re-encoding is byte-identical.
  std::tie(status, text) = Run("openssl crl -inform DER -in " + hold_crl + " -outform PEM");
  REQUIRE(status == 0);
  CHECK(CrlFromPem(text).value() == hold_der);
}
