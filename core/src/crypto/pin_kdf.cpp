#include "tillit/crypto/pin_kdf.h"

#include <sodium.h>

#include <utility>

#include "crypto/sodium_support.h"
#include "tillit/crypto/secret.h"

namespace tillit::crypto {

static_assert(crypto_pwhash_argon2id_SALTBYTES == kPinKdfSaltSize);
static_assert(crypto_pwhash_argon2id_OPSLIMIT_MIN <= kPinKdfMinOpsLimit);
static_assert(crypto_pwhash_argon2id_MEMLIMIT_MIN <= kPinKdfMinMemLimitBytes);
static_assert(kPinKdfMaxOpsLimit <= crypto_pwhash_argon2id_OPSLIMIT_MAX);
static_assert(kAeadKeySize >= crypto_pwhash_argon2id_BYTES_MIN);

Status ValidatePinKdfParams(const PinKdfParams& params) {
  if (params.ops_limit < kPinKdfMinOpsLimit || params.ops_limit > kPinKdfMaxOpsLimit) {
    return MakeError("invalidParameters", "Argon2id ops limit must be between 1 and 16");
  }
  if (params.mem_limit_bytes < kPinKdfMinMemLimitBytes ||
      params.mem_limit_bytes > kPinKdfMaxMemLimitBytes) {
    return MakeError("invalidParameters", "Argon2id memory must be between 8 KiB and 1 GiB");
  }
  if (params.mem_limit_bytes % 1024 != 0) {
    return MakeError("invalidParameters", "Argon2id memory must be a whole number of KiB");
  }
  return {};
}

Result<AeadKey> DerivePinKey(std::string_view pin, ByteView salt, const PinKdfParams& params) {
  if (salt.size() != kPinKdfSaltSize) {
    return MakeError("invalidParameters", "an Argon2id salt has 16 bytes");
  }
  TILLIT_TRY(ValidatePinKdfParams(params));
  internal::EnsureSodiumInitialized();
  SecretBytes key(kAeadKeySize);
  const auto access = InsecureSecretAccess::Get();
  // crypto_pwhash declares passwd nonnull; an empty string_view may hold nullptr.
  const char* passwd = pin.empty() ? "" : pin.data();
  if (crypto_pwhash(key.ExposeMutable(access).data(), key.size(), passwd, pin.size(),
                    salt.data(), params.ops_limit, params.mem_limit_bytes,
                    crypto_pwhash_ALG_ARGON2ID13) != 0) {
    // key is wiped by its destructor.
    return MakeError("outOfMemory", "Argon2id could not allocate its memory");
  }
  return AeadKey::Create(std::move(key));
}

}  // namespace tillit::crypto
