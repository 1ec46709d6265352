// The rule table of docs/assurance.md §Rules, applied to a validated enrolment.
#include "tillit/enrolment/assurance.h"

#include <algorithm>

#include "text.h"

namespace tillit::enrolment {
namespace {

bool Has(const CheckSet& checks, Check check) { return checks.count(check) != 0; }

bool HasType(const Enrolment& enrolment, EvidenceType type) {
  return std::any_of(enrolment.evidence.begin(), enrolment.evidence.end(),
                     [type](const Evidence& e) { return e.type == type; });
}

// A rule of the table: the evidence it needs, the checks it needs, the level it gives.
struct Rule {
  std::string_view id;
  AssuranceLevel level;
  bool (*evidence)(EvidenceType);
  bool (*checks)(const CheckSet&);
  std::string_view text;
};

bool VerifiedWithFace(const CheckSet& c) {
  return (Has(c, Check::kChipRead) || Has(c, Check::kVisualSecurityFeatures)) &&
         Has(c, Check::kFaceToPhoto);
}
bool FaceOnly(const CheckSet& c) { return Has(c, Check::kFaceToPhoto); }
bool RegisterAndFace(const CheckSet& c) {
  return Has(c, Check::kRegisterLookup) && Has(c, Check::kFaceToPhoto);
}

// docs/assurance.md §Rules, in the order of that table. DO NOT CHANGE without changing
// the document (and the levels already issued stay as they were decided).
constexpr Rule kRules[] = {
    {"identityDocumentVerified", AssuranceLevel::kLevel3, IsIdentityDocument, VerifiedWithFace,
     "authentic identity document (passport or national ID card) verified by chip read or "
     "visual security features, and the holder matched to its photo"},
    {"residencePermit", AssuranceLevel::kLevel2,
     [](EvidenceType t) { return t == EvidenceType::kResidencePermit; }, FaceOnly,
     "Swedish residence permit card (photo issued by Migrationsverket), holder matched to "
     "its photo"},
    {"lmaCardRegistered", AssuranceLevel::kLevel2,
     [](EvidenceType t) { return t == EvidenceType::kLmaCard; }, RegisterAndFace,
     "LMA card confirmed in Migrationsverket's register, holder matched to its photo"},
    {"samordningsnummerStyrkt", AssuranceLevel::kLevel2,
     [](EvidenceType t) { return t == EvidenceType::kSamordningsnummerStyrkt; }, FaceOnly,
     "samordningsnummer whose identity Skatteverket recorded as verified (styrkt), holder "
     "matched to a photo"},
};

AssuranceReason Matched(const Rule& rule) {
  return {std::string(rule.id), true, rule.level, std::string(rule.text)};
}

AssuranceReason Note(std::string_view id, AssuranceLevel level, std::string_view text) {
  return {std::string(id), false, level, std::string(text)};
}

}  // namespace

int LevelNumber(AssuranceLevel level) { return static_cast<int>(level); }

Result<AssuranceLevel> ParseAssuranceLevel(std::string_view text, std::string_view field) {
  if (text == "1") return AssuranceLevel::kLevel1;
  if (text == "2") return AssuranceLevel::kLevel2;
  if (text == "3") return AssuranceLevel::kLevel3;
  return internal::FieldError(field, "must be 1, 2 or 3 (Tillit never issues level 4)");
}

Result<AssuranceDecision> Decide(const Enrolment& enrolment, const Date& today) {
  TILLIT_TRY(ValidateEnrolment(enrolment, today));
  const CheckSet& checks = enrolment.checks;

  AssuranceDecision decision;
  for (const Rule& rule : kRules) {
    const bool evidence_present =
        std::any_of(enrolment.evidence.begin(), enrolment.evidence.end(),
                    [&rule](const Evidence& e) { return rule.evidence(e.type); });
    if (evidence_present && rule.checks(checks)) decision.reasons.push_back(Matched(rule));
  }
  decision.reasons.push_back({"baseline", true, AssuranceLevel::kLevel1,
                              "in-person enrolment with the evidence recorded; no rule for a "
                              "higher level matched"});
  // kRules is ordered by level, so the first match decides.
  decision.level = decision.reasons.front().level;

  // Notes: why a higher rule did not match, so the officer knows what would change it.
  const bool has_identity_document = HasType(enrolment, EvidenceType::kPassport) ||
                                     HasType(enrolment, EvidenceType::kNationalIdCard);
  const bool has_photo_evidence = has_identity_document ||
                                  HasType(enrolment, EvidenceType::kResidencePermit) ||
                                  HasType(enrolment, EvidenceType::kLmaCard) ||
                                  HasType(enrolment, EvidenceType::kSamordningsnummerStyrkt);
  if (has_identity_document && !Has(checks, Check::kChipRead) &&
      !Has(checks, Check::kVisualSecurityFeatures)) {
    decision.reasons.push_back(
        Note("identityDocumentUnverified", AssuranceLevel::kLevel3,
             "identity document shown but neither chip-read nor visual-security-features "
             "was performed, so it cannot support level 3"));
  }
  if (has_photo_evidence && !Has(checks, Check::kFaceToPhoto)) {
    decision.reasons.push_back(Note("noFaceToPhoto", AssuranceLevel::kLevel2,
                                    "no face-to-photo comparison: without it no evidence "
                                    "raises the level above 1"));
  }
  if (HasType(enrolment, EvidenceType::kLmaCard)) {
    if (!Has(checks, Check::kRegisterLookup)) {
      decision.reasons.push_back(
          Note("lmaCardNotRegistered", AssuranceLevel::kLevel2,
               "LMA card not confirmed by register-lookup: the card alone does not show it "
               "is current"));
    }
    decision.reasons.push_back(
        Note("lmaCardNotIdentityDocument", AssuranceLevel::kLevel2,
             "an LMA card proves asylum-seeker status, not identity: at most level 2"));
  }
  if (HasType(enrolment, EvidenceType::kMigrationsverketDecision)) {
    decision.reasons.push_back(
        Note("decisionHasNoPhoto", AssuranceLevel::kLevel1,
             "a Migrationsverket decision has no photo: it is recorded but raises no level"));
  }
  if (HasType(enrolment, EvidenceType::kNone)) {
    decision.reasons.push_back(
        Note("noEvidence", AssuranceLevel::kLevel1, "no document was shown: level 1"));
  }
  return decision;
}

bool NeedsApproval(AssuranceLevel level, bool has_unresolved_possible_match) {
  return level == AssuranceLevel::kLevel1 || has_unresolved_possible_match;
}

}  // namespace tillit::enrolment
