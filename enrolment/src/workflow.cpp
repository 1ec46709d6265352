// The enrolment state machine (tillit/enrolment/workflow.h, docs/assurance.md §Workflow).
#include "tillit/enrolment/workflow.h"

#include <algorithm>
#include <array>
#include <utility>

#include "text.h"

namespace tillit::enrolment {
namespace {

using internal::FieldError;

constexpr std::array<std::pair<EnrolmentState, std::string_view>, 6> kStateNames = {{
    {EnrolmentState::kReady, "ready"},
    {EnrolmentState::kNeedsApproval, "needs-approval"},
    {EnrolmentState::kApproved, "approved"},
    {EnrolmentState::kDuplicate, "duplicate"},
    {EnrolmentState::kIssued, "issued"},
    {EnrolmentState::kRejected, "rejected"},
}};

constexpr size_t kMaxOfficerLength = 100;
constexpr size_t kMaxReasonLength = 1000;
constexpr size_t kMaxIdentifierLength = 100;

Error InvalidTransition(std::string_view event, EnrolmentState state) {
  return MakeError("invalidTransition", std::string(event) + " is not allowed in state " +
                                            std::string(StateName(state)));
}

// A free-text field: valid UTF-8, no control characters, trimmed, 1..max scalar values.
Result<std::string> RequiredText(std::string_view text, std::string_view field, size_t max) {
  const std::string_view trimmed = internal::TrimSpaces(text);
  auto decoded = internal::DecodeUtf8(trimmed);
  if (!decoded) return FieldError(field, "is not valid UTF-8");
  for (char32_t c : *decoded) {
    if (internal::IsForbiddenControl(c)) {
      return FieldError(field, "must not contain control characters");
    }
  }
  if (decoded->empty()) return FieldError(field, "must not be empty");
  if (decoded->size() > max) {
    return FieldError(field, "must be at most " + std::to_string(max) + " characters");
  }
  return std::string(trimmed);
}

bool SameOfficer(std::string_view a, std::string_view b) {
  return internal::AsciiLower(internal::TrimSpaces(a)) ==
         internal::AsciiLower(internal::TrimSpaces(b));
}

bool IsResolvable(EnrolmentState state) {
  return state == EnrolmentState::kReady || state == EnrolmentState::kNeedsApproval;
}

Result<size_t> FindMatch(const Workflow& workflow, std::string_view identifier) {
  for (size_t i = 0; i < workflow.matches.size(); ++i) {
    if (workflow.matches[i].identifier == identifier) return i;
  }
  return MakeError("unknownMatch", "identifier: " + std::string(identifier) +
                                       " is not a possible match of this enrolment");
}

}  // namespace

std::string_view StateName(EnrolmentState state) {
  for (const auto& [value, name] : kStateNames) {
    if (value == state) return name;
  }
  TILLIT_CHECK(false);
  return {};
}

Result<EnrolmentState> ParseState(std::string_view text) {
  for (const auto& [value, name] : kStateNames) {
    if (name == text) return value;
  }
  return FieldError("state",
                    "must be one of ready, needs-approval, approved, duplicate, issued, rejected");
}

std::string_view ResolutionName(Resolution resolution) {
  switch (resolution) {
    case Resolution::kUnresolved:
      return "unresolved";
    case Resolution::kDifferent:
      return "different";
    case Resolution::kSame:
      return "same";
  }
  TILLIT_CHECK(false);
  return {};
}

bool HasUnresolvedMatch(const Workflow& workflow) {
  return std::any_of(
      workflow.matches.begin(), workflow.matches.end(),
      [](const MatchResolution& m) { return m.resolution == Resolution::kUnresolved; });
}

Result<Workflow> CreateWorkflow(std::string_view officer, AssuranceLevel level,
                                const DuplicateCheck& duplicates) {
  Workflow workflow;
  TILLIT_TRY_ASSIGN(workflow.created_by, RequiredText(officer, "officer", kMaxOfficerLength));
  workflow.level = level;
  if (!duplicates.hard.empty()) {
    // The person already has an identifier: never a second one.
    workflow.state = EnrolmentState::kDuplicate;
    workflow.duplicate_of = duplicates.hard.front().identifier;
    return workflow;
  }
  for (const PossibleMatch& match : duplicates.possible) {
    workflow.matches.push_back({match.identifier, Resolution::kUnresolved, "", ""});
  }
  workflow.state = NeedsApproval(level, !workflow.matches.empty()) ? EnrolmentState::kNeedsApproval
                                                                   : EnrolmentState::kReady;
  return workflow;
}

Result<Workflow> ResolveSame(const Workflow& workflow, std::string_view officer,
                             std::string_view identifier) {
  if (!IsResolvable(workflow.state)) return InvalidTransition("resolve", workflow.state);
  TILLIT_TRY_ASSIGN(std::string who, RequiredText(officer, "officer", kMaxOfficerLength));
  TILLIT_TRY_ASSIGN(size_t index, FindMatch(workflow, identifier));
  Workflow next = workflow;
  next.matches[index].resolution = Resolution::kSame;
  next.matches[index].officer = std::move(who);
  next.matches[index].reason.clear();
  next.state = EnrolmentState::kDuplicate;
  next.duplicate_of = std::string(identifier);
  return next;
}

Result<Workflow> ResolveDifferent(const Workflow& workflow, std::string_view officer,
                                  std::string_view identifier, std::string_view reason) {
  if (!IsResolvable(workflow.state)) return InvalidTransition("resolve", workflow.state);
  TILLIT_TRY_ASSIGN(std::string who, RequiredText(officer, "officer", kMaxOfficerLength));
  TILLIT_TRY_ASSIGN(size_t index, FindMatch(workflow, identifier));
  TILLIT_TRY_ASSIGN(std::string why, RequiredText(reason, "reason", kMaxReasonLength));
  Workflow next = workflow;
  next.matches[index] = {std::string(identifier), Resolution::kDifferent, std::move(who),
                         std::move(why)};
  return next;
}

Result<Workflow> Approve(const Workflow& workflow, std::string_view officer) {
  if (workflow.state != EnrolmentState::kNeedsApproval) {
    return InvalidTransition("approve", workflow.state);
  }
  TILLIT_TRY_ASSIGN(std::string who, RequiredText(officer, "officer", kMaxOfficerLength));
  if (SameOfficer(who, workflow.created_by)) {
    return MakeError("sameOfficer",
                     "officer: the officer who created the enrolment cannot approve it");
  }
  if (HasUnresolvedMatch(workflow)) {
    return MakeError("unresolvedMatches",
                     "every possible match must be resolved (same or different) before approval");
  }
  Workflow next = workflow;
  next.state = EnrolmentState::kApproved;
  next.approved_by = std::move(who);
  return next;
}

Result<Workflow> Issue(const Workflow& workflow, std::string_view identifier) {
  if (workflow.state == EnrolmentState::kNeedsApproval) {
    return MakeError("approvalRequired",
                     "a second officer must approve this enrolment before it is issued");
  }
  if (workflow.state != EnrolmentState::kReady && workflow.state != EnrolmentState::kApproved) {
    return InvalidTransition("issue", workflow.state);
  }
  if (HasUnresolvedMatch(workflow)) {
    // Unreachable through these functions (matches force needs-approval), but a stored
    // record could be edited; the rule is checked, not assumed.
    return MakeError("approvalRequired", "a possible match is unresolved");
  }
  TILLIT_TRY_ASSIGN(std::string id, RequiredText(identifier, "identifier", kMaxIdentifierLength));
  Workflow next = workflow;
  next.state = EnrolmentState::kIssued;
  next.identifier = std::move(id);
  return next;
}

Result<Workflow> Reject(const Workflow& workflow, std::string_view officer,
                        std::string_view reason) {
  if (workflow.state != EnrolmentState::kReady &&
      workflow.state != EnrolmentState::kNeedsApproval &&
      workflow.state != EnrolmentState::kApproved) {
    return InvalidTransition("reject", workflow.state);
  }
  TILLIT_TRY_ASSIGN(std::string who, RequiredText(officer, "officer", kMaxOfficerLength));
  TILLIT_TRY_ASSIGN(std::string why, RequiredText(reason, "reason", kMaxReasonLength));
  Workflow next = workflow;
  next.state = EnrolmentState::kRejected;
  next.rejected_by = std::move(who);
  next.rejection_reason = std::move(why);
  return next;
}

}  // namespace tillit::enrolment
