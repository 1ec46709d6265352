// Evidence items, checks and the TYPE:NUMBER:COUNTRY:EXPIRY shorthand
// (tillit/enrolment/evidence.h, docs/assurance.md §Evidence).
#include "tillit/enrolment/evidence.h"

#include <array>
#include <utility>

#include "text.h"
#include "tillit/enrolment/country.h"
#include "tillit/enrolment/person.h"

namespace tillit::enrolment {
namespace {

using internal::FieldError;

constexpr std::array<std::pair<EvidenceType, std::string_view>, 7> kTypeNames = {{
    {EvidenceType::kPassport, "passport"},
    {EvidenceType::kNationalIdCard, "national-id-card"},
    {EvidenceType::kResidencePermit, "residence-permit"},
    {EvidenceType::kMigrationsverketDecision, "migrationsverket-decision"},
    {EvidenceType::kLmaCard, "lma-card"},
    {EvidenceType::kSamordningsnummerStyrkt, "samordningsnummer-styrkt"},
    {EvidenceType::kNone, "none"},
}};

constexpr std::array<std::pair<Check, std::string_view>, 4> kCheckNames = {{
    {Check::kVisualSecurityFeatures, "visual-security-features"},
    {Check::kChipRead, "chip-read"},
    {Check::kRegisterLookup, "register-lookup"},
    {Check::kFaceToPhoto, "face-to-photo"},
}};

constexpr size_t kMinDocumentNumber = 3;
constexpr size_t kMaxDocumentNumber = 30;

std::string Sub(std::string_view field, std::string_view name) {
  std::string out(field);
  out += '.';
  out += name;
  return out;
}

bool IsAsciiAlnum(char c) {
  return (c >= '0' && c <= '9') || (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z');
}

Result<std::string> ParseLmaCardNumber(std::string_view text, std::string_view field) {
  const std::string_view trimmed = internal::TrimSpaces(text);
  const size_t slash = trimmed.find('/');
  TILLIT_TRY_ASSIGN(std::string case_number, ParseCaseNumber(trimmed.substr(0, slash), field));
  std::string number = NormaliseDocumentNumber(case_number);
  if (slash != std::string_view::npos) {
    const std::string_view serial = trimmed.substr(slash + 1);
    if (serial.empty() || serial.size() > 4) {
      return FieldError(field, "LMA card serial after '/' must be 1-4 digits");
    }
    for (char c : serial) {
      if (c < '0' || c > '9') {
        return FieldError(field, "LMA card serial after '/' must be 1-4 digits");
      }
    }
    number += '/';
    number += serial;
  }
  return number;
}

Result<std::string> ParseGenericNumber(std::string_view text, std::string_view field) {
  for (char c : text) {
    if (!IsAsciiAlnum(c) && c != ' ' && c != '-') {
      return FieldError(field, "must contain only letters A-Z, digits, spaces and hyphens");
    }
  }
  std::string number = NormaliseDocumentNumber(text);
  if (number.size() < kMinDocumentNumber || number.size() > kMaxDocumentNumber) {
    return FieldError(field, "must have 3-30 letters and digits");
  }
  return number;
}

Result<std::string> ParseNumber(EvidenceType type, std::string_view text, const Date& today,
                                std::string_view field) {
  switch (type) {
    case EvidenceType::kNone:
      if (!text.empty()) return FieldError(field, "must be empty for evidence type none");
      return std::string();
    case EvidenceType::kSamordningsnummerStyrkt: {
      auto number = identifier::ParseSwedishNumber(internal::TrimSpaces(text), today);
      if (!number.ok() || number->kind() != identifier::SwedishNumberKind::kSamordningsnummer) {
        return FieldError(field, "must be a valid samordningsnummer");
      }
      return number->canonical();
    }
    case EvidenceType::kLmaCard:
      return ParseLmaCardNumber(text, field);
    default:
      return ParseGenericNumber(text, field);
  }
}

Result<std::string> ParseIssuer(EvidenceType type, std::string_view text, std::string_view field) {
  if (type == EvidenceType::kNone) {
    if (!text.empty()) return FieldError(field, "must be empty for evidence type none");
    return std::string();
  }
  if (IsSwedishAuthorityEvidence(type)) {
    if (internal::TrimSpaces(text).empty()) return std::string("SWE");
    TILLIT_TRY_ASSIGN(std::string code, ParseCountryCode(text, field));
    if (code != "SWE") {
      return FieldError(field, "must be SWE: only a Swedish authority issues this evidence");
    }
    return code;
  }
  TILLIT_TRY_ASSIGN(std::string code, ParseCountryCode(text, field));
  if (IsHolderStatusCode(code)) {
    return FieldError(field, "XXA, XXB, XXC and XXX describe a holder, not an issuer");
  }
  return code;
}

Result<std::optional<Date>> ParseExpiry(EvidenceType type, std::string_view text,
                                        std::string_view field) {
  const ExpiryRule rule = ExpiryRuleFor(type);
  if (text.empty()) {
    if (rule == ExpiryRule::kRequired) {
      return FieldError(field, "is required for this evidence type");
    }
    return std::optional<Date>();
  }
  if (rule == ExpiryRule::kNone) {
    return FieldError(field, "must be empty: this evidence type has no expiry date");
  }
  TILLIT_TRY_ASSIGN(Date date, ParseDate(text, field));
  return std::optional<Date>(date);
}

Status CheckNotExpired(const Evidence& evidence, const Date& today, std::string_view field) {
  // Valid through the printed day itself; refused from the day after.
  if (evidence.expiry && *evidence.expiry < today) {
    return MakeError("expiredEvidence", std::string(field) + ": " +
                                            std::string(EvidenceTypeName(evidence.type)) +
                                            " expired on " + SerializeDate(*evidence.expiry) +
                                            "; an expired document is not identity evidence");
  }
  return {};
}

}  // namespace

std::string_view EvidenceTypeName(EvidenceType type) {
  for (const auto& [value, name] : kTypeNames) {
    if (value == type) return name;
  }
  TILLIT_CHECK(false);
  return {};
}

Result<EvidenceType> ParseEvidenceType(std::string_view text, std::string_view field) {
  for (const auto& [value, name] : kTypeNames) {
    if (name == text) return value;
  }
  return FieldError(field,
                    "must be one of passport, national-id-card, residence-permit, "
                    "migrationsverket-decision, lma-card, samordningsnummer-styrkt, none");
}

std::string_view CheckName(Check check) {
  for (const auto& [value, name] : kCheckNames) {
    if (value == check) return name;
  }
  TILLIT_CHECK(false);
  return {};
}

Result<Check> ParseCheck(std::string_view text, std::string_view field) {
  for (const auto& [value, name] : kCheckNames) {
    if (name == text) return value;
  }
  return FieldError(field,
                    "must be one of visual-security-features, chip-read, register-lookup, "
                    "face-to-photo");
}

Result<CheckSet> ParseCheckList(std::string_view text) {
  CheckSet checks;
  if (text.empty()) return checks;
  size_t start = 0;
  while (true) {
    const size_t comma = text.find(',', start);
    const std::string_view item = text.substr(
        start, comma == std::string_view::npos ? std::string_view::npos : comma - start);
    TILLIT_TRY_ASSIGN(Check check, ParseCheck(item, "checks"));
    if (!checks.insert(check).second) {
      return FieldError("checks", "lists " + std::string(item) + " twice");
    }
    if (comma == std::string_view::npos) break;
    start = comma + 1;
  }
  return checks;
}

std::string SerializeCheckList(const CheckSet& checks) {
  std::string out;
  for (Check check : checks) {
    if (!out.empty()) out += ',';
    out += CheckName(check);
  }
  return out;
}

bool IsIdentityDocument(EvidenceType type) {
  return type == EvidenceType::kPassport || type == EvidenceType::kNationalIdCard;
}

bool IsSwedishAuthorityEvidence(EvidenceType type) {
  return type == EvidenceType::kResidencePermit ||
         type == EvidenceType::kMigrationsverketDecision || type == EvidenceType::kLmaCard ||
         type == EvidenceType::kSamordningsnummerStyrkt;
}

ExpiryRule ExpiryRuleFor(EvidenceType type) {
  switch (type) {
    case EvidenceType::kPassport:
    case EvidenceType::kNationalIdCard:
    case EvidenceType::kResidencePermit:
      return ExpiryRule::kRequired;
    case EvidenceType::kLmaCard:
      return ExpiryRule::kOptional;
    case EvidenceType::kMigrationsverketDecision:
    case EvidenceType::kSamordningsnummerStyrkt:
    case EvidenceType::kNone:
      return ExpiryRule::kNone;
  }
  TILLIT_CHECK(false);
  return ExpiryRule::kNone;
}

std::string NormaliseDocumentNumber(std::string_view number) {
  std::string out;
  out.reserve(number.size());
  for (char c : number) {
    if (c == ' ' || c == '-') continue;
    out.push_back((c >= 'a' && c <= 'z') ? static_cast<char>(c - 'a' + 'A') : c);
  }
  return out;
}

std::optional<std::string> CaseNumberOf(const Evidence& evidence) {
  if (evidence.type != EvidenceType::kLmaCard || evidence.number.size() < 8) {
    return std::nullopt;
  }
  return evidence.number.substr(0, 2) + "-" + evidence.number.substr(2, 6);
}

Result<Evidence> CreateEvidence(std::string_view type, std::string_view number,
                                std::string_view issuing_country, std::string_view expiry,
                                const Date& today, std::string_view field) {
  Evidence evidence;
  TILLIT_TRY_ASSIGN(evidence.type, ParseEvidenceType(type, Sub(field, "type")));
  TILLIT_TRY_ASSIGN(evidence.number,
                    ParseNumber(evidence.type, number, today, Sub(field, "number")));
  TILLIT_TRY_ASSIGN(evidence.issuing_country,
                    ParseIssuer(evidence.type, issuing_country, Sub(field, "issuingCountry")));
  TILLIT_TRY_ASSIGN(evidence.expiry, ParseExpiry(evidence.type, expiry, Sub(field, "expiry")));
  TILLIT_TRY(CheckNotExpired(evidence, today, field));
  return evidence;
}

Result<Evidence> ParseEvidence(std::string_view shorthand, const Date& today,
                               std::string_view field) {
  if (shorthand == "none") return CreateEvidence("none", "", "", "", today, field);
  std::array<std::string_view, 4> parts;
  size_t start = 0;
  for (size_t i = 0; i < parts.size(); ++i) {
    const size_t colon = shorthand.find(':', start);
    const bool last = i + 1 == parts.size();
    if (last != (colon == std::string_view::npos)) {
      return internal::FieldError(field, "must be TYPE:NUMBER:COUNTRY:EXPIRY (three colons)");
    }
    parts[i] = shorthand.substr(start, last ? std::string_view::npos : colon - start);
    start = colon + 1;
  }
  return CreateEvidence(parts[0], parts[1], parts[2], parts[3], today, field);
}

std::string SerializeEvidence(const Evidence& evidence) {
  std::string out(EvidenceTypeName(evidence.type));
  out += ':';
  out += evidence.number;
  out += ':';
  out += evidence.issuing_country;
  out += ':';
  if (evidence.expiry) out += SerializeDate(*evidence.expiry);
  return out;
}

Status ValidateEvidence(const Evidence& evidence, const Date& today, std::string_view field) {
  const std::string expiry = evidence.expiry ? SerializeDate(*evidence.expiry) : std::string();
  TILLIT_TRY_ASSIGN(Evidence canonical,
                    CreateEvidence(EvidenceTypeName(evidence.type), evidence.number,
                                   evidence.issuing_country, expiry, today, field));
  if (canonical.number != evidence.number) {
    return FieldError(Sub(field, "number"), "is not in canonical form");
  }
  if (canonical.issuing_country != evidence.issuing_country) {
    return FieldError(Sub(field, "issuingCountry"), "is not in canonical form");
  }
  return {};
}

}  // namespace tillit::enrolment
