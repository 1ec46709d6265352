// Cryptographically secure randomness from the operating system (libsodium's randombytes).
// All functions are thread-safe and never fail; if the system RNG cannot be initialised the
// process aborts rather than continue with weak randomness.
//
// Code that must be deterministic in tests should take randomness through a port instead
// (tillit/ports.h); these functions are for key generation and nonces inside crypto/.
#pragma once

#include <cstddef>
#include <cstdint>

#include "tillit/bytes.h"
#include "tillit/crypto/secret.h"

namespace tillit::crypto {

// n uniformly random bytes, for public values such as challenges and nonces.
Bytes RandomBytes(size_t n);

// n uniformly random bytes in a zeroing container, for keys and other secrets.
SecretBytes RandomSecret(size_t n);

// A uniformly random integer in [0, upper_bound), without modulo bias (randombytes_uniform).
// upper_bound must be at least 1 (an empty range is a programmer error and aborts).
uint32_t RandomUniform(uint32_t upper_bound);

}  // namespace tillit::crypto
