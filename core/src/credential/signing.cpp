// Signing certificates and CRLs through a crypto::Signer (see signing.h).
#include "credential/signing.h"

#include <array>
#include <cstdint>

#include "credential/openssl_util.h"

namespace tillit::credential::internal {
namespace {

// AlgorithmIdentifier { id-Ed25519 } with parameters absent (RFC 8410 §3).
constexpr std::array<uint8_t, 7> kEd25519AlgorithmId = {0x30, 0x05, 0x06, 0x03, 0x2b, 0x65, 0x70};

Error Internal(std::string message) { return OpensslError("internalError", std::move(message)); }

// Only its AlgorithmIdentifier and signature length matter: its signature is replaced.
Result<EvpPkeyPtr> ThrowAwayKey() {
  EvpPkeyPtr key(EVP_PKEY_Q_keygen(nullptr, nullptr, "ED25519"));
  if (key == nullptr) return Internal("cannot generate an Ed25519 key");
  return key;
}

// DER definite length (X.690 §8.1.3), in the fewest octets.
void AppendLength(Bytes& out, size_t length) {
  if (length < 0x80) {
    out.push_back(static_cast<uint8_t>(length));
    return;
  }
  std::array<uint8_t, sizeof(size_t)> octets{};
  size_t count = 0;
  for (size_t rest = length; rest != 0; rest >>= 8) octets[count++] = static_cast<uint8_t>(rest);
  out.push_back(static_cast<uint8_t>(0x80 | count));
  while (count > 0) out.push_back(octets[--count]);
}

// Signs `tbs` and returns the signed structure's DER (see signing.h), after checking the
// signature under the signer's key: strict libsodium verification, so not even a
// malleated variant of a valid signature gets through.
Result<Bytes> SignAndAssemble(ByteView tbs, const crypto::Signer& signer) {
  TILLIT_TRY_ASSIGN(crypto::Signature signature, signer.Sign(tbs));
  if (!signer.verifying_key().Verify(tbs, signature).ok()) {
    return MakeError("signerFailed",
                     "the CA signer returned a signature that does not verify under its key");
  }
  Bytes body(tbs.begin(), tbs.end());
  body.insert(body.end(), kEd25519AlgorithmId.begin(), kEd25519AlgorithmId.end());
  body.push_back(0x03);  // BIT STRING
  AppendLength(body, 1 + crypto::Signature::kSize);
  body.push_back(0x00);  // no unused bits
  body.insert(body.end(), signature.bytes().begin(), signature.bytes().end());
  Bytes der{0x30};  // SEQUENCE
  AppendLength(der, body.size());
  der.insert(der.end(), body.begin(), body.end());
  return der;
}

ByteView Owned(const OpensslBytesPtr& bytes, int length) {
  return {bytes.get(), static_cast<size_t>(length)};
}

}  // namespace

Result<Bytes> SignCertificate(X509* x509, const crypto::Signer& signer) {
  TILLIT_TRY_ASSIGN(EvpPkeyPtr throwaway, ThrowAwayKey());
  // EdDSA signs the message itself, so no digest is named (RFC 8410 §6).
  if (X509_sign(x509, throwaway.get(), nullptr) <= 0) {
    return Internal("cannot set the signature algorithm");
  }
  unsigned char* tbs = nullptr;
  const int tbs_length = i2d_re_X509_tbs(x509, &tbs);
  OpensslBytesPtr owned(tbs);
  if (tbs_length <= 0) return Internal("cannot encode tbsCertificate");
  TILLIT_TRY_ASSIGN(Bytes der, SignAndAssemble(Owned(owned, tbs_length), signer));

  const unsigned char* p = der.data();
  X509Ptr signed_x509(d2i_X509(nullptr, &p, static_cast<long>(der.size())));
  TILLIT_TRY_ASSIGN(EvpPkeyPtr key, OpensslVerifyingKey(signer.verifying_key()));
  if (signed_x509 == nullptr || p != der.data() + der.size() ||
      X509_verify(signed_x509.get(), key.get()) != 1) {
    return Internal("the signed certificate does not parse or verify");
  }
  return der;
}

Result<Bytes> SignCrl(X509_CRL* crl, const crypto::Signer& signer) {
  TILLIT_TRY_ASSIGN(EvpPkeyPtr throwaway, ThrowAwayKey());
  if (X509_CRL_sign(crl, throwaway.get(), nullptr) <= 0) {
    return Internal("cannot set the signature algorithm");
  }
  unsigned char* tbs = nullptr;
  const int tbs_length = i2d_re_X509_CRL_tbs(crl, &tbs);
  OpensslBytesPtr owned(tbs);
  if (tbs_length <= 0) return Internal("cannot encode tbsCertList");
  TILLIT_TRY_ASSIGN(Bytes der, SignAndAssemble(Owned(owned, tbs_length), signer));

  const unsigned char* p = der.data();
  X509CrlPtr signed_crl(d2i_X509_CRL(nullptr, &p, static_cast<long>(der.size())));
  TILLIT_TRY_ASSIGN(EvpPkeyPtr key, OpensslVerifyingKey(signer.verifying_key()));
  if (signed_crl == nullptr || p != der.data() + der.size() ||
      X509_CRL_verify(signed_crl.get(), key.get()) != 1) {
    return Internal("the signed CRL does not parse or verify");
  }
  return der;
}

}  // namespace tillit::credential::internal
