// Internal to tillit_platform: the sealed-key file of FileKeyStore, version 1.
//
// Byte layout (DO NOT CHANGE: files on devices in the field are in this format; a new layout
// needs a new version number and a reader for both. Spec: docs/keystore.md, "File format"):
//
//   offset size  field
//        0    8  magic "TILLITKS"
//        8    2  format version, big-endian, = 1
//       10    8  Argon2id ops limit, big-endian
//       18    8  Argon2id memory limit in bytes, big-endian
//       26   16  Argon2id salt
//       42   32  Ed25519 public key
//       74    4  consecutive wrong PINs, big-endian, 0..kMaxPinAttempts
//       78   72  sealed seed: XChaCha20-Poly1305 nonce (24) || ciphertext (32) || tag (16)
//      150       end (files of any other length are rejected)
//
// Bytes 0..73 (everything before the counter) are the associated data of the seal, so changing
// the version, the KDF parameters, the salt or the public key makes Open fail. The counter is
// outside it because it changes without the PIN.
//
// Thread-safe (pure functions).
#pragma once

#include <array>
#include <cstddef>
#include <cstdint>

#include "tillit/bytes.h"
#include "tillit/crypto/ed25519.h"
#include "tillit/crypto/pin_kdf.h"
#include "tillit/result.h"

namespace tillit::platform::internal {

inline constexpr size_t kKeyFileAssociatedSize = 74;
inline constexpr size_t kKeyFileSize = 150;
inline constexpr uint16_t kKeyFileVersion = 1;

struct KeyRecord {
  crypto::PinKdfParams params;
  std::array<uint8_t, crypto::kPinKdfSaltSize> salt;
  crypto::VerifyingKey public_key;
  uint32_t failed_attempts;
  Bytes sealed_seed;  // kAeadOverhead + SigningKey::kSeedSize bytes
};

// The full file (kKeyFileSize bytes). record must be well-formed (sealed_seed of the right
// size), else a programmer error: abort.
Bytes SerializeKeyRecord(const KeyRecord& record);

// The associated data for sealing record's seed: the first kKeyFileAssociatedSize bytes of
// its serialization.
Bytes KeyRecordAssociatedData(const KeyRecord& record);

// Parses a whole file, checking, in order: the magic and presence of a version
// ("keyStoreCorrupt"), the version ("unsupportedVersion"), the exact length, the KDF
// parameters (within ValidatePinKdfParams, so a tampered file cannot demand 4 TiB), the
// public key (a valid Ed25519 point) and the counter (at most kMaxPinAttempts), all
// "keyStoreCorrupt". Says nothing about whether the seal opens.
Result<KeyRecord> ParseKeyRecord(ByteView file);

}  // namespace tillit::platform::internal
