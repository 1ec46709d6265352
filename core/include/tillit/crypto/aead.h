// Authenticated encryption with associated data: XChaCha20-Poly1305 (IETF variant,
// draft-irtf-cfrg-xchacha-03) over libsodium. Callers pick neither nonce nor algorithm:
// Seal draws a fresh random 192-bit nonce, which is large enough that random nonces never
// repeat in practice, and stores it in front of the ciphertext.
//
// Sealed layout (DO NOT CHANGE: sealed values are stored in key-store files; see
// docs/crypto.md):
//
//   nonce (24 bytes) || ciphertext (same length as the plaintext) || Poly1305 tag (16 bytes)
//
// All functions are thread-safe; an AeadKey may be shared between threads.
#pragma once

#include <cstddef>
#include <utility>

#include "tillit/bytes.h"
#include "tillit/crypto/secret.h"
#include "tillit/result.h"

namespace tillit::crypto {

inline constexpr size_t kAeadKeySize = 32;
inline constexpr size_t kAeadNonceSize = 24;
inline constexpr size_t kAeadTagSize = 16;
// The sealed form is this much longer than the plaintext.
inline constexpr size_t kAeadOverhead = kAeadNonceSize + kAeadTagSize;

// A 256-bit XChaCha20-Poly1305 key. Move-only.
class AeadKey {
 public:
  // A fresh key from the system RNG.
  static AeadKey Generate();
  // Wraps exactly 32 key bytes. Errors: "invalidLength".
  static Result<AeadKey> Create(SecretBytes key);

  AeadKey(const AeadKey&) = delete;
  AeadKey& operator=(const AeadKey&) = delete;
  AeadKey(AeadKey&&) noexcept = default;
  AeadKey& operator=(AeadKey&&) noexcept = default;

  // The raw key, e.g. for storing it wrapped under another key.
  const SecretBytes& key_bytes(InsecureSecretAccess) const { return key_; }

 private:
  explicit AeadKey(SecretBytes key) : key_(std::move(key)) {}
  SecretBytes key_;
};

// Encrypts and authenticates plaintext, and authenticates associated_data (which is not
// included in the output and must be passed again to Open). Returns the sealed layout above,
// kAeadOverhead bytes longer than plaintext. Never fails.
Bytes Seal(const AeadKey& key, ByteView plaintext, ByteView associated_data);

// Authenticates and decrypts the output of Seal. Fails, releasing no plaintext, if sealed is
// shorter than kAeadOverhead, or was modified, or was sealed under another key or with other
// associated data. Errors: "decryptionFailed".
Result<Bytes> Open(const AeadKey& key, ByteView sealed, ByteView associated_data);

// As Open, for plaintexts that are secrets (e.g. a wrapped key): the plaintext is decrypted
// straight into a SecretBytes. Errors: "decryptionFailed".
Result<SecretBytes> OpenSecret(const AeadKey& key, ByteView sealed, ByteView associated_data);

}  // namespace tillit::crypto
