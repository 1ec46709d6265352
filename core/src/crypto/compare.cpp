#include "tillit/crypto/compare.h"

#include <sodium.h>

#include "crypto/sodium_support.h"

namespace tillit::crypto {

bool ConstantTimeEquals(ByteView a, ByteView b) {
  if (a.size() != b.size()) return false;
  if (a.empty()) return true;
  internal::EnsureSodiumInitialized();
  return sodium_memcmp(a.data(), b.data(), a.size()) == 0;
}

}  // namespace tillit::crypto
