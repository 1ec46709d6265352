// The eID credential as an X.509 v3 certificate (RFC 5280) signed with Ed25519 (RFC 8410):
// creating the issuer CA certificate, issuing holder certificates, parsing either without
// trusting it, and verifying a holder certificate against the CA. The profile (every field
// and extension), the verification order and the error codes are specified in
// docs/credential.md; this header follows it.
//
// Parse vs Verify (style.md, crypto hygiene 5): ParseCertificate returns an unverified
// ParsedCertificate for display and logs. Only VerifyHolderCertificate and
// VerifyCaCertificate produce the verified types, which have no public constructor.
//
// Thread safety: every function is thread-safe and keeps no global state. Functions that
// fail remove the OpenSSL errors they caused from the thread's error queue, so nothing
// leaks into later calls.
#pragma once

#include <array>
#include <cstddef>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "tillit/bytes.h"
#include "tillit/credential/policy.h"
#include "tillit/crypto/ed25519.h"
#include "tillit/crypto/signer.h"
#include "tillit/identifier/identifier.h"
#include "tillit/result.h"

namespace tillit::credential {

// Upper bound on the UTF-8 length of each name attribute we write (given name, surname,
// CA common name and organisation). RFC 5280 Appendix A allows 32768 characters for
// givenName/surname (ub-name) and 64 for commonName/organizationName; 64 bytes keeps every
// attribute under the tighter bound whatever the script. See docs/credential.md §4.
inline constexpr size_t kMaxNameBytes = 64;
// ub-common-name (RFC 5280 Appendix A), in characters. The holder's CN is "given surname",
// cut to this many characters when longer (the CN is for display; givenName and surname are
// authoritative and never cut).
inline constexpr size_t kMaxCommonNameChars = 64;
// Longest holder validity, notAfter - notBefore in seconds: two calendar years (at most 731
// days when a 29 February falls inside) plus one day for backdating notBefore against clock
// skew. DO NOT CHANGE without updating docs/credential.md §5.
inline constexpr int64_t kMaxHolderValiditySeconds = int64_t{732} * 86400;
// Random bytes in a certificate serial number (RFC 5280 §4.1.2.2 allows up to 20).
inline constexpr size_t kSerialSize = 16;
// The Ed25519 algorithm OID (RFC 8410 §3), as ParsedCertificate reports it.
inline constexpr std::string_view kEd25519Oid = "1.3.101.112";

// What goes into the issuer CA certificate's subject and validity.
struct CaProfile {
  std::string common_name;   // UTF-8, 1..kMaxNameBytes bytes
  std::string organisation;  // UTF-8, 1..kMaxNameBytes bytes
  std::string country = "SE";  // ISO 3166-1 alpha-2, upper case
  int64_t not_before = 0;    // unix seconds; first second of validity
  int64_t not_after = 0;     // unix seconds; must be > not_before (see VerifyHolderCertificate)
};

// Creates the self-signed CA certificate for the key of `ca_signer` (random positive 16-byte
// serial, basicConstraints CA:TRUE pathlen:0 critical, keyUsage keyCertSign|cRLSign critical,
// subjectKeyIdentifier). Returns its DER. Whatever the signer returns, the result is a
// certificate whose signature verifies under ca_signer.verifying_key(), or an error.
// Errors: "invalidParameters" (a name empty, too long, not UTF-8 or with control characters;
// country not two upper-case letters; not_after <= not_before; a time before 1970 or after
// 9999), the signer's own error (e.g. "signerUnavailable": a token that cannot be reached),
// "signerFailed" (the signer's signature does not verify under its key), "internalError"
// (OpenSSL failed).
Result<Bytes> CreateCaCertificate(const crypto::Signer& ca_signer, const CaProfile& profile);
// The same with a key in memory (never "signerUnavailable" or "signerFailed").
Result<Bytes> CreateCaCertificate(const crypto::SigningKey& ca_key, const CaProfile& profile);

// What the issuer vouches for in a holder certificate.
struct HolderCertificateRequest {
  identifier::Identifier identifier;  // written in canonical form as subject serialNumber
  std::string given_name;  // UTF-8, 1..kMaxNameBytes bytes, no control characters,
  std::string surname;     //   no leading or trailing space
  int assurance_level = 0;  // kMinAssuranceLevel..kMaxAssuranceLevel
  std::optional<EvidenceClass> evidence_class;
  crypto::VerifyingKey holder_key;  // generated on the device
  // crypto::RandomBytes(kSerialSize) from the caller (who records it for status checks).
  // Bit 7 of the first byte is cleared, so the INTEGER is positive (RFC 5280 §4.1.2.2), and
  // bit 6 is set, so its DER encoding is always exactly 16 bytes; 126 bits stay random.
  std::array<uint8_t, kSerialSize> serial{};
  int64_t not_before = 0;  // unix seconds; first second of validity
  int64_t not_after = 0;   // unix seconds; first second of expiry (see VerifyHolderCertificate)
};

// Issues a holder certificate signed by `ca_signer`, whose certificate is
// `ca_certificate_der` (the issuer name and authorityKeyIdentifier are copied from it). The
// profile is docs/credential.md §3. Returns its DER; as with CreateCaCertificate, only a
// certificate whose signature verifies under the signer's key is ever returned.
// Errors: "invalidParameters" (assurance level outside 1..3; a name empty, too long, not
// UTF-8, with control characters or leading/trailing space; not_after <= not_before; validity
// longer than kMaxHolderValiditySeconds; validity outside the CA's), "invalidCaCertificate"
// (ca_certificate_der does not parse or is not a CA certificate), "caKeyMismatch" (the
// signer's key is not the key of ca_certificate_der), the signer's own error (e.g.
// "signerUnavailable"), "signerFailed", "internalError".
Result<Bytes> IssueHolderCertificate(const crypto::Signer& ca_signer,
                                     ByteView ca_certificate_der,
                                     const HolderCertificateRequest& request);
// The same with a key in memory.
Result<Bytes> IssueHolderCertificate(const crypto::SigningKey& ca_key,
                                     ByteView ca_certificate_der,
                                     const HolderCertificateRequest& request);

// An unverified view of a certificate: whatever it claims, nothing checked but its encoding.
// Use it for display and logs, never for decisions.
struct ParsedCertificate {
  std::string serial_hex;  // lower-case hex of the serial number's magnitude
  // Subject attributes, absent if the subject has none.
  std::optional<std::string> subject_serial_number;  // 2.5.4.5 (the holder's identifier)
  std::optional<std::string> given_name;
  std::optional<std::string> surname;
  std::optional<std::string> common_name;
  std::optional<std::string> organisation;
  std::optional<std::string> country;
  std::optional<std::string> issuer_common_name;
  int64_t not_before = 0;  // unix seconds
  int64_t not_after = 0;
  std::string public_key_algorithm;  // dotted OID; kEd25519Oid for Ed25519
  Bytes public_key;                  // subjectPublicKey bits (32 bytes for Ed25519)
  bool is_ca = false;                // basicConstraints cA is TRUE
  std::vector<std::string> policies;  // certificatePolicies OIDs, dotted, in order
  std::optional<int> assurance_level;  // iff exactly one level policy of our arc
  std::optional<EvidenceClass> evidence_class;  // iff exactly one known evidence policy
};

// Parses one DER certificate strictly: the input must be exactly one certificate (trailing
// bytes are rejected), in DER (re-encoding gives the same bytes; BER, non-minimal lengths,
// explicit DEFAULT values and the like are rejected), X.509 v3, signed with Ed25519 with the
// same algorithm in both places (RFC 5280 §4.1.1.2), with a positive serial of at most 20
// bytes, at most one extension of each type (RFC 5280 §4.2) and at most one value of each
// subject attribute listed above. The signature is NOT checked.
// Errors: "invalidCertificate".
Result<ParsedCertificate> ParseCertificate(ByteView der);

// A holder certificate that VerifyHolderCertificate accepted. Only that function creates
// one; copyable and immutable.
class VerifiedHolderCertificate {
 public:
  const identifier::Identifier& identifier() const { return identifier_; }
  const std::string& given_name() const { return given_name_; }
  const std::string& surname() const { return surname_; }
  int assurance_level() const { return assurance_level_; }
  const std::optional<EvidenceClass>& evidence_class() const { return evidence_class_; }
  const crypto::VerifyingKey& holder_key() const { return holder_key_; }
  const std::string& serial_hex() const { return serial_hex_; }
  int64_t not_before() const { return not_before_; }
  int64_t not_after() const { return not_after_; }

 private:
  friend class HolderVerifier;
  VerifiedHolderCertificate(identifier::Identifier identifier, std::string given_name,
                            std::string surname, int assurance_level,
                            std::optional<EvidenceClass> evidence_class,
                            crypto::VerifyingKey holder_key, std::string serial_hex,
                            int64_t not_before, int64_t not_after)
      : identifier_(std::move(identifier)),
        given_name_(std::move(given_name)),
        surname_(std::move(surname)),
        assurance_level_(assurance_level),
        evidence_class_(evidence_class),
        holder_key_(holder_key),
        serial_hex_(std::move(serial_hex)),
        not_before_(not_before),
        not_after_(not_after) {}

  identifier::Identifier identifier_;
  std::string given_name_;
  std::string surname_;
  int assurance_level_;
  std::optional<EvidenceClass> evidence_class_;
  crypto::VerifyingKey holder_key_;
  std::string serial_hex_;
  int64_t not_before_;
  int64_t not_after_;
};

// Verifies `holder_der` as a holder certificate issued under the CA certificate `ca_der`,
// at time `now_unix` (unix seconds). Both certificates must satisfy notBefore <= now <
// notAfter: OpenSSL's reading (X509_cmp_time), which every e-service running `openssl
// verify` shares, one second stricter than RFC 5280 §4.1.2.5's inclusive notAfter.
// Checks, in this order, stopping at the first failure
// (docs/credential.md §6):
//   1. holder_der parses (ParseCertificate)                   "invalidCertificate"
//   2. ca_der parses, is a CA (basicConstraints CA:TRUE critical, keyUsage keyCertSign),
//      is self-issued and has a valid self-signature         "invalidCaCertificate"
//   3. the path holder -> CA (OpenSSL X509_verify_cert, RFC 5280 §6, strict mode, at
//      now_unix): "untrustedIssuer" (not issued by this CA), "invalidSignature",
//      "certificateExpired", "certificateNotYetValid" (holder or CA), "invalidCertificate"
//      (anything else OpenSSL rejects, e.g. an unknown critical extension)
//   4. the holder is an end entity: not a CA, keyUsage digitalSignature, extendedKeyUsage
//      clientAuth                                           "notHolderCertificate"
//   5. certificatePolicies holds exactly one level policy, at most one evidence policy,
//      nothing else and no qualifiers                        "invalidPolicy"
//   6. the subject is exactly serialNumber, givenName, surname, CN, each once
//                                                            "invalidSubject"
//   7. serialNumber is a canonical identifier                "invalidIdentifier"
//   8. the names follow the issuing rules and CN matches them "invalidSubject"
//   9. the holder key is a valid Ed25519 key (RFC 8410 §4)   "unsupportedKey"
Result<VerifiedHolderCertificate> VerifyHolderCertificate(ByteView holder_der,
                                                          ByteView ca_der,
                                                          int64_t now_unix);

// A CA certificate that VerifyCaCertificate accepted. Only that function creates one.
class VerifiedCa {
 public:
  const crypto::VerifyingKey& ca_key() const { return ca_key_; }
  const std::string& common_name() const { return common_name_; }
  const std::string& serial_hex() const { return serial_hex_; }
  int64_t not_before() const { return not_before_; }
  int64_t not_after() const { return not_after_; }

 private:
  friend class CaVerifier;
  VerifiedCa(crypto::VerifyingKey ca_key, std::string common_name, std::string serial_hex,
             int64_t not_before, int64_t not_after)
      : ca_key_(ca_key),
        common_name_(std::move(common_name)),
        serial_hex_(std::move(serial_hex)),
        not_before_(not_before),
        not_after_(not_after) {}

  crypto::VerifyingKey ca_key_;
  std::string common_name_;
  std::string serial_hex_;
  int64_t not_before_;
  int64_t not_after_;
};

// Verifies `ca_der` as a Tillit CA certificate at `now_unix`: it parses (ParseCertificate;
// "invalidCertificate"), is a CA as in step 2 above with an Ed25519 key
// ("invalidCaCertificate"), its self-signature is valid ("invalidSignature"), and now_unix is
// within its validity ("certificateExpired", "certificateNotYetValid"). Returns its key.
Result<VerifiedCa> VerifyCaCertificate(ByteView ca_der, int64_t now_unix);

// PEM (RFC 7468 §5): "-----BEGIN CERTIFICATE-----", base64 in 64-character lines,
// "-----END CERTIFICATE-----", each line ending in "\n". Does not check `der`.
std::string CertificateToPem(ByteView der);

// The DER inside a PEM text holding exactly one certificate and nothing else: no text before
// the BEGIN line or after the END line other than line breaks, lines of at most 76 base64
// characters (LF or CRLF), strict base64 (bytes.h). The DER must pass ParseCertificate.
// Errors: "invalidPem", "invalidCertificate".
Result<Bytes> CertificateFromPem(std::string_view pem);

}  // namespace tillit::credential
