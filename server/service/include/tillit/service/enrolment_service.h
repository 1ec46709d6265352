// EnrolmentService: the desk's use cases (docs/desk-api.md §Desk): create an enrolment
// (validation, assurance decision, duplicate search), approve, resolve possible matches,
// issue the identifier with its activation code, search, view and revoke persons.
// Rules come from enrolment/ (assurance.h, duplicates.h, workflow.h); this class wires
// them to storage. Every state change runs in one durable transaction together with its
// audit entry (who, when, what; never a secret), so nothing is half-done after a crash.
//
// Error codes are those of docs/desk-api.md: invalidParameters, expiredEvidence,
// notFound, sameOfficer, approvalRequired, unresolvedMatches, invalidTransition,
// duplicate, conflict, storageFull, storageUnavailable, internalError.
//
// Thread safety: thread-safe; the referenced store, clock and keys must outlive it.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "tillit/enrolment/date.h"
#include "tillit/ports.h"
#include "tillit/result.h"
#include "tillit/service/accounts.h"
#include "tillit/service/issuer_keys.h"
#include "tillit/storage/store.h"

namespace tillit::service {

// An enrolment as received (all text; empty optional fields mean "not given").
struct PersonInput {
  std::string given_name;
  std::string surname;
  std::string original_name;
  std::string birth_date;
  std::string nationality;
  std::string samordningsnummer;
  std::string case_number;
};
struct EvidenceInput {
  std::string type;
  std::string number;
  std::string country;
  std::string expiry;
};
struct EnrolmentRequest {
  PersonInput person;
  std::vector<EvidenceInput> evidence;
  std::vector<std::string> checks;
};

struct PossibleDuplicate {
  std::string identifier;
  std::string given_name;
  std::string surname;
  std::string birth_date;
  std::string nationality;
  double score = 0.0;
  std::vector<std::string> reasons;
  std::string resolution;  // "unresolved", "same" or "different"
};

struct EnrolmentView {
  std::string enrolment_id;
  std::string status;  // ready, needs-approval, approved, duplicate, issued, rejected
  int assurance_level = 1;
  std::vector<PossibleDuplicate> possible_duplicates;
  std::optional<std::string> existing_identifier;  // when status is duplicate
  std::string created_by;
  std::optional<std::string> approved_by;
  std::optional<std::string> identifier;  // once issued
  // The person as recorded (canonical form), so a second officer can compare it with the
  // possible duplicates and see whom they approve.
  std::string given_name{};
  std::string surname{};
  std::string birth_date{};
  std::string nationality{};
};

struct IssuedIdentifier {
  std::string identifier;
  std::string activation_code;  // grouped XXXX-XXXX-XXXX-XXXX; shown once
  int64_t expires_at = 0;       // unix seconds
};

struct PersonSummary {
  std::string identifier;
  std::string given_name;
  std::string surname;
  std::string birth_date;
  std::string nationality;
  std::string status;  // active (a good credential), pending (none yet), revoked
};

struct CredentialSummary {
  std::string serial;
  std::string status;  // good, suspended, revoked
  int64_t not_after = 0;
  int64_t created_at = 0;
};

// One step in a person's desk history, from the enrolment, person and credential records
// (not the audit log, which has no index by subject): `event` is one of
// enrolmentCreated, enrolmentApproved, identifierIssued, deviceReplacementRequested,
// deviceReplaced, credentialActivated, credentialSuspended, credentialRevoked,
// personRevoked. Suspensions that were later resumed leave no trace here (the credential
// keeps only its latest status); the audit log has every step.
struct PersonHistoryEvent {
  int64_t at = 0;          // unix seconds
  std::string event;
  std::string actor;       // officer id, or "" when the record does not say
  std::string reference;   // enrolment id or credential serial, or ""
  std::string detail;      // e.g. the status reason of a credential, or ""
};

struct PersonView {
  PersonSummary summary;
  std::optional<std::string> original_name;
  std::optional<std::string> samordningsnummer;
  std::optional<std::string> case_number;
  std::optional<std::string> personnummer;  // 12 digits, once linked
  int assurance_level = 1;
  std::vector<CredentialSummary> credentials;
  std::vector<PersonHistoryEvent> history;  // oldest first
};

// An enrolment waiting for a second officer (the desk page's approvals queue).
struct PendingEnrolment {
  std::string enrolment_id;
  std::string created_by;  // officer id
  int64_t created_at = 0;  // unix seconds
  int assurance_level = 1;
  std::string given_name;
  std::string surname;
  std::string birth_date;
  // Set for a device replacement of this person (docs/desk-api.md §After issue).
  std::optional<std::string> existing_identifier;
};

// At most this many pending enrolments are listed.
inline constexpr size_t kMaxPendingApprovals = 100;

// How long an activation code lives (docs/desk-api.md §Activation code).
inline constexpr int64_t kActivationCodeLifetimeSeconds = 15 * 60;

class EnrolmentService {
 public:
  EnrolmentService(server::storage::Store& store, const Clock& clock, const IssuerKeys& keys)
      : store_(store), clock_(clock), keys_(keys) {}

  // Validates the request as of today (by the clock), decides the assurance level,
  // searches for hard and possible duplicates and records the enrolment with its matches.
  // A hard match gives status "duplicate" with existing_identifier set (not an error).
  // Errors: "invalidParameters", "expiredEvidence", storage errors.
  Result<EnrolmentView> Create(const Officer& officer, const EnrolmentRequest& request);

  // Errors: "notFound".
  Result<EnrolmentView> Get(std::string_view enrolment_id);

  // Enrolments in status needs-approval (new persons and device replacements), newest
  // first, at most kMaxPendingApprovals. Read only, so not audited (the approval is).
  // Errors: storage errors.
  Result<std::vector<PendingEnrolment>> ListPendingApproval();

  // A second officer approves. Errors: "notFound", "sameOfficer", "unresolvedMatches",
  // "invalidTransition".
  Result<EnrolmentView> Approve(const Officer& officer, std::string_view enrolment_id);

  // Every possible match is another person (reason required), or the person is the
  // existing `identifier` (one of the possible matches; the enrolment becomes a
  // duplicate of it). Errors: "notFound", "invalidParameters", "invalidTransition".
  Result<EnrolmentView> ResolveDifferent(const Officer& officer, std::string_view enrolment_id,
                                         std::string_view reason);
  Result<EnrolmentView> ResolveSame(const Officer& officer, std::string_view enrolment_id,
                                    std::string_view identifier);

  // Allocates the identifier and creates the person, the activation code and the audit
  // entry in one durable transaction. Errors: "notFound", "approvalRequired",
  // "invalidTransition", "duplicate" (a document or number was issued to someone else
  // since the enrolment was created), storage errors.
  Result<IssuedIdentifier> Issue(const Officer& officer, std::string_view enrolment_id);

  // The desk's free-text search (storage/persons.h Search), at most 50 results. The
  // search is audited (who searched, how many results; not the text).
  Result<std::vector<PersonSummary>> Search(const Officer& officer, std::string_view text);

  // Errors: "notFound" (also for text that is not an identifier).
  Result<PersonView> GetPerson(std::string_view identifier);

  // Revokes every credential of the person at once and cancels any unused activation
  // code, in one durable transaction; final. Errors: "notFound",
  // "invalidParameters" (empty reason).
  Result<int64_t> Revoke(const Officer& officer, std::string_view identifier,
                         std::string_view reason);

 private:
  server::storage::Store& store_;
  const Clock& clock_;
  const IssuerKeys& keys_;
};

// Today's civil date (UTC) at unix time `now`.
enrolment::Date CivilDateAt(int64_t now);

}  // namespace tillit::service
