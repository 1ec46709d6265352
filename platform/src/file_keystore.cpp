#include "tillit/platform/file_keystore.h"

#include <unistd.h>

#include <algorithm>
#include <optional>
#include <string>
#include <utility>

#include "keystore_format.h"
#include "secure_file.h"
#include "tillit/crypto/aead.h"
#include "tillit/crypto/random.h"
#include "tillit/crypto/secret.h"

namespace tillit::platform {

namespace {

using internal::DirectoryLock;
using internal::KeyRecord;

// Generous bound for reading: a v1 file has 150 bytes; anything much larger is not ours.
constexpr size_t kMaxFileSize = 4096;
constexpr std::string_view kLockoutText =
    "Tillit key store: the key was destroyed after too many wrong PINs.\n";

enum class State { kEmpty, kKey, kLocked };

struct Snapshot {
  State state = State::kEmpty;
  std::optional<KeyRecord> record;  // iff state == kKey
  // Locked, but the key file is still there: a lockout was interrupted, or the last allowed
  // attempt was started and never finished. Non-const operations complete the lockout.
  bool lockout_unfinished = false;
};

Error NoKey() { return MakeError("noKey", "no key is stored on this device"); }

Error PinLocked() {
  return MakeError("pinLocked",
                   "the key was destroyed after too many wrong PINs; activate the eID again");
}

// Reads the store's state without changing anything. Corrupt or unsupported files are
// reported, not repaired.
Result<Snapshot> Load(int dir_fd) {
  TILLIT_TRY_ASSIGN(const bool lockout,
                    internal::FileExists(dir_fd, FileKeyStore::kLockoutFileName));
  if (lockout) {
    TILLIT_TRY_ASSIGN(const bool key_file,
                      internal::FileExists(dir_fd, FileKeyStore::kKeyFileName));
    return Snapshot{State::kLocked, std::nullopt, key_file};
  }
  TILLIT_TRY_ASSIGN(auto file, internal::ReadSmallFile(dir_fd, FileKeyStore::kKeyFileName,
                                                       kMaxFileSize, "keyStoreCorrupt"));
  if (!file) return Snapshot{};
  TILLIT_TRY_ASSIGN(auto record, internal::ParseKeyRecord(*file));
  if (record.failed_attempts >= static_cast<uint32_t>(kMaxPinAttempts)) {
    // The counter is written before the PIN is tried, so this is a last attempt whose process
    // died before it could either reset the counter or destroy the key. Treating it as a
    // success would hand out a free guess.
    return Snapshot{State::kLocked, std::nullopt, true};
  }
  return Snapshot{State::kKey, std::move(record), false};
}

// Destroys the key. The marker is written first: after a crash between the two steps the
// next Load sees the marker and removes the key file, whereas the other order could leave
// neither file and turn "locked" into "no key" (the UI would then offer Create instead of
// explaining the lockout).
Status FinishLockout(int dir_fd) {
  TILLIT_TRY(internal::WriteFileAtomically(dir_fd, FileKeyStore::kLockoutFileName,
                                           AsBytes(kLockoutText)));
  return internal::WipeAndRemove(dir_fd, FileKeyStore::kKeyFileName);
}

Result<Snapshot> LoadAndRepair(int dir_fd) {
  TILLIT_TRY_ASSIGN(auto snapshot, Load(dir_fd));
  if (snapshot.lockout_unfinished) {
    TILLIT_TRY(FinishLockout(dir_fd));
    snapshot.lockout_unfinished = false;
  }
  return snapshot;
}

Status WriteRecord(int dir_fd, const KeyRecord& record) {
  return internal::WriteFileAtomically(dir_fd, FileKeyStore::kKeyFileName,
                                       internal::SerializeKeyRecord(record));
}

// A record holding key's seed sealed under pin with a fresh salt, and a zero counter.
Result<KeyRecord> SealKey(std::string_view pin, const crypto::SigningKey& key,
                          const crypto::PinKdfParams& params) {
  KeyRecord record{params, {}, key.verifying_key(), 0, {}};
  const Bytes salt = crypto::RandomBytes(record.salt.size());
  std::copy(salt.begin(), salt.end(), record.salt.begin());
  TILLIT_TRY_ASSIGN(const auto pin_key, crypto::DerivePinKey(pin, record.salt, params));
  const auto access = crypto::InsecureSecretAccess::Get();
  record.sealed_seed = crypto::Seal(pin_key, key.seed(access).Expose(access),
                                    internal::KeyRecordAssociatedData(record));
  return record;
}

// One counted PIN attempt against record, which is what the key file holds; on return it
// again matches the file (unless the key was destroyed). The counter goes to disk before the
// PIN is tried, so killing the process at any point costs the attempt. On success the counter
// is left incremented: the caller writes the record it wants next (reset or re-sealed).
Result<crypto::SigningKey> Attempt(int dir_fd, KeyRecord& record, std::string_view pin) {
  const uint32_t before = record.failed_attempts;
  record.failed_attempts = before + 1;
  TILLIT_TRY(WriteRecord(dir_fd, record));

  auto pin_key = crypto::DerivePinKey(pin, record.salt, record.params);
  if (!pin_key.ok()) {
    // No verdict on the PIN was reached, so no guess was spent: give the attempt back, or a
    // phone short of memory would lock its owner out.
    record.failed_attempts = before;
    TILLIT_TRY(WriteRecord(dir_fd, record));
    return std::move(pin_key).error();
  }
  auto seed = crypto::OpenSecret(*pin_key, record.sealed_seed,
                                 internal::KeyRecordAssociatedData(record));
  if (!seed.ok()) {
    // A wrong PIN, or a file whose salt, parameters, public key or seal were altered: the
    // two are indistinguishable by design, and both count.
    const int left = kMaxPinAttempts - static_cast<int>(record.failed_attempts);
    if (left <= 0) {
      TILLIT_TRY(FinishLockout(dir_fd));
      return PinLocked();
    }
    return MakeError("wrongPin", "wrong PIN; " + std::to_string(left) +
                                     (left == 1 ? " attempt" : " attempts") + " left");
  }
  TILLIT_TRY_ASSIGN(auto key, crypto::SigningKey::FromSeed(*seed));
  // The associated data already binds the public key to the seal; this catches a file
  // written with a mismatched pair by anyone who knew the PIN.
  if (key.verifying_key() != record.public_key) {
    return MakeError("keyStoreCorrupt", "the sealed key does not match the stored public key");
  }
  return key;
}

}  // namespace

Result<std::unique_ptr<FileKeyStore>> FileKeyStore::Open(std::filesystem::path dir,
                                                         crypto::PinKdfParams params) {
  TILLIT_TRY(crypto::ValidatePinKdfParams(params));
  TILLIT_TRY_ASSIGN(const int dir_fd, internal::OpenPrivateDirectory(dir));
  std::unique_ptr<FileKeyStore> store(new FileKeyStore(std::move(dir), dir_fd, params));
  TILLIT_TRY_ASSIGN(auto lock, DirectoryLock::Acquire(dir_fd, kLockFileName,
                                                      DirectoryLock::Mode::kExclusive));
  TILLIT_TRY(internal::RemoveTempFile(dir_fd, kKeyFileName));
  TILLIT_TRY(internal::RemoveTempFile(dir_fd, kLockoutFileName));
  // A corrupt file is left alone here (and reported by the operations); an interrupted
  // lockout is finished now so that no path can observe the key afterwards.
  const auto snapshot = Load(dir_fd);
  if (snapshot.ok() && snapshot->lockout_unfinished) TILLIT_TRY(FinishLockout(dir_fd));
  return store;
}

FileKeyStore::~FileKeyStore() { ::close(dir_fd_); }

bool FileKeyStore::HasKey() const {
  auto lock = DirectoryLock::Acquire(dir_fd_, kLockFileName, DirectoryLock::Mode::kShared);
  if (!lock.ok()) return false;
  const auto snapshot = Load(dir_fd_);
  return snapshot.ok() && snapshot->state == State::kKey;
}

Status FileKeyStore::Create(std::string_view pin, const crypto::SigningKey& key) {
  TILLIT_TRY(ValidateNewPin(pin));
  TILLIT_TRY_ASSIGN(auto lock, DirectoryLock::Acquire(dir_fd_, kLockFileName,
                                                      DirectoryLock::Mode::kExclusive));
  TILLIT_TRY_ASSIGN(const auto snapshot, LoadAndRepair(dir_fd_));
  if (snapshot.state == State::kKey) {
    return MakeError("keyExists", "a key is already stored on this device; destroy it first");
  }
  // Sealed before anything is removed, so that a failure leaves the lockout in place.
  TILLIT_TRY_ASSIGN(const auto record, SealKey(pin, key, params_));
  if (snapshot.state == State::kLocked) {
    // Marker before key: a crash in between leaves an empty store, never a key file next to
    // a marker (which Load reads as an unfinished lockout and would destroy).
    TILLIT_TRY(internal::RemoveDurably(dir_fd_, kLockoutFileName));
  }
  return WriteRecord(dir_fd_, record);
}

Result<crypto::SigningKey> FileKeyStore::Unlock(std::string_view pin) {
  TILLIT_TRY_ASSIGN(auto lock, DirectoryLock::Acquire(dir_fd_, kLockFileName,
                                                      DirectoryLock::Mode::kExclusive));
  TILLIT_TRY_ASSIGN(auto snapshot, LoadAndRepair(dir_fd_));
  if (snapshot.state == State::kEmpty) return NoKey();
  if (snapshot.state == State::kLocked) return PinLocked();
  KeyRecord& record = *snapshot.record;
  TILLIT_TRY_ASSIGN(auto key, Attempt(dir_fd_, record, pin));
  record.failed_attempts = 0;
  TILLIT_TRY(WriteRecord(dir_fd_, record));
  return key;
}

Status FileKeyStore::ChangePin(std::string_view old_pin, std::string_view new_pin) {
  TILLIT_TRY(ValidateNewPin(new_pin));
  TILLIT_TRY_ASSIGN(auto lock, DirectoryLock::Acquire(dir_fd_, kLockFileName,
                                                      DirectoryLock::Mode::kExclusive));
  TILLIT_TRY_ASSIGN(auto snapshot, LoadAndRepair(dir_fd_));
  if (snapshot.state == State::kEmpty) return NoKey();
  if (snapshot.state == State::kLocked) return PinLocked();
  KeyRecord& record = *snapshot.record;
  TILLIT_TRY_ASSIGN(const auto key, Attempt(dir_fd_, record, old_pin));
  auto resealed = SealKey(new_pin, key, params_);
  if (!resealed.ok()) {
    record.failed_attempts = 0;  // the old PIN was right; keep it, with the count reset
    TILLIT_TRY(WriteRecord(dir_fd_, record));
    return std::move(resealed).error();
  }
  // One atomic replace: a crash leaves the old PIN (with this attempt counted) or the new one.
  return WriteRecord(dir_fd_, *resealed);
}

Result<int> FileKeyStore::AttemptsLeft() const {
  TILLIT_TRY_ASSIGN(auto lock, DirectoryLock::Acquire(dir_fd_, kLockFileName,
                                                      DirectoryLock::Mode::kShared));
  TILLIT_TRY_ASSIGN(const auto snapshot, Load(dir_fd_));
  switch (snapshot.state) {
    case State::kEmpty:
      return NoKey();
    case State::kLocked:
      return 0;
    case State::kKey:
      break;
  }
  return kMaxPinAttempts - static_cast<int>(snapshot.record->failed_attempts);
}

Result<crypto::VerifyingKey> FileKeyStore::PublicKey() const {
  TILLIT_TRY_ASSIGN(auto lock, DirectoryLock::Acquire(dir_fd_, kLockFileName,
                                                      DirectoryLock::Mode::kShared));
  TILLIT_TRY_ASSIGN(const auto snapshot, Load(dir_fd_));
  if (snapshot.state == State::kEmpty) return NoKey();
  if (snapshot.state == State::kLocked) return PinLocked();
  return snapshot.record->public_key;
}

Status FileKeyStore::Destroy() {
  TILLIT_TRY_ASSIGN(auto lock, DirectoryLock::Acquire(dir_fd_, kLockFileName,
                                                      DirectoryLock::Mode::kExclusive));
  TILLIT_TRY(internal::WipeAndRemove(dir_fd_, kKeyFileName));
  TILLIT_TRY(internal::RemoveTempFile(dir_fd_, kKeyFileName));
  TILLIT_TRY(internal::RemoveTempFile(dir_fd_, kLockoutFileName));
  return internal::RemoveDurably(dir_fd_, kLockoutFileName);
}

}  // namespace tillit::platform
