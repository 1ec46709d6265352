// AccountService and e-services that authenticate by TLS client certificate subject
// (docs/http.md §TLS): registering, changing and clearing a subject, the same
// "unauthorized" as for API keys, and revocation and subject changes taking effect at once
// despite the cache.
#include <doctest/doctest.h>

#include <string>

#include "service_fixture.h"

namespace tillit::service::testing {
namespace {

constexpr const char* kSubject = "CN=e-tjanst,O=Exempelkommun,C=SE";

TEST_CASE("CheckClientSubject takes RFC 2253 text and refuses the rest") {
  for (std::string good : {std::string(kSubject), std::string("CN=a"),
                           std::string("CN=G\\C3\\B6teborg,O=Kommun\\, IT,C=SE"),
                           std::string("1.2.3.4=#0403616263"),
                           std::string(kMaxClientSubjectBytes - 3, 'a') + "=ab"}) {
    CAPTURE(good);
    CHECK(CheckClientSubject(good).ok());
  }
  for (std::string bad : {std::string(), std::string("e-tjanst"), std::string("CN=a\nO=b"),
                          std::string("CN=G\xC3\xB6teborg"), std::string("CN=a\tb"),
                          std::string("CN=") + std::string(kMaxClientSubjectBytes, 'a'),
                          std::string("CN=a\0b", 6)}) {
    CAPTURE(bad);
    Status checked = CheckClientSubject(bad);
    REQUIRE_FALSE(checked.ok());
    CHECK(checked.error().code == "invalidParameters");
  }
}

TEST_CASE_FIXTURE(ServiceFixture, "a registered subject authenticates its e-service, nothing else does") {
  auto created = accounts_->AddRelyingParty("Exempelkommun", kSubject);
  REQUIRE(created.ok());
  auto plain = accounts_->AddRelyingParty("Annan kommun");
  REQUIRE(plain.ok());

  auto by_subject = accounts_->AuthenticateRelyingPartyByClientSubject(kSubject);
  REQUIRE(by_subject.ok());
  CHECK(by_subject->id == created->rp_id);
  CHECK(by_subject->name == "Exempelkommun");
  // The API key keeps working beside the certificate.
  auto by_key = accounts_->AuthenticateRelyingParty(created->api_key);
  REQUIRE(by_key.ok());
  CHECK(by_key->id == created->rp_id);

  for (std::string bad : {std::string(), std::string("CN=e-tjanst,O=Exempelkommun"),
                          std::string("cn=e-tjanst,o=Exempelkommun,c=SE"),
                          std::string(kSubject) + " ", std::string(5000, 'a'),
                          created->api_key}) {
    CAPTURE(bad);
    auto r = accounts_->AuthenticateRelyingPartyByClientSubject(bad);
    REQUIRE_FALSE(r.ok());
    CHECK(r.error().code == "unauthorized");
  }
  // Neither kind of credential passes for the other, even with the same text.
  CHECK(accounts_->AuthenticateRelyingParty(kSubject).error().code == "unauthorized");

  // A second party cannot take the subject, at add or later.
  auto clash = accounts_->AddRelyingParty("Tredje", kSubject);
  REQUIRE_FALSE(clash.ok());
  CHECK(clash.error().code == "conflict");
  CHECK(accounts_->SetRelyingPartyClientSubject(plain->rp_id, kSubject).error().code == "conflict");
  // A bad subject is refused before anything is written.
  auto invalid = accounts_->AddRelyingParty("Fjärde", "no equals sign");
  REQUIRE_FALSE(invalid.ok());
  CHECK(invalid.error().code == "invalidParameters");
  CHECK(accounts_->SetRelyingPartyClientSubject(plain->rp_id, "CN=a\n").error().code ==
        "invalidParameters");
  CHECK(accounts_->SetRelyingPartyClientSubject("rp_0000000000000000", "CN=x").error().code ==
        "notFound");
}

TEST_CASE_FIXTURE(ServiceFixture, "changing, clearing and revoking take effect at once, cached or not") {
  auto created = accounts_->AddRelyingParty("Exempelkommun");
  REQUIRE(created.ok());
  REQUIRE(accounts_->SetRelyingPartyClientSubject(created->rp_id, kSubject).ok());
  REQUIRE(accounts_->AuthenticateRelyingPartyByClientSubject(kSubject).ok());  // now cached

  // A new subject: the old one stops at once, the new one works.
  const std::string renewed = "CN=e-tjanst 2026,O=Exempelkommun,C=SE";
  REQUIRE(accounts_->SetRelyingPartyClientSubject(created->rp_id, renewed).ok());
  CHECK(accounts_->AuthenticateRelyingPartyByClientSubject(kSubject).error().code ==
        "unauthorized");
  auto now_renewed = accounts_->AuthenticateRelyingPartyByClientSubject(renewed);
  REQUIRE(now_renewed.ok());
  CHECK(now_renewed->id == created->rp_id);

  // Cleared: only the API key is left.
  REQUIRE(accounts_->SetRelyingPartyClientSubject(created->rp_id, "").ok());
  CHECK(accounts_->AuthenticateRelyingPartyByClientSubject(renewed).error().code ==
        "unauthorized");
  CHECK(accounts_->AuthenticateRelyingParty(created->api_key).ok());

  // Revoked: the subject stops at once too.
  REQUIRE(accounts_->SetRelyingPartyClientSubject(created->rp_id, kSubject).ok());
  REQUIRE(accounts_->AuthenticateRelyingPartyByClientSubject(kSubject).ok());
  REQUIRE(accounts_->RevokeRelyingParty(created->rp_id).ok());
  CHECK(accounts_->AuthenticateRelyingPartyByClientSubject(kSubject).error().code ==
        "unauthorized");
  CHECK(accounts_->AuthenticateRelyingParty(created->api_key).error().code == "unauthorized");

  // The revoked party still holds its subject until it is cleared there.
  auto successor = accounts_->AddRelyingParty("Exempelkommun (ny)");
  REQUIRE(successor.ok());
  CHECK(accounts_->SetRelyingPartyClientSubject(successor->rp_id, kSubject).error().code ==
        "conflict");
  REQUIRE(accounts_->SetRelyingPartyClientSubject(created->rp_id, "").ok());
  REQUIRE(accounts_->SetRelyingPartyClientSubject(successor->rp_id, kSubject).ok());
  auto moved = accounts_->AuthenticateRelyingPartyByClientSubject(kSubject);
  REQUIRE(moved.ok());
  CHECK(moved->id == successor->rp_id);

  // Every change is audited with the subject it set (null when cleared).
  int changes = 0;
  bool cleared = false;
  for (const auto& e : AuditEntries()) {
    if (e.action != "relyingPartyClientSubjectSet") continue;
    ++changes;
    cleared |= e.subject == created->rp_id && e.detail_json == "{\"clientSubject\":null}";
  }
  CHECK(changes == 6);
  CHECK(cleared);
}

TEST_CASE_FIXTURE(ServiceFixture, "a change written by another process is seen within the cache time") {
  auto created = accounts_->AddRelyingParty("Exempelkommun", kSubject);
  REQUIRE(created.ok());
  REQUIRE(accounts_->AuthenticateRelyingPartyByClientSubject(kSubject).ok());
  auto elsewhere = store_->Write(server::storage::Durability::kDurable,
                                 [&](server::storage::Transaction& tx) {
                                   return store_->relying_parties().SetClientSubject(
                                       tx, created->rp_id, std::nullopt);
                                 });
  REQUIRE(elsewhere.ok());
  clock_.AdvanceMillis(kRelyingPartyCacheMillis - 1);
  CHECK(accounts_->AuthenticateRelyingPartyByClientSubject(kSubject).ok());
  clock_.AdvanceMillis(1);
  CHECK(accounts_->AuthenticateRelyingPartyByClientSubject(kSubject).error().code ==
        "unauthorized");
}

}  // namespace
}  // namespace tillit::service::testing
