#include "crypto/sodium_support.h"

#include <sodium.h>

#include "tillit/check.h"

namespace tillit::crypto::internal {

void EnsureSodiumInitialized() {
  // sodium_init() returns 0 on first success, 1 if already initialised, -1 on failure.
  static const bool initialized = sodium_init() >= 0;
  TILLIT_CHECK(initialized);
}

const uint8_t* NonNullData(ByteView data) {
  static const uint8_t kEmpty = 0;
  return data.empty() ? &kEmpty : data.data();
}

}  // namespace tillit::crypto::internal
