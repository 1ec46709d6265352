// IssuerKeys (files, permissions, reload) and AccountService (tokens stored hashed).
#include <doctest/doctest.h>
#include <sys/stat.h>

#include <fstream>
#include <iterator>

#include "service_fixture.h"
#include "tillit/credential/certificate.h"

namespace tillit::service::testing {
namespace {

int Mode(const std::string& path) {
  struct stat st {};
  REQUIRE(::stat(path.c_str(), &st) == 0);
  return static_cast<int>(st.st_mode & 0777);
}

TEST_CASE_FIXTURE(ServiceFixture, "issuer keys are private files that survive a restart") {
  CHECK(Mode(dir_) == 0700);
  for (const char* name : {"ca.key", "ca.pem", "identifier.key", "pepper.key"}) {
    CAPTURE(name);
    CHECK(Mode(dir_ + "/" + name) == 0600);
  }
  auto ca = credential::VerifyCaCertificate(keys_->ca_certificate_der(), kNow);
  REQUIRE(ca.ok());
  CHECK(ca->not_after() - kNow > int64_t{9} * 365 * 86400);

  auto reloaded = IssuerKeys::LoadOrCreate(dir_, clock_);
  REQUIRE(reloaded.ok());
  CHECK(reloaded->ca_certificate_der() == keys_->ca_certificate_der());
  CHECK(reloaded->HashSecret(SecretKind::kOfficerToken, "t") ==
        keys_->HashSecret(SecretKind::kOfficerToken, "t"));
  CHECK(reloaded->HashSecret(SecretKind::kOfficerToken, "t") !=
        reloaded->HashSecret(SecretKind::kRelyingPartyKey, "t"));

  // A truncated key file is refused, not replaced.
  { std::ofstream(dir_ + "/pepper.key", std::ios::trunc) << "short"; }
  auto broken = IssuerKeys::LoadOrCreate(dir_, clock_);
  REQUIRE_FALSE(broken.ok());
  CHECK(broken.error().code == "internalError");
}

TEST_CASE_FIXTURE(ServiceFixture, "officer tokens authenticate and are stored only hashed") {
  auto created = accounts_->AddOfficer("Eva Lind", "Skatteverket", "officer");
  REQUIRE(created.ok());
  CHECK(created->token.size() == 43);
  auto officer = accounts_->AuthenticateOfficer(created->token);
  REQUIRE(officer.ok());
  CHECK(officer->id == created->officer_id);
  CHECK(officer->name == "Eva Lind");

  for (std::string bad : {std::string(), std::string("x"), created->token + "x",
                          std::string(500, 'a')}) {
    auto r = accounts_->AuthenticateOfficer(bad);
    REQUIRE_FALSE(r.ok());
    CHECK(r.error().code == "unauthorized");
  }
  auto revoked = store_->Write(server::storage::Durability::kDurable,
                               [&](server::storage::Transaction& tx) {
                                 return store_->officers().Revoke(tx, created->officer_id, kNow);
                               });
  REQUIRE(revoked.ok());
  auto after = accounts_->AuthenticateOfficer(created->token);
  REQUIRE_FALSE(after.ok());
  CHECK(after.error().code == "unauthorized");

  CHECK_FALSE(accounts_->AddOfficer("X", "Y", "admin").ok());
  CHECK_FALSE(accounts_->AddOfficer("", "Y", "officer").ok());

  auto rp = accounts_->AddRelyingParty("Exempelkommun");
  REQUIRE(rp.ok());
  CHECK(rp->api_key.size() == 43);
  CHECK(accounts_->AddRelyingParty("Region Skåne – 1177").ok());
  // Names are shown and signed on the device: UTF-8 only, no control characters.
  for (const char* bad : {"", "Latin-1 \xe5", "cut \xe2\x80", "tab\there"}) {
    auto refused = accounts_->AddRelyingParty(bad);
    REQUIRE_FALSE(refused.ok());
    CHECK(refused.error().code == "invalidParameters");
  }

  // Neither secret appears in the database file.
  store_.reset();
  std::ifstream db(DatabasePath(dir_), std::ios::binary);
  std::string bytes((std::istreambuf_iterator<char>(db)), std::istreambuf_iterator<char>());
  std::ifstream wal(DatabasePath(dir_) + "-wal", std::ios::binary);
  bytes.append((std::istreambuf_iterator<char>(wal)), std::istreambuf_iterator<char>());
  CHECK(bytes.find(created->token) == std::string::npos);
  CHECK(bytes.find(rp->api_key) == std::string::npos);
}

TEST_CASE_FIXTURE(ServiceFixture, "relying party API keys authenticate until revoked") {
  auto created = accounts_->AddRelyingParty("Exempelkommun");
  REQUIRE(created.ok());
  auto other = accounts_->AddRelyingParty("Annan kommun");
  REQUIRE(other.ok());
  auto rp = accounts_->AuthenticateRelyingParty(created->api_key);
  REQUIRE(rp.ok());
  CHECK(rp->id == created->rp_id);
  CHECK(rp->name == "Exempelkommun");
  auto rp2 = accounts_->AuthenticateRelyingParty(other->api_key);
  REQUIRE(rp2.ok());
  CHECK(rp2->id == other->rp_id);

  // An officer token is not an API key, even for the same bytes (the HMAC label differs).
  auto officer = accounts_->AddOfficer("Eva Lind", "Skatteverket", "officer");
  REQUIRE(officer.ok());
  for (std::string bad : {std::string(), std::string("x"), created->api_key + "x",
                          created->api_key.substr(1), std::string(500, 'a'), officer->token}) {
    auto r = accounts_->AuthenticateRelyingParty(bad);
    REQUIRE_FALSE(r.ok());
    CHECK(r.error().code == "unauthorized");
  }
  CHECK(accounts_->AuthenticateOfficer(created->api_key).error().code == "unauthorized");

  // Revoked by another process sharing the database (written straight to storage): this
  // process's cache of authenticated keys lets the key work for at most
  // kRelyingPartyCacheMillis more.
  auto revoked = store_->Write(server::storage::Durability::kDurable,
                               [&](server::storage::Transaction& tx) {
                                 return store_->relying_parties().Revoke(tx, created->rp_id, kNow);
                               });
  REQUIRE(revoked.ok());
  clock_.AdvanceMillis(kRelyingPartyCacheMillis);
  auto after = accounts_->AuthenticateRelyingParty(created->api_key);
  REQUIRE_FALSE(after.ok());
  CHECK(after.error().code == "unauthorized");
  CHECK(accounts_->AuthenticateRelyingParty(other->api_key).ok());
}

TEST_CASE_FIXTURE(ServiceFixture, "RevokeRelyingParty stops a cached API key at once") {
  auto created = accounts_->AddRelyingParty("Exempelkommun");
  REQUIRE(created.ok());
  auto other = accounts_->AddRelyingParty("Annan kommun");
  REQUIRE(other.ok());
  REQUIRE(accounts_->AuthenticateRelyingParty(created->api_key).ok());  // now cached
  REQUIRE(accounts_->AuthenticateRelyingParty(other->api_key).ok());

  // Cached: a revocation written by another process is not seen within the cache time...
  auto elsewhere = store_->Write(server::storage::Durability::kDurable,
                                 [&](server::storage::Transaction& tx) {
                                   return store_->relying_parties().Revoke(tx, other->rp_id, kNow);
                                 });
  REQUIRE(elsewhere.ok());
  clock_.AdvanceMillis(kRelyingPartyCacheMillis - 1);
  CHECK(accounts_->AuthenticateRelyingParty(other->api_key).ok());
  // ...and is once it has passed.
  clock_.AdvanceMillis(1);
  CHECK(accounts_->AuthenticateRelyingParty(other->api_key).error().code == "unauthorized");

  // Through the service: at once, cached or not.
  REQUIRE(accounts_->AuthenticateRelyingParty(created->api_key).ok());
  REQUIRE(accounts_->RevokeRelyingParty(created->rp_id).ok());
  auto after = accounts_->AuthenticateRelyingParty(created->api_key);
  REQUIRE_FALSE(after.ok());
  CHECK(after.error().code == "unauthorized");
  // Twice is fine; an unknown id is notFound.
  CHECK(accounts_->RevokeRelyingParty(created->rp_id).ok());
  CHECK(accounts_->RevokeRelyingParty("rp_0000000000000000").error().code == "notFound");
  // Audited.
  bool audited = false;
  for (const auto& e : AuditEntries()) {
    audited |= e.action == "relyingPartyRevoked" && e.subject == created->rp_id;
  }
  CHECK(audited);

  // A clock that goes back does not keep a stale entry alive.
  auto third = accounts_->AddRelyingParty("Tredje kommun");
  REQUIRE(third.ok());
  REQUIRE(accounts_->AuthenticateRelyingParty(third->api_key).ok());
  REQUIRE(store_
              ->Write(server::storage::Durability::kDurable,
                      [&](server::storage::Transaction& tx) {
                        return store_->relying_parties().Revoke(tx, third->rp_id, kNow);
                      })
              .ok());
  clock_.AdvanceMillis(-10 * kRelyingPartyCacheMillis);
  CHECK(accounts_->AuthenticateRelyingParty(third->api_key).error().code == "unauthorized");
}

TEST_CASE_FIXTURE(ServiceFixture, "RotateRelyingPartyKey: the new key works, the old one stops at once") {
  auto created = accounts_->AddRelyingParty("Exempelkommun", "CN=e-tjanst,O=Exempelkommun,C=SE");
  REQUIRE(created.ok());
  REQUIRE(accounts_->AuthenticateRelyingParty(created->api_key).ok());  // now cached
  auto rotated = accounts_->RotateRelyingPartyKey(created->rp_id);
  REQUIRE(rotated.ok());
  CHECK(rotated->size() == created->api_key.size());
  CHECK(*rotated != created->api_key);
  CHECK(accounts_->AuthenticateRelyingParty(created->api_key).error().code == "unauthorized");
  auto by_new = accounts_->AuthenticateRelyingParty(*rotated);
  REQUIRE(by_new.ok());
  CHECK(by_new->id == created->rp_id);
  CHECK(by_new->name == "Exempelkommun");
  // The client certificate subject stays.
  auto by_subject =
      accounts_->AuthenticateRelyingPartyByClientSubject("CN=e-tjanst,O=Exempelkommun,C=SE");
  REQUIRE(by_subject.ok());
  CHECK(by_subject->id == created->rp_id);
  // Audited, without the key.
  bool audited = false;
  for (const auto& e : AuditEntries()) {
    audited |= e.action == "relyingPartyKeyRotated" && e.subject == created->rp_id;
    CHECK(e.detail_json.find(*rotated) == std::string::npos);
  }
  CHECK(audited);
  // Unknown is notFound; revoked is a conflict, and the revoked party's key stays refused.
  CHECK(accounts_->RotateRelyingPartyKey("rp_0000000000000000").error().code == "notFound");
  REQUIRE(accounts_->RevokeRelyingParty(created->rp_id).ok());
  CHECK(accounts_->RotateRelyingPartyKey(created->rp_id).error().code == "conflict");
  CHECK(accounts_->AuthenticateRelyingParty(*rotated).error().code == "unauthorized");
}

}  // namespace
}  // namespace tillit::service::testing
