// The enrolment workflow as a state machine of pure functions: each event takes the
// current Workflow and returns the next one, or an Error and no change. Storage keeps the
// Workflow; the desk API calls one function per request. The state and transition table,
// with the reasoning for each rule, is docs/assurance.md §Workflow.
//
// States (API values, DO NOT CHANGE): ready, needs-approval, approved, duplicate, issued,
// rejected. duplicate, issued and rejected are final.
//
// Officers are compared case-insensitively (ASCII) after trimming: "Anna" and "anna " are
// the same officer, so a second account spelling cannot satisfy four-eyes.
//
// Thread safety: plain values; all functions are pure.
#pragma once

#include <string>
#include <string_view>
#include <vector>

#include "tillit/enrolment/assurance.h"
#include "tillit/enrolment/duplicates.h"
#include "tillit/result.h"

namespace tillit::enrolment {

enum class EnrolmentState {
  kReady,          // "ready": may be issued
  kNeedsApproval,  // "needs-approval": a second officer must approve first
  kApproved,       // "approved": a second officer approved; may be issued
  kDuplicate,      // "duplicate": the person already has `duplicate_of`; final
  kIssued,         // "issued": `identifier` was issued; final
  kRejected,       // "rejected": refused with a reason; final
};

std::string_view StateName(EnrolmentState state);
// Errors: "invalidParameters" ("state: ...").
Result<EnrolmentState> ParseState(std::string_view text);

// How an officer resolved one possible match.
enum class Resolution {
  kUnresolved,  // "unresolved"
  kDifferent,   // "different": another person, with a reason
  kSame,        // "same": this person; the enrolment became a duplicate
};
std::string_view ResolutionName(Resolution resolution);

struct MatchResolution {
  std::string identifier;  // of the existing person
  Resolution resolution = Resolution::kUnresolved;
  std::string officer;  // who resolved it (empty while unresolved)
  std::string reason;   // required for kDifferent

  friend bool operator==(const MatchResolution&, const MatchResolution&) = default;
};

struct Workflow {
  EnrolmentState state = EnrolmentState::kReady;
  AssuranceLevel level = AssuranceLevel::kLevel1;
  std::string created_by;
  std::string approved_by;               // set by Approve
  std::vector<MatchResolution> matches;  // one per possible match found at creation
  std::string duplicate_of;              // set in kDuplicate
  std::string identifier;                // set in kIssued
  std::string rejected_by;               // set in kRejected
  std::string rejection_reason;          // set in kRejected

  friend bool operator==(const Workflow&, const Workflow&) = default;
};

// True if a possible match is still unresolved.
bool HasUnresolvedMatch(const Workflow& workflow);

// Event "create". With a hard match the enrolment is a duplicate of the first hard-matched
// identifier from the start (no new identifier, design.md property 6). Otherwise every
// possible match is recorded unresolved, and the state is needs-approval when
// NeedsApproval(level, any possible match) holds, else ready.
// Errors: "invalidParameters" ("officer: ...").
Result<Workflow> CreateWorkflow(std::string_view officer, AssuranceLevel level,
                                const DuplicateCheck& duplicates);

// Event "resolve --same IDENTIFIER": the person at the desk is the existing person
// `identifier`, which must be one of the recorded possible matches. The enrolment becomes
// a duplicate pointing to it. Allowed in ready and needs-approval.
// Errors: "invalidTransition", "unknownMatch", "invalidParameters".
Result<Workflow> ResolveSame(const Workflow& workflow, std::string_view officer,
                             std::string_view identifier);

// Event "resolve --different IDENTIFIER --reason TEXT": the possible match is another
// person. The reason (what told them apart) is required. The state does not change:
// approval once required stays required, so the officer who dismisses a match cannot also
// be the only one to issue (docs/assurance.md §Workflow). Allowed in ready and
// needs-approval; a match may be re-resolved until approval.
// Errors: "invalidTransition", "unknownMatch", "invalidParameters" ("reason: ...").
Result<Workflow> ResolveDifferent(const Workflow& workflow, std::string_view officer,
                                  std::string_view identifier, std::string_view reason);

// Event "approve": a second officer approves. Allowed only in needs-approval, only by an
// officer other than the creator, and only when every possible match is resolved.
// Errors: "invalidTransition", "sameOfficer", "unresolvedMatches", "invalidParameters".
Result<Workflow> Approve(const Workflow& workflow, std::string_view officer);

// Event "issue": records the new identifier. Allowed in ready and approved.
// Errors: "approvalRequired" (in needs-approval, or with an unresolved match),
// "invalidTransition" (final states), "invalidParameters" ("identifier: ...").
Result<Workflow> Issue(const Workflow& workflow, std::string_view identifier);

// Event "reject": the officer refuses the enrolment (e.g. the evidence is doubtful).
// Allowed in ready, needs-approval and approved; the reason is required.
// Errors: "invalidTransition", "invalidParameters".
Result<Workflow> Reject(const Workflow& workflow, std::string_view officer,
                        std::string_view reason);

}  // namespace tillit::enrolment
