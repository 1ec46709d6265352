// LifecycleService: the eID's life at the desk after issue (docs/desk-api.md §Desk,
// "After issue"): suspend and resume a person's credentials, replace a lost or broken
// device (the person is checked again, with the enrolment's evidence rules and four-eyes),
// and link a personnummer once Skatteverket grants one (id-växling). The identifier never
// changes (design.md, identifier property 6).
//
// Every change runs in one durable transaction together with its audit entry (actor: the
// officer; subject: the identifier; detail without personal data beyond identifiers —
// never a document number or the personnummer), so nothing is half-done after a crash.
// No error changes state.
//
// Error codes (docs/desk-api.md): invalidParameters, expiredEvidence, notFound,
// invalidTransition, approvalRequired, conflict, duplicate, storage errors.
//
// Thread safety: thread-safe; the referenced store, clock and keys must outlive it.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "tillit/ports.h"
#include "tillit/result.h"
#include "tillit/service/accounts.h"
#include "tillit/service/enrolment_service.h"
#include "tillit/service/issuer_keys.h"
#include "tillit/storage/store.h"

namespace tillit::service {

// The status_reason a device replacement writes on the credentials it revokes, followed by
// the replacement's enrolment id, so the credential history says why. (`revoke` is final
// because it marks the person, persons.revoked_at; a replacement does not.) DO NOT CHANGE:
// stored.
inline constexpr std::string_view kReplacedReasonPrefix = "deviceReplaced:";

// The evidence and checks of a device replacement, as received (as in EnrolmentRequest).
struct ReplacementRequest {
  std::vector<EvidenceInput> evidence;
  std::vector<std::string> checks;
};

struct ReplacementResult {
  std::string identifier;
  // The replacement's record in the enrolments table (evidence, checks, who, when).
  std::string enrolment_id;
  // "issued" (the new activation code is in `issued`) or "needs-approval" (a second
  // officer must approve enrolment_id first; see CompleteReplacement).
  std::string status;
  int assurance_level = 1;
  std::optional<IssuedIdentifier> issued;
};

class LifecycleService {
 public:
  LifecycleService(server::storage::Store& store, const Clock& clock, const IssuerKeys& keys)
      : store_(store), clock_(clock), keys_(keys) {}

  // Suspends every good credential of the person; returns how many. A suspended
  // credential fails login with certificateErr until resumed.
  // Errors: "notFound", "invalidParameters" (empty or overlong reason),
  // "invalidTransition" (no good credential: none yet, already suspended, or revoked).
  Result<int64_t> Suspend(const Officer& officer, std::string_view identifier,
                          std::string_view reason);

  // Makes every suspended credential of the person good again; returns how many.
  // Errors: as Suspend ("invalidTransition": no suspended credential).
  Result<int64_t> Resume(const Officer& officer, std::string_view identifier,
                         std::string_view reason);

  // A new device for the person: the evidence is validated and decided as at enrolment
  // (enrolment/assurance.h, as of today). If the decided level needs no approval (2 or
  // 3), then in one durable transaction: every credential not yet revoked is revoked,
  // every unused activation code is used up, the person's documents and assurance level
  // are updated, the replacement is recorded as an enrolment row (status "issued") and a
  // new activation code is made (status "issued"). At level 1 (NeedsApproval) only the
  // request is recorded (status "needs-approval"); nothing else changes until a second
  // officer approves the enrolment (EnrolmentService::Approve) and CompleteReplacement runs.
  // Errors: "notFound", "invalidParameters", "expiredEvidence", "invalidTransition" (the
  // person was revoked: revocation is final), "duplicate" (a document shown belongs to
  // another person), storage errors.
  Result<ReplacementResult> Replace(const Officer& officer, std::string_view identifier,
                                    const ReplacementRequest& request);

  // Carries out an approved level-1 replacement (any officer). Its evidence is checked
  // for expiry again, as of today. Errors: "notFound" (no such identifier or enrolment,
  // or the enrolment is not a replacement of this person), "approvalRequired" (not yet
  // approved), "invalidTransition" (already carried out, or the person was revoked),
  // "expiredEvidence", "duplicate", storage errors.
  Result<ReplacementResult> CompleteReplacement(const Officer& officer,
                                                std::string_view identifier,
                                                std::string_view enrolment_id);

  // Links a personnummer granted to the person (any written form; stored as 12 digits).
  // Returns true if it was linked now, false if it already was (idempotent).
  // Errors: "notFound", "invalidParameters" (not a valid personnummer, or a
  // samordningsnummer), "conflict" (linked to another person, or the person already has
  // a different one).
  Result<bool> LinkPersonnummer(const Officer& officer, std::string_view identifier,
                                std::string_view personnummer);

 private:
  server::storage::Store& store_;
  const Clock& clock_;
  const IssuerKeys& keys_;
};

}  // namespace tillit::service
