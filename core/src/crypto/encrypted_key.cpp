// Encrypted PKCS#8 key files over OpenSSL (see encrypted_key.h).
#include "tillit/crypto/encrypted_key.h"

#include <openssl/bio.h>
#include <openssl/evp.h>
#include <openssl/pem.h>
#include <openssl/pkcs12.h>
#include <openssl/x509.h>

#include <limits>
#include <memory>

#include "credential/openssl_util.h"
#include "tillit/crypto/random.h"

namespace tillit::crypto {
namespace {

namespace ci = credential::internal;

using BioPtr = std::unique_ptr<BIO, ci::OpensslDeleter<BIO_free>>;
using X509SigPtr = std::unique_ptr<X509_SIG, ci::OpensslDeleter<X509_SIG_free>>;
using Pkcs8InfoPtr =
    std::unique_ptr<PKCS8_PRIV_KEY_INFO, ci::OpensslDeleter<PKCS8_PRIV_KEY_INFO_free>>;
using X509AlgorPtr = std::unique_ptr<X509_ALGOR, ci::OpensslDeleter<X509_ALGOR_free>>;

// scrypt cost (RFC 7914 §2): 128 * r * N = 16 MiB, under the 32 MiB OpenSSL allows by
// default when it decrypts PKCS#8 (EVP_PBE_scrypt with maxmem 0), so `openssl pkey` reads
// the file without extra options. DO NOT raise N or r past that limit.
constexpr uint64_t kScryptN = uint64_t{1} << 14;
constexpr uint64_t kScryptR = 8;
constexpr uint64_t kScryptP = 1;
constexpr size_t kSaltSize = 16;
// Longer passphrases are refused rather than truncated (OpenSSL takes an int length).
constexpr size_t kMaxPassphraseSize = 64 * 1024;

const char* PassphraseChars(const SecretBytes& passphrase) {
  return reinterpret_cast<const char*>(passphrase.Expose(InsecureSecretAccess::Get()).data());
}

}  // namespace

Result<std::string> EncryptSigningKey(const SigningKey& key, const SecretBytes& passphrase) {
  ci::OpensslErrorScope error_scope;
  if (passphrase.empty()) return MakeError("invalidParameters", "the passphrase is empty");
  if (passphrase.size() > kMaxPassphraseSize) {
    return MakeError("invalidParameters", "the passphrase is too long");
  }
  TILLIT_TRY_ASSIGN(ci::EvpPkeyPtr pkey, ci::OpensslSigningKey(key));
  Pkcs8InfoPtr info(EVP_PKEY2PKCS8(pkey.get()));
  if (info == nullptr) return ci::OpensslError("internalError", "cannot encode the key as PKCS#8");
  const Bytes salt = RandomBytes(kSaltSize);
  // A null IV: OpenSSL draws a random one.
  X509AlgorPtr pbe(PKCS5_pbe2_set_scrypt(EVP_aes_256_cbc(), salt.data(),
                                         static_cast<int>(salt.size()), nullptr, kScryptN,
                                         kScryptR, kScryptP));
  if (pbe == nullptr) return ci::OpensslError("internalError", "cannot set up PBES2/scrypt");
  X509SigPtr encrypted(PKCS8_set0_pbe(PassphraseChars(passphrase),
                                      static_cast<int>(passphrase.size()), info.get(),
                                      pbe.get()));
  if (encrypted == nullptr) return ci::OpensslError("internalError", "cannot encrypt the key");
  pbe.release();  // owned by `encrypted` now
  BioPtr out(BIO_new(BIO_s_mem()));
  if (out == nullptr || PEM_write_bio_PKCS8(out.get(), encrypted.get()) != 1) {
    return ci::OpensslError("internalError", "cannot write the encrypted key");
  }
  char* data = nullptr;
  const long length = BIO_get_mem_data(out.get(), &data);
  if (length <= 0) return ci::OpensslError("internalError", "cannot write the encrypted key");
  return std::string(data, static_cast<size_t>(length));
}

Result<SigningKey> DecryptSigningKey(std::string_view pem, const SecretBytes& passphrase) {
  ci::OpensslErrorScope error_scope;
  if (pem.size() > static_cast<size_t>(std::numeric_limits<int>::max())) {
    return MakeError("invalidKeyFile", "the key file is too large");
  }
  BioPtr in(BIO_new_mem_buf(pem.data(), static_cast<int>(pem.size())));
  if (in == nullptr) return ci::OpensslError("internalError", "out of memory");
  // Reads only an ENCRYPTED PRIVATE KEY block: an unencrypted key is not accepted here.
  X509SigPtr encrypted(PEM_read_bio_PKCS8(in.get(), nullptr, nullptr, nullptr));
  if (encrypted == nullptr) {
    return MakeError("invalidKeyFile", "not a PEM ENCRYPTED PRIVATE KEY (PKCS#8)");
  }
  // From here on every failure is "decryptionFailed": with CBC padding, a wrong passphrase
  // sometimes decrypts to garbage that fails later instead.
  const Error wrong = MakeError("decryptionFailed", "cannot decrypt the key with this passphrase");
  if (passphrase.empty() || passphrase.size() > kMaxPassphraseSize) return wrong;
  Pkcs8InfoPtr info(PKCS8_decrypt(encrypted.get(), PassphraseChars(passphrase),
                                  static_cast<int>(passphrase.size())));
  if (info == nullptr) return wrong;
  ci::EvpPkeyPtr pkey(EVP_PKCS82PKEY(info.get()));
  if (pkey == nullptr) return wrong;
  if (EVP_PKEY_get_id(pkey.get()) != EVP_PKEY_ED25519) {
    return MakeError("invalidKey", "the key file holds a key that is not Ed25519");
  }
  SecretBytes seed(SigningKey::kSeedSize);
  size_t length = seed.size();
  if (EVP_PKEY_get_raw_private_key(pkey.get(),
                                   seed.ExposeMutable(InsecureSecretAccess::Get()).data(),
                                   &length) != 1 ||
      length != SigningKey::kSeedSize) {
    return MakeError("invalidKey", "cannot read the Ed25519 key");
  }
  return SigningKey::FromSeed(seed);
}

}  // namespace tillit::crypto
