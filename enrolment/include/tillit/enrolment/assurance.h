// The assurance decision: which identity assurance level (tillitsnivå) an enrolment
// supports, and why. The rule table and its reasoning are in docs/assurance.md; the code
// in assurance.cpp is that table, row by row. Level 4 is never reached (design.md: "DIGG's
// tillitsnivå 2/3 for non-residents; never 4"): the enum has no value for it.
//
// Thread safety: all functions are pure.
#pragma once

#include <string>
#include <string_view>
#include <vector>

#include "tillit/enrolment/date.h"
#include "tillit/enrolment/enrolment.h"
#include "tillit/result.h"

namespace tillit::enrolment {

// DIGG tillitsnivå, loosely NIST SP 800-63A IAL (docs/assurance.md §Levels). The numbers
// are stored with the credential and compared by e-services: DO NOT CHANGE.
enum class AssuranceLevel { kLevel1 = 1, kLevel2 = 2, kLevel3 = 3 };

int LevelNumber(AssuranceLevel level);
// "1", "2" or "3"; anything else (including "4") is refused.
// Errors: "invalidParameters" naming `field`.
Result<AssuranceLevel> ParseAssuranceLevel(std::string_view text, std::string_view field = "level");

// One line of the explanation the desk shows.
struct AssuranceReason {
  // Stable id: a rule of the table ("identityDocumentVerified", "residencePermit",
  // "lmaCardRegistered", "samordningsnummerStyrkt", "baseline") when `matched`, or a note
  // on why a rule did not apply ("identityDocumentUnverified", "noFaceToPhoto",
  // "lmaCardNotRegistered", "lmaCardNotIdentityDocument", "decisionHasNoPhoto",
  // "noEvidence").
  std::string rule;
  bool matched = false;
  AssuranceLevel level = AssuranceLevel::kLevel1;  // the level the rule gives (or would give)
  std::string text;                                // for people; may change

  friend bool operator==(const AssuranceReason&, const AssuranceReason&) = default;
};

struct AssuranceDecision {
  AssuranceLevel level = AssuranceLevel::kLevel1;
  // Every rule that matched, highest level first (the first decides the level), then the
  // notes. Never empty: "baseline" always matches.
  std::vector<AssuranceReason> reasons;
};

// Validates the enrolment (ValidateEnrolment: an expired document is refused, not
// silently ignored) and applies the rule table. The level is the highest level of any
// matching rule. Errors: those of ValidateEnrolment ("invalidParameters",
// "expiredEvidence").
Result<AssuranceDecision> Decide(const Enrolment& enrolment, const Date& today);

// Four-eyes rule (design.md §Assurance): an enrolment at level 1, or one with a possible
// duplicate nobody has resolved, must be approved by a second, different officer before
// an identifier is issued.
bool NeedsApproval(AssuranceLevel level, bool has_unresolved_possible_match);

}  // namespace tillit::enrolment
