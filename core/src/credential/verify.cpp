// VerifyHolderCertificate and VerifyCaCertificate: the checks of docs/credential.md §6, in
// that order.
#include <algorithm>
#include <utility>

#include "credential/names.h"
#include "credential/openssl_util.h"
#include "credential/parse_internal.h"
#include "tillit/credential/certificate.h"
#include "tillit/credential/policy.h"

namespace tillit::credential {
namespace {

using internal::StrictCertificate;

// The CA profile checks shared by both verifiers (RFC 5280 §4.2.1.9 basicConstraints cA
// and critical, §4.2.1.3 keyCertSign, §4.2.1.2 subjectKeyIdentifier, self-issued, RFC 8410
// Ed25519 key). Returns the CA key. Errors: `code`.
Result<crypto::VerifyingKey> CheckCaProfile(StrictCertificate& ca, const char* code) {
  X509* x509 = ca.x509.get();
  if (!ca.parsed.is_ca || !ca.basic_constraints_critical) {
    return MakeError(code, "CA certificate lacks a critical basicConstraints with cA TRUE");
  }
  if ((X509_get_extension_flags(x509) & EXFLAG_KUSAGE) == 0 ||
      (X509_get_key_usage(x509) & KU_KEY_CERT_SIGN) == 0) {
    return MakeError(code, "CA certificate lacks keyUsage keyCertSign");
  }
  if (X509_get0_subject_key_id(x509) == nullptr) {
    return MakeError(code, "CA certificate lacks a subjectKeyIdentifier");
  }
  if (X509_NAME_cmp(X509_get_subject_name(x509), X509_get_issuer_name(x509)) != 0) {
    return MakeError(code, "CA certificate is not self-issued");
  }
  if (ca.parsed.public_key_algorithm != kEd25519Oid || ca.public_key_parameters) {
    return MakeError(code, "CA key is not Ed25519");
  }
  Result<crypto::VerifyingKey> key = crypto::VerifyingKey::Create(ca.parsed.public_key);
  if (!key.ok()) return MakeError(code, "CA key is not a valid Ed25519 key");
  return key;
}

// Ok iff the certificate's signature verifies under its own key.
bool SelfSignatureValid(X509* x509) {
  EVP_PKEY* key = X509_get0_pubkey(x509);  // owned by x509
  return key != nullptr && X509_verify(x509, key) == 1;
}

// Maps an X509_verify_cert failure to our codes (docs/credential.md §7).
Error PathError(X509_STORE_CTX* context) {
  const int error = X509_STORE_CTX_get_error(context);
  const int depth = X509_STORE_CTX_get_error_depth(context);
  std::string detail = std::string(X509_verify_cert_error_string(error)) +
                       (depth == 0 ? " (holder certificate)" : " (CA certificate)");
  switch (error) {
    case X509_V_ERR_CERT_HAS_EXPIRED:
      return MakeError("certificateExpired", std::move(detail));
    case X509_V_ERR_CERT_NOT_YET_VALID:
      return MakeError("certificateNotYetValid", std::move(detail));
    case X509_V_ERR_CERT_SIGNATURE_FAILURE:
      return MakeError("invalidSignature", std::move(detail));
    case X509_V_ERR_UNABLE_TO_GET_ISSUER_CERT:
    case X509_V_ERR_UNABLE_TO_GET_ISSUER_CERT_LOCALLY:
    case X509_V_ERR_UNABLE_TO_VERIFY_LEAF_SIGNATURE:
    case X509_V_ERR_DEPTH_ZERO_SELF_SIGNED_CERT:
    case X509_V_ERR_SELF_SIGNED_CERT_IN_CHAIN:
    case X509_V_ERR_CERT_UNTRUSTED:
    case X509_V_ERR_CERT_CHAIN_TOO_LONG:
    case X509_V_ERR_INVALID_CA:
    case X509_V_ERR_PATH_LENGTH_EXCEEDED:
    case X509_V_ERR_AKID_SKID_MISMATCH:
    case X509_V_ERR_AKID_ISSUER_SERIAL_MISMATCH:
    case X509_V_ERR_SUBJECT_ISSUER_MISMATCH:
      return MakeError("untrustedIssuer", std::move(detail));
    default:
      return MakeError("invalidCertificate", std::move(detail));
  }
}

// RFC 5280 §6 path validation of holder -> CA with OpenSSL at `now`: only `ca` is trusted,
// no intermediates, strict RFC 5280 checks, the CA's self-signature checked too.
Status VerifyPath(X509* holder, X509* ca, int64_t now) {
  internal::X509StorePtr store(X509_STORE_new());
  internal::X509StoreCtxPtr context(X509_STORE_CTX_new());
  if (store == nullptr || context == nullptr || X509_STORE_add_cert(store.get(), ca) != 1 ||
      X509_STORE_CTX_init(context.get(), store.get(), holder, nullptr) != 1) {
    return internal::OpensslError("internalError", "cannot set up path validation");
  }
  X509_VERIFY_PARAM* param = X509_STORE_CTX_get0_param(context.get());
  X509_VERIFY_PARAM_set_time(param, static_cast<time_t>(now));
  X509_VERIFY_PARAM_set_flags(param, X509_V_FLAG_X509_STRICT | X509_V_FLAG_CHECK_SS_SIGNATURE);
  X509_VERIFY_PARAM_set_depth(param, 0);  // no intermediate CAs
  if (X509_verify_cert(context.get()) != 1) return PathError(context.get());
  return {};
}

Status CheckEndEntity(X509* holder, const StrictCertificate& parsed) {
  const uint32_t flags = X509_get_extension_flags(holder);
  if (parsed.parsed.is_ca) return MakeError("notHolderCertificate", "certificate is a CA");
  if ((flags & EXFLAG_KUSAGE) == 0 || (X509_get_key_usage(holder) & KU_DIGITAL_SIGNATURE) == 0) {
    return MakeError("notHolderCertificate", "keyUsage lacks digitalSignature");
  }
  if ((flags & EXFLAG_XKUSAGE) == 0 || (X509_get_extended_key_usage(holder) & XKU_SSL_CLIENT) == 0) {
    return MakeError("notHolderCertificate", "extendedKeyUsage lacks clientAuth");
  }
  return {};
}

// Exactly one level policy, at most one evidence policy, nothing else, no qualifiers.
Status CheckPolicies(const StrictCertificate& holder) {
  const auto fail = [](std::string why) { return MakeError("invalidPolicy", std::move(why)); };
  if (holder.policy_qualifiers) return fail("policy qualifiers are not part of the profile");
  int levels = 0;
  int evidence = 0;
  for (const std::string& oid : holder.parsed.policies) {
    if (AssuranceLevelFromPolicyOid(oid)) {
      ++levels;
    } else if (EvidenceClassFromPolicyOid(oid)) {
      ++evidence;
    } else {
      return fail("unknown policy " + oid);
    }
  }
  if (levels != 1) return fail("not exactly one assurance level policy");
  if (evidence > 1) return fail("more than one evidence class policy");
  return {};
}

}  // namespace

class HolderVerifier {
 public:
  static Result<VerifiedHolderCertificate> Run(ByteView holder_der, ByteView ca_der,
                                               int64_t now) {
    internal::OpensslErrorScope error_scope;
    // 1. Holder parses.
    TILLIT_TRY_ASSIGN(StrictCertificate holder, internal::ParseStrict(holder_der));
    // 2. CA parses, is a CA, and signed itself.
    Result<StrictCertificate> ca_result = internal::ParseStrict(ca_der);
    if (!ca_result.ok()) {
      return MakeError("invalidCaCertificate", "CA certificate: " + ca_result.error().message);
    }
    StrictCertificate ca = std::move(ca_result).value();
    TILLIT_TRY(CheckCaProfile(ca, "invalidCaCertificate"));
    if (!SelfSignatureValid(ca.x509.get())) {
      return MakeError("invalidCaCertificate", "CA self-signature is invalid");
    }
    // 3. Path validation at `now`.
    TILLIT_TRY(VerifyPath(holder.x509.get(), ca.x509.get(), now));
    // 4. End entity.
    TILLIT_TRY(CheckEndEntity(holder.x509.get(), holder));
    // 5. Policies.
    TILLIT_TRY(CheckPolicies(holder));
    const ParsedCertificate& p = holder.parsed;
    // 6. Subject shape: exactly serialNumber, givenName, surname, CN (each once: the parser
    //    rejects repeats of these).
    const std::vector<std::string> expected = {"2.5.4.5", "2.5.4.42", "2.5.4.4", "2.5.4.3"};
    if (holder.subject_attribute_oids.size() != expected.size() ||
        !std::ranges::is_permutation(holder.subject_attribute_oids, expected)) {
      return MakeError("invalidSubject", "subject is not serialNumber, givenName, surname, CN");
    }
    // 7. Identifier, in canonical form only (no separators, upper case).
    Result<identifier::Identifier> id = identifier::Identifier::Parse(*p.subject_serial_number);
    if (!id.ok() || id->ToString() != *p.subject_serial_number) {
      return MakeError("invalidIdentifier", "subject serialNumber is not a canonical identifier");
    }
    // 8. Names as the issuer writes them.
    TILLIT_TRY(internal::CheckName(*p.given_name, "given name", "invalidSubject"));
    TILLIT_TRY(internal::CheckName(*p.surname, "surname", "invalidSubject"));
    if (*p.common_name != internal::HolderCommonName(*p.given_name, *p.surname)) {
      return MakeError("invalidSubject", "commonName is not \"given name surname\"");
    }
    // 9. Holder key: Ed25519 with absent parameters (RFC 8410 §3) and a valid point.
    if (p.public_key_algorithm != kEd25519Oid || holder.public_key_parameters) {
      return MakeError("unsupportedKey", "holder key is not Ed25519");
    }
    Result<crypto::VerifyingKey> key = crypto::VerifyingKey::Create(p.public_key);
    if (!key.ok()) return MakeError("unsupportedKey", "holder key is not a valid Ed25519 key");

    return VerifiedHolderCertificate(std::move(id).value(), *p.given_name, *p.surname,
                                     *p.assurance_level, p.evidence_class, *key, p.serial_hex,
                                     p.not_before, p.not_after);
  }
};

class CaVerifier {
 public:
  static Result<VerifiedCa> Run(ByteView ca_der, int64_t now) {
    internal::OpensslErrorScope error_scope;
    TILLIT_TRY_ASSIGN(StrictCertificate ca, internal::ParseStrict(ca_der));
    TILLIT_TRY_ASSIGN(crypto::VerifyingKey key, CheckCaProfile(ca, "invalidCaCertificate"));
    if (!SelfSignatureValid(ca.x509.get())) {
      return MakeError("invalidSignature", "CA self-signature is invalid");
    }
    // notBefore <= now < notAfter, exactly as OpenSSL's path validation (X509_cmp_time)
    // decides it in VerifyHolderCertificate; see docs/credential.md §5.
    if (now < ca.parsed.not_before) {
      return MakeError("certificateNotYetValid", "CA certificate is not yet valid");
    }
    if (now >= ca.parsed.not_after) {
      return MakeError("certificateExpired", "CA certificate has expired");
    }
    return VerifiedCa(key, ca.parsed.common_name.value_or(""), ca.parsed.serial_hex,
                      ca.parsed.not_before, ca.parsed.not_after);
  }
};

Result<VerifiedHolderCertificate> VerifyHolderCertificate(ByteView holder_der, ByteView ca_der,
                                                          int64_t now_unix) {
  return HolderVerifier::Run(holder_der, ca_der, now_unix);
}

Result<VerifiedCa> VerifyCaCertificate(ByteView ca_der, int64_t now_unix) {
  return CaVerifier::Run(ca_der, now_unix);
}

}  // namespace tillit::credential
