// Ed25519 signatures (RFC 8032 §5.1, "pure" Ed25519 without context or prehash), over
// libsodium: Signature (unverified bytes), VerifyingKey (public) and SigningKey (private).
//
// Verification is strict: it rejects non-canonical S (S >= L, RFC 8032 §5.1.7), small-order
// or non-canonical R and public keys, and signatures of any length other than 64 bytes, so a
// message has no second valid signature derived from a first (no malleability).
// All const methods are thread-safe.
#pragma once

#include <array>
#include <cstdint>

#include "tillit/bytes.h"
#include "tillit/crypto/secret.h"
#include "tillit/result.h"

namespace tillit::crypto {

// A 64-byte Ed25519 signature R || S. Holding one proves nothing; only
// VerifyingKey::Verify says whether it is valid.
class Signature {
 public:
  static constexpr size_t kSize = 64;

  // Takes exactly 64 bytes; anything shorter or longer (e.g. trailing bytes) is rejected.
  // Errors: "invalidLength".
  static Result<Signature> Parse(ByteView bytes);

  ByteView bytes() const { return bytes_; }
  bool operator==(const Signature&) const = default;

 private:
  friend class SigningKey;
  explicit Signature(const std::array<uint8_t, kSize>& bytes) : bytes_(bytes) {}
  std::array<uint8_t, kSize> bytes_;
};

// An Ed25519 public key: a point of prime order on edwards25519, in its canonical 32-byte
// encoding (RFC 8032 §5.1.2).
class VerifyingKey {
 public:
  static constexpr size_t kSize = 32;

  // Validates an encoded public key. Rejects anything but 32 bytes ("invalidLength"), and
  // ("invalidKey") non-canonical encodings, points not on the curve, small-order points and
  // points outside the prime-order subgroup (crypto_core_ed25519_is_valid_point): honestly
  // generated keys always pass, and verification would reject the first three anyway.
  static Result<VerifyingKey> Create(ByteView bytes);

  // Ok iff signature is a valid signature of message under this key.
  // Errors: "invalidSignature".
  [[nodiscard]] Status Verify(ByteView message, const Signature& signature) const;

  ByteView bytes() const { return bytes_; }
  bool operator==(const VerifyingKey&) const = default;

 private:
  friend class SigningKey;
  explicit VerifyingKey(const std::array<uint8_t, kSize>& bytes) : bytes_(bytes) {}
  std::array<uint8_t, kSize> bytes_;
};

// An Ed25519 private key, held as its 32-byte seed (RFC 8032 §5.1.5) and libsodium's 64-byte
// expanded form, both in SecretBytes. Move-only; a moved-from key must not be used.
class SigningKey {
 public:
  static constexpr size_t kSeedSize = 32;

  // A fresh key from the system RNG.
  static SigningKey Generate();
  // The key derived from a 32-byte seed (deterministic). Errors: "invalidLength".
  static Result<SigningKey> FromSeed(const SecretBytes& seed);

  SigningKey(const SigningKey&) = delete;
  SigningKey& operator=(const SigningKey&) = delete;
  SigningKey(SigningKey&&) noexcept = default;
  SigningKey& operator=(SigningKey&&) noexcept = default;

  // The deterministic 64-byte signature of message (RFC 8032 §5.1.6).
  Signature Sign(ByteView message) const;

  // The matching public key.
  const VerifyingKey& verifying_key() const { return verifying_key_; }

  // The 32-byte seed, e.g. for storing the key sealed in a key store.
  const SecretBytes& seed(InsecureSecretAccess) const { return seed_; }

 private:
  SigningKey(SecretBytes seed, SecretBytes secret_key, VerifyingKey verifying_key);

  SecretBytes seed_;        // 32 bytes
  SecretBytes secret_key_;  // 64 bytes: seed || public key (libsodium's layout)
  VerifyingKey verifying_key_;
};

}  // namespace tillit::crypto
