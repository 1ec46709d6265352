// ParseCertificate: the strict DER certificate parser (docs/credential.md §6, step 1).
#include <algorithm>
#include <array>
#include <utility>

#include "credential/der.h"
#include "credential/openssl_util.h"
#include "credential/parse_internal.h"
#include "tillit/credential/certificate.h"
#include "tillit/credential/policy.h"

namespace tillit::credential {
namespace internal {
namespace {

// Far above any certificate of this profile (about 600 bytes); bounds the work on hostile
// input.
constexpr size_t kMaxCertificateSize = 16 * 1024;
// 2050-01-01T00:00:00Z: from here on RFC 5280 §4.1.2.5 requires GeneralizedTime.
constexpr int64_t kGeneralizedTimeFrom = 2524608000;

Error Invalid(std::string message) {
  return OpensslError("invalidCertificate", std::move(message));
}

bool SameBytes(ByteView a, ByteView b) { return std::ranges::equal(a, b); }

ByteView View(const ASN1_STRING* s) {
  return {ASN1_STRING_get0_data(s), static_cast<size_t>(ASN1_STRING_length(s))};
}

Result<std::string> Utf8Value(const ASN1_STRING* s) {
  unsigned char* out = nullptr;
  const int length = ASN1_STRING_to_UTF8(&out, s);
  OpensslBytesPtr owned(out);
  if (length < 0) return Invalid("undecodable name attribute");
  return std::string(reinterpret_cast<const char*>(out), static_cast<size_t>(length));
}

// RFC 5280 §4.1.1.2: signatureAlgorithm equals tbsCertificate.signature; RFC 8410 §3:
// Ed25519 with parameters absent; RFC 8032: 64-byte signatures.
Status CheckSignatureAlgorithm(const X509* x509) {
  const ASN1_BIT_STRING* signature = nullptr;
  const X509_ALGOR* outer = nullptr;
  X509_get0_signature(&signature, &outer, x509);
  if (X509_ALGOR_cmp(outer, X509_get0_tbs_sigalg(x509)) != 0) {
    return Invalid("signature algorithm differs from the one in tbsCertificate");
  }
  const ASN1_OBJECT* oid = nullptr;
  int parameter_type = 0;
  X509_ALGOR_get0(&oid, &parameter_type, nullptr, outer);
  if (OBJ_obj2nid(oid) != NID_ED25519 || parameter_type != V_ASN1_UNDEF) {
    return Invalid("signature algorithm is not Ed25519");
  }
  if (ASN1_STRING_length(signature) != 64) return Invalid("Ed25519 signature is not 64 bytes");
  return {};
}

// RFC 5280 §4.1.2.2: positive, at most 20 content octets.
Result<std::string> SerialHex(const X509* x509) {
  const ASN1_INTEGER* serial = X509_get0_serialNumber(x509);
  if (ASN1_STRING_type(serial) != V_ASN1_INTEGER) return Invalid("negative serial number");
  const ByteView magnitude = View(serial);
  if (std::ranges::all_of(magnitude, [](uint8_t b) { return b == 0; })) {
    return Invalid("zero serial number");
  }
  const size_t content_length = magnitude.size() + ((magnitude[0] & 0x80) != 0 ? 1 : 0);
  if (content_length > 20) return Invalid("serial number longer than 20 bytes");
  return HexEncode(magnitude);
}

// Extension.critical is BOOLEAN DEFAULT FALSE, so DER writes it only when TRUE (X.690
// §11.5). OpenSSL keeps an explicit FALSE through decoding and re-encoding, so look at the
// bytes: Certificate -> tbsCertificate -> [3] -> SEQUENCE OF Extension.
Status CheckNoExplicitNonCritical(ByteView der) {
  const auto fail = [] { return Invalid("not DER: extension marked critical FALSE explicitly"); };
  Result<std::vector<ByteView>> certificate = DerElements(der);
  if (!certificate.ok() || certificate->empty()) return Invalid("malformed certificate");
  Result<std::vector<ByteView>> tbs = DerElements((*certificate)[0]);
  if (!tbs.ok()) return Invalid("malformed tbsCertificate");
  for (ByteView field : *tbs) {
    if (field[0] != 0xa3) continue;  // [3] EXPLICIT Extensions
    Result<std::vector<ByteView>> wrapper = DerElements(field);
    if (!wrapper.ok() || wrapper->size() != 1) return Invalid("malformed extensions");
    Result<std::vector<ByteView>> extensions = DerElements((*wrapper)[0]);
    if (!extensions.ok()) return Invalid("malformed extensions");
    for (ByteView extension : *extensions) {
      Result<std::vector<ByteView>> parts = DerElements(extension);
      if (!parts.ok()) return Invalid("malformed extension");
      if (parts->size() == 3) {
        const std::array<uint8_t, 3> kTrue = {0x01, 0x01, 0xff};
        if (!SameBytes((*parts)[1], kTrue)) return fail();
      }
    }
  }
  return {};
}

Status CheckExtensions(X509* x509) {
  std::vector<std::string> seen;
  for (int i = 0; i < X509_get_ext_count(x509); ++i) {
    X509_EXTENSION* extension = X509_get_ext(x509, i);
    std::string oid = OidText(X509_EXTENSION_get_object(extension));
    if (std::ranges::find(seen, oid) != seen.end()) {
      return Invalid("extension " + oid + " appears twice (RFC 5280 §4.2)");
    }
    // extnValue holds a DER encoding (RFC 5280 §4.1), which the outer check cannot see.
    const ByteView value = View(X509_EXTENSION_get_data(extension));
    if (Status der = CheckStrictDer(value); !der.ok()) {
      return Invalid("extension " + oid + ": " + der.error().message);
    }
    TILLIT_TRY(CheckExtensionReencodes(extension, value, oid));
    seen.push_back(std::move(oid));
  }
  if ((X509_get_extension_flags(x509) & EXFLAG_INVALID) != 0) {
    return Invalid("malformed extension");
  }
  return {};
}

Result<int64_t> TimeField(const ASN1_TIME* time, const char* what) {
  Result<int64_t> unix_time = Asn1TimeToUnix(time);
  if (!unix_time.ok()) return Invalid(std::string("malformed ") + what);
  const bool utc_time = ASN1_STRING_type(time) == V_ASN1_UTCTIME;
  if (utc_time != (*unix_time < kGeneralizedTimeFrom)) {
    return Invalid(std::string(what) + ": UTCTime through 2049, GeneralizedTime after (RFC 5280 §4.1.2.5)");
  }
  return unix_time;
}

Status ReadSubject(const X509* x509, StrictCertificate& out) {
  ParsedCertificate& parsed = out.parsed;
  const X509_NAME* subject = X509_get_subject_name(x509);
  for (int i = 0; i < X509_NAME_entry_count(subject); ++i) {
    const X509_NAME_ENTRY* entry = X509_NAME_get_entry(subject, i);
    const ASN1_OBJECT* type = X509_NAME_ENTRY_get_object(entry);
    out.subject_attribute_oids.push_back(OidText(type));
    std::optional<std::string>* slot = nullptr;
    switch (OBJ_obj2nid(type)) {
      case NID_serialNumber: slot = &parsed.subject_serial_number; break;
      case NID_givenName: slot = &parsed.given_name; break;
      case NID_surname: slot = &parsed.surname; break;
      case NID_commonName: slot = &parsed.common_name; break;
      case NID_organizationName: slot = &parsed.organisation; break;
      case NID_countryName: slot = &parsed.country; break;
      default: continue;
    }
    if (slot->has_value()) return Invalid("subject attribute " + OidText(type) + " appears twice");
    TILLIT_TRY_ASSIGN(*slot, Utf8Value(X509_NAME_ENTRY_get_data(entry)));
  }
  const X509_NAME* issuer = X509_get_issuer_name(x509);
  const int cn = X509_NAME_get_index_by_NID(issuer, NID_commonName, -1);
  if (cn >= 0) {
    if (X509_NAME_get_index_by_NID(issuer, NID_commonName, cn) >= 0) {
      return Invalid("issuer commonName appears twice");
    }
    TILLIT_TRY_ASSIGN(parsed.issuer_common_name,
                      Utf8Value(X509_NAME_ENTRY_get_data(X509_NAME_get_entry(issuer, cn))));
  }
  return {};
}

Status ReadPublicKey(const X509* x509, StrictCertificate& out) {
  ASN1_OBJECT* algorithm = nullptr;
  const unsigned char* key = nullptr;
  int key_length = 0;
  X509_ALGOR* algorithm_identifier = nullptr;
  if (X509_PUBKEY_get0_param(&algorithm, &key, &key_length, &algorithm_identifier,
                             X509_get_X509_PUBKEY(x509)) != 1) {
    return Invalid("unreadable subjectPublicKeyInfo");
  }
  int parameter_type = 0;
  X509_ALGOR_get0(nullptr, &parameter_type, nullptr, algorithm_identifier);
  out.public_key_parameters = parameter_type != V_ASN1_UNDEF;
  out.parsed.public_key_algorithm = OidText(algorithm);
  out.parsed.public_key.assign(key, key + key_length);
  return {};
}

Status ReadPolicies(X509* x509, StrictCertificate& out) {
  ParsedCertificate& parsed = out.parsed;
  int critical = 0;
  CertificatePoliciesPtr policies(static_cast<CERTIFICATEPOLICIES*>(
      X509_get_ext_d2i(x509, NID_certificate_policies, &critical, nullptr)));
  if (policies == nullptr) {
    if (critical == -1) return {};  // absent
    return Invalid("undecodable certificatePolicies");
  }
  int levels = 0;
  int evidence = 0;
  for (int i = 0; i < sk_POLICYINFO_num(policies.get()); ++i) {
    const POLICYINFO* info = sk_POLICYINFO_value(policies.get(), i);
    std::string oid = OidText(info->policyid);
    if (info->qualifiers != nullptr && sk_POLICYQUALINFO_num(info->qualifiers) > 0) {
      out.policy_qualifiers = true;
    }
    if (std::optional<int> level = AssuranceLevelFromPolicyOid(oid)) {
      ++levels;
      parsed.assurance_level = *level;
    }
    if (std::optional<EvidenceClass> e = EvidenceClassFromPolicyOid(oid)) {
      ++evidence;
      parsed.evidence_class = *e;
    }
    parsed.policies.push_back(std::move(oid));
  }
  if (levels != 1) parsed.assurance_level.reset();
  if (evidence != 1) parsed.evidence_class.reset();
  return {};
}

}  // namespace

// Standard extensions must decode and re-encode to the same bytes. This catches what the
// structural DER check cannot see, e.g. basicConstraints with cA FALSE written out.
Status CheckExtensionReencodes(X509_EXTENSION* extension, ByteView value,
                               const std::string& oid) {
  const X509V3_EXT_METHOD* method = X509V3_EXT_get(extension);
  if (method == nullptr || method->it == nullptr) return {};
  const ASN1_ITEM* item = ASN1_ITEM_ptr(method->it);
  const unsigned char* p = value.data();
  ASN1_VALUE* decoded = ASN1_item_d2i(nullptr, &p, static_cast<long>(value.size()), item);
  const auto free_value = [item](ASN1_VALUE* v) { ASN1_item_free(v, item); };
  std::unique_ptr<ASN1_VALUE, decltype(free_value)> owned(decoded, free_value);
  if (decoded == nullptr || p != value.data() + value.size()) {
    return Invalid("undecodable extension " + oid);
  }
  unsigned char* out = nullptr;
  const int length = ASN1_item_i2d(decoded, &out, item);
  OpensslBytesPtr owned_out(out);
  if (length <= 0 || !SameBytes({out, static_cast<size_t>(length)}, value)) {
    return Invalid("extension " + oid + " is not in DER");
  }
  return {};
}

std::string OidText(const ASN1_OBJECT* oid) {
  const int length = OBJ_obj2txt(nullptr, 0, oid, /*no_name=*/1);
  if (length <= 0) return {};
  std::string text(static_cast<size_t>(length) + 1, '\0');
  OBJ_obj2txt(text.data(), length + 1, oid, 1);
  text.resize(static_cast<size_t>(length));
  return text;
}

Result<StrictCertificate> ParseStrict(ByteView der) {
  OpensslErrorScope error_scope;
  if (der.empty() || der.size() > kMaxCertificateSize) return Invalid("bad certificate size");
  if (Status structure = CheckStrictDer(der); !structure.ok()) {
    return Invalid("not DER: " + structure.error().message);
  }
  const unsigned char* p = der.data();
  StrictCertificate out;
  out.x509.reset(d2i_X509(nullptr, &p, static_cast<long>(der.size())));
  if (out.x509 == nullptr) return Invalid("not an X.509 certificate");
  if (p != der.data() + der.size()) return Invalid("trailing bytes after the certificate");
  X509* x509 = out.x509.get();

  // OpenSSL re-encodes from the cached input unless told otherwise; i2d_re_X509_tbs marks
  // the tbsCertificate as modified so the comparison below re-encodes it from its fields.
  if (i2d_re_X509_tbs(x509, nullptr) <= 0) return Invalid("cannot re-encode tbsCertificate");
  Result<Bytes> reencoded = EncodeCertificate(x509);
  if (!reencoded.ok() || !SameBytes(*reencoded, der)) {
    return Invalid("not DER: re-encoding differs from the input");
  }
  TILLIT_TRY(CheckNoExplicitNonCritical(der));
  if (X509_get_version(x509) != X509_VERSION_3) return Invalid("not an X.509 v3 certificate");
  TILLIT_TRY(CheckSignatureAlgorithm(x509));
  TILLIT_TRY_ASSIGN(out.parsed.serial_hex, SerialHex(x509));
  TILLIT_TRY(CheckExtensions(x509));
  TILLIT_TRY_ASSIGN(out.parsed.not_before, TimeField(X509_get0_notBefore(x509), "notBefore"));
  TILLIT_TRY_ASSIGN(out.parsed.not_after, TimeField(X509_get0_notAfter(x509), "notAfter"));
  TILLIT_TRY(ReadSubject(x509, out));
  TILLIT_TRY(ReadPublicKey(x509, out));
  const uint32_t flags = X509_get_extension_flags(x509);
  out.parsed.is_ca = (flags & EXFLAG_CA) != 0;
  out.basic_constraints_critical = (flags & EXFLAG_BCONS_CRITICAL) != 0;
  TILLIT_TRY(ReadPolicies(x509, out));
  return out;
}

}  // namespace internal

Result<ParsedCertificate> ParseCertificate(ByteView der) {
  TILLIT_TRY_ASSIGN(internal::StrictCertificate certificate, internal::ParseStrict(der));
  return std::move(certificate.parsed);
}

}  // namespace tillit::credential
