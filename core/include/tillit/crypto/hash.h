// SHA-256 (FIPS 180-4), one-shot and streaming, and HMAC-SHA-256 (RFC 2104, RFC 4231).
// The free functions are thread-safe; a Sha256Hasher must not be shared between threads.
#pragma once

#include <array>
#include <cstdint>
#include <memory>

#include "tillit/bytes.h"
#include "tillit/result.h"

namespace tillit::crypto {

using Sha256Digest = std::array<uint8_t, 32>;

// The SHA-256 digest of data.
Sha256Digest Sha256(ByteView data);

// Incremental SHA-256: Update() any number of times, then Finish() once. Move-only; the
// internal state is wiped on destruction. Using a hasher after Finish() (or after it was
// moved from) is a programmer error and aborts.
class Sha256Hasher {
 public:
  Sha256Hasher();
  Sha256Hasher(const Sha256Hasher&) = delete;
  Sha256Hasher& operator=(const Sha256Hasher&) = delete;
  Sha256Hasher(Sha256Hasher&&) noexcept;
  Sha256Hasher& operator=(Sha256Hasher&&) noexcept;
  ~Sha256Hasher();

  // Appends data to the hashed message.
  void Update(ByteView data);
  // The digest of everything passed to Update(); the hasher is spent afterwards.
  Sha256Digest Finish();

 private:
  struct State;
  std::unique_ptr<State> state_;
};

// HMAC-SHA-256 of message under key. Any key length is allowed (keys longer than 64 bytes
// are hashed first, RFC 2104 §2). To check a received tag use VerifyHmacSha256, never ==.
Sha256Digest HmacSha256(ByteView key, ByteView message);

// Ok iff tag is the full 32-byte HMAC-SHA-256 of message under key, compared in constant
// time. Truncated tags are not accepted. Errors: "invalidMac".
[[nodiscard]] Status VerifyHmacSha256(ByteView key, ByteView message, ByteView tag);

}  // namespace tillit::crypto
