// Signer: an Ed25519 private key used through an interface, so the issuer CA's key can live
// in memory (SoftwareSigner) or somewhere it never leaves (a PKCS#11 token, implemented in
// server/service, since core has no I/O). Certificate and CRL issuance take a Signer
// (credential/certificate.h, credential/crl.h) and verify every signature it returns under
// its verifying_key before using it, so a broken or misconfigured signer cannot produce a
// credential.
//
// Thread safety: implementations' const methods are safe to call concurrently (a signer that
// cannot sign concurrently serialises internally).
#pragma once

#include <utility>

#include "tillit/bytes.h"
#include "tillit/crypto/ed25519.h"
#include "tillit/result.h"

namespace tillit::crypto {

class Signer {
 public:
  virtual ~Signer() = default;

  // The public key matching the signatures Sign returns. Fixed for the signer's lifetime.
  virtual const VerifyingKey& verifying_key() const = 0;

  // The pure Ed25519 signature of message (RFC 8032 §5.1.6). Callers verify it; a signer may
  // fail, e.g. "signerUnavailable" (a token that cannot be reached; retry later) or
  // "signerFailed" (it returned something that is not a valid signature under its key).
  virtual Result<Signature> Sign(ByteView message) const = 0;
};

// A Signer over a SigningKey held in memory. Never fails.
class SoftwareSigner final : public Signer {
 public:
  explicit SoftwareSigner(SigningKey key) : key_(std::move(key)) {}

  const VerifyingKey& verifying_key() const override { return key_.verifying_key(); }
  Result<Signature> Sign(ByteView message) const override { return key_.Sign(message); }

  // The key itself, e.g. to encrypt it into a key file.
  const SigningKey& key() const { return key_; }

 private:
  SigningKey key_;
};

}  // namespace tillit::crypto
