// Pkcs11Signer: the issuer CA's Ed25519 key in a PKCS#11 token (an HSM; SoftHSM2 in tests),
// used through the PKCS#11 API directly (the module is dlopen()ed; no wrapper library).
// Signs with CKM_EDDSA without parameters, i.e. pure Ed25519 (PKCS#11 v3.0 §2.3.14; RFC
// 8032 §5.1), and checks every signature under the token's public key before returning it,
// so a wrong key or a broken token can never put a bad signature into a credential.
// What an operator needs for a real HSM: docs/operations.md §1.1.
//
// Thread safety: all methods may be called concurrently. A PKCS#11 session must not be used
// by two threads at once, so signing is serialised by a mutex (issuance is not a hot path);
// a caller waits for it at most 5 s, so a hung token holds one thread, not all of them.
// Several signers in one process may use the same module (however its path is spelt); it
// is initialised once and finalised when the last of them is destroyed. A module that
// another library of the process initialised first is left to that library: never
// finalised or re-initialised here. Signers share the token's login state, as PKCS#11
// defines it per application.
#pragma once

#include <memory>
#include <string>

#include "tillit/crypto/secret.h"
#include "tillit/crypto/signer.h"
#include "tillit/result.h"

namespace tillit::service {

struct Pkcs11KeyOptions {
  std::string module_path;  // the PKCS#11 module (shared library) to load
  std::string token_label;  // CKA_LABEL of the token (blank padding ignored)
  std::string key_label;    // CKA_LABEL of the private key and of its public key object
  crypto::SecretBytes pin;  // the user PIN (CKU_USER); never logged
};

class Pkcs11Signer final : public crypto::Signer {
 public:
  // Loads the module, finds the token by label, opens a session, logs in as the user and
  // finds the private key (CKO_PRIVATE_KEY, CKK_EC_EDWARDS) and its public key (CKO_PUBLIC_KEY,
  // same label; CKA_EC_POINT as a DER OCTET STRING or the raw 32 bytes), then signs and
  // verifies a test message. Errors: "signerUnavailable" (the module cannot be loaded, the
  // token is not present, the token fails), "invalidParameters" (an option is empty, or two
  // present tokens carry token_label: which one holds the CA key would be a guess),
  // "caKeyLocked" (the token refuses the PIN, or the PIN is locked), "notFound" (no such
  // private or public key, or more than one), "invalidKey" (not an Ed25519 key),
  // "signerFailed" (the test signature does not verify, or is not 64 bytes: the public key
  // is not the private key's, or the token is broken). No message contains the PIN.
  static Result<std::unique_ptr<Pkcs11Signer>> Open(const Pkcs11KeyOptions& options);

  ~Pkcs11Signer() override;
  Pkcs11Signer(const Pkcs11Signer&) = delete;
  Pkcs11Signer& operator=(const Pkcs11Signer&) = delete;

  const crypto::VerifyingKey& verifying_key() const override;

  // Signs with CKM_EDDSA. If the session has gone (token removed and reinserted, HSM
  // restarted: a session, login, device or stale-handle error), opens a new one, logs in and
  // finds the key again, once; any other refusal is returned as it is, without logging in
  // again. A PIN the token refuses is never tried again (the token would lock it). After a
  // failed reconnect, calls within the next second fail at once without touching the module.
  // Errors: "signerUnavailable" (the token cannot be reached, refuses to sign, or another
  // signature has held it for 5 s), "signerFailed" (the token's signature is not 64 bytes or
  // does not verify under its public key). Their messages are coarse (they may reach
  // clients); the detail is written to stderr.
  Result<crypto::Signature> Sign(ByteView message) const override;

  struct State;  // the module, session and key handles (pkcs11_signer.cpp)

 private:
  explicit Pkcs11Signer(std::unique_ptr<State> state);
  std::unique_ptr<State> state_;
};

}  // namespace tillit::service
