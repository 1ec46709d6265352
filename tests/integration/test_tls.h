// Test-made TLS material for the HTTPS tests (docs/http.md §TLS): a CA, a server
// certificate for 127.0.0.1 / localhost signed by it, and client certificates with a
// chosen subject signed by a second CA, all P-256 (what browsers and most TLS stacks
// accept), written as PEM files. Header-only so that any test can use it; never used by
// production code.
#pragma once

#include <openssl/ec.h>
#include <openssl/evp.h>
#include <openssl/pem.h>
#include <openssl/x509.h>
#include <openssl/x509v3.h>

#include <cstdio>
#include <filesystem>
#include <memory>
#include <stdexcept>
#include <string>
#include <utility>
#include <vector>

namespace tillit::testing {

struct TlsKeyPair {
  std::shared_ptr<EVP_PKEY> key;
  std::shared_ptr<X509> cert;
};

namespace tls_internal {

inline void Check(bool ok, const char* what) {
  if (!ok) throw std::runtime_error(std::string("test TLS material: ") + what);
}

inline std::shared_ptr<EVP_PKEY> NewKey() {
  std::shared_ptr<EVP_PKEY> key(EVP_EC_gen("P-256"), EVP_PKEY_free);
  Check(key != nullptr, "EVP_EC_gen");
  return key;
}

// Adds "CN=..,O=.." style fields to `name` from {{"CN","x"},{"O","y"}}.
inline void AddNameFields(X509_NAME* name,
                          const std::vector<std::pair<std::string, std::string>>& fields) {
  for (const auto& [field, value] : fields) {
    Check(X509_NAME_add_entry_by_txt(name, field.c_str(), MBSTRING_UTF8,
                                     reinterpret_cast<const unsigned char*>(value.c_str()), -1,
                                     -1, 0) == 1,
          "X509_NAME_add_entry_by_txt");
  }
}

inline void AddExtension(X509* cert, X509* issuer, int nid, const char* value) {
  X509V3_CTX ctx;
  X509V3_set_ctx_nodb(&ctx);
  X509V3_set_ctx(&ctx, issuer, cert, nullptr, nullptr, 0);
  X509_EXTENSION* ext = X509V3_EXT_conf_nid(nullptr, &ctx, nid, value);
  Check(ext != nullptr, "X509V3_EXT_conf_nid");
  X509_add_ext(cert, ext, -1);
  X509_EXTENSION_free(ext);
}

inline long NextSerial() {
  static long serial = 1000;
  return ++serial;
}

// Signs a new certificate for `key` with `subject`; self-signed when issuer is null.
// `extensions` are (nid, value) pairs in openssl.cnf syntax.
inline TlsKeyPair MakeCert(const std::shared_ptr<EVP_PKEY>& key,
                           const std::vector<std::pair<std::string, std::string>>& subject,
                           const TlsKeyPair* issuer,
                           const std::vector<std::pair<int, std::string>>& extensions,
                           long valid_from_seconds = -3600, long valid_for_seconds = 86400) {
  std::shared_ptr<X509> cert(X509_new(), X509_free);
  Check(cert != nullptr, "X509_new");
  X509_set_version(cert.get(), 2);
  ASN1_INTEGER_set(X509_get_serialNumber(cert.get()), NextSerial());
  X509_gmtime_adj(X509_getm_notBefore(cert.get()), valid_from_seconds);
  X509_gmtime_adj(X509_getm_notAfter(cert.get()), valid_from_seconds + valid_for_seconds);
  AddNameFields(X509_get_subject_name(cert.get()), subject);
  X509* issuer_cert = issuer ? issuer->cert.get() : cert.get();
  X509_set_issuer_name(cert.get(), X509_get_subject_name(issuer_cert));
  X509_set_pubkey(cert.get(), key.get());
  for (const auto& [nid, value] : extensions) {
    AddExtension(cert.get(), issuer_cert, nid, value.c_str());
  }
  EVP_PKEY* signer = issuer ? issuer->key.get() : key.get();
  Check(X509_sign(cert.get(), signer, EVP_sha256()) > 0, "X509_sign");
  return {key, cert};
}

inline void WriteFile(const std::filesystem::path& path, const std::string& text) {
  FILE* f = std::fopen(path.c_str(), "wb");
  Check(f != nullptr, "fopen");
  const bool ok = std::fwrite(text.data(), 1, text.size(), f) == text.size();
  Check(std::fclose(f) == 0 && ok, "write");
}

}  // namespace tls_internal

inline std::string CertificatePem(const TlsKeyPair& pair) {
  std::unique_ptr<BIO, decltype(&BIO_free)> bio(BIO_new(BIO_s_mem()), BIO_free);
  PEM_write_bio_X509(bio.get(), pair.cert.get());
  char* data = nullptr;
  const long size = BIO_get_mem_data(bio.get(), &data);
  return std::string(data, static_cast<size_t>(size));
}

inline std::string PrivateKeyPem(const TlsKeyPair& pair) {
  std::unique_ptr<BIO, decltype(&BIO_free)> bio(BIO_new(BIO_s_mem()), BIO_free);
  PEM_write_bio_PrivateKey(bio.get(), pair.key.get(), nullptr, nullptr, 0, nullptr, nullptr);
  char* data = nullptr;
  const long size = BIO_get_mem_data(bio.get(), &data);
  return std::string(data, static_cast<size_t>(size));
}

// A CA certificate (basicConstraints CA:TRUE, keyCertSign).
inline TlsKeyPair MakeTlsCa(const std::string& common_name) {
  using namespace tls_internal;
  return MakeCert(NewKey(), {{"CN", common_name}, {"O", "Tillit test"}}, nullptr,
                  {{NID_basic_constraints, "critical,CA:TRUE"},
                   {NID_key_usage, "critical,keyCertSign,cRLSign"},
                   {NID_subject_key_identifier, "hash"}});
}

// A TLS server certificate for `dns_and_ips` (e.g. "IP:127.0.0.1,DNS:localhost"), signed by
// `ca`. valid_from/for move the validity window (an expired certificate: from -7200, for 3600).
inline TlsKeyPair MakeTlsServerCert(const TlsKeyPair& ca,
                                    const std::string& dns_and_ips = "IP:127.0.0.1,DNS:localhost",
                                    long valid_from_seconds = -3600,
                                    long valid_for_seconds = 86400) {
  using namespace tls_internal;
  return MakeCert(NewKey(), {{"CN", "localhost"}, {"O", "Tillit test"}}, &ca,
                  {{NID_basic_constraints, "critical,CA:FALSE"},
                   {NID_key_usage, "critical,digitalSignature"},
                   {NID_ext_key_usage, "serverAuth"},
                   {NID_subject_alt_name, dns_and_ips},
                   {NID_authority_key_identifier, "keyid"}},
                  valid_from_seconds, valid_for_seconds);
}

// A TLS client certificate with the given subject fields, in order, e.g.
// {{"C","SE"},{"O","Exempelkommun"},{"CN","e-tjanst"}}, signed by `ca`.
inline TlsKeyPair MakeTlsClientCert(
    const TlsKeyPair& ca, const std::vector<std::pair<std::string, std::string>>& subject) {
  using namespace tls_internal;
  return MakeCert(NewKey(), subject, &ca,
                  {{NID_basic_constraints, "critical,CA:FALSE"},
                   {NID_key_usage, "critical,digitalSignature"},
                   {NID_ext_key_usage, "clientAuth"},
                   {NID_authority_key_identifier, "keyid"}});
}

// Writes DIR/NAME.pem (certificate) and DIR/NAME.key (private key, PKCS#8 PEM, 0600).
// Returns {certificate path, key path}.
inline std::pair<std::string, std::string> WriteTlsPair(const std::filesystem::path& dir,
                                                        const std::string& name,
                                                        const TlsKeyPair& pair) {
  const std::filesystem::path cert = dir / (name + ".pem");
  const std::filesystem::path key = dir / (name + ".key");
  tls_internal::WriteFile(cert, CertificatePem(pair));
  tls_internal::WriteFile(key, PrivateKeyPem(pair));
  std::filesystem::permissions(key, std::filesystem::perms::owner_read |
                                        std::filesystem::perms::owner_write);
  return {cert.string(), key.string()};
}

}  // namespace tillit::testing
