// Enrolments (one per visit to the desk) and the duplicate matches found for each. The
// workflow itself (states, four-eyes, which event is allowed when) is enrolment/'s pure
// state machine (tillit/enrolment/workflow.h); storage keeps its state and guards every
// change with a compare-and-set on the status, so two officers acting on the same
// enrolment at once cannot both succeed.
//
// Thread safety: as every repository (see tillit/storage/accounts.h).
#pragma once

#include <cstddef>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "tillit/result.h"
#include "tillit/storage/transaction.h"

namespace tillit::server::storage {

struct EnrolmentRow {
  std::string id{};
  // The workflow state name ("ready", "needs-approval", "approved", "duplicate", "issued",
  // "rejected"; tillit/enrolment/workflow.h). Storage does not interpret it.
  std::string status{};
  std::string created_by{};  // officer id
  int64_t created_at = 0;
  // The validated person, evidence and checks as JSON text. Opaque to storage; the
  // service that wrote it reads it back.
  std::string request_json{};
  int assurance_level = 1;                   // 1..3 (DIGG tillitsnivå; never 4)
  std::optional<std::string> approved_by{};  // officer id; never created_by (schema CHECK)
  std::optional<int64_t> approved_at{};
  std::optional<std::string> identifier{};           // set when issued
  std::optional<std::string> existing_identifier{};  // set when a duplicate of this person
  std::optional<std::string> rejected_by{};          // officer id, set when rejected
  std::optional<int64_t> rejected_at{};
  std::optional<std::string> rejection_reason{};
  int64_t updated_at = 0;

  friend bool operator==(const EnrolmentRow&, const EnrolmentRow&) = default;
};

// One workflow event's effect on an enrolment row. Fields left empty are not changed.
struct EnrolmentTransition {
  std::string from{};  // the status the caller read; the change applies only if it still is
  std::string to{};
  int64_t at = 0;  // becomes updated_at (and rejected_at when rejected_by is given)
  std::optional<std::string> identifier{};           // "issue"
  std::optional<std::string> existing_identifier{};  // "resolve --same", hard match
  std::optional<std::string> rejected_by{};          // "reject"
  std::optional<std::string> rejection_reason{};     // "reject"
};

enum class MatchKind {
  kHard,      // "hard": same document or number; no new identifier
  kPossible,  // "possible": similar person; an officer must resolve it
};

enum class MatchResolution {
  kSame,       // "same": the person at the desk is this existing person
  kDifferent,  // "different": another person (a reason is recorded)
};

// Stored names. DO NOT CHANGE.
std::string_view MatchKindName(MatchKind kind);
std::string_view MatchResolutionName(MatchResolution resolution);

struct EnrolmentMatchRow {
  std::string enrolment_id{};
  std::string identifier{};  // of the existing person
  MatchKind kind = MatchKind::kPossible;
  double score = 0.0;     // name similarity 0..1 (tillit/enrolment/names.h)
  std::string reasons{};  // opaque text for the desk (the service stores a JSON array)
  std::optional<MatchResolution> resolution{};
  std::optional<std::string> resolution_reason{};
  std::optional<std::string> resolved_by{};  // officer id
  std::optional<int64_t> resolved_at{};

  friend bool operator==(const EnrolmentMatchRow&, const EnrolmentMatchRow&) = default;
};

class EnrolmentRepository {
 public:
  virtual ~EnrolmentRepository() = default;

  // Adds an enrolment. Errors: "conflict" (the id is taken); "internalError" when a
  // referenced officer or person does not exist (the service checks first).
  virtual Status Insert(Transaction& tx, const EnrolmentRow& enrolment) = 0;

  // Errors: "notFound".
  virtual Result<EnrolmentRow> Get(ReadTransaction& tx, std::string_view id) = 0;

  // Enrolments in `status`, oldest first, at most `limit` (the desk's work queues).
  virtual Result<std::vector<EnrolmentRow>> ListByStatus(ReadTransaction& tx,
                                                         std::string_view status, size_t limit) = 0;

  // Enrolments in `status`, newest first (created_at, then id, descending), at most
  // `limit` (the desk page's approvals queue shows the latest arrivals on top).
  virtual Result<std::vector<EnrolmentRow>> ListRecentByStatus(ReadTransaction& tx,
                                                               std::string_view status,
                                                               size_t limit) = 0;

  // The enrolments that made or concern person `identifier` (issued as it, a duplicate of
  // it, a device replacement for it), oldest first, at most `limit`: the person's desk
  // history. A scan of the enrolments table (no index on these columns); the desk asks
  // for one person at a time.
  virtual Result<std::vector<EnrolmentRow>> ListForPerson(ReadTransaction& tx,
                                                          std::string_view identifier,
                                                          size_t limit) = 0;

  // Applies a workflow event if the status is still transition.from.
  // Errors: "notFound"; "conflict" (the status is no longer `from`: another request
  // moved the enrolment first; re-read and decide again).
  virtual Status UpdateStatus(Transaction& tx, std::string_view id,
                              const EnrolmentTransition& transition) = 0;

  // Records the second officer's approval and moves the status from `from` to `to`.
  // Errors: "notFound"; "conflict" (status is not `from`, or already approved);
  // "internalError" if officer is the creator (the schema refuses it as a last line of
  // four-eyes defence; the workflow refuses it first with "sameOfficer").
  virtual Status Approve(Transaction& tx, std::string_view id, std::string_view from,
                         std::string_view to, std::string_view officer, int64_t at) = 0;

  // Records a match found when the enrolment was created. Errors: "conflict" (this
  // enrolment already has a match for that identifier).
  virtual Status InsertMatch(Transaction& tx, const EnrolmentMatchRow& match) = 0;

  // Records (or changes) an officer's resolution of a match; an empty reason is stored
  // as none. Errors: "notFound" (no such match).
  virtual Status ResolveMatch(Transaction& tx, std::string_view enrolment_id,
                              std::string_view identifier, MatchResolution resolution,
                              std::string_view officer, std::string_view reason, int64_t at) = 0;

  // The matches of an enrolment: hard ones first, then by score (highest first), then by
  // identifier.
  virtual Result<std::vector<EnrolmentMatchRow>> ListMatches(ReadTransaction& tx,
                                                             std::string_view enrolment_id) = 0;
};

}  // namespace tillit::server::storage
