// Internal to credential/: owners for the OpenSSL objects the credential code uses, the
// error-queue scope, DER encoding and time conversion. Only core/src includes OpenSSL.
//
// Thread safety: no shared state; every object is owned by one call.
#pragma once

#include <openssl/asn1.h>
#include <openssl/bn.h>
#include <openssl/err.h>
#include <openssl/evp.h>
#include <openssl/x509.h>
#include <openssl/x509_vfy.h>
#include <openssl/x509v3.h>

#include <cstdint>
#include <memory>
#include <string>

#include "tillit/bytes.h"
#include "tillit/crypto/ed25519.h"
#include "tillit/result.h"

namespace tillit::credential::internal {

// unique_ptr deleter calling an OpenSSL free function.
template <auto FreeFn>
struct OpensslDeleter {
  template <typename T>
  void operator()(T* p) const {
    FreeFn(p);
  }
};

using X509Ptr = std::unique_ptr<X509, OpensslDeleter<X509_free>>;
using X509NamePtr = std::unique_ptr<X509_NAME, OpensslDeleter<X509_NAME_free>>;
using X509NameEntryPtr = std::unique_ptr<X509_NAME_ENTRY, OpensslDeleter<X509_NAME_ENTRY_free>>;
using X509StorePtr = std::unique_ptr<X509_STORE, OpensslDeleter<X509_STORE_free>>;
using X509StoreCtxPtr = std::unique_ptr<X509_STORE_CTX, OpensslDeleter<X509_STORE_CTX_free>>;
using EvpPkeyPtr = std::unique_ptr<EVP_PKEY, OpensslDeleter<EVP_PKEY_free>>;
using BignumPtr = std::unique_ptr<BIGNUM, OpensslDeleter<BN_free>>;
using Asn1IntegerPtr = std::unique_ptr<ASN1_INTEGER, OpensslDeleter<ASN1_INTEGER_free>>;
using Asn1ObjectPtr = std::unique_ptr<ASN1_OBJECT, OpensslDeleter<ASN1_OBJECT_free>>;
using Asn1OctetStringPtr =
    std::unique_ptr<ASN1_OCTET_STRING, OpensslDeleter<ASN1_OCTET_STRING_free>>;
using Asn1BitStringPtr = std::unique_ptr<ASN1_BIT_STRING, OpensslDeleter<ASN1_BIT_STRING_free>>;
using BasicConstraintsPtr =
    std::unique_ptr<BASIC_CONSTRAINTS, OpensslDeleter<BASIC_CONSTRAINTS_free>>;
using ExtendedKeyUsagePtr =
    std::unique_ptr<EXTENDED_KEY_USAGE, OpensslDeleter<EXTENDED_KEY_USAGE_free>>;
using CertificatePoliciesPtr =
    std::unique_ptr<CERTIFICATEPOLICIES, OpensslDeleter<CERTIFICATEPOLICIES_free>>;
using PolicyInfoPtr = std::unique_ptr<POLICYINFO, OpensslDeleter<POLICYINFO_free>>;
using AuthorityKeyIdPtr = std::unique_ptr<AUTHORITY_KEYID, OpensslDeleter<AUTHORITY_KEYID_free>>;
using X509CrlPtr = std::unique_ptr<X509_CRL, OpensslDeleter<X509_CRL_free>>;
using X509RevokedPtr = std::unique_ptr<X509_REVOKED, OpensslDeleter<X509_REVOKED_free>>;
using X509ExtensionPtr = std::unique_ptr<X509_EXTENSION, OpensslDeleter<X509_EXTENSION_free>>;
using Asn1TimePtr = std::unique_ptr<ASN1_TIME, OpensslDeleter<ASN1_TIME_free>>;
using Asn1EnumeratedPtr = std::unique_ptr<ASN1_ENUMERATED, OpensslDeleter<ASN1_ENUMERATED_free>>;
inline void FreeOpensslBytes(unsigned char* p) { OPENSSL_free(p); }
// A buffer that OpenSSL allocated (e.g. by i2d with *out == nullptr).
using OpensslBytesPtr = std::unique_ptr<unsigned char, OpensslDeleter<FreeOpensslBytes>>;

// Removes, when it goes out of scope, every OpenSSL error pushed onto this thread's queue
// since it was created (ERR_set_mark / ERR_pop_to_mark), so a failed call leaves no stale
// error behind for the next one, while errors queued by our caller before the call stay.
class OpensslErrorScope {
 public:
  OpensslErrorScope() { ERR_set_mark(); }
  ~OpensslErrorScope() { ERR_pop_to_mark(); }
  OpensslErrorScope(const OpensslErrorScope&) = delete;
  OpensslErrorScope& operator=(const OpensslErrorScope&) = delete;
};

// An Error whose message ends with OpenSSL's most recent reason, if any (for logs).
Error OpensslError(std::string code, std::string message);

// The signing key as an OpenSSL object, from its RFC 8032 seed (which is what OpenSSL's raw
// Ed25519 private key is). OpenSSL wipes its copy when the EVP_PKEY is freed.
// Errors: "internalError".
Result<EvpPkeyPtr> OpensslSigningKey(const crypto::SigningKey& key);

// The public key as an OpenSSL object. Errors: "internalError".
Result<EvpPkeyPtr> OpensslVerifyingKey(const crypto::VerifyingKey& key);

// The DER encoding of a certificate. Errors: "internalError".
Result<Bytes> EncodeCertificate(X509* x509);

// Seconds since the epoch of an ASN1_TIME (UTCTime or GeneralizedTime, RFC 5280 §4.1.2.5).
// Errors: "invalidTime".
Result<int64_t> Asn1TimeToUnix(const ASN1_TIME* time);

// Sets `time` to `unix_seconds`, as UTCTime through 2049 and GeneralizedTime from 2050
// (RFC 5280 §4.1.2.5). Errors: "internalError".
Status SetAsn1Time(ASN1_TIME* time, int64_t unix_seconds);

// Earliest and latest times we write: 1970-01-01T00:00:00Z and 9999-12-31T23:59:59Z.
inline constexpr int64_t kMinCertificateTime = 0;
inline constexpr int64_t kMaxCertificateTime = 253402300799;

}  // namespace tillit::credential::internal
