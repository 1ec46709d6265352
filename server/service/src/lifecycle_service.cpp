// LifecycleService: suspend, resume, device replacement and personnummer linking
// (docs/desk-api.md §After issue).
#include "tillit/service/lifecycle_service.h"

#include <algorithm>

#include "service_util.h"
#include "stored_request.h"
#include "tillit/crypto/random.h"
#include "tillit/enrolment/assurance.h"
#include "tillit/enrolment/enrolment.h"
#include "tillit/enrolment/workflow.h"
#include "tillit/identifier/identifier.h"
#include "tillit/identifier/swedish.h"

namespace tillit::service {
namespace {

namespace st = server::storage;
using internal::AppendAudit;
using internal::CheckReason;
using st::Durability;
using st::ReadTransaction;
using st::Transaction;

Result<std::string> CanonicalIdentifier(std::string_view text) {
  auto parsed = identifier::Identifier::Parse(text);
  if (!parsed.ok()) return MakeError("notFound", "no such identifier");
  return parsed->ToString();
}

// The person as enrolment/ validates it, from the stored row (stored values are canonical).
Result<enrolment::PersonRecord> RecordOf(const st::PersonRow& row, const enrolment::Date& today) {
  enrolment::PersonRecord out;
  out.given_name = row.given_name;
  out.surname = row.surname;
  out.original_name = row.original_name;
  TILLIT_TRY_ASSIGN(out.birth_date, enrolment::ParseBirthDate(row.birth_date, today));
  out.nationality = row.nationality;
  out.samordningsnummer = row.samordningsnummer;
  out.migrationsverket_case = row.case_number;
  return out;
}

std::string EvidenceTypes(const std::vector<enrolment::Evidence>& evidence) {
  std::string out;
  for (const auto& item : evidence) {
    if (!out.empty()) out += ",";
    out += enrolment::EvidenceTypeName(item.type);
  }
  return out;
}

Status CheckNotExpired(const std::vector<enrolment::Evidence>& evidence,
                       const enrolment::Date& today) {
  for (size_t i = 0; i < evidence.size(); ++i) {
    if (evidence[i].expiry && *evidence[i].expiry < today) {
      return MakeError("expiredEvidence",
                       "evidence[" + std::to_string(i) + "].expiry: the document has expired");
    }
  }
  return {};
}

}  // namespace

// Shared by Replace and CompleteReplacement, inside their transaction: checks the person
// may be replaced, records the documents, revokes, uses up old codes, sets the level and
// makes the new code. `row` is the replacement's enrolment row, already stored.
namespace {

Result<ReplacementResult> CarryOut(st::Store& store, const IssuerKeys& keys, Transaction& tx,
                                   const Officer& officer, const st::PersonRow& person,
                                   const st::EnrolmentRow& row,
                                   const std::vector<enrolment::Evidence>& evidence,
                                   const std::string& checks, int64_t now) {
  for (const auto& item : evidence) {
    if (item.type == enrolment::EvidenceType::kNone ||
        item.type == enrolment::EvidenceType::kSamordningsnummerStyrkt) {
      continue;
    }
    st::DocumentRow doc{.type = std::string(enrolment::EvidenceTypeName(item.type)),
                        .number_norm = item.number,
                        .country = item.issuing_country};
    TILLIT_TRY_ASSIGN(auto holder, store.persons().FindByDocument(tx, doc));
    if (holder && holder->identifier != person.identifier) {
      return MakeError("duplicate", "a document shown belongs to another person");
    }
    if (!holder) TILLIT_TRY(store.persons().AddDocument(tx, person.identifier, doc));
  }
  TILLIT_TRY_ASSIGN(auto revoked,
                    store.credentials().RevokeAllForIdentifier(
                        tx, person.identifier, std::string(kReplacedReasonPrefix) + row.id, now));
  TILLIT_TRY_ASSIGN(auto superseded,
                    store.activation_codes().SupersedeUnused(tx, person.identifier, now));
  TILLIT_TRY(store.persons().SetAssuranceLevel(tx, person.identifier, row.assurance_level));
  TILLIT_TRY_ASSIGN(auto issued,
                    internal::NewActivationCode(store, keys, tx, person.identifier, row.id, now));
  // Traceable without personal data: who (actor, and the approver), when, which evidence
  // types and checks; document numbers stay in the enrolment row.
  // An approved (level 1) replacement names its approver; its checks are in the request's
  // entry (deviceReplacementRequested) and the enrolment row.
  std::string detail = row.approved_by
                           ? internal::AuditDetail({{"enrolmentId", row.id},
                                                    {"evidence", EvidenceTypes(evidence)},
                                                    {"requestedBy", row.created_by},
                                                    {"approvedBy", *row.approved_by}},
                                                   {{"assuranceLevel", row.assurance_level},
                                                    {"revokedCredentials", revoked},
                                                    {"supersededCodes", superseded},
                                                    {"activationExpiresAt", issued.expires_at}})
                           : internal::AuditDetail({{"enrolmentId", row.id},
                                                    {"evidence", EvidenceTypes(evidence)},
                                                    {"checks", checks}},
                                                   {{"assuranceLevel", row.assurance_level},
                                                    {"revokedCredentials", revoked},
                                                    {"supersededCodes", superseded},
                                                    {"activationExpiresAt", issued.expires_at}});
  TILLIT_TRY(AppendAudit(store, tx, now, officer.id, "deviceReplaced", person.identifier,
                         std::move(detail)));
  return ReplacementResult{.identifier = person.identifier,
                           .enrolment_id = row.id,
                           .status = "issued",
                           .assurance_level = row.assurance_level,
                           .issued = std::move(issued)};
}

// Refuses a person whose eID was revoked at the desk (persons.revoked_at): final.
Status CheckNotRevoked(const st::PersonRow& person) {
  if (person.revoked_at) {
    return MakeError("invalidTransition", "the person's eID was revoked; revocation is final");
  }
  return {};
}

}  // namespace

namespace {

// Moves every credential of the person in status `from` to `to`, audited as `action`.
// Suspend and resume are this one step in opposite directions.
Result<int64_t> MoveCredentials(st::Store& store, const Clock& clock, const Officer& officer,
                                std::string_view identifier, std::string_view reason,
                                st::CredentialStatus from, st::CredentialStatus to,
                                const char* action, const char* none_message) {
  TILLIT_TRY_ASSIGN(auto id, CanonicalIdentifier(identifier));
  TILLIT_TRY_ASSIGN(auto why, CheckReason(reason));
  int64_t now = clock.NowUnixSeconds();
  return store.Write(Durability::kDurable, [&](Transaction& tx) -> Result<int64_t> {
    TILLIT_TRY_ASSIGN(auto person, store.persons().Get(tx, id));
    TILLIT_TRY_ASSIGN(auto creds, store.credentials().ListByIdentifier(tx, person.identifier));
    int64_t n = 0;
    for (const auto& c : creds) {
      if (c.status != from) continue;
      TILLIT_TRY(store.credentials().SetStatus(tx, c.serial, to, why, now));
      ++n;
    }
    if (n == 0) return MakeError("invalidTransition", none_message);
    TILLIT_TRY(AppendAudit(store, tx, now, officer.id, action, person.identifier,
                           internal::AuditDetail({}, {{"credentials", n}})));
    return n;
  });
}

}  // namespace

Result<int64_t> LifecycleService::Suspend(const Officer& officer, std::string_view identifier,
                                          std::string_view reason) {
  return MoveCredentials(store_, clock_, officer, identifier, reason, st::CredentialStatus::kGood,
                         st::CredentialStatus::kSuspended, "credentialSuspended",
                         "the person has no good credential to suspend");
}

Result<int64_t> LifecycleService::Resume(const Officer& officer, std::string_view identifier,
                                         std::string_view reason) {
  return MoveCredentials(store_, clock_, officer, identifier, reason,
                         st::CredentialStatus::kSuspended, st::CredentialStatus::kGood,
                         "credentialResumed", "the person has no suspended credential to resume");
}

Result<ReplacementResult> LifecycleService::Replace(const Officer& officer,
                                                    std::string_view identifier,
                                                    const ReplacementRequest& request) {
  TILLIT_TRY_ASSIGN(auto id, CanonicalIdentifier(identifier));
  int64_t now = clock_.NowUnixSeconds();
  enrolment::Date today = CivilDateAt(now);
  // The input on its face first (as EnrolmentService::Create): no storage for bad input.
  if (request.evidence.empty()) {
    return MakeError("invalidParameters", "evidence: at least one item is required");
  }
  std::vector<enrolment::Evidence> evidence;
  for (size_t i = 0; i < request.evidence.size(); ++i) {
    const auto& in = request.evidence[i];
    TILLIT_TRY_ASSIGN(auto item,
                      enrolment::CreateEvidence(in.type, in.number, in.country, in.expiry, today,
                                                "evidence[" + std::to_string(i) + "]"));
    evidence.push_back(std::move(item));
  }
  enrolment::CheckSet checks;
  for (size_t i = 0; i < request.checks.size(); ++i) {
    std::string field = "checks[" + std::to_string(i) + "]";
    TILLIT_TRY_ASSIGN(auto check, enrolment::ParseCheck(request.checks[i], field));
    if (!checks.insert(check).second)
      return MakeError("invalidParameters", field + ": listed twice");
  }

  return store_.Write(Durability::kDurable, [&](Transaction& tx) -> Result<ReplacementResult> {
    TILLIT_TRY_ASSIGN(auto person, store_.persons().Get(tx, id));
    TILLIT_TRY(CheckNotRevoked(person));
    enrolment::Enrolment e;
    TILLIT_TRY_ASSIGN(e.person, RecordOf(person, today));
    e.evidence = evidence;
    e.checks = checks;
    // Decide validates the whole visit as at enrolment (expiry, "none" alone, styrkt
    // naming the person's samordningsnummer, the LMA case number) and derives the level.
    TILLIT_TRY_ASSIGN(auto decision, enrolment::Decide(e, today));
    // No duplicate search: the person is known. Four-eyes as at enrolment for the level.
    const bool needs_approval = enrolment::NeedsApproval(decision.level, false);
    st::EnrolmentRow row{.id = GenerateId("enr_"),
                         .status = needs_approval ? "needs-approval" : "issued",
                         .created_by = officer.id,
                         .created_at = now,
                         .request_json = internal::EncodeRequest(e),
                         .assurance_level = enrolment::LevelNumber(decision.level),
                         .existing_identifier = person.identifier,
                         .updated_at = now};
    if (!needs_approval) row.identifier = person.identifier;
    TILLIT_TRY(store_.enrolments().Insert(tx, row));
    const std::string check_list = enrolment::SerializeCheckList(checks);
    if (needs_approval) {
      TILLIT_TRY(AppendAudit(store_, tx, now, officer.id, "deviceReplacementRequested",
                             person.identifier,
                             internal::AuditDetail({{"enrolmentId", row.id},
                                                    {"evidence", EvidenceTypes(evidence)},
                                                    {"checks", check_list}},
                                                   {{"assuranceLevel", row.assurance_level}})));
      return ReplacementResult{.identifier = person.identifier,
                               .enrolment_id = row.id,
                               .status = "needs-approval",
                               .assurance_level = row.assurance_level,
                               .issued = std::nullopt};
    }
    return CarryOut(store_, keys_, tx, officer, person, row, evidence, check_list, now);
  });
}

Result<ReplacementResult> LifecycleService::CompleteReplacement(const Officer& officer,
                                                                std::string_view identifier,
                                                                std::string_view enrolment_id) {
  TILLIT_TRY_ASSIGN(auto id, CanonicalIdentifier(identifier));
  int64_t now = clock_.NowUnixSeconds();
  enrolment::Date today = CivilDateAt(now);
  return store_.Write(Durability::kDurable, [&](Transaction& tx) -> Result<ReplacementResult> {
    TILLIT_TRY_ASSIGN(auto person, store_.persons().Get(tx, id));
    auto row = store_.enrolments().Get(tx, enrolment_id);
    if (!row.ok()) return std::move(row).error();
    // A replacement row names the person in existing_identifier and is never a duplicate
    // (a duplicate enrolment names its person the same way).
    if (row->existing_identifier != person.identifier || row->status == "duplicate") {
      return MakeError("notFound", "no replacement of this person with that enrolment id");
    }
    if (row->status == "needs-approval") {
      return MakeError("approvalRequired", "a second officer must approve the replacement first");
    }
    if (row->status != "approved") {
      return MakeError("invalidTransition", "the replacement is " + row->status);
    }
    TILLIT_TRY(CheckNotRevoked(person));
    TILLIT_TRY_ASSIGN(auto stored, internal::DecodeRequest(row->request_json));
    // Approval may have taken days: a document that expired since no longer counts.
    TILLIT_TRY(CheckNotExpired(stored.evidence, today));
    TILLIT_TRY(store_.enrolments().UpdateStatus(
        tx, row->id,
        {.from = row->status, .to = "issued", .at = now, .identifier = person.identifier}));
    return CarryOut(store_, keys_, tx, officer, person, *row, stored.evidence, "", now);
  });
}

Result<bool> LifecycleService::LinkPersonnummer(const Officer& officer, std::string_view identifier,
                                                std::string_view personnummer) {
  TILLIT_TRY_ASSIGN(auto id, CanonicalIdentifier(identifier));
  int64_t now = clock_.NowUnixSeconds();
  std::string_view text = personnummer;
  while (!text.empty() && (text.front() == ' ' || text.front() == '\t')) text.remove_prefix(1);
  while (!text.empty() && (text.back() == ' ' || text.back() == '\t')) text.remove_suffix(1);
  auto number = identifier::ParseSwedishNumber(text, CivilDateAt(now));
  if (!number.ok()) {
    const std::string& code = number.error().code;
    if (code == "invalidChecksum") {
      return MakeError("invalidParameters", "personnummer: check digit is wrong (Luhn)");
    }
    if (code == "invalidDate") {
      return MakeError("invalidParameters", "personnummer: date part is not a valid date");
    }
    return MakeError("invalidParameters",
                     "personnummer: must be written YYMMDD-NNNC, YYMMDDNNNC, YYYYMMDD-NNNC or "
                     "YYYYMMDDNNNC");
  }
  if (number->kind() != identifier::SwedishNumberKind::kPersonnummer) {
    return MakeError("invalidParameters",
                     "personnummer: is a samordningsnummer, not a personnummer (day 61-91)");
  }
  const std::string canonical = number->canonical();
  return store_.Write(Durability::kDurable, [&](Transaction& tx) -> Result<bool> {
    TILLIT_TRY_ASSIGN(auto person, store_.persons().Get(tx, id));
    if (person.personnummer == canonical) {
      // Idempotent: nothing changes, but the officer's action is still recorded.
      TILLIT_TRY(
          AppendAudit(store_, tx, now, officer.id, "personnummerLinked", person.identifier,
                      internal::AuditDetail({{"personnummer", "linked"}}, {{"alreadyLinked", 1}})));
      return false;
    }
    if (person.personnummer) {
      return MakeError("conflict", "the person already has a different personnummer");
    }
    TILLIT_TRY_ASSIGN(auto holder, store_.persons().FindByPersonnummer(tx, canonical));
    if (holder) return MakeError("conflict", "the personnummer is linked to another person");
    TILLIT_TRY(store_.persons().LinkPersonnummer(tx, person.identifier, canonical));
    // "linked" only: the number itself is personal data and stays out of the audit log.
    TILLIT_TRY(
        AppendAudit(store_, tx, now, officer.id, "personnummerLinked", person.identifier,
                    internal::AuditDetail({{"personnummer", "linked"}}, {{"alreadyLinked", 0}})));
    return true;
  });
}

}  // namespace tillit::service
