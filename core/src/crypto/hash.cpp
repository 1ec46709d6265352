#include "tillit/crypto/hash.h"

#include <sodium.h>

#include "crypto/sodium_support.h"
#include "tillit/check.h"

namespace tillit::crypto {

static_assert(crypto_hash_sha256_BYTES == std::tuple_size_v<Sha256Digest>);
static_assert(crypto_auth_hmacsha256_BYTES == std::tuple_size_v<Sha256Digest>);

Sha256Digest Sha256(ByteView data) {
  internal::EnsureSodiumInitialized();
  Sha256Digest digest;
  crypto_hash_sha256(digest.data(), data.data(), data.size());
  return digest;
}

struct Sha256Hasher::State {
  crypto_hash_sha256_state sodium;
};

Sha256Hasher::Sha256Hasher() : state_(std::make_unique<State>()) {
  internal::EnsureSodiumInitialized();
  crypto_hash_sha256_init(&state_->sodium);
}

Sha256Hasher::Sha256Hasher(Sha256Hasher&&) noexcept = default;

Sha256Hasher& Sha256Hasher::operator=(Sha256Hasher&& other) noexcept {
  if (this != &other) {
    if (state_ != nullptr) sodium_memzero(state_.get(), sizeof(State));
    state_ = std::move(other.state_);
  }
  return *this;
}

// The state may hold message bytes that are secret (e.g. when hashing key material).
Sha256Hasher::~Sha256Hasher() {
  if (state_ != nullptr) sodium_memzero(state_.get(), sizeof(State));
}

void Sha256Hasher::Update(ByteView data) {
  TILLIT_CHECK(state_ != nullptr);
  crypto_hash_sha256_update(&state_->sodium, data.data(), data.size());
}

Sha256Digest Sha256Hasher::Finish() {
  TILLIT_CHECK(state_ != nullptr);
  Sha256Digest digest;
  crypto_hash_sha256_final(&state_->sodium, digest.data());
  sodium_memzero(state_.get(), sizeof(State));
  state_.reset();
  return digest;
}

Sha256Digest HmacSha256(ByteView key, ByteView message) {
  internal::EnsureSodiumInitialized();
  // The multi-part API takes keys of any length; the one-shot crypto_auth_hmacsha256 would
  // require exactly 32 bytes.
  crypto_auth_hmacsha256_state state;
  crypto_auth_hmacsha256_init(&state, internal::NonNullData(key), key.size());
  crypto_auth_hmacsha256_update(&state, message.data(), message.size());
  Sha256Digest tag;
  crypto_auth_hmacsha256_final(&state, tag.data());
  sodium_memzero(&state, sizeof state);  // holds the padded key
  return tag;
}

Status VerifyHmacSha256(ByteView key, ByteView message, ByteView tag) {
  Sha256Digest expected = HmacSha256(key, message);
  const bool ok =
      tag.size() == expected.size() && crypto_verify_32(expected.data(), tag.data()) == 0;
  sodium_memzero(expected.data(), expected.size());
  if (!ok) return MakeError("invalidMac", "HMAC-SHA-256 tag does not match");
  return {};
}

}  // namespace tillit::crypto
