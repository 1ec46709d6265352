// IssuerKeys: key files in the data directory, created on first start.
#include "tillit/service/issuer_keys.h"

#include <fcntl.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstring>
#include <memory>
#include <optional>
#include <string>

#include "tillit/credential/certificate.h"
#include "tillit/crypto/encrypted_key.h"
#include "tillit/crypto/hash.h"
#include "tillit/crypto/random.h"

namespace tillit::service {
namespace {

using crypto::InsecureSecretAccess;

constexpr size_t kKeySize = 32;
constexpr int64_t kDay = 86400;
constexpr int64_t kCaValidity = 3653 * kDay;  // ~10 years

Error Unavailable(const std::string& what) {
  return MakeError("storageUnavailable", what + ": " + std::strerror(errno));
}

// The whole file, or nullopt if it does not exist.
// A key file, or nullopt if there is none. Key files are small; a large one is not ours.
Result<std::optional<crypto::SecretBytes>> ReadFile(const std::string& path) {
  auto read = crypto::ReadSecretFile(path, 1 << 20);
  if (read.ok()) return read;
  if (read.error().code == "unreadable") {
    return MakeError("storageUnavailable", read.error().message);
  }
  return MakeError("internalError", "key file unreadable or too large: " + read.error().message);
}

void SyncDirectory(const std::string& dir) {
  int dfd = ::open(dir.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC);
  if (dfd >= 0) {
    ::fsync(dfd);
    ::close(dfd);
  }
}

// Writes `data` to `path` atomically with mode 0600: a temp file beside it, fsync,
// rename, fsync of the directory. A crash leaves either no file or the whole file.
Status WriteFileAtomic(const std::string& dir, const std::string& path, ByteView data) {
  std::string tmp = path + ".tmp";
  ::unlink(tmp.c_str());
  int fd = ::open(tmp.c_str(), O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0600);
  if (fd < 0) return Unavailable("create " + tmp);
  size_t done = 0;
  while (done < data.size()) {
    ssize_t n = ::write(fd, data.data() + done, data.size() - done);
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) {
      ::close(fd);
      return Unavailable("write " + tmp);
    }
    done += static_cast<size_t>(n);
  }
  if (::fsync(fd) != 0) {
    ::close(fd);
    return Unavailable("fsync " + tmp);
  }
  ::close(fd);
  if (::rename(tmp.c_str(), path.c_str()) != 0) return Unavailable("rename " + tmp);
  SyncDirectory(dir);
  return {};
}

Result<bool> FileExists(const std::string& path) {
  struct stat st {};
  if (::stat(path.c_str(), &st) == 0) return true;
  if (errno == ENOENT) return false;
  return Unavailable("stat " + path);
}

Status EnsureDirectory(const std::string& dir) {
  if (::mkdir(dir.c_str(), 0700) != 0 && errno != EEXIST) return Unavailable("mkdir " + dir);
  struct stat st {};
  if (::stat(dir.c_str(), &st) != 0) return Unavailable("stat " + dir);
  if (!S_ISDIR(st.st_mode)) return MakeError("storageUnavailable", dir + " is not a directory");
  // Tighten a directory created by someone else (e.g. mkdir by an operator): it holds keys.
  if ((st.st_mode & 077) != 0 && ::chmod(dir.c_str(), 0700) != 0) return Unavailable("chmod " + dir);
  return {};
}

// Loads a 32-byte random key file, creating it if missing.
Result<crypto::SecretBytes> LoadOrCreateKey(const std::string& dir, const std::string& name) {
  std::string path = dir + "/" + name;
  TILLIT_TRY_ASSIGN(auto existing, ReadFile(path));
  if (existing) {
    if (existing->size() != kKeySize) {
      return MakeError("internalError", "key file has the wrong size: " + path);
    }
    return std::move(*existing);
  }
  crypto::SecretBytes key = crypto::RandomSecret(kKeySize);
  TILLIT_TRY(WriteFileAtomic(dir, path, key.Expose(InsecureSecretAccess::Get())));
  return key;
}

// An exclusive flock on data_dir/keys.lock for the lifetime of the object.
class DirectoryLock {
 public:
  explicit DirectoryLock(int fd) : fd_(fd) {}
  DirectoryLock(const DirectoryLock&) = delete;
  DirectoryLock& operator=(const DirectoryLock&) = delete;
  ~DirectoryLock() {
    if (fd_ >= 0) ::close(fd_);  // closing releases the flock
  }

  static Result<std::unique_ptr<DirectoryLock>> Take(const std::string& data_dir) {
    std::string lock_path = data_dir + "/keys.lock";
    int fd = ::open(lock_path.c_str(), O_RDWR | O_CREAT | O_CLOEXEC, 0600);
    if (fd < 0) return Unavailable("open " + lock_path);
    auto lock = std::make_unique<DirectoryLock>(fd);
    if (::flock(fd, LOCK_EX) != 0) return Unavailable("flock " + lock_path);
    return lock;
  }

 private:
  int fd_;
};

constexpr const char* kPlainCaKey = "ca.key";
constexpr const char* kEncryptedCaKey = "ca.key.pem";

// Passphrases and PINs never appear in messages: only what to do.
Error CaKeyLocked(const std::string& message) { return MakeError("caKeyLocked", message); }

// ca.key.pem, decrypted with `passphrase`.
Result<crypto::SigningKey> ReadEncryptedCaKey(const std::string& path,
                                              const crypto::SecretBytes& passphrase) {
  TILLIT_TRY_ASSIGN(auto pem, ReadFile(path));
  if (!pem) return MakeError("internalError", path + " disappeared");
  auto key = crypto::DecryptSigningKey(AsString(pem->Expose(InsecureSecretAccess::Get())),
                                       passphrase);
  if (key.ok()) return key;
  if (key.error().code == "decryptionFailed") {
    return CaKeyLocked("the passphrase given does not unlock " + path);
  }
  return MakeError("internalError", path + ": " + key.error().message);
}

// Encrypts `key` and writes it to `path`, having checked that the text decrypts to it.
Status WriteEncryptedCaKey(const std::string& dir, const std::string& path,
                           const crypto::SigningKey& key, const crypto::SecretBytes& passphrase) {
  TILLIT_TRY_ASSIGN(std::string pem, crypto::EncryptSigningKey(key, passphrase));
  auto back = crypto::DecryptSigningKey(pem, passphrase);
  if (!back.ok() || !(back->verifying_key() == key.verifying_key())) {
    return MakeError("internalError", "the encrypted CA key does not decrypt to the CA key");
  }
  return WriteFileAtomic(dir, path, AsBytes(pem));
}

// The CA signer from the source `options` names, creating a key file if the directory has
// no CA key and no certificate. Writes nothing unless it creates the key.
Result<std::unique_ptr<crypto::Signer>> OpenCaSigner(const std::string& dir,
                                                     const CaKeyOptions& options) {
  const std::string plain_path = dir + "/" + kPlainCaKey;
  const std::string encrypted_path = dir + "/" + kEncryptedCaKey;
  TILLIT_TRY_ASSIGN(const bool plain, FileExists(plain_path));
  TILLIT_TRY_ASSIGN(const bool encrypted, FileExists(encrypted_path));
  TILLIT_TRY_ASSIGN(const bool certificate, FileExists(dir + "/ca.pem"));
  if (options.passphrase && options.pkcs11) {
    return MakeError("invalidParameters", "a CA key passphrase and a PKCS#11 token are exclusive");
  }
  if (options.pkcs11) {
    if (plain || encrypted) {
      return MakeError("internalError",
                       std::string("two CA keys: the data directory has ") +
                           (plain ? kPlainCaKey : kEncryptedCaKey) +
                           " and a PKCS#11 token key was named; remove one");
    }
    TILLIT_TRY_ASSIGN(std::unique_ptr<Pkcs11Signer> signer, Pkcs11Signer::Open(*options.pkcs11));
    return std::unique_ptr<crypto::Signer>(std::move(signer));
  }
  if (plain && encrypted) {
    return MakeError("internalError",
                     "ambiguous CA key: both ca.key and ca.key.pem exist; if `admin "
                     "protect-ca-key` was interrupted, run it again");
  }
  if (!plain && !encrypted && certificate) {
    return MakeError("internalError",
                     "ca.pem exists but there is no CA key (ca.key or ca.key.pem): restore the "
                     "key from its backup, or name its PKCS#11 token");
  }
  if (encrypted) {
    if (!options.passphrase) {
      return CaKeyLocked("the CA key ca.key.pem is encrypted: give its passphrase with "
                         "--ca-key-passphrase-file FILE or --ca-key-passphrase-env NAME");
    }
    TILLIT_TRY_ASSIGN(crypto::SigningKey key,
                      ReadEncryptedCaKey(encrypted_path, *options.passphrase));
    return std::unique_ptr<crypto::Signer>(std::make_unique<crypto::SoftwareSigner>(std::move(key)));
  }
  if (options.passphrase) {
    if (plain) {
      return MakeError("invalidParameters",
                       "a CA key passphrase was given but ca.key is not encrypted: encrypt it "
                       "first with `tillit-server admin --data DIR protect-ca-key`");
    }
    // First start: the new key goes to disk only encrypted.
    crypto::SigningKey key = crypto::SigningKey::Generate();
    TILLIT_TRY(WriteEncryptedCaKey(dir, encrypted_path, key, *options.passphrase));
    return std::unique_ptr<crypto::Signer>(std::make_unique<crypto::SoftwareSigner>(std::move(key)));
  }
  TILLIT_TRY_ASSIGN(auto seed, LoadOrCreateKey(dir, kPlainCaKey));
  TILLIT_TRY_ASSIGN(auto key, crypto::SigningKey::FromSeed(seed));
  return std::unique_ptr<crypto::Signer>(std::make_unique<crypto::SoftwareSigner>(std::move(key)));
}

bool SameKey(const Bytes& certificate_key, const crypto::VerifyingKey& key) {
  return std::ranges::equal(certificate_key, key.bytes());
}

std::string_view Label(SecretKind kind) {
  switch (kind) {
    case SecretKind::kOfficerToken: return "officer-token";
    case SecretKind::kRelyingPartyKey: return "rp-api-key";
    case SecretKind::kActivationSecret: return "activation-secret";
  }
  TILLIT_CHECK(false);
  return "";
}

}  // namespace

std::string DatabasePath(const std::string& data_dir) { return data_dir + "/tillit.db"; }

Result<IssuerKeys> IssuerKeys::LoadOrCreate(const std::string& data_dir, const Clock& clock,
                                            const CaKeyOptions& ca_key) {
  TILLIT_TRY(EnsureDirectory(data_dir));
  TILLIT_TRY_ASSIGN(auto lock, DirectoryLock::Take(data_dir));

  // First, so that a locked CA key or an unreachable token leaves the directory as it was.
  TILLIT_TRY_ASSIGN(std::unique_ptr<crypto::Signer> ca_signer, OpenCaSigner(data_dir, ca_key));
  TILLIT_TRY_ASSIGN(auto id_key, LoadOrCreateKey(data_dir, "identifier.key"));
  TILLIT_TRY_ASSIGN(auto scheme,
                    identifier::IdentifierScheme::Create(id_key.Expose(InsecureSecretAccess::Get())));
  TILLIT_TRY_ASSIGN(auto pepper, LoadOrCreateKey(data_dir, "pepper.key"));
  // Created on the first start of a version that signs results; older data directories
  // simply gain the file.
  TILLIT_TRY_ASSIGN(auto result_seed, LoadOrCreateKey(data_dir, "result.key"));
  TILLIT_TRY_ASSIGN(auto result_key, crypto::SigningKey::FromSeed(result_seed));

  std::string cert_path = data_dir + "/ca.pem";
  TILLIT_TRY_ASSIGN(auto pem, ReadFile(cert_path));
  Bytes ca_der;
  if (pem) {
    auto der = credential::CertificateFromPem(AsString(pem->Expose(InsecureSecretAccess::Get())));
    if (!der.ok()) return MakeError("internalError", "ca.pem: " + der.error().message);
    ca_der = std::move(*der);
    auto parsed = credential::ParseCertificate(ca_der);
    if (!parsed.ok() || !SameKey(parsed->public_key, ca_signer->verifying_key())) {
      return MakeError("internalError", ca_key.pkcs11
                                            ? "the CA certificate ca.pem does not match the "
                                              "token key"
                                            : "ca.pem does not belong to the CA key");
    }
  } else {
    int64_t now = clock.NowUnixSeconds();
    credential::CaProfile profile{.common_name = "Tillit Issuer CA",
                                  .organisation = "Tillit",
                                  .country = "SE",
                                  .not_before = now - kDay,
                                  .not_after = now + kCaValidity};
    TILLIT_TRY_ASSIGN(ca_der, credential::CreateCaCertificate(*ca_signer, profile));
    std::string text = credential::CertificateToPem(ca_der);
    TILLIT_TRY(WriteFileAtomic(data_dir, cert_path, AsBytes(text)));
  }
  return IssuerKeys(std::move(ca_signer), std::move(ca_der), std::move(scheme),
                    std::move(result_key), std::move(pepper));
}

Result<crypto::VerifyingKey> IssuerKeys::ProtectCaKey(const std::string& data_dir,
                                                      const crypto::SecretBytes& passphrase) {
  if (passphrase.empty()) return MakeError("invalidParameters", "the passphrase is empty");
  // Never creates the directory: there is nothing to protect in a new one.
  TILLIT_TRY_ASSIGN(const bool directory, FileExists(data_dir));
  if (!directory) return MakeError("notFound", "no data directory " + data_dir);
  TILLIT_TRY_ASSIGN(auto lock, DirectoryLock::Take(data_dir));
  const std::string plain_path = data_dir + "/" + kPlainCaKey;
  const std::string encrypted_path = data_dir + "/" + kEncryptedCaKey;

  TILLIT_TRY_ASSIGN(auto seed, ReadFile(plain_path));
  if (!seed) {
    TILLIT_TRY_ASSIGN(const bool encrypted, FileExists(encrypted_path));
    return MakeError("notFound", encrypted ? "the CA key is already protected (ca.key.pem)"
                                           : "no ca.key in " + data_dir);
  }
  if (seed->size() != kKeySize) {
    return MakeError("internalError", "key file has the wrong size: " + plain_path);
  }
  TILLIT_TRY_ASSIGN(crypto::SigningKey key, crypto::SigningKey::FromSeed(*seed));
  // The certificate must be this key's: encrypting a key from a mixed-up directory would
  // only hide the mix-up.
  TILLIT_TRY_ASSIGN(auto pem, ReadFile(data_dir + "/ca.pem"));
  if (pem) {
    auto der = credential::CertificateFromPem(AsString(pem->Expose(InsecureSecretAccess::Get())));
    auto parsed = der.ok() ? credential::ParseCertificate(*der)
                           : Result<credential::ParsedCertificate>(der.error());
    if (!parsed.ok() || !SameKey(parsed->public_key, key.verifying_key())) {
      return MakeError("internalError", "ca.pem does not belong to ca.key");
    }
  }

  TILLIT_TRY_ASSIGN(const bool encrypted, FileExists(encrypted_path));
  if (encrypted) {
    // Left by a run interrupted before it removed ca.key: keep it if it is this key.
    TILLIT_TRY_ASSIGN(crypto::SigningKey existing, ReadEncryptedCaKey(encrypted_path, passphrase));
    if (!(existing.verifying_key() == key.verifying_key())) {
      return MakeError("internalError", "ca.key.pem holds another key than ca.key");
    }
  } else {
    TILLIT_TRY(WriteEncryptedCaKey(data_dir, encrypted_path, key, passphrase));
    // Read back from the disk, as the next start will.
    TILLIT_TRY_ASSIGN(crypto::SigningKey written, ReadEncryptedCaKey(encrypted_path, passphrase));
    if (!(written.verifying_key() == key.verifying_key())) {
      return MakeError("internalError", "ca.key.pem does not read back as the CA key");
    }
  }
  // Unlinking frees the blocks without erasing them; on journalling and copy-on-write file
  // systems and SSDs overwriting in place would not reliably erase them either
  // (docs/operations.md §1.2).
  if (::unlink(plain_path.c_str()) != 0) return Unavailable("unlink " + plain_path);
  SyncDirectory(data_dir);
  return key.verifying_key();
}

Bytes IssuerKeys::HashSecret(SecretKind kind, std::string_view secret) const {
  std::string message(Label(kind));
  message.push_back('\0');
  message.append(secret);
  crypto::Sha256Digest mac = crypto::HmacSha256(pepper_.Expose(InsecureSecretAccess::Get()),
                                                AsBytes(message));
  // Wipe the copy of the secret (std::string does not).
  std::fill(message.begin(), message.end(), '\0');
  return Bytes(mac.begin(), mac.end());
}

}  // namespace tillit::service
