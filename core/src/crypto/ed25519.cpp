#include "tillit/crypto/ed25519.h"

#include <sodium.h>

#include <algorithm>
#include <utility>

#include "crypto/sodium_support.h"
#include "tillit/check.h"
#include "tillit/crypto/random.h"

namespace tillit::crypto {

static_assert(crypto_sign_BYTES == Signature::kSize);
static_assert(crypto_sign_PUBLICKEYBYTES == VerifyingKey::kSize);
static_assert(crypto_sign_SEEDBYTES == SigningKey::kSeedSize);

Result<Signature> Signature::Parse(ByteView bytes) {
  if (bytes.size() != kSize) {
    return MakeError("invalidLength", "an Ed25519 signature has 64 bytes");
  }
  std::array<uint8_t, kSize> array;
  std::copy(bytes.begin(), bytes.end(), array.begin());
  return Signature(array);
}

Result<VerifyingKey> VerifyingKey::Create(ByteView bytes) {
  if (bytes.size() != kSize) {
    return MakeError("invalidLength", "an Ed25519 public key has 32 bytes");
  }
  internal::EnsureSodiumInitialized();
  // Canonical encoding, on the curve, not of small order, in the prime-order subgroup.
  if (crypto_core_ed25519_is_valid_point(bytes.data()) != 1) {
    return MakeError("invalidKey", "not a valid Ed25519 public key");
  }
  std::array<uint8_t, kSize> array;
  std::copy(bytes.begin(), bytes.end(), array.begin());
  return VerifyingKey(array);
}

Status VerifyingKey::Verify(ByteView message, const Signature& signature) const {
  internal::EnsureSodiumInitialized();
  // libsodium (without ED25519_COMPAT) rejects S >= L, small-order R and a non-canonical or
  // small-order public key before comparing the recomputed R byte for byte.
  if (crypto_sign_verify_detached(signature.bytes().data(), message.data(), message.size(),
                                  bytes_.data()) != 0) {
    return MakeError("invalidSignature", "Ed25519 signature verification failed");
  }
  return {};
}

SigningKey::SigningKey(SecretBytes seed, SecretBytes secret_key, VerifyingKey verifying_key)
    : seed_(std::move(seed)), secret_key_(std::move(secret_key)), verifying_key_(verifying_key) {}

SigningKey SigningKey::Generate() {
  auto key = FromSeed(RandomSecret(kSeedSize));
  TILLIT_CHECK(key.ok());
  return std::move(key).value();
}

Result<SigningKey> SigningKey::FromSeed(const SecretBytes& seed) {
  if (seed.size() != kSeedSize) {
    return MakeError("invalidLength", "an Ed25519 seed has 32 bytes");
  }
  internal::EnsureSodiumInitialized();
  const auto access = InsecureSecretAccess::Get();
  SecretBytes secret_key(crypto_sign_SECRETKEYBYTES);
  std::array<uint8_t, VerifyingKey::kSize> public_key;
  const int rc = crypto_sign_seed_keypair(
      public_key.data(), secret_key.ExposeMutable(access).data(), seed.Expose(access).data());
  TILLIT_CHECK(rc == 0);
  return SigningKey(SecretBytes::CopyFrom(seed.Expose(access), access), std::move(secret_key),
                    VerifyingKey(public_key));
}

Signature SigningKey::Sign(ByteView message) const {
  TILLIT_CHECK(secret_key_.size() == crypto_sign_SECRETKEYBYTES);  // not moved from
  internal::EnsureSodiumInitialized();
  std::array<uint8_t, Signature::kSize> signature;
  const int rc = crypto_sign_detached(signature.data(), nullptr, message.data(), message.size(),
                                      secret_key_.Expose(InsecureSecretAccess::Get()).data());
  TILLIT_CHECK(rc == 0);
  return Signature(signature);
}

}  // namespace tillit::crypto
