// CreateCaCertificate and IssueHolderCertificate: build the certificates of the profile in
// docs/credential.md §3 with OpenSSL and sign them with Ed25519 through a crypto::Signer
// (credential/signing.h).
#include <algorithm>
#include <utility>

#include "credential/names.h"
#include "credential/openssl_util.h"
#include "credential/parse_internal.h"
#include "credential/signing.h"
#include "tillit/credential/certificate.h"
#include "tillit/credential/policy.h"
#include "tillit/crypto/random.h"

namespace tillit::credential {
namespace {

using internal::OpensslError;

Error InvalidParameters(std::string message) {
  return MakeError("invalidParameters", std::move(message));
}

Error Internal(std::string message) { return OpensslError("internalError", std::move(message)); }

// Bit 7 of the first byte cleared: a positive INTEGER (RFC 5280 §4.1.2.2) with no 0x00
// pad; bit 6 set: no leading zero byte to strip. So the DER content is exactly 16 bytes.
Status SetSerial(X509* x509, std::array<uint8_t, kSerialSize> serial) {
  serial[0] = static_cast<uint8_t>((serial[0] & 0x7f) | 0x40);
  internal::BignumPtr number(BN_bin2bn(serial.data(), static_cast<int>(serial.size()), nullptr));
  if (number == nullptr) return Internal("cannot create the serial number");
  internal::Asn1IntegerPtr integer(BN_to_ASN1_INTEGER(number.get(), nullptr));
  if (integer == nullptr || X509_set_serialNumber(x509, integer.get()) != 1) {
    return Internal("cannot set the serial number");
  }
  return {};
}

// Appends a single-valued RDN. `asn1_type` is a V_ASN1_* string type (not an MBSTRING_*
// mask), so OpenSSL stores the bytes with exactly that type and consults neither its global
// string mask nor its size table; our own bounds were checked before.
Status AddNameEntry(X509_NAME* name, int nid, int asn1_type, std::string_view value) {
  internal::X509NameEntryPtr entry(X509_NAME_ENTRY_create_by_NID(
      nullptr, nid, asn1_type, reinterpret_cast<const unsigned char*>(value.data()),
      static_cast<int>(value.size())));
  if (entry == nullptr || X509_NAME_add_entry(name, entry.get(), -1, 0) != 1) {
    return Internal("cannot build the subject name");
  }
  return {};
}

Status AddExtension(X509* x509, int nid, void* value, bool critical) {
  if (X509_add1_ext_i2d(x509, nid, value, critical ? 1 : 0, X509V3_ADD_DEFAULT) != 1) {
    return Internal("cannot add extension " + std::string(OBJ_nid2sn(nid)));
  }
  return {};
}

Status AddBasicConstraints(X509* x509, bool ca) {
  internal::BasicConstraintsPtr constraints(BASIC_CONSTRAINTS_new());
  if (constraints == nullptr) return Internal("out of memory");
  if (ca) {
    constraints->ca = 0xff;
    constraints->pathlen = ASN1_INTEGER_new();
    if (constraints->pathlen == nullptr || ASN1_INTEGER_set(constraints->pathlen, 0) != 1) {
      return Internal("out of memory");
    }
  }
  // RFC 5280 §4.2.1.9: critical in CA certificates; critical in ours too, so that a
  // relying party that ignores it cannot take the holder for a CA.
  return AddExtension(x509, NID_basic_constraints, constraints.get(), true);
}

// RFC 5280 §4.2.1.3: bit 0 digitalSignature, 5 keyCertSign, 6 cRLSign.
Status AddKeyUsage(X509* x509, std::initializer_list<int> bits) {
  internal::Asn1BitStringPtr usage(ASN1_BIT_STRING_new());
  if (usage == nullptr) return Internal("out of memory");
  for (int bit : bits) {
    if (ASN1_BIT_STRING_set_bit(usage.get(), bit, 1) != 1) return Internal("out of memory");
  }
  return AddExtension(x509, NID_key_usage, usage.get(), true);
}

// RFC 5280 §4.2.1.2, method (1): SHA-1 of the subjectPublicKey BIT STRING's value.
Status AddSubjectKeyIdentifier(X509* x509) {
  unsigned char digest[EVP_MAX_MD_SIZE];
  unsigned int length = 0;
  if (X509_pubkey_digest(x509, EVP_sha1(), digest, &length) != 1) {
    return Internal("cannot hash the public key");
  }
  internal::Asn1OctetStringPtr id(ASN1_OCTET_STRING_new());
  if (id == nullptr || ASN1_OCTET_STRING_set(id.get(), digest, static_cast<int>(length)) != 1) {
    return Internal("out of memory");
  }
  return AddExtension(x509, NID_subject_key_identifier, id.get(), false);
}

Status CheckTimes(int64_t not_before, int64_t not_after) {
  if (not_before < internal::kMinCertificateTime || not_after > internal::kMaxCertificateTime) {
    return InvalidParameters("validity outside 1970..9999");
  }
  if (not_after <= not_before) return InvalidParameters("notAfter is not after notBefore");
  return {};
}

Status SetValidity(X509* x509, int64_t not_before, int64_t not_after) {
  TILLIT_TRY(internal::SetAsn1Time(X509_getm_notBefore(x509), not_before));
  return internal::SetAsn1Time(X509_getm_notAfter(x509), not_after);
}

Result<internal::X509Ptr> NewCertificate() {
  internal::X509Ptr x509(X509_new());
  if (x509 == nullptr || X509_set_version(x509.get(), X509_VERSION_3) != 1) {
    return Internal("cannot create a certificate");
  }
  return x509;
}

}  // namespace

Result<Bytes> CreateCaCertificate(const crypto::Signer& ca_signer, const CaProfile& profile) {
  internal::OpensslErrorScope error_scope;
  TILLIT_TRY(internal::CheckName(profile.common_name, "CA common name", "invalidParameters"));
  TILLIT_TRY(internal::CheckName(profile.organisation, "CA organisation", "invalidParameters"));
  if (profile.country.size() != 2 ||
      !std::ranges::all_of(profile.country, [](char c) { return c >= 'A' && c <= 'Z'; })) {
    return InvalidParameters("country is not two upper-case letters (ISO 3166-1 alpha-2)");
  }
  TILLIT_TRY(CheckTimes(profile.not_before, profile.not_after));

  TILLIT_TRY_ASSIGN(internal::EvpPkeyPtr ca_key,
                    internal::OpensslVerifyingKey(ca_signer.verifying_key()));
  TILLIT_TRY_ASSIGN(internal::X509Ptr x509, NewCertificate());
  Bytes random = crypto::RandomBytes(kSerialSize);
  std::array<uint8_t, kSerialSize> serial{};
  std::ranges::copy(random, serial.begin());
  TILLIT_TRY(SetSerial(x509.get(), serial));

  X509_NAME* subject = X509_get_subject_name(x509.get());
  TILLIT_TRY(AddNameEntry(subject, NID_countryName, V_ASN1_PRINTABLESTRING, profile.country));
  TILLIT_TRY(AddNameEntry(subject, NID_organizationName, V_ASN1_UTF8STRING, profile.organisation));
  TILLIT_TRY(AddNameEntry(subject, NID_commonName, V_ASN1_UTF8STRING, profile.common_name));
  if (X509_set_issuer_name(x509.get(), subject) != 1) return Internal("cannot set the issuer");
  TILLIT_TRY(SetValidity(x509.get(), profile.not_before, profile.not_after));
  if (X509_set_pubkey(x509.get(), ca_key.get()) != 1) {
    return Internal("cannot set the public key");
  }

  TILLIT_TRY(AddBasicConstraints(x509.get(), /*ca=*/true));
  TILLIT_TRY(AddKeyUsage(x509.get(), {5, 6}));
  // No authorityKeyIdentifier: RFC 5280 §4.2.1.1 lets a self-signed certificate omit it.
  TILLIT_TRY(AddSubjectKeyIdentifier(x509.get()));
  return internal::SignCertificate(x509.get(), ca_signer);
}

Result<Bytes> CreateCaCertificate(const crypto::SigningKey& ca_key, const CaProfile& profile) {
  return CreateCaCertificate(internal::BorrowedKeySigner(ca_key), profile);
}

Result<Bytes> IssueHolderCertificate(const crypto::Signer& ca_signer,
                                     ByteView ca_certificate_der,
                                     const HolderCertificateRequest& request) {
  internal::OpensslErrorScope error_scope;
  if (request.assurance_level < kMinAssuranceLevel ||
      request.assurance_level > kMaxAssuranceLevel) {
    return InvalidParameters("assurance level must be 1, 2 or 3");
  }
  if (request.evidence_class && (static_cast<int>(*request.evidence_class) < 1 ||
                                 static_cast<int>(*request.evidence_class) > 3)) {
    return InvalidParameters("unknown evidence class");
  }
  TILLIT_TRY(internal::CheckName(request.given_name, "given name", "invalidParameters"));
  TILLIT_TRY(internal::CheckName(request.surname, "surname", "invalidParameters"));
  TILLIT_TRY(CheckTimes(request.not_before, request.not_after));
  if (request.not_after - request.not_before > kMaxHolderValiditySeconds) {
    return InvalidParameters("validity longer than two years and a day");
  }

  Result<internal::StrictCertificate> ca_result = internal::ParseStrict(ca_certificate_der);
  if (!ca_result.ok()) {
    return MakeError("invalidCaCertificate", "CA certificate: " + ca_result.error().message);
  }
  internal::StrictCertificate ca = std::move(ca_result).value();
  X509* ca_x509 = ca.x509.get();
  const ASN1_OCTET_STRING* ca_key_id = X509_get0_subject_key_id(ca_x509);
  if (!ca.parsed.is_ca || (X509_get_key_usage(ca_x509) & KU_KEY_CERT_SIGN) == 0 ||
      ca_key_id == nullptr) {
    return MakeError("invalidCaCertificate",
                     "not a CA certificate (basicConstraints, keyUsage keyCertSign, "
                     "subjectKeyIdentifier)");
  }
  if (ca.parsed.public_key_algorithm != kEd25519Oid ||
      !std::ranges::equal(ca.parsed.public_key, ca_signer.verifying_key().bytes())) {
    return MakeError("caKeyMismatch", "the signing key is not the CA certificate's key");
  }
  if (request.not_before < ca.parsed.not_before || request.not_after > ca.parsed.not_after) {
    return InvalidParameters("holder validity must lie within the CA's validity");
  }

  TILLIT_TRY_ASSIGN(internal::EvpPkeyPtr holder_key,
                    internal::OpensslVerifyingKey(request.holder_key));
  TILLIT_TRY_ASSIGN(internal::X509Ptr x509, NewCertificate());
  TILLIT_TRY(SetSerial(x509.get(), request.serial));
  // Copied, not rebuilt, so it matches the CA's subject byte for byte (RFC 5280 §7.1).
  if (X509_set_issuer_name(x509.get(), X509_get_subject_name(ca_x509)) != 1) {
    return Internal("cannot set the issuer");
  }
  X509_NAME* subject = X509_get_subject_name(x509.get());
  TILLIT_TRY(AddNameEntry(subject, NID_serialNumber, V_ASN1_PRINTABLESTRING,
                          request.identifier.ToString()));
  TILLIT_TRY(AddNameEntry(subject, NID_givenName, V_ASN1_UTF8STRING, request.given_name));
  TILLIT_TRY(AddNameEntry(subject, NID_surname, V_ASN1_UTF8STRING, request.surname));
  TILLIT_TRY(AddNameEntry(subject, NID_commonName, V_ASN1_UTF8STRING,
                          internal::HolderCommonName(request.given_name, request.surname)));
  TILLIT_TRY(SetValidity(x509.get(), request.not_before, request.not_after));
  if (X509_set_pubkey(x509.get(), holder_key.get()) != 1) {
    return Internal("cannot set the public key");
  }

  TILLIT_TRY(AddBasicConstraints(x509.get(), /*ca=*/false));
  TILLIT_TRY(AddKeyUsage(x509.get(), {0}));
  {
    internal::ExtendedKeyUsagePtr usage(sk_ASN1_OBJECT_new_null());
    if (usage == nullptr || sk_ASN1_OBJECT_push(usage.get(), OBJ_nid2obj(NID_client_auth)) <= 0) {
      return Internal("out of memory");
    }
    TILLIT_TRY(AddExtension(x509.get(), NID_ext_key_usage, usage.get(), false));
  }
  TILLIT_TRY(AddSubjectKeyIdentifier(x509.get()));
  {
    // RFC 5280 §4.2.1.1: keyIdentifier = the issuer's subjectKeyIdentifier.
    internal::AuthorityKeyIdPtr authority(AUTHORITY_KEYID_new());
    if (authority == nullptr ||
        (authority->keyid = ASN1_OCTET_STRING_dup(ca_key_id)) == nullptr) {
      return Internal("out of memory");
    }
    TILLIT_TRY(AddExtension(x509.get(), NID_authority_key_identifier, authority.get(), false));
  }
  {
    // Not critical (RFC 5280 §4.2.1.4): relying parties that do not process policies still
    // accept the certificate; ours read the level from it.
    std::vector<std::string> oids = {AssuranceLevelPolicyOid(request.assurance_level)};
    if (request.evidence_class) oids.push_back(EvidenceClassPolicyOid(*request.evidence_class));
    internal::CertificatePoliciesPtr policies(sk_POLICYINFO_new_null());
    if (policies == nullptr) return Internal("out of memory");
    for (const std::string& oid : oids) {
      internal::PolicyInfoPtr info(POLICYINFO_new());
      if (info == nullptr) return Internal("out of memory");
      ASN1_OBJECT_free(info->policyid);
      info->policyid = OBJ_txt2obj(oid.c_str(), /*no_name=*/1);
      if (info->policyid == nullptr || sk_POLICYINFO_push(policies.get(), info.get()) <= 0) {
        return Internal("cannot encode policy " + oid);
      }
      info.release();  // owned by the stack now
    }
    TILLIT_TRY(AddExtension(x509.get(), NID_certificate_policies, policies.get(), false));
  }
  return internal::SignCertificate(x509.get(), ca_signer);
}

Result<Bytes> IssueHolderCertificate(const crypto::SigningKey& ca_key,
                                     ByteView ca_certificate_der,
                                     const HolderCertificateRequest& request) {
  return IssueHolderCertificate(internal::BorrowedKeySigner(ca_key), ca_certificate_der, request);
}

}  // namespace tillit::credential
