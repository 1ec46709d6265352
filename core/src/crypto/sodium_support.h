// Internal helpers for calling libsodium: one-time initialisation, and non-null pointers for
// empty inputs. Every crypto entry point that calls into libsodium calls
// EnsureSodiumInitialized() first.
#pragma once

#include <cstdint>

#include "tillit/bytes.h"

namespace tillit::crypto::internal {

// Runs sodium_init() exactly once per process (thread-safe, via a function-local static) and
// aborts if it fails: without it the RNG and the CPU-specific implementations are unusable.
void EnsureSodiumInitialized();

// data.data(), or a pointer to a valid (unread) byte if data is empty. libsodium declares
// some pointers nonnull even when their length is 0 (e.g. the ciphertext of
// crypto_aead_*_decrypt_detached, the key of crypto_auth_hmacsha256_init), while an empty
// std::span may hold nullptr; passing that would be undefined behaviour.
const uint8_t* NonNullData(ByteView data);

}  // namespace tillit::crypto::internal
