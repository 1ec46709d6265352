// EnrolmentService and ActivationService end to end on a real SQLite store in a temp data
// directory: enrol, four-eyes, duplicates, issue, activate with a device key, revoke.
#include <doctest/doctest.h>

#include <mutex>
#include <set>
#include <thread>

#include "service_fixture.h"
#include "tillit/credential/certificate.h"

namespace tillit::service::testing {
namespace {

namespace st = server::storage;

std::string WrongSecret(const std::string& code) {
  auto canonical = CanonicalActivationCode(code);
  REQUIRE(canonical.ok());
  std::string wrong = *canonical;
  wrong.back() = wrong.back() == 'A' ? 'B' : 'A';
  return wrong;
}

uint64_t IssuedCount(st::Store& store) {
  auto next = store.Read([&](st::ReadTransaction& tx) {
    return store.counters().Peek(tx, st::kIdentifierSerialCounter);
  });
  REQUIRE(next.ok());
  return *next;
}

TEST_CASE_FIXTURE(ServiceFixture, "enrol, issue and activate with a device key") {
  auto created = enrolments_->Create(anna_, Request("Amal", "Hassan", "N1234567"));
  REQUIRE(created.ok());
  CHECK(created->status == "ready");
  CHECK(created->assurance_level == 3);
  CHECK(created->possible_duplicates.empty());

  auto issued = enrolments_->Issue(anna_, created->enrolment_id);
  REQUIRE(issued.ok());
  CHECK(issued->identifier.size() == 12);
  CHECK(issued->activation_code.size() == 19);
  CHECK(issued->expires_at == kNow + 15 * 60);
  auto view = enrolments_->Get(created->enrolment_id);
  REQUIRE(view.ok());
  CHECK(view->status == "issued");
  CHECK(view->identifier == issued->identifier);

  auto person = enrolments_->GetPerson(issued->identifier);
  REQUIRE(person.ok());
  CHECK(person->summary.status == "pending");

  crypto::SigningKey device = crypto::SigningKey::Generate();
  // Lower case and without hyphens is the same code.
  std::string typed = issued->activation_code;
  for (auto& c : typed) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  auto credential = Activate(typed, device);
  REQUIRE(credential.ok());
  CHECK(credential->identifier == issued->identifier);
  CHECK(credential->assurance_level == 3);
  CHECK(credential->given_name == "Amal");
  auto verified = credential::VerifyHolderCertificate(credential->certificate_der,
                                                      credential->ca_certificate_der, kNow);
  REQUIRE(verified.ok());
  CHECK(verified->identifier().ToString() == issued->identifier);
  CHECK(verified->serial_hex() == credential->credential_serial);
  CHECK(verified->holder_key() == device.verifying_key());
  CHECK(verified->evidence_class() == credential::EvidenceClass::kIdentityDocument);

  person = enrolments_->GetPerson(issued->identifier);
  REQUIRE(person.ok());
  CHECK(person->summary.status == "active");
  REQUIRE(person->credentials.size() == 1);
  CHECK(person->credentials[0].serial == credential->credential_serial);

  // The code is single use.
  auto again = activations_->Challenge(issued->activation_code);
  REQUIRE_FALSE(again.ok());
  CHECK(again.error().code == "invalidCode");

  auto found = enrolments_->Search(anna_, "hassan");
  REQUIRE(found.ok());
  REQUIRE(found->size() == 1);
  CHECK((*found)[0].identifier == issued->identifier);
}

TEST_CASE_FIXTURE(ServiceFixture, "four-eyes: level 1 needs a second officer") {
  auto created = enrolments_->Create(anna_, Request("Amal", "Hassan", "N1234567", {}));
  REQUIRE(created.ok());
  CHECK(created->assurance_level == 1);
  CHECK(created->status == "needs-approval");

  auto early = enrolments_->Issue(anna_, created->enrolment_id);
  REQUIRE_FALSE(early.ok());
  CHECK(early.error().code == "approvalRequired");
  CHECK(IssuedCount(*store_) == 0);

  auto self = enrolments_->Approve(anna_, created->enrolment_id);
  REQUIRE_FALSE(self.ok());
  CHECK(self.error().code == "sameOfficer");

  auto approved = enrolments_->Approve(omar_, created->enrolment_id);
  REQUIRE(approved.ok());
  CHECK(approved->status == "approved");
  CHECK(approved->approved_by == omar_.id);

  auto twice = enrolments_->Approve(omar_, created->enrolment_id);
  REQUIRE_FALSE(twice.ok());
  CHECK(twice.error().code == "invalidTransition");

  auto issued = enrolments_->Issue(anna_, created->enrolment_id);
  REQUIRE(issued.ok());
  auto reissue = enrolments_->Issue(anna_, created->enrolment_id);
  REQUIRE_FALSE(reissue.ok());
  CHECK(reissue.error().code == "invalidTransition");
}

TEST_CASE_FIXTURE(ServiceFixture, "a hard duplicate points to the existing person") {
  auto first = EnrolAndIssue("Amal", "Hassan", "N1234567");
  auto second = enrolments_->Create(omar_, Request("Amina", "Karimi", "n123-4567", {}, "1985"));
  REQUIRE(second.ok());
  CHECK(second->status == "duplicate");
  CHECK(second->existing_identifier == first.identifier);
  auto issued = enrolments_->Issue(omar_, second->enrolment_id);
  REQUIRE_FALSE(issued.ok());
  CHECK(issued.error().code == "invalidTransition");
  CHECK(IssuedCount(*store_) == 1);
}

TEST_CASE_FIXTURE(ServiceFixture, "concurrent enrolments of one passport: the second issue is a duplicate") {
  // Both are created before either is issued, so neither sees the other.
  auto a = enrolments_->Create(anna_, Request("Amal", "Hassan", "N1234567"));
  auto b = enrolments_->Create(omar_, Request("Karim", "Nasser", "N1234567", {"chip-read", "face-to-photo"}, "1970"));
  REQUIRE(a.ok());
  REQUIRE(b.ok());
  REQUIRE(b->status == "ready");
  REQUIRE(enrolments_->Issue(anna_, a->enrolment_id).ok());
  auto second = enrolments_->Issue(omar_, b->enrolment_id);
  REQUIRE_FALSE(second.ok());
  CHECK(second.error().code == "duplicate");
  CHECK(IssuedCount(*store_) == 1);  // the serial was given back with the rollback
  auto view = enrolments_->Get(b->enrolment_id);
  REQUIRE(view.ok());
  CHECK(view->status == "ready");
}

TEST_CASE_FIXTURE(ServiceFixture, "a possible duplicate must be resolved and approved") {
  auto first = EnrolAndIssue("Mohammed", "Hassan", "N1111111");
  auto created = enrolments_->Create(anna_, Request("Muhammad", "Hasan", "P2222222"));
  REQUIRE(created.ok());
  CHECK(created->status == "needs-approval");
  REQUIRE(created->possible_duplicates.size() == 1);
  CHECK(created->possible_duplicates[0].identifier == first.identifier);
  CHECK(created->possible_duplicates[0].resolution == "unresolved");

  auto approve = enrolments_->Approve(omar_, created->enrolment_id);
  REQUIRE_FALSE(approve.ok());
  CHECK(approve.error().code == "unresolvedMatches");
  auto issue = enrolments_->Issue(anna_, created->enrolment_id);
  REQUIRE_FALSE(issue.ok());
  CHECK(issue.error().code == "approvalRequired");

  auto no_reason = enrolments_->ResolveDifferent(anna_, created->enrolment_id, "  ");
  REQUIRE_FALSE(no_reason.ok());
  CHECK(no_reason.error().code == "invalidParameters");

  auto resolved = enrolments_->ResolveDifferent(anna_, created->enrolment_id, "different father");
  REQUIRE(resolved.ok());
  CHECK(resolved->status == "needs-approval");  // approval once required stays required
  CHECK(resolved->possible_duplicates[0].resolution == "different");
  issue = enrolments_->Issue(anna_, created->enrolment_id);
  REQUIRE_FALSE(issue.ok());
  CHECK(issue.error().code == "approvalRequired");

  REQUIRE(enrolments_->Approve(omar_, created->enrolment_id).ok());
  auto issued = enrolments_->Issue(anna_, created->enrolment_id);
  REQUIRE(issued.ok());
  CHECK(issued->identifier != first.identifier);
}

TEST_CASE_FIXTURE(ServiceFixture, "resolving a possible duplicate as the same person") {
  auto first = EnrolAndIssue("Mohammed", "Hassan", "N1111111");
  auto created = enrolments_->Create(anna_, Request("Muhammad", "Hasan", "P2222222"));
  REQUIRE(created.ok());
  auto unknown = enrolments_->ResolveSame(anna_, created->enrolment_id, "garbage");
  REQUIRE_FALSE(unknown.ok());
  CHECK(unknown.error().code == "invalidParameters");
  auto same = enrolments_->ResolveSame(anna_, created->enrolment_id, first.identifier);
  REQUIRE(same.ok());
  CHECK(same->status == "duplicate");
  CHECK(same->existing_identifier == first.identifier);
  auto issue = enrolments_->Issue(anna_, created->enrolment_id);
  REQUIRE_FALSE(issue.ok());
  CHECK(issue.error().code == "invalidTransition");
}

TEST_CASE_FIXTURE(ServiceFixture, "invalid input and expired evidence are refused, nothing stored") {
  auto bad = Request("Amal", "Hassan", "N1234567");
  bad.person.nationality = "ZZZ";
  auto r = enrolments_->Create(anna_, bad);
  REQUIRE_FALSE(r.ok());
  CHECK(r.error().code == "invalidParameters");

  auto expired = Request("Amal", "Hassan", "N1234567");
  expired.evidence[0].expiry = "2024-01-01";
  r = enrolments_->Create(anna_, expired);
  REQUIRE_FALSE(r.ok());
  CHECK(r.error().code == "expiredEvidence");

  auto twice = Request("Amal", "Hassan", "N1234567", {"chip-read", "chip-read"});
  r = enrolments_->Create(anna_, twice);
  REQUIRE_FALSE(r.ok());
  CHECK(r.error().code == "invalidParameters");

  auto missing = enrolments_->Get("enr_0000000000000000");
  REQUIRE_FALSE(missing.ok());
  CHECK(missing.error().code == "notFound");
}

TEST_CASE_FIXTURE(ServiceFixture, "five wrong secrets kill the code") {
  auto issued = EnrolAndIssue("Amal", "Hassan", "N1234567");
  std::string wrong = WrongSecret(issued.activation_code);
  for (int i = 0; i < 5; ++i) {
    auto r = activations_->Challenge(wrong);
    REQUIRE_FALSE(r.ok());
    CHECK(r.error().code == "invalidCode");
  }
  crypto::SigningKey device = crypto::SigningKey::Generate();
  auto r = Activate(issued.activation_code, device);
  REQUIRE_FALSE(r.ok());
  CHECK(r.error().code == "invalidCode");
}

TEST_CASE_FIXTURE(ServiceFixture, "four wrong secrets still let the right code through") {
  auto issued = EnrolAndIssue("Amal", "Hassan", "N1234567");
  std::string wrong = WrongSecret(issued.activation_code);
  for (int i = 0; i < 4; ++i) CHECK_FALSE(activations_->Challenge(wrong).ok());
  crypto::SigningKey device = crypto::SigningKey::Generate();
  CHECK(Activate(issued.activation_code, device).ok());
}

TEST_CASE_FIXTURE(ServiceFixture, "an activation code expires after 15 minutes") {
  auto issued = EnrolAndIssue("Amal", "Hassan", "N1234567");
  clock_.Advance(16 * 60);
  auto r = activations_->Challenge(issued.activation_code);
  REQUIRE_FALSE(r.ok());
  CHECK(r.error().code == "codeExpired");
  auto unknown = activations_->Challenge("AAAA-AAAA-AAAA-AAAA");
  REQUIRE_FALSE(unknown.ok());
  CHECK(unknown.error().code == "invalidCode");
  auto malformed = activations_->Challenge("not a code");
  REQUIRE_FALSE(malformed.ok());
  CHECK(malformed.error().code == "invalidCode");
}

TEST_CASE_FIXTURE(ServiceFixture, "a bad signature or stale nonce is refused and the code survives") {
  auto issued = EnrolAndIssue("Amal", "Hassan", "N1234567");
  crypto::SigningKey device = crypto::SigningKey::Generate();
  crypto::SigningKey other = crypto::SigningKey::Generate();
  auto challenge = activations_->Challenge(issued.activation_code);
  REQUIRE(challenge.ok());
  auto canonical = CanonicalActivationCode(issued.activation_code);
  REQUIRE(canonical.ok());
  Bytes message = ActivationSignedMessage(challenge->nonce, *canonical, device.verifying_key().bytes());

  // Signed by another key than the one presented.
  auto wrong_key = activations_->Complete(issued.activation_code, challenge->nonce,
                                          device.verifying_key().bytes(), other.Sign(message).bytes());
  REQUIRE_FALSE(wrong_key.ok());
  CHECK(wrong_key.error().code == "invalidParameters");
  // A flipped bit.
  const crypto::Signature good = device.Sign(message);
  Bytes sig(good.bytes().begin(), good.bytes().end());
  sig[10] ^= 1;
  auto flipped = activations_->Complete(issued.activation_code, challenge->nonce,
                                        device.verifying_key().bytes(), sig);
  REQUIRE_FALSE(flipped.ok());
  // Another nonce than the pending one.
  Bytes nonce = challenge->nonce;
  nonce[0] ^= 1;
  auto stale = activations_->Complete(issued.activation_code, nonce, device.verifying_key().bytes(),
                                      device.Sign(ActivationSignedMessage(nonce, *canonical,
                                                  device.verifying_key().bytes())).bytes());
  REQUIRE_FALSE(stale.ok());
  CHECK(stale.error().code == "invalidParameters");
  // The nonce expires after 5 minutes.
  clock_.Advance(6 * 60);
  auto late = activations_->Complete(issued.activation_code, challenge->nonce,
                                     device.verifying_key().bytes(), device.Sign(message).bytes());
  REQUIRE_FALSE(late.ok());
  CHECK(late.error().code == "invalidParameters");

  // The code was not consumed: a fresh challenge works.
  auto ok = Activate(issued.activation_code, device);
  REQUIRE(ok.ok());
  // The same device key cannot be registered twice.
  auto issued2 = EnrolAndIssue("Karim", "Nasser", "K7654321");
  auto dup = Activate(issued2.activation_code, device);
  REQUIRE_FALSE(dup.ok());
  CHECK(dup.error().code == "conflict");
}

TEST_CASE_FIXTURE(ServiceFixture, "revoke stops every credential of the person") {
  auto issued = EnrolAndIssue("Amal", "Hassan", "N1234567");
  crypto::SigningKey device = crypto::SigningKey::Generate();
  REQUIRE(Activate(issued.activation_code, device).ok());
  auto no_reason = enrolments_->Revoke(anna_, issued.identifier, "");
  REQUIRE_FALSE(no_reason.ok());
  auto revoked = enrolments_->Revoke(anna_, issued.identifier, "phone stolen");
  REQUIRE(revoked.ok());
  CHECK(*revoked == 1);
  auto person = enrolments_->GetPerson(issued.identifier);
  REQUIRE(person.ok());
  CHECK(person->summary.status == "revoked");
  CHECK(person->credentials[0].status == "revoked");
  auto again = enrolments_->Revoke(anna_, issued.identifier, "again");
  REQUIRE(again.ok());
  CHECK(*again == 0);
  auto unknown = enrolments_->Revoke(anna_, "not-an-identifier", "x");
  REQUIRE_FALSE(unknown.ok());
  CHECK(unknown.error().code == "notFound");
}

TEST_CASE_FIXTURE(ServiceFixture, "16 enrolments issued from 8 threads get 16 distinct identifiers") {
  std::vector<std::string> ids;
  const char* given[] = {"Amal", "Karim", "Sara", "Yonas", "Leila", "Dawit", "Nour", "Farid",
                         "Hiba", "Tesfay", "Rania", "Bilal", "Zahra", "Omid", "Selam", "Tariq"};
  const char* surname[] = {"Hassan", "Nasser", "Tekle", "Ghebre", "Karimi", "Abebe", "Haddad",
                           "Rahimi", "Saleh", "Berhane", "Khoury", "Qureshi", "Mansour",
                           "Jafari", "Alemu", "Aziz"};
  for (int i = 0; i < 16; ++i) {
    auto created = enrolments_->Create(
        anna_, Request(given[i], surname[i], "X" + std::to_string(1000000 + i),
                       {"chip-read", "face-to-photo"}, std::to_string(1960 + i)));
    REQUIRE(created.ok());
    ids.push_back(created->enrolment_id);
  }
  std::mutex mu;
  std::set<std::string> identifiers;
  int failures = 0;
  std::vector<std::thread> threads;
  for (int t = 0; t < 8; ++t) {
    threads.emplace_back([&, t] {
      for (int k = 0; k < 2; ++k) {
        auto issued = enrolments_->Issue(t % 2 ? anna_ : omar_, ids[t * 2 + k]);
        std::lock_guard<std::mutex> lock(mu);
        if (issued.ok()) {
          identifiers.insert(issued->identifier);
        } else {
          ++failures;
        }
      }
    });
  }
  for (auto& th : threads) th.join();
  CHECK(failures == 0);
  CHECK(identifiers.size() == 16);
  CHECK(IssuedCount(*store_) == 16);
}

}  // namespace
}  // namespace tillit::service::testing
