// The policy OIDs of the credential; see tillit/credential/policy.h.
#include "tillit/credential/policy.h"

#include <charconv>

#include "tillit/check.h"

namespace tillit::credential {
namespace {

// If `oid` is "<arc>.<branch>.<n>" with n a plain decimal (no sign, no leading zero), n.
std::optional<int> ArcValue(std::string_view oid, std::string_view branch) {
  if (oid.size() <= kPolicyArcOid.size() || oid.substr(0, kPolicyArcOid.size()) != kPolicyArcOid) {
    return std::nullopt;
  }
  oid.remove_prefix(kPolicyArcOid.size());
  if (oid.size() < branch.size() + 3 || oid[0] != '.' || oid.substr(1, branch.size()) != branch ||
      oid[1 + branch.size()] != '.') {
    return std::nullopt;
  }
  const std::string_view digits = oid.substr(branch.size() + 2);
  if (digits.empty() || digits.size() > 6 || digits[0] == '0') return std::nullopt;
  int value = 0;
  const auto [end, ec] = std::from_chars(digits.data(), digits.data() + digits.size(), value);
  if (ec != std::errc() || end != digits.data() + digits.size()) return std::nullopt;
  return value;
}

}  // namespace

std::string AssuranceLevelPolicyOid(int level) {
  TILLIT_CHECK(level >= kMinAssuranceLevel && level <= kMaxAssuranceLevel);
  return std::string(kPolicyArcOid) + ".1." + std::to_string(level);
}

std::string EvidenceClassPolicyOid(EvidenceClass evidence_class) {
  const int value = static_cast<int>(evidence_class);
  TILLIT_CHECK(value >= 1 && value <= 3);  // a cast to the enum from an unknown number
  return std::string(kPolicyArcOid) + ".2." + std::to_string(static_cast<int>(evidence_class));
}

std::optional<int> AssuranceLevelFromPolicyOid(std::string_view oid) {
  const std::optional<int> level = ArcValue(oid, "1");
  if (!level || *level < kMinAssuranceLevel || *level > kMaxAssuranceLevel) return std::nullopt;
  return level;
}

std::optional<EvidenceClass> EvidenceClassFromPolicyOid(std::string_view oid) {
  switch (ArcValue(oid, "2").value_or(0)) {
    case 1:
      return EvidenceClass::kIdentityDocument;
    case 2:
      return EvidenceClass::kSwedishAuthorityDocument;
    case 3:
      return EvidenceClass::kOther;
    default:
      return std::nullopt;
  }
}

std::string_view EvidenceClassName(EvidenceClass evidence_class) {
  switch (evidence_class) {
    case EvidenceClass::kIdentityDocument:
      return "identityDocument";
    case EvidenceClass::kSwedishAuthorityDocument:
      return "swedishAuthorityDocument";
    case EvidenceClass::kOther:
      return "other";
  }
  TILLIT_CHECK(false);  // not a value of the enum
  return {};
}

}  // namespace tillit::credential
