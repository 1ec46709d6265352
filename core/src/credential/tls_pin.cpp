#include "tillit/credential/tls_pin.h"

#include <openssl/bio.h>
#include <openssl/pem.h>

#include <climits>

#include "openssl_util.h"
#include "tillit/crypto/hash.h"

namespace tillit::credential {
namespace {

using internal::X509Ptr;

// A TLS certificate file is small; more is not a certificate.
constexpr size_t kMaxPemSize = 1 << 20;

Result<Bytes> PinOf(X509* cert) {
  unsigned char* der = nullptr;
  const int size = i2d_X509_PUBKEY(X509_get_X509_PUBKEY(cert), &der);
  if (size <= 0) return MakeError("invalidCertificate", "the certificate has no public key");
  const crypto::Sha256Digest digest = crypto::Sha256(ByteView(der, static_cast<size_t>(size)));
  OPENSSL_free(der);
  return Bytes(digest.begin(), digest.end());
}

}  // namespace

Result<Bytes> TlsPinOfCertificate(ByteView certificate_der) {
  internal::OpensslErrorScope errors;
  if (certificate_der.empty() || certificate_der.size() > kMaxPemSize) {
    return MakeError("invalidCertificate", "not a DER certificate");
  }
  const unsigned char* p = certificate_der.data();
  X509Ptr cert(d2i_X509(nullptr, &p, static_cast<long>(certificate_der.size())));
  if (!cert || p != certificate_der.data() + certificate_der.size()) {
    return MakeError("invalidCertificate", "not one DER certificate");
  }
  return PinOf(cert.get());
}

Result<Bytes> TlsPinOfPemCertificate(std::string_view pem) {
  internal::OpensslErrorScope errors;
  if (pem.size() > kMaxPemSize) return MakeError("invalidPem", "the PEM text is too large");
  if (pem.find("-----BEGIN CERTIFICATE-----") == std::string_view::npos) {
    return MakeError("invalidPem", "no CERTIFICATE block");
  }
  std::unique_ptr<BIO, internal::OpensslDeleter<BIO_free>> bio(
      BIO_new_mem_buf(pem.data(), static_cast<int>(pem.size())));
  if (!bio) return MakeError("internalError", "out of memory");
  X509Ptr cert(PEM_read_bio_X509(bio.get(), nullptr, nullptr, nullptr));
  if (!cert) return MakeError("invalidCertificate", "the first CERTIFICATE block does not parse");
  return PinOf(cert.get());
}

std::string FormatTlsPin(ByteView pin) { return Base64UrlEncode(pin); }

Result<Bytes> ParseTlsPin(std::string_view text) {
  if (text.size() != kTlsPinTextSize) {
    return MakeError("invalidPin", "a pin is 43 base64url characters");
  }
  auto bytes = Base64UrlDecode(text);
  // Base64UrlDecode is strict (bytes.h): no padding, no other alphabet, no stray bits.
  if (!bytes.ok() || bytes->size() != kTlsPinSize) {
    return MakeError("invalidPin", "a pin is 43 base64url characters");
  }
  return std::move(*bytes);
}

}  // namespace tillit::credential
