// The duplicate search: is the person at the desk already enrolled? A hard match (same
// document, samordningsnummer or Migrationsverket case number) means no new identifier;
// a possible match (similar name, compatible birth date, same nationality) must be
// resolved by an officer. Rules and examples: docs/duplicates.md.
//
// Storage does not scan everyone: it looks up HardMatchKeys() and NameKeys() in index
// tables ("WHERE key IN (...)") and passes the persons found to Classify().
//
// Thread safety: all functions are pure.
#pragma once

#include <string>
#include <vector>

#include "tillit/enrolment/enrolment.h"
#include "tillit/enrolment/evidence.h"
#include "tillit/enrolment/names.h"
#include "tillit/enrolment/person.h"

namespace tillit::enrolment {

// A person who already holds an identifier, as storage returns them.
struct ExistingPerson {
  std::string identifier;
  PersonRecord person;
  std::vector<Evidence> evidence;
};

// The exact-match keys of a person and their evidence, for a storage index:
//   "document:<type>:<country>:<number>"  every item but none and samordningsnummer-styrkt
//                                         (number normalised);
//   "samordningsnummer:<12 digits>"  the person's and a samordningsnummer-styrkt item's;
//   "case:<NN-NNNNNN>"  the person's case number and any LMA card's.
// Two enrolments are a hard match exactly when their key sets intersect. Sorted, distinct.
std::vector<std::string> HardMatchKeys(const PersonRecord& person,
                                       const std::vector<Evidence>& evidence);

// The comparison of two person records beyond hard matching.
struct MatchScore {
  NameSimilarity name;
  bool birth_compatible = false;        // same date, same year, or either unknown
  bool nationality_compatible = false;  // same code, or either XXX (unspecified)
  bool possible_match = false;          // name.similar && both of the above
  std::vector<std::string> reasons;     // one line per criterion, for the desk
};

// Compares two records (symmetric in everything but the wording of `reasons`).
MatchScore Compare(const PersonRecord& a, const PersonRecord& b);

struct HardMatch {
  std::string identifier;
  std::string rule;    // "sameDocument", "sameSamordningsnummer" or "sameCaseNumber"
  std::string detail;  // which document or number, for the desk
};

struct PossibleMatch {
  std::string identifier;
  MatchScore score;
};

struct DuplicateCheck {
  std::vector<HardMatch> hard;          // in the order of `others`, one per rule hit
  std::vector<PossibleMatch> possible;  // best name score first; never a hard-matched person
};

// Classifies a candidate enrolment against existing persons (normally those storage found
// through the keys above; passing everyone gives the same answer, only slower). A person
// listed more than once (found through several keys) is considered once.
DuplicateCheck Classify(const Enrolment& candidate, const std::vector<ExistingPerson>& others);

}  // namespace tillit::enrolment
