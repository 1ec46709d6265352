// Tests for tillit/credential/tls_pin.h: the pin is SHA-256 of the SubjectPublicKeyInfo
// (checked against a hand-built Ed25519 SPKI and OpenSSL's own digest of a P-256 key), the
// first certificate of a chain is the one pinned, and the text form round-trips and
// rejects everything else.
#include "tillit/credential/tls_pin.h"

#include <doctest/doctest.h>
#include <openssl/ec.h>
#include <openssl/evp.h>
#include <openssl/pem.h>
#include <openssl/x509.h>

#include <memory>
#include <string>

#include "tillit/credential/certificate.h"
#include "tillit/crypto/ed25519.h"
#include "tillit/crypto/hash.h"

using namespace tillit;
using namespace tillit::credential;

namespace {

constexpr int64_t kNow = 1767225600;

Bytes MakeEd25519Ca(const crypto::SigningKey& key) {
  auto der = CreateCaCertificate(key, {.common_name = "Pin Test", .organisation = "Tillit",
                                       .not_before = kNow, .not_after = kNow + 86400});
  REQUIRE(der.ok());
  return *der;
}

// A self-signed P-256 certificate in PEM, and the SHA-256 of its key's SPKI as OpenSSL
// encodes it.
std::pair<std::string, Bytes> MakeP256Pem() {
  std::unique_ptr<EVP_PKEY, decltype(&EVP_PKEY_free)> key(EVP_EC_gen("P-256"), EVP_PKEY_free);
  REQUIRE(key);
  std::unique_ptr<X509, decltype(&X509_free)> cert(X509_new(), X509_free);
  X509_set_version(cert.get(), 2);
  ASN1_INTEGER_set(X509_get_serialNumber(cert.get()), 7);
  X509_gmtime_adj(X509_getm_notBefore(cert.get()), 0);
  X509_gmtime_adj(X509_getm_notAfter(cert.get()), 3600);
  X509_NAME_add_entry_by_txt(X509_get_subject_name(cert.get()), "CN", MBSTRING_ASC,
                             reinterpret_cast<const unsigned char*>("localhost"), -1, -1, 0);
  X509_set_issuer_name(cert.get(), X509_get_subject_name(cert.get()));
  X509_set_pubkey(cert.get(), key.get());
  REQUIRE(X509_sign(cert.get(), key.get(), EVP_sha256()) > 0);
  std::unique_ptr<BIO, decltype(&BIO_free)> bio(BIO_new(BIO_s_mem()), BIO_free);
  PEM_write_bio_X509(bio.get(), cert.get());
  char* data = nullptr;
  long size = BIO_get_mem_data(bio.get(), &data);
  // The SubjectPublicKeyInfo as OpenSSL encodes the key itself (not from the certificate).
  unsigned char* spki = nullptr;
  const int spki_size = i2d_PUBKEY(key.get(), &spki);
  REQUIRE(spki_size > 0);
  unsigned char digest[32];
  unsigned int digest_size = 0;
  REQUIRE(EVP_Digest(spki, static_cast<size_t>(spki_size), digest, &digest_size, EVP_sha256(),
                     nullptr) == 1);
  OPENSSL_free(spki);
  return {std::string(data, static_cast<size_t>(size)), Bytes(digest, digest + digest_size)};
}

}  // namespace

TEST_CASE("the pin of an Ed25519 certificate is SHA-256 of its SubjectPublicKeyInfo") {
  crypto::SigningKey key = crypto::SigningKey::Generate();
  const Bytes der = MakeEd25519Ca(key);
  // RFC 8410 §4: SEQUENCE { SEQUENCE { OID 1.3.101.112 }, BIT STRING { 0, key } }.
  Bytes spki = {0x30, 0x2a, 0x30, 0x05, 0x06, 0x03, 0x2b, 0x65, 0x70, 0x03, 0x21, 0x00};
  const ByteView pub = key.verifying_key().bytes();
  spki.insert(spki.end(), pub.begin(), pub.end());
  const crypto::Sha256Digest expected = crypto::Sha256(spki);

  auto pin = TlsPinOfCertificate(der);
  REQUIRE(pin.ok());
  CHECK(*pin == Bytes(expected.begin(), expected.end()));

  auto from_pem = TlsPinOfPemCertificate(CertificateToPem(der));
  REQUIRE(from_pem.ok());
  CHECK(*from_pem == *pin);
}

TEST_CASE("the pin of a P-256 certificate is SHA-256 of the key's SPKI") {
  auto [pem, expected] = MakeP256Pem();
  auto pin = TlsPinOfPemCertificate(pem);
  REQUIRE(pin.ok());
  CHECK(*pin == expected);
}

TEST_CASE("a chain is pinned by its first certificate") {
  auto [leaf_pem, leaf_pin] = MakeP256Pem();
  crypto::SigningKey key = crypto::SigningKey::Generate();
  const std::string chain = leaf_pem + CertificateToPem(MakeEd25519Ca(key));
  auto pin = TlsPinOfPemCertificate(chain);
  REQUIRE(pin.ok());
  CHECK(*pin == leaf_pin);
}

TEST_CASE("a different key gives a different pin") {
  crypto::SigningKey a = crypto::SigningKey::Generate();
  crypto::SigningKey b = crypto::SigningKey::Generate();
  CHECK(TlsPinOfCertificate(MakeEd25519Ca(a)).value() !=
        TlsPinOfCertificate(MakeEd25519Ca(b)).value());
}

TEST_CASE("bad certificates are refused") {
  crypto::SigningKey key = crypto::SigningKey::Generate();
  Bytes der = MakeEd25519Ca(key);
  CHECK(TlsPinOfCertificate({}).error().code == "invalidCertificate");
  Bytes trailing = der;
  trailing.push_back(0);
  CHECK(TlsPinOfCertificate(trailing).error().code == "invalidCertificate");
  Bytes truncated(der.begin(), der.end() - 1);
  CHECK(TlsPinOfCertificate(truncated).error().code == "invalidCertificate");
  Bytes garbage = {0x30, 0x03, 0x02, 0x01, 0x01};
  CHECK(TlsPinOfCertificate(garbage).error().code == "invalidCertificate");

  CHECK(TlsPinOfPemCertificate("").error().code == "invalidPem");
  CHECK(TlsPinOfPemCertificate("-----BEGIN PRIVATE KEY-----\nAAAA\n-----END PRIVATE KEY-----\n")
            .error()
            .code == "invalidPem");
  CHECK(TlsPinOfPemCertificate("-----BEGIN CERTIFICATE-----\n!!!!\n-----END CERTIFICATE-----\n")
            .error()
            .code == "invalidCertificate");
  CHECK(TlsPinOfPemCertificate(std::string(2 << 20, 'A')).error().code == "invalidPem");
}

TEST_CASE("the text form round-trips and is strict") {
  crypto::SigningKey key = crypto::SigningKey::Generate();
  const Bytes pin = TlsPinOfCertificate(MakeEd25519Ca(key)).value();
  const std::string text = FormatTlsPin(pin);
  CHECK(text.size() == kTlsPinTextSize);
  auto parsed = ParseTlsPin(text);
  REQUIRE(parsed.ok());
  CHECK(*parsed == pin);

  CHECK(ParseTlsPin("").error().code == "invalidPin");
  CHECK(ParseTlsPin(text.substr(1)).error().code == "invalidPin");
  CHECK(ParseTlsPin(text + "=").error().code == "invalidPin");
  CHECK(ParseTlsPin(text + "A").error().code == "invalidPin");
  std::string bad_char = text;
  bad_char[5] = '+';
  CHECK(ParseTlsPin(bad_char).error().code == "invalidPin");
  // 43 characters carry 258 bits; the last two must be zero.
  std::string stray_bits = text.substr(0, 42) + "B";
  if (stray_bits != text) CHECK(ParseTlsPin(stray_bits).error().code == "invalidPin");
}
