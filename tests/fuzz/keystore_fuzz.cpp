// Fuzz target: the key-store file sealed_key.bin (docs/keystore.md, "File format"), twice:
// the parser alone (internal::ParseKeyRecord, with the round trip through
// SerializeKeyRecord), and the whole FileKeyStore over a scratch directory holding the input
// as its key file (HasKey, AttemptsLeft, PublicKey and, when the file asks for cheap Argon2id
// parameters, Unlock with the seeds' PIN, which writes the counter and may lock out).
// Invariants: the documented error codes; an accepted file re-serializes to itself; the
// attempt counter stays within 0..kMaxPinAttempts.
#include <cstdint>
#include <string>

#include "fuzz/fuzz_support.h"
#include "fuzz/fuzz_tempdir.h"
#include "keystore_format.h"
#include "tillit/platform/file_keystore.h"

namespace {

// The PIN fuzz_seed_gen sealed the seeds with.
constexpr std::string_view kSeedPin = "739164";
// Unlock costs one Argon2id run with the file's parameters; only cheap ones are tried.
constexpr uint64_t kMaxFuzzOps = 2;
constexpr size_t kMaxFuzzMem = 64 * 1024;

bool IsStorageError(const std::string& code) {
  return code == "keyStoreCorrupt" || code == "unsupportedVersion" || code == "noKey" ||
         code == "pinLocked";
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  using namespace tillit;
  namespace internal = platform::internal;
  const ByteView file = fuzz::AsView(data, size);

  auto record = internal::ParseKeyRecord(file);
  if (record.ok()) {
    FUZZ_CHECK(internal::SerializeKeyRecord(*record) == Bytes(file.begin(), file.end()));
    FUZZ_CHECK(record->failed_attempts <= static_cast<uint32_t>(kMaxPinAttempts));
    FUZZ_CHECK(crypto::ValidatePinKdfParams(record->params).ok());
  } else {
    FUZZ_CHECK(record.error().code == "keyStoreCorrupt" ||
               record.error().code == "unsupportedVersion");
  }

  // The same bytes as the key file of a real store. A fresh directory state per input.
  const std::filesystem::path dir = fuzz::ScratchDirectory() / "keystore";
  std::error_code ignored;
  std::filesystem::remove_all(dir, ignored);
  auto store = platform::FileKeyStore::Open(
      dir, crypto::PinKdfParams{crypto::kPinKdfMinOpsLimit, crypto::kPinKdfMinMemLimitBytes});
  FUZZ_CHECK(store.ok());
  fuzz::WriteScratchFile(dir, std::string(platform::FileKeyStore::kKeyFileName),
                         fuzz::AsText(data, size));
  FUZZ_CHECK((*store)->HasKey() == (record.ok() && record->failed_attempts <
                                                        static_cast<uint32_t>(kMaxPinAttempts)));
  auto left = (*store)->AttemptsLeft();
  if (left.ok()) {
    FUZZ_CHECK(*left >= 0 && *left <= kMaxPinAttempts);
  } else {
    FUZZ_CHECK(IsStorageError(left.error().code));
  }
  auto key = (*store)->PublicKey();
  if (key.ok()) {
    FUZZ_CHECK(record.ok() && *key == record->public_key);
  } else {
    FUZZ_CHECK(IsStorageError(key.error().code));
  }

  if (record.ok() && record->params.ops_limit <= kMaxFuzzOps &&
      record->params.mem_limit_bytes <= kMaxFuzzMem) {
    auto unlocked = (*store)->Unlock(kSeedPin);
    if (unlocked.ok()) {
      FUZZ_CHECK(unlocked->verifying_key() == record->public_key);
      auto after = (*store)->AttemptsLeft();
      FUZZ_CHECK(after.ok() && *after == kMaxPinAttempts);
    } else {
      const std::string& code = unlocked.error().code;
      FUZZ_CHECK(code == "wrongPin" || code == "pinLocked" || code == "keyStoreCorrupt");
    }
  }
  return 0;
}
