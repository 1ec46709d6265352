// Evidence of identity shown at the desk, and the checks the officer performed. The type
// and check names are API values (the desk page, the CLI and stored records use them):
// DO NOT CHANGE a name once released. Which fields each type needs is documented in
// docs/assurance.md §Evidence; the CLI/API shorthand is TYPE:NUMBER:COUNTRY:EXPIRY.
//
// Thread safety: plain values; all functions are pure.
#pragma once

#include <optional>
#include <set>
#include <string>
#include <string_view>

#include "tillit/enrolment/date.h"
#include "tillit/result.h"

namespace tillit::enrolment {

enum class EvidenceType {
  kPassport,                  // "passport"
  kNationalIdCard,            // "national-id-card"
  kResidencePermit,           // "residence-permit" (Swedish UT-kort, with photo)
  kMigrationsverketDecision,  // "migrationsverket-decision" (paper, no photo)
  kLmaCard,                   // "lma-card": asylum-seeker status, NOT an identity document
  kSamordningsnummerStyrkt,   // "samordningsnummer-styrkt": identity verified by Skatteverket
  kNone,                      // "none": no document at all
};

enum class Check {
  kVisualSecurityFeatures,  // "visual-security-features"
  kChipRead,                // "chip-read" (eMRTD chip read and its signature verified)
  kRegisterLookup,          // "register-lookup" (Migrationsverket / Skatteverket register)
  kFaceToPhoto,             // "face-to-photo" (the person compared with the document photo)
};

// The checks performed in one enrolment: one set for the whole enrolment, not per item.
using CheckSet = std::set<Check>;

// Whether a type carries a printed expiry date. kRequired: must be given; kOptional: may
// be given (LMA cards issued since 2022 print none, their validity is in Migrationsverket's
// register); kNone: must be empty (a decision or a register status does not expire).
enum class ExpiryRule { kRequired, kOptional, kNone };

// One document. All fields are canonical (see CreateEvidence).
struct Evidence {
  EvidenceType type = EvidenceType::kNone;
  // NormaliseDocumentNumber() of what was typed; for samordningsnummer-styrkt the
  // 12-digit samordningsnummer; empty only for kNone.
  std::string number;
  // Canonical issuing-country code; "SWE" for the Swedish authority documents; empty only
  // for kNone.
  std::string issuing_country;
  std::optional<Date> expiry;

  friend bool operator==(const Evidence&, const Evidence&) = default;
};

std::string_view EvidenceTypeName(EvidenceType type);
// Errors: "invalidParameters" naming `field` for any string that is not a type name.
Result<EvidenceType> ParseEvidenceType(std::string_view text, std::string_view field);

std::string_view CheckName(Check check);
// Errors: "invalidParameters" naming `field`.
Result<Check> ParseCheck(std::string_view text, std::string_view field);
// Parses a comma-separated list ("chip-read,face-to-photo"; "" is the empty set).
// Repeats are refused so a typo cannot hide. Errors: "invalidParameters" ("checks: ...").
Result<CheckSet> ParseCheckList(std::string_view text);
// Names in enum order, comma-separated: the inverse of ParseCheckList.
std::string SerializeCheckList(const CheckSet& checks);

// True for passport and national ID card: the authentic identity documents that can
// support level 3 (docs/assurance.md).
bool IsIdentityDocument(EvidenceType type);
// True for the types only a Swedish authority issues; their country is always SWE.
bool IsSwedishAuthorityEvidence(EvidenceType type);
ExpiryRule ExpiryRuleFor(EvidenceType type);

// Upper-cases and removes spaces and hyphens: "ab 12-34" and "AB1234" are one document.
std::string NormaliseDocumentNumber(std::string_view number);

// The Migrationsverket case number (NN-NNNNNN) an LMA card number carries before its
// card serial ("12345678/2" -> "12-345678"); nullopt for other types.
std::optional<std::string> CaseNumberOf(const Evidence& evidence);

// Builds one evidence item from its four fields as received (the `field` prefix, e.g.
// "evidence[0]", names the item in messages). Rules, in order:
//   type      one of the names above;
//   number    kNone: empty. samordningsnummer-styrkt: a valid samordningsnummer (needs
//             `today` for the century of the 10-digit form). lma-card: NN-NNNNNN with an
//             optional "/serial". Others: letters, digits, spaces and hyphens, 3..30
//             characters after NormaliseDocumentNumber;
//   country   kNone: empty. Swedish authority types: SWE (empty is read as SWE). Others:
//             a known code that is not a holder status (XXA/XXB/XXC/XXX);
//   expiry    YYYY-MM-DD or empty, as ExpiryRuleFor says;
//   not expired: an expiry before `today` is refused as identity evidence.
// Errors: "invalidParameters" ("evidence[0].number: ..."), "expiredEvidence".
Result<Evidence> CreateEvidence(std::string_view type, std::string_view number,
                                std::string_view issuing_country, std::string_view expiry,
                                const Date& today, std::string_view field = "evidence");

// Parses the shorthand TYPE:NUMBER:COUNTRY:EXPIRY (exactly three colons; EXPIRY and, for
// Swedish authority types, COUNTRY may be empty), e.g. "passport:N1234567:SYR:2030-01-31",
// "lma-card:12-345678/1::", or the bare word "none". Same rules and errors as
// CreateEvidence.
Result<Evidence> ParseEvidence(std::string_view shorthand, const Date& today,
                               std::string_view field = "evidence");

// TYPE:NUMBER:COUNTRY:EXPIRY with canonical fields ("none:::" for kNone); ParseEvidence
// of the result gives back an equal Evidence while it has not expired.
std::string SerializeEvidence(const Evidence& evidence);

// Re-checks an item against `today` (an item created last week may have expired since):
// every rule of CreateEvidence on its canonical fields.
// Errors: "invalidParameters", "expiredEvidence".
Status ValidateEvidence(const Evidence& evidence, const Date& today,
                        std::string_view field = "evidence");

}  // namespace tillit::enrolment
