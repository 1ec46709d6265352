// LifecycleService (docs/desk-api.md §After issue): suspend, resume, device replacement
// with four-eyes, personnummer linking; and revoke cancelling an unused activation code.
// Every error is checked to leave the person, credentials, codes and audit log unchanged.
#include "tillit/service/lifecycle_service.h"

#include <doctest/doctest.h>

#include "service_fixture.h"

namespace tillit::service {
namespace {

namespace st = server::storage;
using testing::kNow;
using testing::ServiceFixture;

// What an error must not change.
struct Snapshot {
  st::PersonRow person;
  std::vector<st::CredentialRow> credentials;
  std::vector<st::ActivationCodeRow> codes;
  uint64_t audit_seq = 0;
  size_t enrolments_needing_approval = 0;

  friend bool operator==(const Snapshot&, const Snapshot&) = default;
};

class LifecycleFixture : public ServiceFixture {
 public:
  LifecycleFixture() : lifecycle_(*store_, clock_, *keys_) {}

  Snapshot Take(const std::string& identifier) {
    auto snap = store_->Read([&](st::ReadTransaction& tx) -> Result<Snapshot> {
      Snapshot s;
      TILLIT_TRY_ASSIGN(s.person, store_->persons().Get(tx, identifier));
      TILLIT_TRY_ASSIGN(s.credentials, store_->credentials().ListByIdentifier(tx, identifier));
      TILLIT_TRY_ASSIGN(s.codes, store_->activation_codes().ListByIdentifier(tx, identifier));
      TILLIT_TRY_ASSIGN(auto head, store_->audit().Head(tx));
      s.audit_seq = head.seq;
      TILLIT_TRY_ASSIGN(auto pending, store_->enrolments().ListByStatus(tx, "needs-approval", 100));
      s.enrolments_needing_approval = pending.size();
      return s;
    });
    REQUIRE(snap.ok());
    return *snap;
  }

  st::AuditRecord LastAudit() {
    auto rec = store_->Read([&](st::ReadTransaction& tx) -> Result<st::AuditRecord> {
      TILLIT_TRY_ASSIGN(auto head, store_->audit().Head(tx));
      TILLIT_TRY_ASSIGN(auto records, store_->audit().ReadRange(tx, head.seq, 1));
      if (records.empty()) return MakeError("notFound", "empty audit log");
      return records.front();
    });
    REQUIRE(rec.ok());
    return *rec;
  }

  std::string UnknownIdentifier() {
    auto id = keys_->scheme().FromSerial(987654);
    REQUIRE(id.ok());
    return id->ToString();
  }

  static ReplacementRequest Evidence(std::vector<EvidenceInput> evidence,
                                     std::vector<std::string> checks) {
    return ReplacementRequest{.evidence = std::move(evidence), .checks = std::move(checks)};
  }
  static EvidenceInput Passport(std::string number, std::string expiry = "2030-01-01") {
    return {.type = "passport", .number = std::move(number), .country = "SYR",
            .expiry = std::move(expiry)};
  }
  static EvidenceInput NoEvidence() { return {.type = "none", .number = "", .country = "", .expiry = ""}; }

  LifecycleService lifecycle_;
};

// Asserts `result` failed with `code` and that nothing about `identifier` changed.
#define CHECK_REFUSED_UNCHANGED(want_code, who, ...)             \
  do {                                                         \
    Snapshot before_ = Take(who);                       \
    auto result_ = (__VA_ARGS__);                              \
    REQUIRE_FALSE(result_.ok());                               \
    CHECK(result_.error().code == (want_code));                     \
    CHECK(Take(who) == before_);                        \
  } while (false)

TEST_CASE_FIXTURE(LifecycleFixture, "suspend and resume move good and suspended credentials") {
  auto holder = EnrolAndActivate("Amal", "Hassan", "N1234567");
  const std::string id = holder.issued.identifier;

  auto suspended = lifecycle_.Suspend(anna_, id, "phone reported lost");
  REQUIRE(suspended.ok());
  CHECK(*suspended == 1);
  Snapshot s = Take(id);
  REQUIRE(s.credentials.size() == 1);
  CHECK(s.credentials[0].status == st::CredentialStatus::kSuspended);
  CHECK(s.credentials[0].status_reason == "phone reported lost");
  auto audit = LastAudit();
  CHECK(audit.entry.action == "credentialSuspended");
  CHECK(audit.entry.actor == anna_.id);
  CHECK(audit.entry.subject == id);
  CHECK(audit.entry.detail_json.find("lost") == std::string::npos);
  auto view = enrolments_->GetPerson(id);
  REQUIRE(view.ok());
  CHECK(view->credentials[0].status == "suspended");
  CHECK(view->summary.status == "suspended");

  // Suspending again: nothing good is left to suspend.
  CHECK_REFUSED_UNCHANGED("invalidTransition", id,
                          lifecycle_.Suspend(anna_, id, "again"));

  auto resumed = lifecycle_.Resume(omar_, id, "phone found");
  REQUIRE(resumed.ok());
  CHECK(*resumed == 1);
  CHECK(Take(id).credentials[0].status == st::CredentialStatus::kGood);
  CHECK(LastAudit().entry.action == "credentialResumed");
  CHECK(LastAudit().entry.actor == omar_.id);

  // Resuming a good credential.
  CHECK_REFUSED_UNCHANGED("invalidTransition", id,
                          lifecycle_.Resume(anna_, id, "again"));
}

TEST_CASE_FIXTURE(LifecycleFixture, "suspend and resume refuse bad input and revoked persons") {
  auto holder = EnrolAndActivate("Amal", "Hassan", "N1234567");
  const std::string id = holder.issued.identifier;

  CHECK_REFUSED_UNCHANGED("invalidParameters", id,
                          lifecycle_.Suspend(anna_, id, ""));
  CHECK_REFUSED_UNCHANGED("invalidParameters", id,
                          lifecycle_.Suspend(anna_, id, "  \t "));
  CHECK_REFUSED_UNCHANGED("invalidParameters", id,
                          lifecycle_.Resume(anna_, id, ""));
  CHECK_REFUSED_UNCHANGED("invalidParameters", id,
                          lifecycle_.Suspend(anna_, id, std::string(1001, 'x')));
  CHECK_REFUSED_UNCHANGED("notFound", id,
                          lifecycle_.Suspend(anna_, UnknownIdentifier(), "r"));
  CHECK_REFUSED_UNCHANGED("notFound", id,
                          lifecycle_.Resume(anna_, UnknownIdentifier(), "r"));
  CHECK_REFUSED_UNCHANGED("notFound", id,
                          lifecycle_.Suspend(anna_, "not an identifier", "r"));

  // A person with no credential yet has nothing to suspend.
  auto pending = EnrolAndIssue("Yusuf", "Ali", "P7654321");
  CHECK_REFUSED_UNCHANGED("invalidTransition", pending.identifier,
                          lifecycle_.Suspend(anna_, pending.identifier, "r"));

  // Revoked is final: neither suspend nor resume applies, even to a suspended-then-revoked one.
  REQUIRE(lifecycle_.Suspend(anna_, id, "lost").ok());
  REQUIRE(enrolments_->Revoke(anna_, id, "stolen").ok());
  CHECK_REFUSED_UNCHANGED("invalidTransition", id,
                          lifecycle_.Resume(anna_, id, "found"));
  CHECK_REFUSED_UNCHANGED("invalidTransition", id,
                          lifecycle_.Suspend(anna_, id, "lost"));
  CHECK(Take(id).credentials[0].status == st::CredentialStatus::kRevoked);
}

TEST_CASE_FIXTURE(LifecycleFixture, "revoke cancels an unused activation code in the same transaction") {
  auto issued = EnrolAndIssue("Amal", "Hassan", "N1234567");
  auto revoked = enrolments_->Revoke(anna_, issued.identifier, "issued by mistake");
  REQUIRE(revoked.ok());
  CHECK(*revoked == 0);
  auto audit = LastAudit();
  CHECK(audit.entry.action == "credentialsRevoked");
  CHECK(audit.entry.detail_json.find("\"cancelledCodes\":1") != std::string::npos);
  crypto::SigningKey key = crypto::SigningKey::Generate();
  auto activated = Activate(issued.activation_code, key);
  REQUIRE_FALSE(activated.ok());
  CHECK(activated.error().code == "codeExpired");
  CHECK(Take(issued.identifier).credentials.empty());
  // The person is marked, and shows as revoked even without any credential.
  CHECK(Take(issued.identifier).person.revoked_at == kNow);
  auto view = enrolments_->GetPerson(issued.identifier);
  REQUIRE(view.ok());
  CHECK(view->summary.status == "revoked");
  // And the person cannot be given a new device: revocation is final.
  CHECK_REFUSED_UNCHANGED("invalidTransition", issued.identifier,
                          lifecycle_.Replace(anna_, issued.identifier,
                                             Evidence({Passport("N1234567")},
                                                      {"chip-read", "face-to-photo"})));
}

TEST_CASE_FIXTURE(LifecycleFixture, "replace revokes the old device and issues a new code for the same identifier") {
  auto holder = EnrolAndActivate("Amal", "Hassan", "N1234567");
  const std::string id = holder.issued.identifier;
  REQUIRE(lifecycle_.Suspend(anna_, id, "lost").ok());  // a suspended credential is replaced too

  auto replaced = lifecycle_.Replace(
      anna_, id,
      Evidence({{.type = "residence-permit", .number = "UT123456", .country = "", .expiry = "2027-05-31"}},
               {"face-to-photo"}));
  REQUIRE(replaced.ok());
  CHECK(replaced->status == "issued");
  CHECK(replaced->identifier == id);
  CHECK(replaced->assurance_level == 2);
  REQUIRE(replaced->issued.has_value());
  CHECK(replaced->issued->identifier == id);
  CHECK(replaced->issued->expires_at == kNow + kActivationCodeLifetimeSeconds);

  Snapshot s = Take(id);
  REQUIRE(s.credentials.size() == 1);
  CHECK(s.credentials[0].status == st::CredentialStatus::kRevoked);
  REQUIRE(s.credentials[0].status_reason.has_value());
  CHECK(s.credentials[0].status_reason->starts_with(kReplacedReasonPrefix));
  CHECK(s.person.assurance_level == 2);
  // The new document joins the hard-match index.
  CHECK(std::find(s.person.documents.begin(), s.person.documents.end(),
                  st::DocumentRow{.type = "residence-permit", .number_norm = "UT123456",
                                  .country = "SWE"}) != s.person.documents.end());
  // The replacement is recorded (who, when, evidence) as an enrolment row.
  auto row = enrolments_->Get(replaced->enrolment_id);
  REQUIRE(row.ok());
  CHECK(row->status == "issued");
  CHECK(row->created_by == anna_.id);
  CHECK(row->identifier == id);
  auto audit = LastAudit();
  CHECK(audit.entry.action == "deviceReplaced");
  CHECK(audit.entry.actor == anna_.id);
  CHECK(audit.entry.subject == id);
  CHECK(audit.entry.detail_json.find("residence-permit") != std::string::npos);
  CHECK(audit.entry.detail_json.find("UT123456") == std::string::npos);
  CHECK(audit.entry.detail_json.find(replaced->enrolment_id) != std::string::npos);
  // Waiting for the new device is not a revoked person.
  CHECK_FALSE(s.person.revoked_at.has_value());
  auto waiting = enrolments_->GetPerson(id);
  REQUIRE(waiting.ok());
  CHECK(waiting->summary.status == "pending");

  // The new device activates with the new code, at the new level, same identifier.
  crypto::SigningKey key = crypto::SigningKey::Generate();
  auto activated = Activate(replaced->issued->activation_code, key);
  REQUIRE(activated.ok());
  CHECK(activated->identifier == id);
  CHECK(activated->assurance_level == 2);
  auto view = enrolments_->GetPerson(id);
  REQUIRE(view.ok());
  CHECK(view->summary.status == "active");
  CHECK(view->credentials.size() == 2);

  // A second replacement later is allowed (the first was not a revocation).
  auto again = lifecycle_.Replace(omar_, id, Evidence({Passport("N1234567")},
                                                      {"chip-read", "face-to-photo"}));
  REQUIRE(again.ok());
  CHECK(again->assurance_level == 3);
  CHECK(Take(id).person.assurance_level == 3);
}

TEST_CASE_FIXTURE(LifecycleFixture, "replace uses up an unused activation code; an expired replacement code can be replaced") {
  auto issued = EnrolAndIssue("Amal", "Hassan", "N1234567");
  auto replaced = lifecycle_.Replace(anna_, issued.identifier,
                                     Evidence({Passport("N1234567")}, {"chip-read", "face-to-photo"}));
  REQUIRE(replaced.ok());
  crypto::SigningKey key = crypto::SigningKey::Generate();
  auto old_code = Activate(issued.activation_code, key);
  REQUIRE_FALSE(old_code.ok());
  CHECK(old_code.error().code == "invalidCode");

  // The replacement code expires unused: the person is not revoked, so replace again.
  clock_.Advance(kActivationCodeLifetimeSeconds + 1);
  auto again = lifecycle_.Replace(anna_, issued.identifier,
                                  Evidence({Passport("N1234567")}, {"chip-read", "face-to-photo"}));
  REQUIRE(again.ok());
  auto activated = Activate(again->issued->activation_code, key);
  REQUIRE(activated.ok());
  CHECK(activated->identifier == issued.identifier);
}

TEST_CASE_FIXTURE(LifecycleFixture, "replace refuses bad evidence, unknown and revoked persons, without changes") {
  auto holder = EnrolAndActivate("Amal", "Hassan", "N1234567");
  const std::string id = holder.issued.identifier;
  auto other = EnrolAndActivate("Yusuf", "Ali", "P7654321");
  const std::vector<std::string> strong = {"chip-read", "face-to-photo"};

  CHECK_REFUSED_UNCHANGED("expiredEvidence", id,
                          lifecycle_.Replace(anna_, id, Evidence({Passport("N1234567", "2025-05-31")}, strong)));
  CHECK_REFUSED_UNCHANGED("invalidParameters", id,
                          lifecycle_.Replace(anna_, id, Evidence({}, strong)));
  CHECK_REFUSED_UNCHANGED("invalidParameters", id,
                          lifecycle_.Replace(anna_, id, Evidence({{.type = "library-card", .number = "1", .country = "SWE", .expiry = ""}}, strong)));
  CHECK_REFUSED_UNCHANGED("invalidParameters", id,
                          lifecycle_.Replace(anna_, id, Evidence({Passport("N1234567")}, {"chip-read", "chip-read"})));
  CHECK_REFUSED_UNCHANGED("invalidParameters", id,
                          lifecycle_.Replace(anna_, id, Evidence({Passport("N1234567")}, {"x-ray"})));
  // "none" must stand alone (enrolment's rule, via Decide).
  CHECK_REFUSED_UNCHANGED("invalidParameters", id,
                          lifecycle_.Replace(anna_, id, Evidence({Passport("N1234567"), NoEvidence()}, strong)));
  // Someone else's passport: the evidence is not this person's.
  CHECK_REFUSED_UNCHANGED("duplicate", id,
                          lifecycle_.Replace(anna_, id, Evidence({Passport("P7654321")}, strong)));
  CHECK_REFUSED_UNCHANGED("notFound", id,
                          lifecycle_.Replace(anna_, UnknownIdentifier(), Evidence({Passport("N1234567")}, strong)));
  CHECK_REFUSED_UNCHANGED("notFound", id,
                          lifecycle_.CompleteReplacement(anna_, id, "enr_nosuch"));

  // Revoked by `revoke`: final.
  REQUIRE(enrolments_->Revoke(anna_, other.issued.identifier, "fraud").ok());
  CHECK_REFUSED_UNCHANGED("invalidTransition", other.issued.identifier,
                          lifecycle_.Replace(anna_, other.issued.identifier,
                                             Evidence({Passport("P7654321")}, strong)));
  // A replacement followed by `revoke` before the new device activated: final too.
  REQUIRE(lifecycle_.Replace(anna_, id, Evidence({Passport("N1234567")}, strong)).ok());
  REQUIRE(enrolments_->Revoke(anna_, id, "fraud").ok());
  CHECK_REFUSED_UNCHANGED("invalidTransition", id,
                          lifecycle_.Replace(anna_, id, Evidence({Passport("N1234567")}, strong)));
}

TEST_CASE_FIXTURE(LifecycleFixture, "a level-1 replacement needs a second officer (four-eyes)") {
  auto holder = EnrolAndActivate("Amal", "Hassan", "N1234567");
  const std::string id = holder.issued.identifier;
  auto other = EnrolAndActivate("Yusuf", "Ali", "P7654321");

  Snapshot before = Take(id);
  auto requested = lifecycle_.Replace(anna_, id, Evidence({NoEvidence()}, {}));
  REQUIRE(requested.ok());
  CHECK(requested->status == "needs-approval");
  CHECK(requested->assurance_level == 1);
  CHECK_FALSE(requested->issued.has_value());
  Snapshot after = Take(id);
  // Only the request is recorded: credentials, codes and the person are as they were.
  CHECK(after.credentials == before.credentials);
  CHECK(after.codes == before.codes);
  CHECK(after.person == before.person);
  CHECK(after.audit_seq == before.audit_seq + 1);
  CHECK(LastAudit().entry.action == "deviceReplacementRequested");
  const std::string enr = requested->enrolment_id;

  CHECK_REFUSED_UNCHANGED("approvalRequired", id,
                          lifecycle_.CompleteReplacement(anna_, id, enr));
  auto same = enrolments_->Approve(anna_, enr);
  REQUIRE_FALSE(same.ok());
  CHECK(same.error().code == "sameOfficer");
  // The replacement enrolment never issues a new identifier.
  CHECK_REFUSED_UNCHANGED("invalidTransition", id,
                          enrolments_->Issue(anna_, enr));
  auto approved = enrolments_->Approve(omar_, enr);
  REQUIRE(approved.ok());
  CHECK(approved->status == "approved");
  CHECK_REFUSED_UNCHANGED("invalidTransition", id,
                          enrolments_->Issue(anna_, enr));
  // Not a replacement of that other person.
  CHECK_REFUSED_UNCHANGED("notFound", other.issued.identifier,
                          lifecycle_.CompleteReplacement(anna_, other.issued.identifier, enr));

  auto done = lifecycle_.CompleteReplacement(anna_, id, enr);
  REQUIRE(done.ok());
  CHECK(done->status == "issued");
  REQUIRE(done->issued.has_value());
  auto audit = LastAudit();
  CHECK(audit.entry.action == "deviceReplaced");
  CHECK(audit.entry.detail_json.find(omar_.id) != std::string::npos);
  Snapshot s = Take(id);
  CHECK(s.credentials[0].status == st::CredentialStatus::kRevoked);
  CHECK(s.person.assurance_level == 1);
  crypto::SigningKey key = crypto::SigningKey::Generate();
  auto activated = Activate(done->issued->activation_code, key);
  REQUIRE(activated.ok());
  CHECK(activated->assurance_level == 1);
  CHECK(activated->identifier == id);

  CHECK_REFUSED_UNCHANGED("invalidTransition", id,
                          lifecycle_.CompleteReplacement(anna_, id, enr));
}

TEST_CASE_FIXTURE(LifecycleFixture, "an approved replacement whose document expired since is refused") {
  auto holder = EnrolAndActivate("Amal", "Hassan", "N1234567");
  const std::string id = holder.issued.identifier;
  // A passport without chip-read or visual checks decides level 1: four-eyes.
  auto requested = lifecycle_.Replace(anna_, id, Evidence({Passport("N1234567", "2025-06-30")}, {"face-to-photo"}));
  REQUIRE(requested.ok());
  REQUIRE(requested->status == "needs-approval");
  REQUIRE(enrolments_->Approve(omar_, requested->enrolment_id).ok());
  clock_.Advance(40 * 86400);  // 2025-07-11
  CHECK_REFUSED_UNCHANGED("expiredEvidence", id,
                          lifecycle_.CompleteReplacement(anna_, id, requested->enrolment_id));
}

TEST_CASE_FIXTURE(LifecycleFixture, "link a personnummer: validated, unique, idempotent, searchable") {
  auto holder = EnrolAndActivate("Amal", "Hassan", "N1234567");
  const std::string id = holder.issued.identifier;
  auto other = EnrolAndActivate("Yusuf", "Ali", "P7654321");
  const std::string other_id = other.issued.identifier;

  CHECK_REFUSED_UNCHANGED("invalidParameters", id,
                          lifecycle_.LinkPersonnummer(anna_, id, "19121212-1213"));
  CHECK_REFUSED_UNCHANGED("invalidParameters", id,
                          lifecycle_.LinkPersonnummer(anna_, id, "19121312-1212"));
  CHECK_REFUSED_UNCHANGED("invalidParameters", id,
                          lifecycle_.LinkPersonnummer(anna_, id, "not a number"));
  CHECK_REFUSED_UNCHANGED("invalidParameters", id,
                          lifecycle_.LinkPersonnummer(anna_, id, ""));
  // A samordningsnummer is not a personnummer.
  CHECK_REFUSED_UNCHANGED("invalidParameters", id,
                          lifecycle_.LinkPersonnummer(anna_, id, "701063-2391"));
  CHECK_REFUSED_UNCHANGED("notFound", id,
                          lifecycle_.LinkPersonnummer(anna_, UnknownIdentifier(), "19121212-1212"));

  // The 10-digit form with "+": born 100 or more years ago (1912), stored as 12 digits.
  auto linked = lifecycle_.LinkPersonnummer(anna_, id, "121212+1212");
  REQUIRE(linked.ok());
  CHECK(*linked);
  Snapshot s = Take(id);
  CHECK(s.person.personnummer == "191212121212");
  CHECK(s.person.identifier == id);
  auto audit = LastAudit();
  CHECK(audit.entry.action == "personnummerLinked");
  CHECK(audit.entry.subject == id);
  CHECK(audit.entry.detail_json.find("1212") == std::string::npos);
  auto view = enrolments_->GetPerson(id);
  REQUIRE(view.ok());
  CHECK(view->personnummer == "191212121212");

  // The same number again: idempotent (recorded, nothing changes).
  auto again = lifecycle_.LinkPersonnummer(omar_, id, "19121212-1212");
  REQUIRE(again.ok());
  CHECK_FALSE(*again);
  Snapshot s2 = Take(id);
  CHECK(s2.person == s.person);
  CHECK(s2.credentials == s.credentials);

  // Another number for the same person, or the number for another person: conflict.
  CHECK_REFUSED_UNCHANGED("conflict", id,
                          lifecycle_.LinkPersonnummer(anna_, id, "811218-9876"));
  CHECK_REFUSED_UNCHANGED("conflict", other_id,
                          lifecycle_.LinkPersonnummer(anna_, other_id, "191212121212"));

  // The desk finds the person by the number in any written form.
  for (const char* query : {"191212121212", "19121212-1212", "121212+1212", " 19121212-1212 "}) {
    CAPTURE(query);
    auto found = enrolments_->Search(anna_, query);
    REQUIRE(found.ok());
    REQUIRE(found->size() == 1);
    CHECK((*found)[0].identifier == id);
  }
}

}  // namespace
}  // namespace tillit::service
