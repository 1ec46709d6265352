// ActivationService: activation challenge and completion (docs/desk-api.md §Device).
#include "tillit/service/activation_service.h"

#include <algorithm>

#include "service_util.h"
#include "stored_request.h"
#include "tillit/credential/certificate.h"
#include "tillit/crypto/compare.h"
#include "tillit/crypto/ed25519.h"
#include "tillit/crypto/hash.h"
#include "tillit/crypto/random.h"
#include "tillit/enrolment/evidence.h"
#include "tillit/identifier/identifier.h"

namespace tillit::service {
namespace {

namespace st = server::storage;
using st::Durability;
using st::Transaction;

constexpr size_t kCodeSymbols = 16;
constexpr size_t kHandleSymbols = 6;
constexpr size_t kNonceBytes = 32;
constexpr int64_t kDay = 86400;
constexpr int64_t kHolderValidity = 730 * kDay;  // 2 years (docs/credential.md §5)
constexpr int64_t kBackdate = 5 * 60;            // clock skew between issuer and verifiers

Error InvalidCode() {
  // One message for unknown, used and locked codes: the caller learns nothing more.
  return MakeError("invalidCode", "the activation code is not valid");
}

// Checks a code inside `tx`. A wrong secret is counted and committed here (the request
// fails, but the attempt must stick), so `tx` has ended when this returns that error.
Result<st::ActivationCodeRow> CheckCode(st::Store& store, const IssuerKeys& keys, Transaction& tx,
                                        const std::string& canonical, int64_t now) {
  std::string handle = canonical.substr(0, kHandleSymbols);
  TILLIT_TRY_ASSIGN(auto found, store.activation_codes().FindByHandle(tx, handle));
  if (!found) return InvalidCode();
  if (found->used_at || found->failed_attempts >= kMaxActivationAttempts) return InvalidCode();
  Bytes hash = keys.HashSecret(SecretKind::kActivationSecret, canonical);
  if (!crypto::ConstantTimeEquals(hash, found->secret_hash)) {
    TILLIT_TRY_ASSIGN(auto attempts, store.activation_codes().RecordFailedAttempt(tx, handle));
    TILLIT_TRY(internal::AppendAudit(store, tx, now, "device", "activationCodeWrong",
                                     found->identifier,
                                     internal::AuditDetail({}, {{"failedAttempts", attempts}})));
    TILLIT_TRY(tx.Commit());
    return InvalidCode();
  }
  if (now >= found->expires_at) return MakeError("codeExpired", "the activation code has expired");
  return std::move(*found);
}

credential::EvidenceClass ClassOf(const std::vector<enrolment::Evidence>& evidence) {
  bool authority = false;
  for (const auto& item : evidence) {
    if (enrolment::IsIdentityDocument(item.type))
      return credential::EvidenceClass::kIdentityDocument;
    if (enrolment::IsSwedishAuthorityEvidence(item.type)) authority = true;
  }
  return authority ? credential::EvidenceClass::kSwedishAuthorityDocument
                   : credential::EvidenceClass::kOther;
}

}  // namespace

Result<std::string> CanonicalActivationCode(std::string_view text) {
  std::string out;
  for (char c : text) {
    if (c == ' ' || c == '-') continue;
    if (c >= 'a' && c <= 'z') c = static_cast<char>(c - 'a' + 'A');
    if (identifier::SymbolValue(c) < 0 || out.size() >= kCodeSymbols) return InvalidCode();
    out.push_back(c);
  }
  if (out.size() != kCodeSymbols) return InvalidCode();
  return out;
}

Bytes ActivationSignedMessage(ByteView nonce, std::string_view canonical_code,
                              ByteView public_key) {
  Bytes out(kActivationContext.begin(), kActivationContext.end());
  out.push_back(0x00);
  out.insert(out.end(), nonce.begin(), nonce.end());
  crypto::Sha256Digest code_hash = crypto::Sha256(AsBytes(canonical_code));
  out.insert(out.end(), code_hash.begin(), code_hash.end());
  out.insert(out.end(), public_key.begin(), public_key.end());
  return out;
}

Result<ActivationChallenge> ActivationService::Challenge(std::string_view code) {
  TILLIT_TRY_ASSIGN(auto canonical, CanonicalActivationCode(code));
  int64_t now = clock_.NowUnixSeconds();
  TILLIT_TRY_ASSIGN(auto tx, store_.Begin(Durability::kDurable));
  TILLIT_TRY_ASSIGN(auto row, CheckCode(store_, keys_, tx, canonical, now));
  ActivationChallenge challenge{
      .nonce = crypto::RandomBytes(kNonceBytes),
      .expires_at = std::min(now + kActivationNonceLifetimeSeconds, row.expires_at),
      .identifier = row.identifier};
  TILLIT_TRY(
      store_.activation_codes().SetNonce(tx, row.handle, challenge.nonce, challenge.expires_at));
  TILLIT_TRY(internal::AppendAudit(store_, tx, now, "device", "activationChallenge", row.identifier,
                                   "{}"));
  TILLIT_TRY(tx.Commit());
  return challenge;
}

Result<ActivatedCredential> ActivationService::Complete(std::string_view code, ByteView nonce,
                                                        ByteView public_key, ByteView signature) {
  TILLIT_TRY_ASSIGN(auto canonical, CanonicalActivationCode(code));
  if (nonce.size() != kNonceBytes) return MakeError("invalidParameters", "nonce: must be 32 bytes");
  auto holder_key = crypto::VerifyingKey::Create(public_key);
  if (!holder_key.ok()) {
    return MakeError("invalidParameters", "publicKey: " + holder_key.error().message);
  }
  auto sig = crypto::Signature::Parse(signature);
  if (!sig.ok()) return MakeError("invalidParameters", "signature: must be 64 bytes");

  int64_t now = clock_.NowUnixSeconds();
  TILLIT_TRY_ASSIGN(auto tx, store_.Begin(Durability::kDurable));
  TILLIT_TRY_ASSIGN(auto row, CheckCode(store_, keys_, tx, canonical, now));
  // Checks in a fixed order (style.md, libfido2): the pending nonce, then the signature.
  // Neither failure consumes the code: the device can ask for a new challenge.
  if (!row.nonce || !row.nonce_expires_at || now >= *row.nonce_expires_at ||
      !crypto::ConstantTimeEquals(nonce, *row.nonce)) {
    return MakeError("invalidParameters", "nonce: not the pending challenge, or expired");
  }
  Bytes message = ActivationSignedMessage(nonce, canonical, public_key);
  if (!holder_key->Verify(message, *sig).ok()) {
    return MakeError("invalidParameters", "signature: does not verify");
  }
  TILLIT_TRY_ASSIGN(auto existing, store_.credentials().FindByHolderKey(tx, public_key));
  if (existing) return MakeError("conflict", "this device key is already registered");
  // One conditional UPDATE: of two racing completions exactly one gets true.
  TILLIT_TRY_ASSIGN(auto won, store_.activation_codes().MarkUsed(tx, row.handle, now));
  if (!won) return InvalidCode();

  TILLIT_TRY_ASSIGN(auto person, store_.persons().Get(tx, row.identifier));
  std::optional<credential::EvidenceClass> evidence_class;
  if (row.enrolment_id) {
    TILLIT_TRY_ASSIGN(auto enrolment_row, store_.enrolments().Get(tx, *row.enrolment_id));
    TILLIT_TRY_ASSIGN(auto request, internal::DecodeRequest(enrolment_row.request_json));
    evidence_class = ClassOf(request.evidence);
  }
  TILLIT_TRY_ASSIGN(auto id, identifier::Identifier::Parse(person.identifier));
  TILLIT_TRY_ASSIGN(auto ca, credential::VerifyCaCertificate(keys_.ca_certificate_der(), now));
  credential::HolderCertificateRequest request{
      .identifier = id,
      .given_name = person.given_name,
      .surname = person.surname,
      .assurance_level = person.assurance_level,
      .evidence_class = evidence_class,
      .holder_key = *holder_key,
      .serial = {},
      .not_before = now - kBackdate,
      .not_after = std::min(now + kHolderValidity - kBackdate, ca.not_after())};
  Bytes serial = crypto::RandomBytes(credential::kSerialSize);
  // The positive, fixed-length form IssueHolderCertificate writes (certificate.h), so the
  // recorded hex is the certificate's serial.
  serial[0] = static_cast<uint8_t>((serial[0] & 0x7f) | 0x40);
  std::copy(serial.begin(), serial.end(), request.serial.begin());
  TILLIT_TRY_ASSIGN(auto der, credential::IssueHolderCertificate(
                                  keys_.ca_signer(), keys_.ca_certificate_der(), request));
  std::string serial_hex = HexEncode(serial);
  TILLIT_TRY(store_.credentials().Insert(
      tx, {.serial = serial_hex,
           .identifier = person.identifier,
           .holder_public_key = Bytes(public_key.begin(), public_key.end()),
           .certificate_der = der,
           .assurance_level = person.assurance_level,
           .not_before = request.not_before,
           .not_after = request.not_after,
           .created_at = now}));
  TILLIT_TRY(
      internal::AppendAudit(store_, tx, now, "device", "credentialIssued", serial_hex,
                            internal::AuditDetail({{"identifier", person.identifier}},
                                                  {{"assuranceLevel", person.assurance_level}})));
  TILLIT_TRY(tx.Commit());
  return ActivatedCredential{.identifier = person.identifier,
                             .credential_serial = serial_hex,
                             .certificate_der = std::move(der),
                             .ca_certificate_der = keys_.ca_certificate_der(),
                             .given_name = person.given_name,
                             .surname = person.surname,
                             .assurance_level = person.assurance_level,
                             .not_after = request.not_after};
}

}  // namespace tillit::service
