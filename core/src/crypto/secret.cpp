#include "tillit/crypto/secret.h"

#include <fcntl.h>
#include <sodium.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstring>
#include <utility>

#include "crypto/sodium_support.h"

namespace tillit::crypto {

// The buffer lives on the ordinary heap (not sodium_malloc's guarded, mlocked pages, which
// cost several pages per secret); what we guarantee is that it is wiped before it is freed.
SecretBytes::SecretBytes(size_t n) : data_(n > 0 ? new uint8_t[n]() : nullptr), size_(n) {}

SecretBytes SecretBytes::CopyFrom(ByteView data, InsecureSecretAccess access) {
  SecretBytes secret(data.size());
  std::copy(data.begin(), data.end(), secret.ExposeMutable(access).begin());
  return secret;
}

SecretBytes::SecretBytes(SecretBytes&& other) noexcept
    : data_(std::move(other.data_)), size_(std::exchange(other.size_, 0)) {}

SecretBytes& SecretBytes::operator=(SecretBytes&& other) noexcept {
  if (this != &other) {
    Wipe();
    data_ = std::move(other.data_);
    size_ = std::exchange(other.size_, 0);
  }
  return *this;
}

SecretBytes::~SecretBytes() { Wipe(); }

void SecretBytes::Wipe() {
  if (data_ != nullptr) sodium_memzero(data_.get(), size_);
}

bool SecretBytes::operator==(const SecretBytes& other) const {
  if (size_ != other.size_) return false;
  if (size_ == 0) return true;
  internal::EnsureSodiumInitialized();
  return sodium_memcmp(data_.get(), other.data_.get(), size_) == 0;
}

Result<std::optional<SecretBytes>> ReadSecretFile(const std::string& path, size_t max_bytes) {
  const int fd = ::open(path.c_str(), O_RDONLY | O_CLOEXEC);
  if (fd < 0) {
    if (errno == ENOENT) return std::optional<SecretBytes>();
    return MakeError("unreadable", "cannot open " + path + ": " + std::strerror(errno));
  }
  struct stat st {};
  if (::fstat(fd, &st) != 0 || !S_ISREG(st.st_mode) ||
      static_cast<uint64_t>(st.st_size) > max_bytes) {
    ::close(fd);
    return MakeError("notSmallFile", path + " is not a small regular file");
  }
  SecretBytes data(static_cast<size_t>(st.st_size));
  auto out = data.ExposeMutable(InsecureSecretAccess::Get());
  size_t done = 0;
  while (done < out.size()) {
    const ssize_t n = ::read(fd, out.data() + done, out.size() - done);
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) {
      const std::string reason = n < 0 ? std::strerror(errno) : "the file shrank";
      ::close(fd);
      return MakeError("unreadable", "cannot read " + path + ": " + reason);
    }
    done += static_cast<size_t>(n);
  }
  ::close(fd);
  return std::optional<SecretBytes>(std::move(data));
}

}  // namespace tillit::crypto
