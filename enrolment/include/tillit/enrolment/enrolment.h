// One enrolment as the desk records it: the person, the evidence shown and the checks
// performed. It is the input of the assurance decision (assurance.h) and of the
// duplicate search (duplicates.h); the officers and the workflow state are in workflow.h.
//
// Thread safety: plain values; all functions are pure.
#pragma once

#include <vector>

#include "tillit/enrolment/date.h"
#include "tillit/enrolment/evidence.h"
#include "tillit/enrolment/person.h"
#include "tillit/result.h"

namespace tillit::enrolment {

struct Enrolment {
  PersonRecord person;
  std::vector<Evidence> evidence;  // one or more; exactly {none} when nothing was shown
  CheckSet checks;                 // for the enrolment as a whole

  friend bool operator==(const Enrolment&, const Enrolment&) = default;
};

// Checks everything an assurance decision relies on, as of `today`:
//   the person record (ValidatePersonRecord);
//   at least one evidence item, each valid and unexpired (ValidateEvidence), "none" only
//   on its own, no item listed twice;
//   samordningsnummer-styrkt names the person's samordningsnummer (which must be given);
//   an LMA card's case number equals the person's Migrationsverket case number, if given.
// Errors: "invalidParameters" ("evidence[1].number: ..."), "expiredEvidence".
Status ValidateEnrolment(const Enrolment& enrolment, const Date& today);

}  // namespace tillit::enrolment
