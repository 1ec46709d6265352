// The certificate policy OIDs of the eID credential: which assurance level a holder
// certificate attests, and which class of evidence the identity was established from.
// Both travel in the certificatePolicies extension (RFC 5280 §4.2.1.4) so that any X.509
// stack can read them without knowing a private extension. See docs/credential.md §2.
//
// The arc is an ITU-T X.667 UUID OID (2.25.<UUID as an integer>), which needs no
// registration. Every OID here is part of the credential format: DO NOT CHANGE.
//
// Thread safety: constants and pure functions only.
#pragma once

#include <optional>
#include <string>
#include <string_view>

namespace tillit::credential {

// 2.25 + UUID 9915c6bb-e549-4f53-a3c4-5be1738b946c. DO NOT CHANGE.
inline constexpr std::string_view kPolicyArcOid = "2.25.203484952392849966576409143629354603628";

// Assurance levels a holder certificate may carry (DIGG tillitsnivå; Tillit never issues
// level 4). The level policy is <arc>.1.<level>. DO NOT CHANGE.
inline constexpr int kMinAssuranceLevel = 1;
inline constexpr int kMaxAssuranceLevel = 3;

// The class of evidence the holder's identity was established from, carried as the optional
// second policy <arc>.2.<value>. The numeric values are part of the format. DO NOT CHANGE.
enum class EvidenceClass : int {
  // An identity document issued to the person by a state: a passport or other travel
  // document, or a national identity card (checked in person, ideally with a chip read).
  kIdentityDocument = 1,
  // A document issued by a Swedish authority that the authority based on its own identity
  // check: residence permit card, Migrationsverket decision, LMA card, a samordningsnummer
  // with identity marked "styrkt". (An LMA card is not an identity document; it counts here
  // only as a Swedish authority's record.)
  kSwedishAuthorityDocument = 2,
  // Anything weaker: vouching, a samordningsnummer marked "sannolik"/"osäker", no document.
  kOther = 3,
};

// The level policy OID "<arc>.1.<level>". `level` outside [kMinAssuranceLevel,
// kMaxAssuranceLevel] is a programmer error and aborts.
std::string AssuranceLevelPolicyOid(int level);

// The evidence policy OID "<arc>.2.<value>".
std::string EvidenceClassPolicyOid(EvidenceClass evidence_class);

// The level a dotted OID stands for, or nullopt if it is not a level policy of this arc.
std::optional<int> AssuranceLevelFromPolicyOid(std::string_view oid);

// The evidence class a dotted OID stands for, or nullopt if it is not an evidence policy of
// this arc (including unknown values <arc>.2.<n>).
std::optional<EvidenceClass> EvidenceClassFromPolicyOid(std::string_view oid);

// Stable camelCase name for logs and JSON: "identityDocument", "swedishAuthorityDocument",
// "other".
std::string_view EvidenceClassName(EvidenceClass evidence_class);

}  // namespace tillit::credential
