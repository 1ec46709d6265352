// Whole-enrolment validation (tillit/enrolment/enrolment.h).
#include "tillit/enrolment/enrolment.h"

#include <string>

#include "text.h"

namespace tillit::enrolment {
namespace {

std::string ItemField(size_t index) { return "evidence[" + std::to_string(index) + "]"; }

}  // namespace

Status ValidateEnrolment(const Enrolment& enrolment, const Date& today) {
  TILLIT_TRY(ValidatePersonRecord(enrolment.person, today));
  const auto& items = enrolment.evidence;
  if (items.empty()) {
    return internal::FieldError("evidence",
                                "at least one item is required (\"none\" if nothing was shown)");
  }
  for (size_t i = 0; i < items.size(); ++i) {
    const std::string field = ItemField(i);
    TILLIT_TRY(ValidateEvidence(items[i], today, field));
    if (items[i].type == EvidenceType::kNone && items.size() > 1) {
      return internal::FieldError(field + ".type", "none cannot be combined with other evidence");
    }
    for (size_t j = 0; j < i; ++j) {
      if (items[j].type == items[i].type && items[j].number == items[i].number &&
          items[j].issuing_country == items[i].issuing_country) {
        return internal::FieldError(field, "is the same document as " + ItemField(j));
      }
    }
    if (items[i].type == EvidenceType::kSamordningsnummerStyrkt &&
        enrolment.person.samordningsnummer != items[i].number) {
      return internal::FieldError(field + ".number",
                                  "must equal the person's samordningsnummer, which must be given");
    }
    const auto case_number = CaseNumberOf(items[i]);
    if (case_number && enrolment.person.migrationsverket_case &&
        *case_number != *enrolment.person.migrationsverket_case) {
      return internal::FieldError(field + ".number",
                                  "LMA card case number differs from migrationsverketCase");
    }
  }
  return {};
}

}  // namespace tillit::enrolment
