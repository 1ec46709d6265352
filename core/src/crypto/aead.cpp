#include "tillit/crypto/aead.h"

#include <sodium.h>

#include <utility>

#include "crypto/aead_internal.h"
#include "crypto/sodium_support.h"
#include "tillit/check.h"
#include "tillit/crypto/random.h"

namespace tillit::crypto {

static_assert(crypto_aead_xchacha20poly1305_ietf_KEYBYTES == kAeadKeySize);
static_assert(crypto_aead_xchacha20poly1305_ietf_NPUBBYTES == kAeadNonceSize);
static_assert(crypto_aead_xchacha20poly1305_ietf_ABYTES == kAeadTagSize);

namespace internal {
namespace {

Status CheckSizes(ByteView key, ByteView nonce) {
  if (key.size() != kAeadKeySize) {
    return MakeError("invalidLength", "an XChaCha20-Poly1305 key has 32 bytes");
  }
  if (nonce.size() != kAeadNonceSize) {
    return MakeError("invalidLength", "an XChaCha20-Poly1305 nonce has 24 bytes");
  }
  return {};
}

}  // namespace

Result<Bytes> AeadEncryptWithNonce(ByteView key, ByteView nonce, ByteView plaintext,
                                   ByteView associated_data) {
  TILLIT_TRY(CheckSizes(key, nonce));
  if (plaintext.size() > crypto_aead_xchacha20poly1305_ietf_MESSAGEBYTES_MAX) {
    return MakeError("invalidLength", "plaintext too long for XChaCha20-Poly1305");
  }
  EnsureSodiumInitialized();
  Bytes out(plaintext.size() + kAeadTagSize);
  unsigned long long tag_size = 0;
  const int rc = crypto_aead_xchacha20poly1305_ietf_encrypt_detached(
      out.data(), out.data() + plaintext.size(), &tag_size, plaintext.data(), plaintext.size(),
      associated_data.data(), associated_data.size(), nullptr, nonce.data(), key.data());
  TILLIT_CHECK(rc == 0);
  TILLIT_CHECK(tag_size == kAeadTagSize);
  return out;
}

Status AeadDecryptDetachedInto(std::span<uint8_t> out, ByteView key, ByteView nonce,
                               ByteView ciphertext, ByteView tag, ByteView associated_data) {
  TILLIT_CHECK(out.size() == ciphertext.size());
  Status status = CheckSizes(key, nonce);
  if (status.ok() && tag.size() != kAeadTagSize) {
    status = MakeError("invalidLength", "an XChaCha20-Poly1305 tag has 16 bytes");
  }
  if (status.ok()) {
    EnsureSodiumInitialized();
    // libsodium checks the tag before decrypting and zeroes out on failure; we wipe as well
    // so that the guarantee does not rest on that detail.
    if (crypto_aead_xchacha20poly1305_ietf_decrypt_detached(
            out.data(), nullptr, NonNullData(ciphertext), ciphertext.size(), tag.data(),
            associated_data.data(), associated_data.size(), nonce.data(), key.data()) != 0) {
      status = MakeError("decryptionFailed", "XChaCha20-Poly1305 authentication failed");
    }
  }
  if (!status.ok() && !out.empty()) sodium_memzero(out.data(), out.size());
  return status;
}

Result<Bytes> AeadDecryptDetached(ByteView key, ByteView nonce, ByteView ciphertext, ByteView tag,
                                  ByteView associated_data) {
  Bytes plaintext(ciphertext.size());
  TILLIT_TRY(AeadDecryptDetachedInto(plaintext, key, nonce, ciphertext, tag, associated_data));
  return plaintext;
}

}  // namespace internal

namespace {

Error DecryptionFailed() {
  // One code for every failure: a caller learns nothing about why (length, tag, key, AD).
  return MakeError("decryptionFailed", "sealed data could not be opened");
}

// Splits sealed = nonce || ciphertext || tag and decrypts into out (of size
// sealed.size() - kAeadOverhead), which is all-zero on failure.
Status OpenInto(std::span<uint8_t> out, const AeadKey& key, ByteView sealed,
                ByteView associated_data) {
  const auto access = InsecureSecretAccess::Get();
  const ByteView nonce = sealed.first(kAeadNonceSize);
  const ByteView ciphertext = sealed.subspan(kAeadNonceSize, sealed.size() - kAeadOverhead);
  const ByteView tag = sealed.last(kAeadTagSize);
  if (!internal::AeadDecryptDetachedInto(out, key.key_bytes(access).Expose(access), nonce,
                                         ciphertext, tag, associated_data)
           .ok()) {
    return DecryptionFailed();
  }
  return {};
}

}  // namespace

AeadKey AeadKey::Generate() { return AeadKey(RandomSecret(kAeadKeySize)); }

Result<AeadKey> AeadKey::Create(SecretBytes key) {
  if (key.size() != kAeadKeySize) {
    return MakeError("invalidLength", "an AEAD key has 32 bytes");
  }
  return AeadKey(std::move(key));
}

Bytes Seal(const AeadKey& key, ByteView plaintext, ByteView associated_data) {
  const auto access = InsecureSecretAccess::Get();
  // 192-bit random nonces: collisions are negligible for any number of messages we will
  // ever seal under one key, so no counter state is needed.
  const Bytes nonce = RandomBytes(kAeadNonceSize);
  auto ciphertext_and_tag = internal::AeadEncryptWithNonce(key.key_bytes(access).Expose(access),
                                                           nonce, plaintext, associated_data);
  TILLIT_CHECK(ciphertext_and_tag.ok());  // sizes are fixed by the types
  Bytes sealed;
  sealed.reserve(kAeadNonceSize + ciphertext_and_tag->size());
  sealed.insert(sealed.end(), nonce.begin(), nonce.end());
  sealed.insert(sealed.end(), ciphertext_and_tag->begin(), ciphertext_and_tag->end());
  return sealed;
}

Result<Bytes> Open(const AeadKey& key, ByteView sealed, ByteView associated_data) {
  if (sealed.size() < kAeadOverhead) return DecryptionFailed();
  Bytes plaintext(sealed.size() - kAeadOverhead);
  TILLIT_TRY(OpenInto(plaintext, key, sealed, associated_data));
  return plaintext;
}

Result<SecretBytes> OpenSecret(const AeadKey& key, ByteView sealed, ByteView associated_data) {
  if (sealed.size() < kAeadOverhead) return DecryptionFailed();
  SecretBytes plaintext(sealed.size() - kAeadOverhead);
  TILLIT_TRY(
      OpenInto(plaintext.ExposeMutable(InsecureSecretAccess::Get()), key, sealed, associated_data));
  return plaintext;
}

}  // namespace tillit::crypto
