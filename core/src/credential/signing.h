// Internal to credential/: signing a finished certificate or CRL through a crypto::Signer,
// whose key OpenSSL never sees (it may be in a PKCS#11 token).
//
// How: OpenSSL signs once with a throw-away Ed25519 key, which is the supported way to fill
// in both AlgorithmIdentifiers (the one inside the to-be-signed part and the outer one;
// OpenSSL 3.0 has no setter for the inner one). The to-be-signed bytes are then re-encoded
// (i2d_re_X509_tbs / i2d_re_X509_CRL_tbs), signed by the Signer, the signature verified under
// the Signer's public key, and the final DER assembled here:
//   SEQUENCE { tbs, SEQUENCE { OID 1.3.101.112 }, BIT STRING { 0x00, signature } }
// (RFC 5280 §4.1.1 and §5.1.1; RFC 8410 §3 and §6: no parameters, 64-byte signature). The
// result is parsed back with OpenSSL and its signature checked again, so whatever a Signer
// returns, a certificate or CRL that does not verify under the signer's key is never output.
// A custom OpenSSL provider wrapping the Signer would also work but is far more code.
//
// Thread safety: no shared state.
#pragma once

#include <openssl/x509.h>

#include "tillit/bytes.h"
#include "tillit/crypto/ed25519.h"
#include "tillit/crypto/signer.h"
#include "tillit/result.h"

namespace tillit::credential::internal {

// A Signer over a SigningKey owned by the caller, for the SigningKey overloads of the
// public functions. Must not outlive the key.
class BorrowedKeySigner final : public crypto::Signer {
 public:
  explicit BorrowedKeySigner(const crypto::SigningKey& key) : key_(key) {}
  const crypto::VerifyingKey& verifying_key() const override { return key_.verifying_key(); }
  Result<crypto::Signature> Sign(ByteView message) const override { return key_.Sign(message); }

 private:
  const crypto::SigningKey& key_;
};

// Signs `x509` (complete except for its signature) with `signer` and returns the
// certificate's DER. Errors: the signer's own (e.g. "signerUnavailable"), "signerFailed"
// (its signature does not verify under its verifying_key), "internalError".
Result<Bytes> SignCertificate(X509* x509, const crypto::Signer& signer);

// The same for a CRL (complete, entries sorted) of the CA whose key `signer` holds.
Result<Bytes> SignCrl(X509_CRL* crl, const crypto::Signer& signer);

}  // namespace tillit::credential::internal
