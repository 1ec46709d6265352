#include "tillit/crypto/secret.h"

#include <sodium.h>

#include <algorithm>
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

}  // namespace tillit::crypto
