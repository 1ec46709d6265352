// Internal (not installed, not for use outside core/src/crypto and its tests): the
// explicit-nonce, detached XChaCha20-Poly1305 primitives that tillit/crypto/aead.h is built
// on. Production code never chooses a nonce; these exist so that Seal/Open have a single
// implementation and so that known-answer tests (Wycheproof) can supply fixed nonces.
//
// libsodium's functions take fixed-size key, nonce and tag pointers and cannot see a wrong
// size, so every function here checks the sizes itself. Thread-safe.
#pragma once

#include <cstdint>
#include <span>

#include "tillit/bytes.h"
#include "tillit/result.h"

namespace tillit::crypto::internal {

// Encrypts plaintext under a 32-byte key and a 24-byte nonce, authenticating
// associated_data. Returns ciphertext || tag (16 bytes). Errors: "invalidLength" (key or
// nonce size, or a plaintext longer than libsodium's limit).
Result<Bytes> AeadEncryptWithNonce(ByteView key, ByteView nonce, ByteView plaintext,
                                   ByteView associated_data);

// Checks the 16-byte tag over ciphertext and associated_data and, only if it is valid,
// decrypts ciphertext into out, which must have exactly ciphertext.size() bytes (else a
// programmer error: abort). On any failure out is left all-zero.
// Errors: "invalidLength" (key, nonce or tag size), "decryptionFailed" (authentication).
Status AeadDecryptDetachedInto(std::span<uint8_t> out, ByteView key, ByteView nonce,
                               ByteView ciphertext, ByteView tag, ByteView associated_data);

// As AeadDecryptDetachedInto, returning the plaintext in a new buffer.
Result<Bytes> AeadDecryptDetached(ByteView key, ByteView nonce, ByteView ciphertext, ByteView tag,
                                  ByteView associated_data);

}  // namespace tillit::crypto::internal
