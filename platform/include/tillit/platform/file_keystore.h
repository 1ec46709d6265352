// FileKeyStore: the KeyStore port (tillit/keystore.h) over files in a private directory, for
// the Linux device simulator and for phones without a usable secure element.
//
// The PIN is never stored or compared. Argon2id (tillit/crypto/pin_kdf.h) turns PIN + a random
// 16-byte salt into an XChaCha20-Poly1305 key that seals the 32-byte Ed25519 seed; the
// associated data binds the format version, the KDF parameters, the salt and the public key.
// A wrong PIN shows up only as a seal that does not open.
//
// Files in the directory (docs/keystore.md has the byte layout and the threat model):
//   sealed_key.bin   the sealed key and the wrong-PIN counter (150 bytes, mode 0600)
//   lockout          present after kMaxPinAttempts wrong PINs destroyed the key
//   store.lock       flock target serialising operations; never removed
//   *.tmp            temporary files of an interrupted atomic write; removed on Open
//
// Durability: every change is a whole-file atomic replace (temp file, fsync, rename, fsync of
// the directory). The wrong-PIN counter is incremented durably before the PIN is tried, so
// killing the process during an attempt gives no free guess.
//
// Limits, stated honestly: the counter protects only the app's own path. Whoever copies the
// directory (a thief with the unlocked file system, a backup) can try all 10^6 six-digit PINs
// offline at the Argon2id cost per guess. A phone build should implement KeyStore over the
// secure element instead.
//
// Thread safety: all methods are thread-safe. Each operation holds an flock on store.lock
// (shared for the const methods, exclusive for the others), which also serialises several
// instances and processes on the same directory.
#pragma once

#include <filesystem>
#include <memory>
#include <string_view>

#include "tillit/crypto/ed25519.h"
#include "tillit/crypto/pin_kdf.h"
#include "tillit/keystore.h"
#include "tillit/result.h"

namespace tillit::platform {

class FileKeyStore final : public KeyStore {
 public:
  static constexpr std::string_view kKeyFileName = "sealed_key.bin";
  static constexpr std::string_view kLockoutFileName = "lockout";
  static constexpr std::string_view kLockFileName = "store.lock";

  // Opens the store in dir, creating dir (mode 0700) if missing. New seals (Create, ChangePin)
  // use params; existing files are opened with the parameters stored in them, so raising
  // params later keeps old keys readable and ChangePin upgrades them. Also removes temp files
  // left by an interrupted write and finishes an interrupted lockout. A corrupt key file does
  // not stop Open (so that Destroy stays possible); the operations report it.
  // Errors: "invalidParameters" (params, see ValidatePinKdfParams), "insecurePermissions"
  // (dir exists but is not owned by this user or is accessible to group/others), "ioError".
  static Result<std::unique_ptr<FileKeyStore>> Open(
      std::filesystem::path dir, crypto::PinKdfParams params = crypto::kPinKdfPhoneDefault);

  FileKeyStore(const FileKeyStore&) = delete;
  FileKeyStore& operator=(const FileKeyStore&) = delete;
  ~FileKeyStore() override;

  // KeyStore. Storage errors: "keyStoreCorrupt" (truncated, malformed or not a regular
  // file), "unsupportedVersion" (written by a newer format), "ioError". A file that cannot be
  // parsed is never modified.
  bool HasKey() const override;
  Status Create(std::string_view pin, const crypto::SigningKey& key) override;
  Result<crypto::SigningKey> Unlock(std::string_view pin) override;
  Status ChangePin(std::string_view old_pin, std::string_view new_pin) override;
  Result<int> AttemptsLeft() const override;
  Result<crypto::VerifyingKey> PublicKey() const override;
  Status Destroy() override;

  const std::filesystem::path& directory() const { return dir_; }

 private:
  FileKeyStore(std::filesystem::path dir, int dir_fd, crypto::PinKdfParams params)
      : dir_(std::move(dir)), dir_fd_(dir_fd), params_(params) {}

  std::filesystem::path dir_;
  int dir_fd_;  // owned; all file access goes through it (openat & co.)
  crypto::PinKdfParams params_;
};

}  // namespace tillit::platform
