#include "tillit/crypto/random.h"

#include <sodium.h>

#include "crypto/sodium_support.h"
#include "tillit/check.h"

namespace tillit::crypto {

Bytes RandomBytes(size_t n) {
  internal::EnsureSodiumInitialized();
  Bytes out(n);
  if (n > 0) randombytes_buf(out.data(), n);
  return out;
}

SecretBytes RandomSecret(size_t n) {
  internal::EnsureSodiumInitialized();
  SecretBytes out(n);
  if (n > 0) randombytes_buf(out.ExposeMutable(InsecureSecretAccess::Get()).data(), n);
  return out;
}

uint32_t RandomUniform(uint32_t upper_bound) {
  TILLIT_CHECK(upper_bound >= 1);
  internal::EnsureSodiumInitialized();
  return randombytes_uniform(upper_bound);
}

}  // namespace tillit::crypto
