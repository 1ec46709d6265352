// IssuerKeys: key files in the data directory, created on first start.
#include "tillit/service/issuer_keys.h"

#include <fcntl.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstring>
#include <optional>
#include <string>

#include "tillit/credential/certificate.h"
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
Result<std::optional<crypto::SecretBytes>> ReadFile(const std::string& path) {
  int fd = ::open(path.c_str(), O_RDONLY | O_CLOEXEC);
  if (fd < 0) {
    if (errno == ENOENT) return std::optional<crypto::SecretBytes>();
    return Unavailable("open " + path);
  }
  struct stat st {};
  if (::fstat(fd, &st) != 0 || st.st_size > 1 << 20) {
    ::close(fd);
    return MakeError("internalError", "key file unreadable or too large: " + path);
  }
  crypto::SecretBytes data(static_cast<size_t>(st.st_size));
  auto out = data.ExposeMutable(InsecureSecretAccess::Get());
  size_t done = 0;
  while (done < out.size()) {
    ssize_t n = ::read(fd, out.data() + done, out.size() - done);
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) {
      ::close(fd);
      return Unavailable("read " + path);
    }
    done += static_cast<size_t>(n);
  }
  ::close(fd);
  return std::optional<crypto::SecretBytes>(std::move(data));
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
  int dfd = ::open(dir.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC);
  if (dfd >= 0) {
    ::fsync(dfd);
    ::close(dfd);
  }
  return {};
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

 private:
  int fd_;
};

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

Result<IssuerKeys> IssuerKeys::LoadOrCreate(const std::string& data_dir, const Clock& clock) {
  TILLIT_TRY(EnsureDirectory(data_dir));
  std::string lock_path = data_dir + "/keys.lock";
  int lock_fd = ::open(lock_path.c_str(), O_RDWR | O_CREAT | O_CLOEXEC, 0600);
  if (lock_fd < 0) return Unavailable("open " + lock_path);
  DirectoryLock lock(lock_fd);
  if (::flock(lock_fd, LOCK_EX) != 0) return Unavailable("flock " + lock_path);

  TILLIT_TRY_ASSIGN(auto ca_seed, LoadOrCreateKey(data_dir, "ca.key"));
  TILLIT_TRY_ASSIGN(auto ca_key, crypto::SigningKey::FromSeed(ca_seed));
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
    if (!parsed.ok() || parsed->public_key != Bytes(ca_key.verifying_key().bytes().begin(),
                                                    ca_key.verifying_key().bytes().end())) {
      return MakeError("internalError", "ca.pem does not belong to ca.key");
    }
  } else {
    int64_t now = clock.NowUnixSeconds();
    credential::CaProfile profile{.common_name = "Tillit Issuer CA",
                                  .organisation = "Tillit",
                                  .country = "SE",
                                  .not_before = now - kDay,
                                  .not_after = now + kCaValidity};
    TILLIT_TRY_ASSIGN(ca_der, credential::CreateCaCertificate(ca_key, profile));
    std::string text = credential::CertificateToPem(ca_der);
    TILLIT_TRY(WriteFileAtomic(data_dir, cert_path, AsBytes(text)));
  }
  return IssuerKeys(std::move(ca_key), std::move(ca_der), std::move(scheme),
                    std::move(result_key), std::move(pepper));
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
