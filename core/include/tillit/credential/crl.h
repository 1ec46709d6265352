// The issuer's certificate revocation list: an X.509 v2 CRL (RFC 5280 §5) signed with the
// issuer CA's Ed25519 key (RFC 8410), listing revoked credentials and, with reason
// certificateHold, suspended ones. An e-service caches it and checks serials offline with
// any X.509 stack (`openssl crl -verify`). The profile, the verification order and why a CRL
// rather than the IETF Token Status List are in docs/status.md; this header follows it.
//
// Parse vs Verify (style.md, crypto hygiene 5): the only way to read a CRL's entries is
// ParseAndVerifyCrl, which returns a VerifiedCrl only after every check passed.
//
// Thread safety: every function is thread-safe and keeps no global state; OpenSSL errors a
// call causes are removed from the thread's error queue before it returns.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "tillit/bytes.h"
#include "tillit/crypto/ed25519.h"
#include "tillit/crypto/signer.h"
#include "tillit/result.h"

namespace tillit::credential {

// CRLReason (RFC 5280 §5.3.1) of an entry. The values are the ASN.1 ENUMERATED codes.
// removeFromCRL (8) belongs to delta CRLs, which Tillit does not issue; a CRL carrying it
// is refused. A resumed credential is simply absent from the next CRL.
enum class RevocationReason {
  kUnspecified = 0,  // written as an absent reasonCode (RFC 5280 §5.3.1: SHOULD be absent)
  kKeyCompromise = 1,
  kCaCompromise = 2,
  kAffiliationChanged = 3,
  kSuperseded = 4,
  kCessationOfOperation = 5,
  kCertificateHold = 6,  // suspended: may disappear from a later CRL
  kPrivilegeWithdrawn = 9,
  kAaCompromise = 10,
};

// The RFC 5280 name: "unspecified", "keyCompromise", "cACompromise", "affiliationChanged",
// "superseded", "cessationOfOperation", "certificateHold", "privilegeWithdrawn",
// "aACompromise".
std::string_view RevocationReasonName(RevocationReason reason);

// One revokedCertificates entry.
struct CrlEntry {
  // Lower-case hex of the serial number's magnitude, as ParsedCertificate::serial_hex and
  // VerifiedHolderCertificate::serial_hex give it (32 characters for Tillit credentials).
  std::string serial_hex;
  int64_t revocation_time = 0;  // unix seconds: when the credential was revoked or suspended
  RevocationReason reason = RevocationReason::kUnspecified;

  friend bool operator==(const CrlEntry&, const CrlEntry&) = default;
};

// Longest CRL accepted by ParseAndVerifyCrl: 64 MiB, about a million entries. Bounds the
// work on hostile input; the issuer's CRL would have to be split long before this.
inline constexpr size_t kMaxCrlSize = size_t{64} * 1024 * 1024;

// Creates and signs the CRL of the profile in docs/status.md §3: version v2; signature
// Ed25519; issuer = the CA certificate's subject, byte for byte; thisUpdate, nextUpdate;
// the entries sorted by serial, each with a non-critical reasonCode unless kUnspecified;
// extensions authorityKeyIdentifier (the CA's subjectKeyIdentifier) and cRLNumber, both
// non-critical. `crl_number` must grow with every CRL the issuer publishes (RFC 5280
// §5.2.3). Returns its DER.
// Errors: "invalidParameters" (this_update >= next_update; a time outside 1970..9999;
// crl_number < 0; a serial that is not 1..20 bytes of lower-case hex without a leading
// zero byte, zero, or listed twice; a reason code not in the enum), "invalidCaCertificate"
// (ca_certificate_der is not a CA certificate with keyUsage cRLSign and a
// subjectKeyIdentifier), "caKeyMismatch" (the signer's key is not its key), the signer's own
// error (e.g. "signerUnavailable"), "signerFailed" (the signer's signature does not verify
// under its key; no CRL is returned), "internalError".
Result<Bytes> CreateCrl(const crypto::Signer& ca_signer, ByteView ca_certificate_der,
                        const std::vector<CrlEntry>& entries, int64_t this_update,
                        int64_t next_update, int64_t crl_number);
// The same with a key in memory.
Result<Bytes> CreateCrl(const crypto::SigningKey& ca_key, ByteView ca_certificate_der,
                        const std::vector<CrlEntry>& entries, int64_t this_update,
                        int64_t next_update, int64_t crl_number);

// A CRL that ParseAndVerifyCrl accepted. Only that function creates one.
class VerifiedCrl {
 public:
  int64_t this_update() const { return this_update_; }
  int64_t next_update() const { return next_update_; }
  int64_t crl_number() const { return crl_number_; }
  // In the CRL's order (the issuer writes them sorted by serial).
  const std::vector<CrlEntry>& entries() const { return entries_; }
  // The entry for `serial_hex` (lower-case, as CrlEntry::serial_hex), or nullptr.
  const CrlEntry* Find(std::string_view serial_hex) const;

 private:
  friend class CrlVerifier;
  VerifiedCrl(int64_t this_update, int64_t next_update, int64_t crl_number,
              std::vector<CrlEntry> entries)
      : this_update_(this_update),
        next_update_(next_update),
        crl_number_(crl_number),
        entries_(std::move(entries)) {}

  int64_t this_update_;
  int64_t next_update_;
  int64_t crl_number_;
  std::vector<CrlEntry> entries_;
};

// Verifies `der` as a CRL of the CA `ca_certificate_der`, current at `now_unix`. Checks, in
// this order, stopping at the first failure (docs/status.md §4):
//   1. ca_certificate_der parses strictly, is a CA with keyUsage cRLSign, a
//      subjectKeyIdentifier and an Ed25519 key, and its self-signature verifies
//                                                              "invalidCaCertificate"
//   2. der is one strict DER CRL and nothing else (at most kMaxCrlSize; re-encodes to the
//      same bytes; no explicit critical FALSE); version v2; Ed25519 in both algorithm
//      fields without parameters, a 64-byte signature; nextUpdate present; times valid
//      (UTCTime through 2049); every extension (CRL and entry) strict DER, at most one of
//      each type, none critical (Tillit processes no critical CRL extension: an
//      issuingDistributionPoint or deltaCRLIndicator is refused); authorityKeyIdentifier
//      and cRLNumber present, cRLNumber 0..2^63-1; serials positive, at most 20 bytes,
//      each listed once; reasonCode a known value other than removeFromCRL  "invalidCrl"
//   3. the issuer name equals the CA's subject (RFC 5280 §7.1)  "untrustedIssuer"
//   4. authorityKeyIdentifier.keyIdentifier equals the CA's subjectKeyIdentifier
//                                                              "untrustedIssuer"
//   5. the signature verifies under the CA's key                "invalidSignature"
//   6. thisUpdate <= now                                        "crlNotYetValid"
//   7. now < nextUpdate (a stale CRL says nothing about later changes)  "crlExpired"
// The CA certificate's own validity is not checked here: that is the certificate's
// question (VerifyCaCertificate).
Result<VerifiedCrl> ParseAndVerifyCrl(ByteView der, ByteView ca_certificate_der,
                                      int64_t now_unix);

// PEM (RFC 7468 §6): "-----BEGIN X509 CRL-----", base64 in 64-character lines,
// "-----END X509 CRL-----", each line ending in "\n". Does not check `der`.
std::string CrlToPem(ByteView der);

// The DER inside a PEM text holding exactly one "X509 CRL" block and nothing else (the
// rules of CertificateFromPem). The DER is not checked: ParseAndVerifyCrl does that.
// Errors: "invalidPem".
Result<Bytes> CrlFromPem(std::string_view pem);

}  // namespace tillit::credential
