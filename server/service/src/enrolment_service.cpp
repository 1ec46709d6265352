// EnrolmentService: desk use cases over enrolment/ rules and storage.
#include "tillit/service/enrolment_service.h"

#include <algorithm>
#include <map>
#include <set>

#include "service_util.h"
#include "stored_request.h"
#include "tillit/crypto/random.h"
#include "tillit/enrolment/assurance.h"
#include "tillit/enrolment/duplicates.h"
#include "tillit/enrolment/names.h"
#include "tillit/enrolment/workflow.h"
#include "tillit/identifier/identifier.h"
#include "tillit/identifier/swedish.h"
#include "tillit/service/lease_service.h"

namespace tillit::service {
namespace {

namespace st = server::storage;
using st::Durability;
using st::ReadTransaction;
using st::Transaction;

using internal::AppendAudit;
using internal::CheckReason;
constexpr size_t kMaxCandidates = 100;
constexpr size_t kMaxSearchResults = 50;

// unknownMatch is the workflow's; the desk API reports it as a bad parameter.
Error MapWorkflowError(Error error) {
  if (error.code == "unknownMatch") error.code = "invalidParameters";
  return error;
}

std::string_view Trimmed(std::string_view text) {
  size_t b = text.find_first_not_of(" \t");
  if (b == std::string_view::npos) return {};
  return text.substr(b, text.find_last_not_of(" \t") - b + 1);
}

enrolment::ExistingPerson ToExisting(const st::PersonRow& row, const enrolment::Date& today) {
  enrolment::ExistingPerson out;
  out.identifier = row.identifier;
  out.person.given_name = row.given_name;
  out.person.surname = row.surname;
  out.person.original_name = row.original_name;
  auto birth = enrolment::ParseBirthDate(row.birth_date, today);
  if (birth.ok()) out.person.birth_date = *birth;
  out.person.nationality = row.nationality;
  out.person.samordningsnummer = row.samordningsnummer;
  out.person.migrationsverket_case = row.case_number;
  for (const auto& doc : row.documents) {
    auto type = enrolment::ParseEvidenceType(doc.type, "type");
    if (!type.ok()) continue;
    out.evidence.push_back({.type = *type,
                            .number = doc.number_norm,
                            .issuing_country = doc.country,
                            .expiry = std::nullopt});
  }
  return out;
}

Result<enrolment::Workflow> LoadWorkflow(const st::EnrolmentRow& row,
                                         const std::vector<st::EnrolmentMatchRow>& matches) {
  enrolment::Workflow wf;
  auto state = enrolment::ParseState(row.status);
  if (!state.ok()) return MakeError("internalError", "enrolment has an unknown status");
  wf.state = *state;
  wf.level = static_cast<enrolment::AssuranceLevel>(row.assurance_level);
  wf.created_by = row.created_by;
  wf.approved_by = row.approved_by.value_or("");
  wf.duplicate_of = row.existing_identifier.value_or("");
  wf.identifier = row.identifier.value_or("");
  wf.rejected_by = row.rejected_by.value_or("");
  wf.rejection_reason = row.rejection_reason.value_or("");
  for (const auto& m : matches) {
    if (m.kind != st::MatchKind::kPossible) continue;
    enrolment::MatchResolution r;
    r.identifier = m.identifier;
    if (m.resolution == st::MatchResolution::kSame) r.resolution = enrolment::Resolution::kSame;
    if (m.resolution == st::MatchResolution::kDifferent) {
      r.resolution = enrolment::Resolution::kDifferent;
    }
    r.officer = m.resolved_by.value_or("");
    r.reason = m.resolution_reason.value_or("");
    wf.matches.push_back(std::move(r));
  }
  return wf;
}

std::string PersonStatus(const st::PersonRow& person,
                         const std::vector<st::CredentialRow>& credentials) {
  if (person.revoked_at) return "revoked";
  if (credentials.empty()) return "pending";
  bool all_revoked = true;
  for (const auto& c : credentials) {
    if (c.status == st::CredentialStatus::kGood) return "active";
    if (c.status != st::CredentialStatus::kRevoked) all_revoked = false;
  }
  // Every credential revoked without `revoke`: a device replacement waiting for the new
  // device to activate.
  return all_revoked ? "pending" : "suspended";
}

constexpr size_t kMaxHistoryVisits = 200;

// The person's desk history from the records that carry times (see PersonHistoryEvent).
std::vector<PersonHistoryEvent> BuildHistory(const st::PersonRow& person,
                                             const std::vector<st::EnrolmentRow>& visits,
                                             const std::vector<st::CredentialRow>& credentials) {
  std::vector<PersonHistoryEvent> out;
  for (const auto& v : visits) {
    // A replacement names the person in existing_identifier and never creates it; an
    // enrolment resolved as a duplicate of the person is also listed (as created only).
    const bool replacement = v.existing_identifier == person.identifier && v.status != "duplicate";
    out.push_back({.at = v.created_at,
                   .event = replacement ? "deviceReplacementRequested" : "enrolmentCreated",
                   .actor = v.created_by,
                   .reference = v.id,
                   .detail = v.status});
    if (v.approved_at) {
      out.push_back({.at = *v.approved_at,
                     .event = "enrolmentApproved",
                     .actor = v.approved_by.value_or(""),
                     .reference = v.id,
                     .detail = ""});
    }
    if (replacement && v.status == "issued") {
      out.push_back({.at = v.updated_at,
                     .event = "deviceReplaced",
                     .actor = "",
                     .reference = v.id,
                     .detail = ""});
    }
  }
  out.push_back({.at = person.created_at,
                 .event = "identifierIssued",
                 .actor = person.created_by,
                 .reference = person.enrolment_id,
                 .detail = ""});
  for (const auto& c : credentials) {
    out.push_back({.at = c.created_at,
                   .event = "credentialActivated",
                   .actor = "",
                   .reference = c.serial,
                   .detail = ""});
    if (c.status != st::CredentialStatus::kGood && c.status_changed_at) {
      out.push_back({.at = *c.status_changed_at,
                     .event = c.status == st::CredentialStatus::kSuspended ? "credentialSuspended"
                                                                         : "credentialRevoked",
                     .actor = "",
                     .reference = c.serial,
                     .detail = c.status_reason.value_or("")});
    }
  }
  if (person.revoked_at) {
    out.push_back({.at = *person.revoked_at,
                   .event = "personRevoked",
                   .actor = "",
                   .reference = "",
                   .detail = ""});
  }
  std::stable_sort(out.begin(), out.end(),
                   [](const auto& a, const auto& b) { return a.at < b.at; });
  return out;
}

}  // namespace

enrolment::Date CivilDateAt(int64_t now) {
  // Howard Hinnant's civil_from_days.
  int64_t z = (now >= 0 ? now : now - 86399) / 86400 + 719468;
  int64_t era = (z >= 0 ? z : z - 146096) / 146097;
  int64_t doe = z - era * 146097;
  int64_t yoe = (doe - doe / 1460 + doe / 36524 - doe / 146096) / 365;
  int64_t y = yoe + era * 400;
  int64_t doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
  int64_t mp = (5 * doy + 2) / 153;
  int64_t d = doy - (153 * mp + 2) / 5 + 1;
  int64_t m = mp < 10 ? mp + 3 : mp - 9;
  if (m <= 2) ++y;
  auto date =
      enrolment::Date::Create(static_cast<int>(y), static_cast<int>(m), static_cast<int>(d));
  TILLIT_CHECK(date.ok());
  return *date;
}

namespace {

// The view of an enrolment as the desk API returns it, read in `tx`.
Result<EnrolmentView> BuildView(st::Store& store, ReadTransaction& tx, std::string_view id) {
  TILLIT_TRY_ASSIGN(auto row, store.enrolments().Get(tx, id));
  TILLIT_TRY_ASSIGN(auto matches, store.enrolments().ListMatches(tx, id));
  EnrolmentView view{.enrolment_id = row.id,
                     .status = row.status,
                     .assurance_level = row.assurance_level,
                     .possible_duplicates = {},
                     .existing_identifier = row.existing_identifier,
                     .created_by = row.created_by,
                     .approved_by = row.approved_by,
                     .identifier = row.identifier};
  TILLIT_TRY_ASSIGN(auto request, internal::DecodeRequest(row.request_json));
  view.given_name = request.given_name;
  view.surname = request.surname;
  view.birth_date = request.birth_date;
  view.nationality = request.nationality;
  for (const auto& m : matches) {
    if (m.kind != st::MatchKind::kPossible) continue;
    TILLIT_TRY_ASSIGN(auto person, store.persons().Get(tx, m.identifier));
    std::string resolution = "unresolved";
    if (m.resolution) resolution = std::string(st::MatchResolutionName(*m.resolution));
    view.possible_duplicates.push_back({.identifier = person.identifier,
                                        .given_name = person.given_name,
                                        .surname = person.surname,
                                        .birth_date = person.birth_date,
                                        .nationality = person.nationality,
                                        .score = m.score,
                                        .reasons = internal::DecodeStringArray(m.reasons),
                                        .resolution = resolution});
  }
  return view;
}

}  // namespace

Result<EnrolmentView> EnrolmentService::Create(const Officer& officer,
                                               const EnrolmentRequest& request) {
  int64_t now = clock_.NowUnixSeconds();
  enrolment::Date today = CivilDateAt(now);
  enrolment::PersonForm form{.given_name = request.person.given_name,
                             .surname = request.person.surname,
                             .original_name = request.person.original_name,
                             .birth_date = request.person.birth_date,
                             .nationality = request.person.nationality,
                             .samordningsnummer = request.person.samordningsnummer,
                             .migrationsverket_case = request.person.case_number};
  enrolment::Enrolment e;
  TILLIT_TRY_ASSIGN(e.person, enrolment::CreatePersonRecord(form, today));
  if (request.evidence.empty()) {
    return MakeError("invalidParameters", "evidence: at least one item is required");
  }
  for (size_t i = 0; i < request.evidence.size(); ++i) {
    const auto& in = request.evidence[i];
    TILLIT_TRY_ASSIGN(auto item,
                      enrolment::CreateEvidence(in.type, in.number, in.country, in.expiry, today,
                                                "evidence[" + std::to_string(i) + "]"));
    e.evidence.push_back(std::move(item));
  }
  for (size_t i = 0; i < request.checks.size(); ++i) {
    std::string field = "checks[" + std::to_string(i) + "]";
    TILLIT_TRY_ASSIGN(auto check, enrolment::ParseCheck(request.checks[i], field));
    if (!e.checks.insert(check).second) {
      return MakeError("invalidParameters", field + ": listed twice");
    }
  }
  TILLIT_TRY_ASSIGN(auto decision, enrolment::Decide(e, today));

  // Candidates through the indexes (duplicates.h): exact keys, then name keys.
  TILLIT_TRY_ASSIGN(
      auto others,
      store_.Read([&](ReadTransaction& tx) -> Result<std::vector<enrolment::ExistingPerson>> {
        std::map<std::string, st::PersonRow> found;
        auto add = [&](const std::optional<st::PersonRow>& row) {
          if (row) found.emplace(row->identifier, *row);
        };
        std::set<std::string> samordningsnummer, cases;
        if (e.person.samordningsnummer) samordningsnummer.insert(*e.person.samordningsnummer);
        if (e.person.migrationsverket_case) cases.insert(*e.person.migrationsverket_case);
        for (const auto& item : e.evidence) {
          if (item.type == enrolment::EvidenceType::kNone) continue;
          if (item.type == enrolment::EvidenceType::kSamordningsnummerStyrkt) {
            samordningsnummer.insert(item.number);
            continue;
          }
          if (auto c = enrolment::CaseNumberOf(item)) cases.insert(*c);
          TILLIT_TRY_ASSIGN(auto row,
                            store_.persons().FindByDocument(
                                tx, {.type = std::string(enrolment::EvidenceTypeName(item.type)),
                                     .number_norm = item.number,
                                     .country = item.issuing_country}));
          add(row);
        }
        for (const auto& n : samordningsnummer) {
          TILLIT_TRY_ASSIGN(auto row, store_.persons().FindBySamordningsnummer(tx, n));
          add(row);
        }
        for (const auto& c : cases) {
          TILLIT_TRY_ASSIGN(auto row, store_.persons().FindByCaseNumber(tx, c));
          add(row);
        }
        std::vector<std::string> keys = enrolment::NameKeys(e.person.given_name, e.person.surname);
        if (keys.size() > st::kMaxNameKeys) keys.resize(st::kMaxNameKeys);
        if (!keys.empty()) {
          TILLIT_TRY_ASSIGN(auto rows,
                            store_.persons().FindCandidatesByNameKeys(tx, keys, kMaxCandidates));
          for (auto& row : rows) found.emplace(row.identifier, std::move(row));
        }
        std::vector<enrolment::ExistingPerson> out;
        for (const auto& [id, row] : found) out.push_back(ToExisting(row, today));
        return out;
      }));
  enrolment::DuplicateCheck duplicates = enrolment::Classify(e, others);
  TILLIT_TRY_ASSIGN(auto wf, enrolment::CreateWorkflow(officer.id, decision.level, duplicates));

  std::string id = GenerateId("enr_");
  st::EnrolmentRow row{.id = id,
                       .status = std::string(enrolment::StateName(wf.state)),
                       .created_by = officer.id,
                       .created_at = now,
                       .request_json = internal::EncodeRequest(e),
                       .assurance_level = enrolment::LevelNumber(decision.level),
                       .updated_at = now};
  if (wf.state == enrolment::EnrolmentState::kDuplicate) row.existing_identifier = wf.duplicate_of;

  return store_.Write(Durability::kDurable, [&](Transaction& tx) -> Result<EnrolmentView> {
    TILLIT_TRY(store_.enrolments().Insert(tx, row));
    std::map<std::string, std::vector<std::string>> hard;
    for (const auto& h : duplicates.hard) hard[h.identifier].push_back(h.rule + ": " + h.detail);
    for (const auto& [identifier, reasons] : hard) {
      TILLIT_TRY(
          store_.enrolments().InsertMatch(tx, {.enrolment_id = id,
                                               .identifier = identifier,
                                               .kind = st::MatchKind::kHard,
                                               .score = 1.0,
                                               .reasons = internal::EncodeStringArray(reasons)}));
    }
    for (const auto& p : duplicates.possible) {
      if (hard.count(p.identifier)) continue;
      TILLIT_TRY(store_.enrolments().InsertMatch(
          tx, {.enrolment_id = id,
               .identifier = p.identifier,
               .kind = st::MatchKind::kPossible,
               .score = p.score.name.score,
               .reasons = internal::EncodeStringArray(p.score.reasons)}));
    }
    TILLIT_TRY(
        AppendAudit(store_, tx, now, officer.id, "enrolmentCreated", id,
                    internal::AuditDetail(
                        {{"status", row.status}},
                        {{"assuranceLevel", row.assurance_level},
                         {"hardMatches", static_cast<int64_t>(hard.size())},
                         {"possibleMatches", static_cast<int64_t>(duplicates.possible.size())}})));
    return BuildView(store_, tx, id);
  });
}

Result<EnrolmentView> EnrolmentService::Get(std::string_view enrolment_id) {
  return store_.Read([&](ReadTransaction& tx) { return BuildView(store_, tx, enrolment_id); });
}

Result<std::vector<PendingEnrolment>> EnrolmentService::ListPendingApproval() {
  return store_.Read([&](ReadTransaction& tx) -> Result<std::vector<PendingEnrolment>> {
    const std::string status(enrolment::StateName(enrolment::EnrolmentState::kNeedsApproval));
    TILLIT_TRY_ASSIGN(auto rows,
                      store_.enrolments().ListRecentByStatus(tx, status, kMaxPendingApprovals));
    std::vector<PendingEnrolment> out;
    out.reserve(rows.size());
    for (const auto& row : rows) {
      TILLIT_TRY_ASSIGN(auto request, internal::DecodeRequest(row.request_json));
      out.push_back({.enrolment_id = row.id,
                     .created_by = row.created_by,
                     .created_at = row.created_at,
                     .assurance_level = row.assurance_level,
                     .given_name = request.given_name,
                     .surname = request.surname,
                     .birth_date = request.birth_date,
                     .existing_identifier = row.existing_identifier});
    }
    return out;
  });
}

Result<EnrolmentView> EnrolmentService::Approve(const Officer& officer,
                                                std::string_view enrolment_id) {
  int64_t now = clock_.NowUnixSeconds();
  return store_.Write(Durability::kDurable, [&](Transaction& tx) -> Result<EnrolmentView> {
    TILLIT_TRY_ASSIGN(auto row, store_.enrolments().Get(tx, enrolment_id));
    TILLIT_TRY_ASSIGN(auto matches, store_.enrolments().ListMatches(tx, enrolment_id));
    TILLIT_TRY_ASSIGN(auto wf, LoadWorkflow(row, matches));
    auto next = enrolment::Approve(wf, officer.id);
    if (!next.ok()) return MapWorkflowError(std::move(next).error());
    TILLIT_TRY(store_.enrolments().Approve(tx, row.id, row.status,
                                           enrolment::StateName(next->state), officer.id, now));
    TILLIT_TRY(AppendAudit(store_, tx, now, officer.id, "enrolmentApproved", row.id, "{}"));
    return BuildView(store_, tx, row.id);
  });
}

Result<EnrolmentView> EnrolmentService::ResolveDifferent(const Officer& officer,
                                                         std::string_view enrolment_id,
                                                         std::string_view reason) {
  TILLIT_TRY_ASSIGN(auto why, CheckReason(reason));
  int64_t now = clock_.NowUnixSeconds();
  return store_.Write(Durability::kDurable, [&](Transaction& tx) -> Result<EnrolmentView> {
    TILLIT_TRY_ASSIGN(auto row, store_.enrolments().Get(tx, enrolment_id));
    TILLIT_TRY_ASSIGN(auto matches, store_.enrolments().ListMatches(tx, enrolment_id));
    TILLIT_TRY_ASSIGN(auto wf, LoadWorkflow(row, matches));
    if (wf.matches.empty()) {
      return MakeError("invalidTransition", "the enrolment has no possible matches to resolve");
    }
    std::vector<std::string> ids;
    for (const auto& m : wf.matches) ids.push_back(m.identifier);
    for (const auto& identifier : ids) {
      auto next = enrolment::ResolveDifferent(wf, officer.id, identifier, why);
      if (!next.ok()) return MapWorkflowError(std::move(next).error());
      wf = std::move(*next);
      TILLIT_TRY(store_.enrolments().ResolveMatch(
          tx, row.id, identifier, st::MatchResolution::kDifferent, officer.id, why, now));
    }
    TILLIT_TRY(
        AppendAudit(store_, tx, now, officer.id, "matchesResolvedDifferent", row.id,
                    internal::AuditDetail({}, {{"matches", static_cast<int64_t>(ids.size())}})));
    return BuildView(store_, tx, row.id);
  });
}

Result<EnrolmentView> EnrolmentService::ResolveSame(const Officer& officer,
                                                    std::string_view enrolment_id,
                                                    std::string_view identifier) {
  auto parsed = identifier::Identifier::Parse(identifier);
  if (!parsed.ok()) return MakeError("invalidParameters", "identifier: " + parsed.error().message);
  std::string canonical = parsed->ToString();
  int64_t now = clock_.NowUnixSeconds();
  return store_.Write(Durability::kDurable, [&](Transaction& tx) -> Result<EnrolmentView> {
    TILLIT_TRY_ASSIGN(auto row, store_.enrolments().Get(tx, enrolment_id));
    TILLIT_TRY_ASSIGN(auto matches, store_.enrolments().ListMatches(tx, enrolment_id));
    TILLIT_TRY_ASSIGN(auto wf, LoadWorkflow(row, matches));
    auto next = enrolment::ResolveSame(wf, officer.id, canonical);
    if (!next.ok()) return MapWorkflowError(std::move(next).error());
    TILLIT_TRY(store_.enrolments().ResolveMatch(tx, row.id, canonical, st::MatchResolution::kSame,
                                                officer.id, "", now));
    TILLIT_TRY(
        store_.enrolments().UpdateStatus(tx, row.id,
                                         {.from = row.status,
                                          .to = std::string(enrolment::StateName(next->state)),
                                          .at = now,
                                          .existing_identifier = canonical}));
    TILLIT_TRY(AppendAudit(store_, tx, now, officer.id, "matchResolvedSame", row.id,
                           internal::AuditDetail({{"identifier", canonical}})));
    return BuildView(store_, tx, row.id);
  });
}

Result<IssuedIdentifier> EnrolmentService::Issue(const Officer& officer,
                                                 std::string_view enrolment_id) {
  int64_t now = clock_.NowUnixSeconds();
  return store_.Write(Durability::kDurable, [&](Transaction& tx) -> Result<IssuedIdentifier> {
    TILLIT_TRY_ASSIGN(auto row, store_.enrolments().Get(tx, enrolment_id));
    TILLIT_TRY_ASSIGN(auto matches, store_.enrolments().ListMatches(tx, enrolment_id));
    TILLIT_TRY_ASSIGN(auto wf, LoadWorkflow(row, matches));
    // A device replacement's enrolment names its person and never makes a new one
    // (LifecycleService::CompleteReplacement carries it out).
    if (row.existing_identifier && row.status != "duplicate") {
      return MakeError("invalidTransition", "the enrolment is a device replacement, not an issue");
    }
    // Refuse before taking a serial (which the rollback would give back anyway).
    if (wf.state != enrolment::EnrolmentState::kReady &&
        wf.state != enrolment::EnrolmentState::kApproved) {
      if (wf.state == enrolment::EnrolmentState::kNeedsApproval) {
        return MakeError("approvalRequired", "a second officer must approve first");
      }
      return MakeError("invalidTransition",
                       "the enrolment is " + row.status + " and cannot be issued");
    }
    // The central counter, or on an offline desk its next leased identifier (lease_service.h).
    TILLIT_TRY_ASSIGN(auto allocated, AllocateIdentifier(store_, tx, keys_.scheme(), now));
    const uint64_t serial = allocated.serial;
    const identifier::Identifier& id = allocated.identifier;
    auto next = enrolment::Issue(wf, id.ToString());
    if (!next.ok()) return MapWorkflowError(std::move(next).error());
    TILLIT_TRY_ASSIGN(auto request, internal::DecodeRequest(row.request_json));

    st::PersonRow person{.identifier = id.ToString(),
                         .serial = serial,
                         .given_name = request.given_name,
                         .surname = request.surname,
                         .original_name = request.original_name,
                         .birth_date = request.birth_date,
                         .nationality = request.nationality,
                         .samordningsnummer = request.samordningsnummer,
                         .case_number = request.case_number,
                         .assurance_level = row.assurance_level,
                         .enrolment_id = row.id,
                         .created_at = now,
                         .created_by = officer.id};
    for (const auto& item : request.evidence) {
      if (item.type == enrolment::EvidenceType::kNone) continue;
      if (item.type == enrolment::EvidenceType::kSamordningsnummerStyrkt) {
        if (!person.samordningsnummer) person.samordningsnummer = item.number;
        continue;
      }
      // The case number an LMA card carries is the person's too (ValidateEnrolment made
      // them agree), so the UNIQUE index catches a second enrolment by either.
      if (auto c = enrolment::CaseNumberOf(item); c && !person.case_number) person.case_number = c;
      st::DocumentRow doc{.type = std::string(enrolment::EvidenceTypeName(item.type)),
                          .number_norm = item.number,
                          .country = item.issuing_country};
      if (std::find(person.documents.begin(), person.documents.end(), doc) ==
          person.documents.end()) {
        person.documents.push_back(std::move(doc));
      }
    }
    person.name_keys = enrolment::NameKeys(person.given_name, person.surname);
    Status inserted = store_.persons().Insert(tx, person);
    if (!inserted.ok()) {
      // The UNIQUE constraints on documents and Swedish numbers: someone with the same
      // document was issued since this enrolment's duplicate search (docs/storage.md §2).
      if (inserted.error().code == "conflict") {
        return MakeError("duplicate",
                         "a document or number of this enrolment was issued to another person");
      }
      return std::move(inserted).error();
    }
    TILLIT_TRY(
        store_.enrolments().UpdateStatus(tx, row.id,
                                         {.from = row.status,
                                          .to = std::string(enrolment::StateName(next->state)),
                                          .at = now,
                                          .identifier = id.ToString()}));

    TILLIT_TRY_ASSIGN(auto issued,
                      internal::NewActivationCode(store_, keys_, tx, id.ToString(), row.id, now));
    TILLIT_TRY(AppendAudit(store_, tx, now, officer.id, "identifierIssued", row.id,
                           internal::AuditDetail({{"identifier", id.ToString()}},
                                                 {{"activationExpiresAt", issued.expires_at}})));
    return issued;
  });
}

Result<std::vector<PersonSummary>> EnrolmentService::Search(const Officer& officer,
                                                            std::string_view text) {
  if (text.find_first_not_of(" \t") == std::string_view::npos) {
    return MakeError("invalidParameters", "query: must not be empty");
  }
  TILLIT_TRY_ASSIGN(
      auto results, store_.Read([&](ReadTransaction& tx) -> Result<std::vector<PersonSummary>> {
        TILLIT_TRY_ASSIGN(auto rows, store_.persons().Search(tx, text, kMaxSearchResults));
        // A personnummer or samordningsnummer in a 10-digit form (YYMMDD-NNNC) is stored as 12
        // digits, which the text search compares with verbatim.
        if (auto number =
                identifier::ParseSwedishNumber(Trimmed(text), CivilDateAt(clock_.NowUnixSeconds()));
            number.ok()) {
          auto found = number->kind() == identifier::SwedishNumberKind::kPersonnummer
                           ? store_.persons().FindByPersonnummer(tx, number->canonical())
                           : store_.persons().FindBySamordningsnummer(tx, number->canonical());
          if (!found.ok()) return std::move(found).error();
          if (*found && std::none_of(rows.begin(), rows.end(), [&](const st::PersonRow& r) {
                return r.identifier == (*found)->identifier;
              })) {
            rows.insert(rows.begin(), std::move(**found));
          }
        }
        std::vector<PersonSummary> out;
        for (const auto& p : rows) {
          TILLIT_TRY_ASSIGN(auto creds, store_.credentials().ListByIdentifier(tx, p.identifier));
          out.push_back({.identifier = p.identifier,
                         .given_name = p.given_name,
                         .surname = p.surname,
                         .birth_date = p.birth_date,
                         .nationality = p.nationality,
                         .status = PersonStatus(p, creds)});
        }
        return out;
      }));
  // Who looked people up is part of the audit trail (NIST SP 800-63A); the text itself is
  // personal data and is not recorded.
  int64_t now = clock_.NowUnixSeconds();
  TILLIT_TRY(store_.Write(Durability::kDurable, [&](Transaction& tx) -> Status {
    return AppendAudit(
        store_, tx, now, officer.id, "personSearch", "",
        internal::AuditDetail({}, {{"results", static_cast<int64_t>(results.size())}}));
  }));
  return results;
}

Result<PersonView> EnrolmentService::GetPerson(std::string_view identifier) {
  auto parsed = identifier::Identifier::Parse(identifier);
  if (!parsed.ok()) return MakeError("notFound", "no such identifier");
  return store_.Read([&](ReadTransaction& tx) -> Result<PersonView> {
    TILLIT_TRY_ASSIGN(auto p, store_.persons().Get(tx, parsed->ToString()));
    TILLIT_TRY_ASSIGN(auto creds, store_.credentials().ListByIdentifier(tx, p.identifier));
    PersonView view{.summary = {.identifier = p.identifier,
                                .given_name = p.given_name,
                                .surname = p.surname,
                                .birth_date = p.birth_date,
                                .nationality = p.nationality,
                                .status = PersonStatus(p, creds)},
                    .original_name = p.original_name,
                    .samordningsnummer = p.samordningsnummer,
                    .case_number = p.case_number,
                    .personnummer = p.personnummer,
                    .assurance_level = p.assurance_level,
                    .credentials = {},
                    .history = {}};
    for (const auto& c : creds) {
      view.credentials.push_back({.serial = c.serial,
                                  .status = std::string(st::CredentialStatusName(c.status)),
                                  .not_after = c.not_after,
                                  .created_at = c.created_at});
    }
    TILLIT_TRY_ASSIGN(auto visits,
                      store_.enrolments().ListForPerson(tx, p.identifier, kMaxHistoryVisits));
    view.history = BuildHistory(p, visits, creds);
    return view;
  });
}

Result<int64_t> EnrolmentService::Revoke(const Officer& officer, std::string_view identifier,
                                         std::string_view reason) {
  auto parsed = identifier::Identifier::Parse(identifier);
  if (!parsed.ok()) return MakeError("notFound", "no such identifier");
  TILLIT_TRY_ASSIGN(auto why, CheckReason(reason));
  int64_t now = clock_.NowUnixSeconds();
  return store_.Write(Durability::kDurable, [&](Transaction& tx) -> Result<int64_t> {
    TILLIT_TRY_ASSIGN(auto p, store_.persons().Get(tx, parsed->ToString()));
    TILLIT_TRY_ASSIGN(auto n,
                      store_.credentials().RevokeAllForIdentifier(tx, p.identifier, why, now));
    // An unused activation code would otherwise give the revoked person a new credential.
    TILLIT_TRY_ASSIGN(auto cancelled, store_.activation_codes().CancelUnused(tx, p.identifier));
    TILLIT_TRY(store_.persons().MarkRevoked(tx, p.identifier, now));
    TILLIT_TRY(AppendAudit(
        store_, tx, now, officer.id, "credentialsRevoked", p.identifier,
        internal::AuditDetail({}, {{"revokedCredentials", n}, {"cancelledCodes", cancelled}})));
    return n;
  });
}

}  // namespace tillit::service
