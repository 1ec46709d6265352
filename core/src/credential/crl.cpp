// CreateCrl and ParseAndVerifyCrl: the issuer's X.509 v2 CRL (RFC 5280 §5), profile and
// checks in docs/status.md §3 and §4.
#include "tillit/credential/crl.h"

#include <algorithm>
#include <array>
#include <set>
#include <utility>

#include "credential/der.h"
#include "credential/openssl_util.h"
#include "credential/parse_internal.h"
#include "credential/signing.h"
#include "tillit/credential/certificate.h"

namespace tillit::credential {
namespace {

using internal::OpensslError;
using internal::StrictCertificate;

// 2050-01-01T00:00:00Z: from here on RFC 5280 §5.1.2.4-6 requires GeneralizedTime.
constexpr int64_t kGeneralizedTimeFrom = 2524608000;
constexpr size_t kMaxSerialBytes = 20;  // RFC 5280 §4.1.2.2, content octets
// AlgorithmIdentifier { id-Ed25519 } with parameters absent (RFC 8410 §3).
constexpr std::array<uint8_t, 7> kEd25519AlgorithmId = {0x30, 0x05, 0x06, 0x03, 0x2b, 0x65, 0x70};
constexpr int kRemoveFromCrl = 8;  // delta CRLs only (RFC 5280 §5.3.1)

Error InvalidParameters(std::string message) {
  return MakeError("invalidParameters", std::move(message));
}
Error Internal(std::string message) { return OpensslError("internalError", std::move(message)); }
Error InvalidCrl(std::string message) { return OpensslError("invalidCrl", std::move(message)); }

ByteView View(const ASN1_STRING* s) {
  return {ASN1_STRING_get0_data(s), static_cast<size_t>(ASN1_STRING_length(s))};
}

bool SameBytes(ByteView a, ByteView b) { return std::ranges::equal(a, b); }

bool KnownReasonCode(int64_t code) {
  return (code >= 0 && code <= 6) || code == 9 || code == 10;
}

// The CA certificate as the issuer of CRLs: strict parse, a CA (basicConstraints cA TRUE),
// keyUsage cRLSign (RFC 5280 §4.2.1.3), a subjectKeyIdentifier for the CRL's
// authorityKeyIdentifier, an Ed25519 key. Errors: "invalidCaCertificate".
Result<StrictCertificate> ParseCrlIssuer(ByteView ca_der) {
  Result<StrictCertificate> parsed = internal::ParseStrict(ca_der);
  if (!parsed.ok()) {
    return MakeError("invalidCaCertificate", "CA certificate: " + parsed.error().message);
  }
  X509* x509 = parsed->x509.get();
  if (!parsed->parsed.is_ca || (X509_get_extension_flags(x509) & EXFLAG_KUSAGE) == 0 ||
      (X509_get_key_usage(x509) & KU_CRL_SIGN) == 0 || X509_get0_subject_key_id(x509) == nullptr) {
    return MakeError("invalidCaCertificate",
                     "not a CRL issuer (basicConstraints cA, keyUsage cRLSign, "
                     "subjectKeyIdentifier)");
  }
  if (parsed->parsed.public_key_algorithm != kEd25519Oid || parsed->public_key_parameters) {
    return MakeError("invalidCaCertificate", "CA key is not Ed25519");
  }
  return parsed;
}

// A positive INTEGER from the lower-case hex of its magnitude: no leading zero byte (one
// spelling per serial), not zero, at most 20 content octets.
Result<internal::Asn1IntegerPtr> SerialInteger(std::string_view hex) {
  const bool lower_hex = std::ranges::all_of(
      hex, [](char c) { return (c >= '0' && c <= '9') || (c >= 'a' && c <= 'f'); });
  Result<Bytes> magnitude = HexDecode(hex);
  if (hex.empty() || !lower_hex || !magnitude.ok() || (*magnitude)[0] == 0) {
    return InvalidParameters("serial is not lower-case hex of a positive number without "
                             "leading zero bytes: " + std::string(hex.substr(0, 64)));
  }
  const size_t content = magnitude->size() + (((*magnitude)[0] & 0x80) != 0 ? 1 : 0);
  if (content > kMaxSerialBytes) return InvalidParameters("serial longer than 20 bytes");
  internal::BignumPtr number(
      BN_bin2bn(magnitude->data(), static_cast<int>(magnitude->size()), nullptr));
  if (number == nullptr) return Internal("out of memory");
  internal::Asn1IntegerPtr integer(BN_to_ASN1_INTEGER(number.get(), nullptr));
  if (integer == nullptr) return Internal("out of memory");
  return integer;
}

Result<internal::Asn1TimePtr> NewTime(int64_t unix_seconds) {
  internal::Asn1TimePtr time(ASN1_TIME_new());
  if (time == nullptr) return Internal("out of memory");
  TILLIT_TRY(internal::SetAsn1Time(time.get(), unix_seconds));
  return time;
}

bool TimeInRange(int64_t t) {
  return t >= internal::kMinCertificateTime && t <= internal::kMaxCertificateTime;
}

Status AddEntry(X509_CRL* crl, const CrlEntry& entry) {
  TILLIT_TRY_ASSIGN(internal::Asn1IntegerPtr serial, SerialInteger(entry.serial_hex));
  TILLIT_TRY_ASSIGN(internal::Asn1TimePtr date, NewTime(entry.revocation_time));
  internal::X509RevokedPtr revoked(X509_REVOKED_new());
  if (revoked == nullptr || X509_REVOKED_set_serialNumber(revoked.get(), serial.get()) != 1 ||
      X509_REVOKED_set_revocationDate(revoked.get(), date.get()) != 1) {
    return Internal("cannot build a CRL entry");
  }
  // RFC 5280 §5.3.1: reasonCode is non-critical and SHOULD be absent rather than
  // unspecified (0).
  if (entry.reason != RevocationReason::kUnspecified) {
    internal::Asn1EnumeratedPtr code(ASN1_ENUMERATED_new());
    if (code == nullptr || ASN1_ENUMERATED_set(code.get(), static_cast<long>(entry.reason)) != 1 ||
        X509_REVOKED_add1_ext_i2d(revoked.get(), NID_crl_reason, code.get(), 0,
                                  X509V3_ADD_DEFAULT) != 1) {
      return Internal("cannot add reasonCode");
    }
  }
  if (X509_CRL_add0_revoked(crl, revoked.get()) != 1) return Internal("cannot add a CRL entry");
  revoked.release();  // owned by the CRL now
  return {};
}

// --- parsing -----------------------------------------------------------------------------

Result<int64_t> TimeField(const ASN1_TIME* time, const std::string& what) {
  Result<int64_t> unix_time = internal::Asn1TimeToUnix(time);
  if (!unix_time.ok()) return InvalidCrl("malformed " + what);
  const bool utc_time = ASN1_STRING_type(time) == V_ASN1_UTCTIME;
  if (utc_time != (*unix_time < kGeneralizedTimeFrom)) {
    return InvalidCrl(what + ": UTCTime through 2049, GeneralizedTime after (RFC 5280 §5.1.2.4)");
  }
  return unix_time;
}

// Every extension: strict DER inside, standard ones re-encode identically, not critical
// (none that Tillit processes may be critical, and an unknown critical one must make the
// CRL unusable, RFC 5280 §5.2), `critical` not written out as FALSE (X.690 §11.5), and
// each type at most once.
Status CheckExtension(X509_EXTENSION* extension, std::set<std::string>& seen,
                      const std::string& where) {
  const std::string oid = internal::OidText(X509_EXTENSION_get_object(extension));
  if (!seen.insert(oid).second) return InvalidCrl(where + ": extension " + oid + " appears twice");
  if (X509_EXTENSION_get_critical(extension) != 0) {
    return InvalidCrl(where + ": critical extension " + oid + " is not processed");
  }
  const ByteView value = View(X509_EXTENSION_get_data(extension));
  if (Status der = internal::CheckStrictDer(value); !der.ok()) {
    return InvalidCrl(where + ": extension " + oid + ": " + der.error().message);
  }
  if (Status reencodes = internal::CheckExtensionReencodes(extension, value, oid);
      !reencodes.ok()) {
    return InvalidCrl(where + ": " + reencodes.error().message);
  }
  // OpenSSL keeps an explicit `critical FALSE` when re-encoding, so compare with the same
  // extension built without it.
  internal::X509ExtensionPtr plain(X509_EXTENSION_create_by_OBJ(
      nullptr, X509_EXTENSION_get_object(extension), 0, X509_EXTENSION_get_data(extension)));
  if (plain == nullptr) return Internal("out of memory");
  if (i2d_X509_EXTENSION(extension, nullptr) != i2d_X509_EXTENSION(plain.get(), nullptr)) {
    return InvalidCrl(where + ": not DER: extension " + oid + " marked critical FALSE");
  }
  return {};
}

// RFC 5280 §4.1.2.2 (which §5.1.2.6 refers to): positive, non-zero, at most 20 octets.
Result<std::string> EntrySerialHex(const ASN1_INTEGER* serial) {
  if (ASN1_STRING_type(serial) != V_ASN1_INTEGER) return InvalidCrl("negative serial number");
  const ByteView magnitude = View(serial);
  if (magnitude.empty() || std::ranges::all_of(magnitude, [](uint8_t b) { return b == 0; })) {
    return InvalidCrl("zero serial number");
  }
  const size_t content = magnitude.size() + ((magnitude[0] & 0x80) != 0 ? 1 : 0);
  if (content > kMaxSerialBytes) return InvalidCrl("serial number longer than 20 bytes");
  return HexEncode(magnitude);
}

// The signature AlgorithmIdentifier inside tbsCertList must be the outer one (RFC 5280
// §5.1.1.2), and both Ed25519 without parameters. OpenSSL 3.0 has no getter for the inner
// one, so read both from the (already strict) DER.
Status CheckAlgorithms(ByteView der) {
  Result<std::vector<ByteView>> list = internal::DerElements(der);
  if (!list.ok() || list->size() != 3) return InvalidCrl("not a CertificateList");
  Result<std::vector<ByteView>> tbs = internal::DerElements((*list)[0]);
  if (!tbs.ok() || tbs->size() < 2) return InvalidCrl("malformed tbsCertList");
  const ByteView inner = (*tbs)[0][0] == 0x02 ? (*tbs)[1] : (*tbs)[0];
  if (!SameBytes((*list)[1], kEd25519AlgorithmId) || !SameBytes(inner, kEd25519AlgorithmId)) {
    return InvalidCrl("signature algorithm is not Ed25519 in both places");
  }
  return {};
}

struct ParsedCrl {
  internal::X509CrlPtr crl;
  int64_t this_update = 0;
  int64_t next_update = 0;
  int64_t crl_number = 0;
  internal::AuthorityKeyIdPtr authority_key_id;
  std::vector<CrlEntry> entries;
};

Result<ParsedCrl> ParseStrictCrl(ByteView der) {
  if (der.empty() || der.size() > kMaxCrlSize) return InvalidCrl("bad CRL size");
  if (Status structure = internal::CheckStrictDer(der); !structure.ok()) {
    return InvalidCrl("not DER: " + structure.error().message);
  }
  ParsedCrl out;
  const unsigned char* p = der.data();
  out.crl.reset(d2i_X509_CRL(nullptr, &p, static_cast<long>(der.size())));
  if (out.crl == nullptr) return InvalidCrl("not an X.509 CRL");
  if (p != der.data() + der.size()) return InvalidCrl("trailing bytes after the CRL");
  X509_CRL* crl = out.crl.get();

  // Re-encode from the decoded fields (i2d_re_X509_CRL_tbs drops the cached encoding) and
  // require the input back, before anything below could reorder the entries (OpenSSL sorts
  // them in place on lookups).
  if (i2d_re_X509_CRL_tbs(crl, nullptr) <= 0) return InvalidCrl("cannot re-encode tbsCertList");
  unsigned char* encoded = nullptr;
  const int length = i2d_X509_CRL(crl, &encoded);
  internal::OpensslBytesPtr owned(encoded);
  if (length <= 0 || !SameBytes({encoded, static_cast<size_t>(length)}, der)) {
    return InvalidCrl("not DER: re-encoding differs from the input");
  }
  if (X509_CRL_get_version(crl) != X509_CRL_VERSION_2) return InvalidCrl("not a v2 CRL");
  TILLIT_TRY(CheckAlgorithms(der));
  const ASN1_BIT_STRING* signature = nullptr;
  const X509_ALGOR* algorithm = nullptr;
  X509_CRL_get0_signature(crl, &signature, &algorithm);
  if (ASN1_STRING_length(signature) != 64) return InvalidCrl("Ed25519 signature is not 64 bytes");

  TILLIT_TRY_ASSIGN(out.this_update, TimeField(X509_CRL_get0_lastUpdate(crl), "thisUpdate"));
  if (X509_CRL_get0_nextUpdate(crl) == nullptr) return InvalidCrl("nextUpdate is absent");
  TILLIT_TRY_ASSIGN(out.next_update, TimeField(X509_CRL_get0_nextUpdate(crl), "nextUpdate"));

  std::set<std::string> seen;
  for (int i = 0; i < X509_CRL_get_ext_count(crl); ++i) {
    TILLIT_TRY(CheckExtension(X509_CRL_get_ext(crl, i), seen, "crlExtensions"));
  }
  int critical = 0;
  out.authority_key_id.reset(static_cast<AUTHORITY_KEYID*>(
      X509_CRL_get_ext_d2i(crl, NID_authority_key_identifier, &critical, nullptr)));
  if (out.authority_key_id == nullptr || out.authority_key_id->keyid == nullptr) {
    return InvalidCrl("authorityKeyIdentifier with a keyIdentifier is required (RFC 5280 §5.2.1)");
  }
  internal::Asn1IntegerPtr number(
      static_cast<ASN1_INTEGER*>(X509_CRL_get_ext_d2i(crl, NID_crl_number, &critical, nullptr)));
  if (number == nullptr) return InvalidCrl("cRLNumber is required (RFC 5280 §5.2.3)");
  if (ASN1_INTEGER_get_int64(&out.crl_number, number.get()) != 1 || out.crl_number < 0) {
    return InvalidCrl("cRLNumber is not in 0..2^63-1");
  }

  STACK_OF(X509_REVOKED)* revoked = X509_CRL_get_REVOKED(crl);
  std::set<std::string> serials;
  for (int i = 0; i < sk_X509_REVOKED_num(revoked); ++i) {
    X509_REVOKED* entry = sk_X509_REVOKED_value(revoked, i);
    CrlEntry parsed;
    TILLIT_TRY_ASSIGN(parsed.serial_hex,
                      EntrySerialHex(X509_REVOKED_get0_serialNumber(entry)));
    const std::string where = "entry " + parsed.serial_hex;
    if (!serials.insert(parsed.serial_hex).second) return InvalidCrl(where + " is listed twice");
    TILLIT_TRY_ASSIGN(parsed.revocation_time,
                      TimeField(X509_REVOKED_get0_revocationDate(entry), where + " revocationDate"));
    std::set<std::string> entry_seen;
    for (int j = 0; j < X509_REVOKED_get_ext_count(entry); ++j) {
      TILLIT_TRY(CheckExtension(X509_REVOKED_get_ext(entry, j), entry_seen, where));
    }
    internal::Asn1EnumeratedPtr reason(static_cast<ASN1_ENUMERATED*>(
        X509_REVOKED_get_ext_d2i(entry, NID_crl_reason, &critical, nullptr)));
    if (reason != nullptr) {
      int64_t code = -1;
      if (ASN1_ENUMERATED_get_int64(&code, reason.get()) != 1 || code == kRemoveFromCrl ||
          !KnownReasonCode(code)) {
        return InvalidCrl(where + ": reasonCode is not a CRLReason of a complete CRL");
      }
      parsed.reason = static_cast<RevocationReason>(code);
    } else if (critical != -1) {
      return InvalidCrl(where + ": undecodable reasonCode");
    }
    out.entries.push_back(std::move(parsed));
  }
  return out;
}

}  // namespace

std::string_view RevocationReasonName(RevocationReason reason) {
  switch (reason) {
    case RevocationReason::kUnspecified: return "unspecified";
    case RevocationReason::kKeyCompromise: return "keyCompromise";
    case RevocationReason::kCaCompromise: return "cACompromise";
    case RevocationReason::kAffiliationChanged: return "affiliationChanged";
    case RevocationReason::kSuperseded: return "superseded";
    case RevocationReason::kCessationOfOperation: return "cessationOfOperation";
    case RevocationReason::kCertificateHold: return "certificateHold";
    case RevocationReason::kPrivilegeWithdrawn: return "privilegeWithdrawn";
    case RevocationReason::kAaCompromise: return "aACompromise";
  }
  return "unspecified";  // unreachable for values of the enum
}

Result<Bytes> CreateCrl(const crypto::Signer& ca_signer, ByteView ca_certificate_der,
                        const std::vector<CrlEntry>& entries, int64_t this_update,
                        int64_t next_update, int64_t crl_number) {
  internal::OpensslErrorScope error_scope;
  if (!TimeInRange(this_update) || !TimeInRange(next_update)) {
    return InvalidParameters("thisUpdate or nextUpdate outside 1970..9999");
  }
  if (next_update <= this_update) return InvalidParameters("nextUpdate is not after thisUpdate");
  if (crl_number < 0) return InvalidParameters("cRLNumber is negative");
  std::set<std::string_view> serials;
  for (const CrlEntry& entry : entries) {
    if (!serials.insert(entry.serial_hex).second) {
      return InvalidParameters("serial listed twice: " + entry.serial_hex);
    }
    if (!TimeInRange(entry.revocation_time)) {
      return InvalidParameters("revocation time outside 1970..9999");
    }
    if (!KnownReasonCode(static_cast<int64_t>(entry.reason))) {
      return InvalidParameters("unknown revocation reason");
    }
  }

  TILLIT_TRY_ASSIGN(StrictCertificate ca, ParseCrlIssuer(ca_certificate_der));
  if (!std::ranges::equal(ca.parsed.public_key, ca_signer.verifying_key().bytes())) {
    return MakeError("caKeyMismatch", "the signing key is not the CA certificate's key");
  }
  X509* ca_x509 = ca.x509.get();

  internal::X509CrlPtr crl(X509_CRL_new());
  if (crl == nullptr || X509_CRL_set_version(crl.get(), X509_CRL_VERSION_2) != 1) {
    return Internal("cannot create a CRL");
  }
  // Copied, not rebuilt, so it matches the CA's subject byte for byte (RFC 5280 §7.1).
  if (X509_CRL_set_issuer_name(crl.get(), X509_get_subject_name(ca_x509)) != 1) {
    return Internal("cannot set the issuer");
  }
  TILLIT_TRY_ASSIGN(internal::Asn1TimePtr this_time, NewTime(this_update));
  TILLIT_TRY_ASSIGN(internal::Asn1TimePtr next_time, NewTime(next_update));
  if (X509_CRL_set1_lastUpdate(crl.get(), this_time.get()) != 1 ||
      X509_CRL_set1_nextUpdate(crl.get(), next_time.get()) != 1) {
    return Internal("cannot set thisUpdate/nextUpdate");
  }
  for (const CrlEntry& entry : entries) TILLIT_TRY(AddEntry(crl.get(), entry));
  {
    // RFC 5280 §5.2.1: keyIdentifier = the CA's subjectKeyIdentifier.
    internal::AuthorityKeyIdPtr authority(AUTHORITY_KEYID_new());
    if (authority == nullptr ||
        (authority->keyid = ASN1_OCTET_STRING_dup(X509_get0_subject_key_id(ca_x509))) == nullptr ||
        X509_CRL_add1_ext_i2d(crl.get(), NID_authority_key_identifier, authority.get(), 0,
                              X509V3_ADD_DEFAULT) != 1) {
      return Internal("cannot add authorityKeyIdentifier");
    }
  }
  {
    internal::Asn1IntegerPtr number(ASN1_INTEGER_new());
    if (number == nullptr || ASN1_INTEGER_set_int64(number.get(), crl_number) != 1 ||
        X509_CRL_add1_ext_i2d(crl.get(), NID_crl_number, number.get(), 0, X509V3_ADD_DEFAULT) !=
            1) {
      return Internal("cannot add cRLNumber");
    }
  }
  // Entries in serial order, so the same statuses always give the same bytes.
  if (X509_CRL_sort(crl.get()) != 1) return Internal("cannot sort the CRL entries");
  return internal::SignCrl(crl.get(), ca_signer);
}

Result<Bytes> CreateCrl(const crypto::SigningKey& ca_key, ByteView ca_certificate_der,
                        const std::vector<CrlEntry>& entries, int64_t this_update,
                        int64_t next_update, int64_t crl_number) {
  return CreateCrl(internal::BorrowedKeySigner(ca_key), ca_certificate_der, entries, this_update,
                   next_update, crl_number);
}

const CrlEntry* VerifiedCrl::Find(std::string_view serial_hex) const {
  auto it = std::ranges::find(entries_, serial_hex, &CrlEntry::serial_hex);
  return it == entries_.end() ? nullptr : &*it;
}

class CrlVerifier {
 public:
  static Result<VerifiedCrl> Run(ByteView der, ByteView ca_der, int64_t now) {
    internal::OpensslErrorScope error_scope;
    // 1. The CA.
    TILLIT_TRY_ASSIGN(StrictCertificate ca, ParseCrlIssuer(ca_der));
    X509* ca_x509 = ca.x509.get();
    EVP_PKEY* ca_key = X509_get0_pubkey(ca_x509);  // owned by ca_x509
    if (ca_key == nullptr || X509_verify(ca_x509, ca_key) != 1) {
      return MakeError("invalidCaCertificate", "CA self-signature is invalid");
    }
    // 2. The CRL's encoding and profile.
    TILLIT_TRY_ASSIGN(ParsedCrl crl, ParseStrictCrl(der));
    // 3. Issued by this CA's name ...
    if (X509_NAME_cmp(X509_CRL_get_issuer(crl.crl.get()), X509_get_subject_name(ca_x509)) != 0) {
      return MakeError("untrustedIssuer", "the CRL's issuer is not the CA's subject");
    }
    // 4. ... and key.
    if (ASN1_OCTET_STRING_cmp(crl.authority_key_id->keyid, X509_get0_subject_key_id(ca_x509)) !=
        0) {
      return MakeError("untrustedIssuer",
                       "authorityKeyIdentifier is not the CA's subjectKeyIdentifier");
    }
    // 5. Signature.
    if (X509_CRL_verify(crl.crl.get(), ca_key) != 1) {
      return MakeError("invalidSignature", "the CRL's signature does not verify under the CA key");
    }
    // 6, 7. Current.
    if (now < crl.this_update) return MakeError("crlNotYetValid", "thisUpdate is after now");
    if (now >= crl.next_update) {
      return MakeError("crlExpired", "nextUpdate has passed: fetch a fresh CRL");
    }
    return VerifiedCrl(crl.this_update, crl.next_update, crl.crl_number, std::move(crl.entries));
  }
};

Result<VerifiedCrl> ParseAndVerifyCrl(ByteView der, ByteView ca_certificate_der,
                                      int64_t now_unix) {
  return CrlVerifier::Run(der, ca_certificate_der, now_unix);
}

}  // namespace tillit::credential
