// PIN-based key derivation: Argon2id (RFC 9106, version 1.3) over libsodium's crypto_pwhash,
// turning a short PIN and a random salt into an AeadKey. Used by the device key store
// (docs/keystore.md) to seal the holder's private key under the PIN, so that the PIN is used
// as a key and never stored or compared (design.md, "Standards that apply").
//
// A 6-digit PIN has only 10^6 values; Argon2id does not make offline guessing impossible, it
// only makes each guess cost memory and time (docs/keystore.md, "Threat model").
// All functions are thread-safe.
#pragma once

#include <cstddef>
#include <cstdint>
#include <string_view>

#include "tillit/bytes.h"
#include "tillit/crypto/aead.h"
#include "tillit/result.h"

namespace tillit::crypto {

// The salt is exactly crypto_pwhash_SALTBYTES (16) bytes; the store draws a fresh random one
// for every sealing.
inline constexpr size_t kPinKdfSaltSize = 16;

// Argon2id cost parameters. Both are stored next to the sealed key (docs/keystore.md) so
// that they can be raised later without losing existing keys.
struct PinKdfParams {
  uint64_t ops_limit;       // Argon2 passes over memory ("t")
  size_t mem_limit_bytes;   // memory in bytes ("m" = mem_limit_bytes / 1024 KiB)

  bool operator==(const PinKdfParams&) const = default;
};

// Limits enforced by ValidatePinKdfParams. The minimums are libsodium's
// (crypto_pwhash_argon2id_OPSLIMIT_MIN, _MEMLIMIT_MIN). The maximums are ours: parameters are
// read from a file an attacker may have edited, and 4 TiB of "memory" would be a denial of
// service rather than a stronger key. 1 GiB is libsodium's MEMLIMIT_SENSITIVE.
inline constexpr uint64_t kPinKdfMinOpsLimit = 1;
inline constexpr uint64_t kPinKdfMaxOpsLimit = 16;
inline constexpr size_t kPinKdfMinMemLimitBytes = 8 * 1024;
inline constexpr size_t kPinKdfMaxMemLimitBytes = size_t{1} << 30;

// The default for a phone: 64 MiB, 3 passes. Measured at 0.35-0.55 s wall-clock (0.25-0.28 s
// of CPU) per derivation on the 2-vCPU x86-64 development VM, i.e. roughly 1-2.5 s on a phone
// that is 3-5x slower, paid once per unlock. Memory is what hurts GPU guessing, so it stays at
// 64 MiB (well inside what a mobile app may allocate); tune passes on real devices.
// docs/keystore.md §3 has the measurements and the reasoning.
inline constexpr PinKdfParams kPinKdfPhoneDefault{3, size_t{64} << 20};

// Ok iff ops_limit and mem_limit_bytes lie within the limits above and mem_limit_bytes is a
// whole number of KiB (Argon2 counts memory in KiB; a remainder would be silently dropped, so
// two stored values would mean the same cost). Errors: "invalidParameters".
[[nodiscard]] Status ValidatePinKdfParams(const PinKdfParams& params);

// The 32-byte XChaCha20-Poly1305 key derived from pin and salt with Argon2id v1.3 under
// params. Deterministic: the same pin, salt and params give the same key. The pin may be any
// byte string (PIN policy is ValidateNewPin's job, tillit/keystore.h).
// Errors: "invalidParameters" (salt not kPinKdfSaltSize bytes, or params rejected by
// ValidatePinKdfParams), "outOfMemory" (crypto_pwhash failed, which in practice means the
// memory could not be allocated).
Result<AeadKey> DerivePinKey(std::string_view pin, ByteView salt, const PinKdfParams& params);

}  // namespace tillit::crypto
