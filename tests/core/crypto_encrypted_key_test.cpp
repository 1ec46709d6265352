// Passphrase-encrypted key files (tillit/crypto/encrypted_key.h): round trip, the format
// (PBES2 with scrypt and AES-256-CBC, readable by OpenSSL's own PEM reader), wrong
// passphrases, unencrypted and damaged files.
#include "tillit/crypto/encrypted_key.h"

#include <doctest/doctest.h>
#include <openssl/bio.h>
#include <openssl/evp.h>
#include <openssl/objects.h>
#include <openssl/pem.h>
#include <openssl/x509.h>

#include <algorithm>
#include <array>
#include <string>

#include "tillit/crypto/ed25519.h"
#include "tillit/crypto/secret.h"

using namespace tillit;
using namespace tillit::crypto;

namespace {

SecretBytes Secret(std::string_view text) {
  return SecretBytes::CopyFrom(AsBytes(text), InsecureSecretAccess::Get());
}

std::string CodeOf(const auto& result) { return result.ok() ? "ok" : result.error().code; }

}  // namespace

TEST_CASE("an encrypted key decrypts to the same key with its passphrase only") {
  const SigningKey key = SigningKey::Generate();
  const Result<std::string> pem = EncryptSigningKey(key, Secret("correct horse battery"));
  REQUIRE_MESSAGE(pem.ok(), pem.error().message);
  CHECK(pem->rfind("-----BEGIN ENCRYPTED PRIVATE KEY-----\n", 0) == 0);
  CHECK(pem->ends_with("-----END ENCRYPTED PRIVATE KEY-----\n"));

  const Result<SigningKey> back = DecryptSigningKey(*pem, Secret("correct horse battery"));
  REQUIRE_MESSAGE(back.ok(), back.error().message);
  CHECK(back->verifying_key() == key.verifying_key());
  CHECK(back->seed(InsecureSecretAccess::Get()) == key.seed(InsecureSecretAccess::Get()));

  for (std::string_view wrong : {"correct horse batter", "correct horse battery ",
                                 "Correct horse battery", "x"}) {
    CAPTURE(wrong);
    CHECK(CodeOf(DecryptSigningKey(*pem, Secret(wrong))) == "decryptionFailed");
  }
  CHECK(CodeOf(DecryptSigningKey(*pem, SecretBytes())) == "decryptionFailed");

  // A fresh salt and IV each time.
  CHECK(EncryptSigningKey(key, Secret("correct horse battery")).value() != *pem);
  CHECK(CodeOf(EncryptSigningKey(key, SecretBytes())) == "invalidParameters");
}

TEST_CASE("the file is PBES2 with scrypt and AES-256-CBC, and OpenSSL reads it") {
  const SigningKey key = SigningKey::Generate();
  const std::string pem = EncryptSigningKey(key, Secret("pässfräse")).value();

  BIO* bio = BIO_new_mem_buf(pem.data(), static_cast<int>(pem.size()));
  REQUIRE(bio != nullptr);
  X509_SIG* sig = PEM_read_bio_PKCS8(bio, nullptr, nullptr, nullptr);
  BIO_free(bio);
  REQUIRE(sig != nullptr);
  const X509_ALGOR* algorithm = nullptr;
  X509_SIG_get0(sig, &algorithm, nullptr);
  const ASN1_OBJECT* oid = nullptr;
  int parameter_type = 0;
  const void* parameter = nullptr;
  X509_ALGOR_get0(&oid, &parameter_type, &parameter, algorithm);
  CHECK(OBJ_obj2nid(oid) == NID_pbes2);
  REQUIRE(parameter_type == V_ASN1_SEQUENCE);
  const ASN1_STRING* sequence = static_cast<const ASN1_STRING*>(parameter);
  const unsigned char* p = ASN1_STRING_get0_data(sequence);
  PBE2PARAM* pbe2 = d2i_PBE2PARAM(nullptr, &p, ASN1_STRING_length(sequence));
  REQUIRE(pbe2 != nullptr);
  CHECK(OBJ_obj2nid(pbe2->keyfunc->algorithm) == NID_id_scrypt);
  CHECK(OBJ_obj2nid(pbe2->encryption->algorithm) == NID_aes_256_cbc);
  PBE2PARAM_free(pbe2);
  X509_SIG_free(sig);

  // OpenSSL's generic reader, as `openssl pkey -passin` uses it.
  bio = BIO_new_mem_buf(pem.data(), static_cast<int>(pem.size()));
  char passphrase[] = "pässfräse";
  EVP_PKEY* pkey = PEM_read_bio_PrivateKey(bio, nullptr, nullptr, passphrase);
  BIO_free(bio);
  REQUIRE(pkey != nullptr);
  CHECK(EVP_PKEY_get_id(pkey) == EVP_PKEY_ED25519);
  std::array<uint8_t, 32> public_key{};
  size_t length = public_key.size();
  REQUIRE(EVP_PKEY_get_raw_public_key(pkey, public_key.data(), &length) == 1);
  CHECK(std::ranges::equal(public_key, key.verifying_key().bytes()));
  EVP_PKEY_free(pkey);
}

TEST_CASE("files that are not an encrypted Ed25519 key are refused") {
  CHECK(CodeOf(DecryptSigningKey("", Secret("p"))) == "invalidKeyFile");
  CHECK(CodeOf(DecryptSigningKey("not a key", Secret("p"))) == "invalidKeyFile");

  // An unencrypted PKCS#8 key is not an encrypted one.
  const SigningKey key = SigningKey::Generate();
  const ByteView seed = key.seed(InsecureSecretAccess::Get()).Expose(InsecureSecretAccess::Get());
  EVP_PKEY* pkey = EVP_PKEY_new_raw_private_key(EVP_PKEY_ED25519, nullptr, seed.data(), seed.size());
  REQUIRE(pkey != nullptr);
  BIO* out = BIO_new(BIO_s_mem());
  REQUIRE(PEM_write_bio_PrivateKey(out, pkey, nullptr, nullptr, 0, nullptr, nullptr) == 1);
  char* data = nullptr;
  long length = BIO_get_mem_data(out, &data);
  const std::string plain(data, static_cast<size_t>(length));
  BIO_free(out);
  CHECK(CodeOf(DecryptSigningKey(plain, Secret("p"))) == "invalidKeyFile");

  // An encrypted key of another type decrypts but is refused as a CA key.
  EVP_PKEY* x25519 = EVP_PKEY_Q_keygen(nullptr, nullptr, "X25519");
  REQUIRE(x25519 != nullptr);
  out = BIO_new(BIO_s_mem());
  char passphrase[] = "p";
  REQUIRE(PEM_write_bio_PKCS8PrivateKey(out, x25519, EVP_aes_256_cbc(), passphrase, 1, nullptr,
                                        nullptr) == 1);
  length = BIO_get_mem_data(out, &data);
  const std::string other(data, static_cast<size_t>(length));
  BIO_free(out);
  CHECK(CodeOf(DecryptSigningKey(other, Secret("p"))) == "invalidKey");
  EVP_PKEY_free(x25519);
  EVP_PKEY_free(pkey);

  // A truncated file (its last base64 line lost) no longer decodes. (Damage that still
  // decodes is not always noticed: CBC is not authenticated, which is why the issuer checks
  // the decrypted key against ca.pem.)
  const std::string pem = EncryptSigningKey(key, Secret("p")).value();
  const size_t end_line = pem.rfind("-----END");
  const size_t last_line = pem.rfind('\n', end_line - 2) + 1;
  const std::string truncated = pem.substr(0, last_line) + pem.substr(end_line);
  CHECK(CodeOf(DecryptSigningKey(truncated, Secret("p"))) == "invalidKeyFile");
}
