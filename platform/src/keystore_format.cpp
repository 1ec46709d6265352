#include "keystore_format.h"

#include <algorithm>
#include <string>

#include "tillit/check.h"
#include "tillit/crypto/aead.h"
#include "tillit/keystore.h"

namespace tillit::platform::internal {

namespace {

constexpr std::string_view kMagic = "TILLITKS";
constexpr size_t kVersionOffset = 8;
constexpr size_t kOpsOffset = 10;
constexpr size_t kMemOffset = 18;
constexpr size_t kSaltOffset = 26;
constexpr size_t kPublicKeyOffset = 42;
constexpr size_t kCounterOffset = 74;
constexpr size_t kSealedOffset = 78;
constexpr size_t kSealedSize = crypto::kAeadOverhead + crypto::SigningKey::kSeedSize;

static_assert(kPublicKeyOffset + crypto::VerifyingKey::kSize == kKeyFileAssociatedSize);
static_assert(kCounterOffset == kKeyFileAssociatedSize);
static_assert(kSealedOffset + kSealedSize == kKeyFileSize);

void PutBigEndian(Bytes& out, uint64_t value, size_t size) {
  for (size_t i = size; i-- > 0;) out.push_back(static_cast<uint8_t>(value >> (8 * i)));
}

uint64_t GetBigEndian(ByteView in, size_t offset, size_t size) {
  uint64_t value = 0;
  for (size_t i = 0; i < size; ++i) value = (value << 8) | in[offset + i];
  return value;
}

Error Corrupt(std::string message) {
  return MakeError("keyStoreCorrupt", "key store file: " + std::move(message));
}

}  // namespace

Bytes KeyRecordAssociatedData(const KeyRecord& record) {
  Bytes out;
  out.reserve(kKeyFileSize);
  out.insert(out.end(), kMagic.begin(), kMagic.end());
  PutBigEndian(out, kKeyFileVersion, 2);
  PutBigEndian(out, record.params.ops_limit, 8);
  PutBigEndian(out, record.params.mem_limit_bytes, 8);
  out.insert(out.end(), record.salt.begin(), record.salt.end());
  const ByteView public_key = record.public_key.bytes();
  out.insert(out.end(), public_key.begin(), public_key.end());
  TILLIT_CHECK(out.size() == kKeyFileAssociatedSize);
  return out;
}

Bytes SerializeKeyRecord(const KeyRecord& record) {
  TILLIT_CHECK(record.sealed_seed.size() == kSealedSize);
  Bytes out = KeyRecordAssociatedData(record);
  PutBigEndian(out, record.failed_attempts, 4);
  out.insert(out.end(), record.sealed_seed.begin(), record.sealed_seed.end());
  TILLIT_CHECK(out.size() == kKeyFileSize);
  return out;
}

Result<KeyRecord> ParseKeyRecord(ByteView file) {
  if (file.size() < kVersionOffset + 2 ||
      !std::equal(kMagic.begin(), kMagic.end(), file.begin())) {
    return Corrupt("not a Tillit key store file (bad magic or truncated)");
  }
  // The version comes before the length check: a later version may have another length.
  const uint64_t version = GetBigEndian(file, kVersionOffset, 2);
  if (version != kKeyFileVersion) {
    return MakeError("unsupportedVersion",
                     "key store file version " + std::to_string(version) +
                         " is not supported (this build reads version 1)");
  }
  if (file.size() != kKeyFileSize) {
    return Corrupt("expected " + std::to_string(kKeyFileSize) + " bytes, found " +
                   std::to_string(file.size()));
  }
  const uint64_t ops = GetBigEndian(file, kOpsOffset, 8);
  const uint64_t mem = GetBigEndian(file, kMemOffset, 8);
  // Checked as 64-bit before narrowing: size_t is 32 bits on some phones.
  if (mem > crypto::kPinKdfMaxMemLimitBytes) return Corrupt("Argon2id parameters out of range");
  const crypto::PinKdfParams params{ops, static_cast<size_t>(mem)};
  if (!crypto::ValidatePinKdfParams(params).ok()) {
    return Corrupt("Argon2id parameters out of range");
  }
  auto public_key =
      crypto::VerifyingKey::Create(file.subspan(kPublicKeyOffset, crypto::VerifyingKey::kSize));
  if (!public_key.ok()) return Corrupt("invalid public key");
  const uint64_t failed_attempts = GetBigEndian(file, kCounterOffset, 4);
  if (failed_attempts > static_cast<uint64_t>(kMaxPinAttempts)) {
    return Corrupt("attempt counter out of range");
  }
  KeyRecord record{params, {}, public_key.value(), static_cast<uint32_t>(failed_attempts),
                   Bytes(file.begin() + kSealedOffset, file.end())};
  std::copy_n(file.begin() + kSaltOffset, record.salt.size(), record.salt.begin());
  return record;
}

}  // namespace tillit::platform::internal
