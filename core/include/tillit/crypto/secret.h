// SecretBytes: the container for key material and other secrets, and InsecureSecretAccess,
// the token needed to read its bytes (grep for it to find every place a secret is exposed).
//
// SecretBytes is move-only, zeroes its buffer (sodium_memzero) when destroyed or overwritten,
// compares in constant time and cannot be printed. It is not thread-safe for concurrent
// mutation; concurrent const access is safe. See docs/crypto.md.
#pragma once

#include <cstddef>
#include <cstdint>
#include <iosfwd>
#include <memory>
#include <optional>
#include <span>
#include <string>

#include "tillit/bytes.h"
#include "tillit/result.h"

namespace tillit::crypto {

// Proof that the caller has thought about exposing secret bytes. Obtain it with Get() at the
// point of use so that reviews can find every such place (Tink's InsecureSecretKeyAccess).
class InsecureSecretAccess {
 public:
  // Returns the token. Every call site is a place where secret bytes leave their container.
  static constexpr InsecureSecretAccess Get() { return InsecureSecretAccess(); }

 private:
  constexpr InsecureSecretAccess() = default;
};

class SecretBytes {
 public:
  // n zero bytes (n == 0 gives an empty secret, which is also the moved-from state).
  explicit SecretBytes(size_t n = 0);
  // A secret holding a copy of `data`; the caller remains responsible for wiping `data`.
  static SecretBytes CopyFrom(ByteView data, InsecureSecretAccess);

  SecretBytes(const SecretBytes&) = delete;
  SecretBytes& operator=(const SecretBytes&) = delete;
  // Takes over the buffer; `other` is left empty. The target's previous contents are wiped.
  SecretBytes(SecretBytes&& other) noexcept;
  SecretBytes& operator=(SecretBytes&& other) noexcept;
  // Wipes the contents.
  ~SecretBytes();

  size_t size() const { return size_; }
  bool empty() const { return size_ == 0; }

  // Read access to the secret bytes; valid until this object is modified, moved or destroyed.
  ByteView Expose(InsecureSecretAccess) const { return {data_.get(), size_}; }
  // Write access, for filling a secret in place (e.g. by decryption or a RNG).
  std::span<uint8_t> ExposeMutable(InsecureSecretAccess) { return {data_.get(), size_}; }

  // Constant time in the contents (sodium_memcmp); secrets of different sizes are unequal
  // (the sizes themselves are not secret).
  bool operator==(const SecretBytes& other) const;

  // Secrets are never printed, not even by test frameworks.
  friend std::ostream& operator<<(std::ostream&, const SecretBytes&) = delete;

 private:
  void Wipe();

  std::unique_ptr<uint8_t[]> data_;
  size_t size_ = 0;
};

// Reads a small file that holds a secret (a key, a passphrase, a PIN) straight into
// SecretBytes, so its bytes never pass through an ordinary buffer. Returns nullopt if the
// file does not exist. Errors (the message names the path and the system's reason, never
// the content): "unreadable" (cannot open or read), "notSmallFile" (not a regular file, or
// larger than max_bytes). Callers map them to their own codes.
Result<std::optional<SecretBytes>> ReadSecretFile(const std::string& path, size_t max_bytes);

}  // namespace tillit::crypto
