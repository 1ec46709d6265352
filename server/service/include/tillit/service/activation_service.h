// ActivationService: a resident's device registers its key with the one-time activation
// code from the desk (docs/desk-api.md §Device: activation). Challenge gives a fresh
// nonce bound to the code; Complete checks the code, the nonce and the device's Ed25519
// signature over
//   "tillit-activation-v1" || 0x00 || nonce (32) || SHA-256(canonical code) (32) || key (32)
// (DO NOT CHANGE), marks the code used and issues the holder certificate, in one durable
// transaction.
//
// A code dies after 5 wrong secrets (each counted durably, even though the request
// fails), one use, or 15 minutes. Error codes: "invalidCode" (unknown, wrong, used,
// locked), "codeExpired", "invalidParameters" (malformed input, a nonce that is not the
// pending one or has expired, a signature that does not verify: none of these consume the
// code), "conflict" (the device key is already registered), storage errors.
//
// Thread safety: thread-safe; the referenced store, clock and keys must outlive it.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>

#include "tillit/bytes.h"
#include "tillit/ports.h"
#include "tillit/result.h"
#include "tillit/service/issuer_keys.h"
#include "tillit/storage/store.h"

namespace tillit::service {

inline constexpr int64_t kMaxActivationAttempts = 5;
inline constexpr int64_t kActivationNonceLifetimeSeconds = 5 * 60;
// The context string of the activation signature. DO NOT CHANGE.
inline constexpr std::string_view kActivationContext = "tillit-activation-v1";

struct ActivationChallenge {
  Bytes nonce;             // 32 bytes
  int64_t expires_at = 0;  // unix seconds: the nonce's expiry (never after the code's)
  std::string identifier;
};

struct ActivatedCredential {
  std::string identifier;
  std::string credential_serial;  // lower-case hex
  Bytes certificate_der;
  Bytes ca_certificate_der;
  std::string given_name;
  std::string surname;
  int assurance_level = 1;
  int64_t not_after = 0;
};

// The 16-symbol canonical form of an activation code typed by a person: spaces and hyphens
// dropped, lower case folded. Errors: "invalidCode" (wrong length or a symbol outside the
// identifier alphabet).
Result<std::string> CanonicalActivationCode(std::string_view text);

// The exact bytes the device signs (see above).
Bytes ActivationSignedMessage(ByteView nonce, std::string_view canonical_code,
                              ByteView public_key);

class ActivationService {
 public:
  ActivationService(server::storage::Store& store, const Clock& clock, const IssuerKeys& keys)
      : store_(store), clock_(clock), keys_(keys) {}

  // Checks the code and sets a fresh nonce (replacing any earlier one).
  Result<ActivationChallenge> Challenge(std::string_view code);

  // Checks the code, the nonce and the signature, then uses the code and issues the
  // certificate (random 16-byte serial, 2 years, the enrolment's assurance level).
  Result<ActivatedCredential> Complete(std::string_view code, ByteView nonce,
                                       ByteView public_key, ByteView signature);

 private:
  server::storage::Store& store_;
  const Clock& clock_;
  const IssuerKeys& keys_;
};

}  // namespace tillit::service
