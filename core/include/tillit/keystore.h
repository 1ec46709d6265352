// The KeyStore port: where the device keeps the holder's Ed25519 private key, unlocked by a
// PIN. core declares it; platform/ implements it (platform::FileKeyStore seals the key in a
// file under an Argon2id-derived key), and a phone build can implement it over the secure
// element (Android StrongBox / Keystore, Apple Secure Enclave), which enforces the attempt
// counter in hardware. docs/keystore.md has the threat model and the file format.
//
// Also the policy for new PINs. The PIN is the activation secret of a multi-factor
// cryptographic software authenticator (NIST SP 800-63B §5.1.8.1): at least 6 decimal digits,
// rate limited (§5.2.2), and checked against a block-list of common values (§5.1.1.2).
//
// Thread safety: ValidateNewPin is thread-safe. Each KeyStore implementation documents its
// own.
#pragma once

#include <cstddef>
#include <span>
#include <string_view>

#include "tillit/crypto/ed25519.h"
#include "tillit/result.h"

namespace tillit {

// Consecutive wrong PINs after which the key is destroyed (the holder then activates the eID
// again at the desk). SP 800-63B §5.2.2 allows at most 100 and design.md at most 10; 5 keeps
// a thief's odds through the app at 5 in 10^6 for a random 6-digit PIN.
inline constexpr int kMaxPinAttempts = 5;

inline constexpr size_t kMinPinLength = 6;
inline constexpr size_t kMaxPinLength = 64;

// Ok iff pin is acceptable as a new PIN: only ASCII digits '0'-'9', at least kMinPinLength
// and at most kMaxPinLength of them, and not easy to guess: not on PinBlockList(), not one
// digit repeated (000000, 22222222), not a run of consecutive digits up or down, wrapping
// from 9 to 0 (234567, 987654, 7890123, 1234567890), and not a shorter block repeated
// (121212, 123123, 520520, 12341234).
// Errors, checked in this order: "pinTooLong", "pinNotDigits", "pinTooShort", "pinTooCommon".
// Only new PINs are checked; Unlock accepts whatever was set before.
[[nodiscard]] Status ValidateNewPin(std::string_view pin);

// The explicit block-list of common PINs used by ValidateNewPin (in addition to its rules),
// from published PIN-frequency studies: keypad patterns, dates-as-words, popular numbers.
std::span<const std::string_view> PinBlockList();

// Holds one Ed25519 signing key sealed under a PIN, with an attempt counter: after
// kMaxPinAttempts consecutive wrong PINs the key is destroyed.
//
// Error codes shared by all implementations: "noKey" (no key stored), "keyExists",
// "wrongPin", "pinLocked" (destroyed after too many wrong PINs, until the next Create),
// the ValidateNewPin codes, and implementation-specific storage errors (for the file store:
// "keyStoreCorrupt", "unsupportedVersion", "ioError", "insecurePermissions").
class KeyStore {
 public:
  virtual ~KeyStore();

  // True iff a usable key is stored: false when there is none, after a lockout, and when the
  // store cannot be read (the other methods report why).
  virtual bool HasKey() const = 0;

  // Stores key sealed under pin, with the attempt counter at zero. Also the way out of a
  // lockout (re-activation). Checks pin with ValidateNewPin first.
  // Errors: "keyExists" if a key is present (Destroy it first), ValidateNewPin's codes,
  // storage errors.
  virtual Status Create(std::string_view pin, const crypto::SigningKey& key) = 0;

  // The stored key, if pin is right. Every call counts as an attempt before the PIN is tried
  // (so that interrupting it gives no free guess); a right PIN resets the count.
  // Errors: "wrongPin" (the message says how many attempts are left), "pinLocked" (this was
  // the last attempt, or an earlier one was: the key is gone), "noKey", storage errors.
  virtual Result<crypto::SigningKey> Unlock(std::string_view pin) = 0;

  // Replaces the PIN. old_pin is checked exactly as by Unlock (and counts as an attempt);
  // new_pin must pass ValidateNewPin, which is checked first so that a rejected new PIN
  // costs no attempt. On any failure the old PIN stays valid.
  // Errors: Unlock's codes, ValidateNewPin's codes, storage errors.
  virtual Status ChangePin(std::string_view old_pin, std::string_view new_pin) = 0;

  // Wrong PINs that may still be entered before the key is destroyed: kMaxPinAttempts after
  // a right PIN, 0 after a lockout. Errors: "noKey" (no key and no lockout), storage errors.
  virtual Result<int> AttemptsLeft() const = 0;

  // The stored key's public half; readable without the PIN (e.g. to show the key id or to
  // request a certificate). Errors: "noKey", "pinLocked", storage errors.
  virtual Result<crypto::VerifyingKey> PublicKey() const = 0;

  // Removes the key and any lockout record (e.g. the holder deletes the eID from the
  // device). Succeeds if there was nothing to remove. Errors: storage errors.
  virtual Status Destroy() = 0;
};

}  // namespace tillit
