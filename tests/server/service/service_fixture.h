// Test fixture for the service tests: a fresh data directory with issuer keys, a SQLite
// store, a FixedClock, two officers, and helpers to enrol and to play the device.
#pragma once

#include <doctest/doctest.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cstdlib>
#include <filesystem>
#include <memory>
#include <string>

#include "tillit/crypto/ed25519.h"
#include "tillit/ports.h"
#include "tillit/service/accounts.h"
#include "tillit/service/activation_service.h"
#include "tillit/service/enrolment_service.h"
#include "tillit/service/issuer_keys.h"
#include "tillit/storage/sqlite_store.h"

namespace tillit::service::testing {

// 2025-06-01T10:00:00Z.
inline constexpr int64_t kNow = 1748772000;

class ServiceFixture {
 public:
  ServiceFixture() : clock_(kNow) {
    char tmpl[] = "/tmp/tillit-service-test-XXXXXX";
    REQUIRE(::mkdtemp(tmpl) != nullptr);
    root_ = tmpl;
    dir_ = root_ + "/data";
    auto keys = IssuerKeys::LoadOrCreate(dir_, clock_);
    REQUIRE(keys.ok());
    keys_ = std::make_unique<IssuerKeys>(std::move(*keys));
    auto store = server::storage::OpenSqliteStore({.path = DatabasePath(dir_)});
    REQUIRE(store.ok());
    store_ = std::move(*store);
    accounts_ = std::make_unique<AccountService>(*store_, clock_, *keys_);
    enrolments_ = std::make_unique<EnrolmentService>(*store_, clock_, *keys_);
    activations_ = std::make_unique<ActivationService>(*store_, clock_, *keys_);
    anna_ = AddOfficer("Anna Berg", "officer");
    omar_ = AddOfficer("Omar Said", "supervisor");
  }
  ~ServiceFixture() {
    activations_.reset();
    enrolments_.reset();
    accounts_.reset();
    store_.reset();
    std::error_code ignored;
    std::filesystem::remove_all(root_, ignored);
  }

  Officer AddOfficer(const std::string& name, const std::string& role) {
    auto created = accounts_->AddOfficer(name, "Migrationsverket", role);
    REQUIRE(created.ok());
    auto officer = accounts_->AuthenticateOfficer(created->token);
    REQUIRE(officer.ok());
    return *officer;
  }

  // A person with a passport; `checks` decide the level (chip-read + face-to-photo: 3).
  static EnrolmentRequest Request(std::string given, std::string surname, std::string passport,
                                  std::vector<std::string> checks = {"chip-read", "face-to-photo"},
                                  std::string birth_date = "1990-04-01") {
    EnrolmentRequest r;
    r.person.given_name = std::move(given);
    r.person.surname = std::move(surname);
    r.person.birth_date = std::move(birth_date);
    r.person.nationality = "SYR";
    r.evidence.push_back({.type = "passport", .number = std::move(passport), .country = "SYR",
                          .expiry = "2030-01-01"});
    r.checks = std::move(checks);
    return r;
  }

  // Enrols and issues (level 3, no matches expected); returns the issue result.
  IssuedIdentifier EnrolAndIssue(std::string given, std::string surname, std::string passport) {
    auto created = enrolments_->Create(anna_, Request(given, surname, passport));
    REQUIRE(created.ok());
    REQUIRE(created->status == "ready");
    auto issued = enrolments_->Issue(anna_, created->enrolment_id);
    REQUIRE(issued.ok());
    return *issued;
  }

  // The device: a challenge, then a signed completion with `key`.
  Result<ActivatedCredential> Activate(const std::string& code, const crypto::SigningKey& key) {
    TILLIT_TRY_ASSIGN(auto challenge, activations_->Challenge(code));
    auto canonical = CanonicalActivationCode(code);
    REQUIRE(canonical.ok());
    Bytes message = ActivationSignedMessage(challenge.nonce, *canonical,
                                            key.verifying_key().bytes());
    crypto::Signature sig = key.Sign(message);
    return activations_->Complete(code, challenge.nonce, key.verifying_key().bytes(), sig.bytes());
  }

  // A resident with an activated credential: what the device holds.
  struct DeviceHolder {
    IssuedIdentifier issued;
    ActivatedCredential credential;
    crypto::SigningKey key;
  };

  // Enrols and issues `request` (it must come out "ready"), then activates a fresh device
  // key with the activation code.
  DeviceHolder EnrolAndActivate(const EnrolmentRequest& request) {
    auto created = enrolments_->Create(anna_, request);
    REQUIRE(created.ok());
    REQUIRE(created->status == "ready");
    auto issued = enrolments_->Issue(anna_, created->enrolment_id);
    REQUIRE(issued.ok());
    crypto::SigningKey key = crypto::SigningKey::Generate();
    auto activated = Activate(issued->activation_code, key);
    REQUIRE(activated.ok());
    return DeviceHolder{*issued, *activated, std::move(key)};
  }

  // Level 3 (passport, chip-read, face-to-photo).
  DeviceHolder EnrolAndActivate(std::string given, std::string surname, std::string passport) {
    return EnrolAndActivate(Request(std::move(given), std::move(surname), std::move(passport)));
  }

  // Every audit entry written so far (tests write far fewer than one read returns).
  std::vector<server::storage::AuditEntry> AuditEntries() {
    auto records = store_->Read([&](server::storage::ReadTransaction& tx) {
      return store_->audit().ReadRange(tx, 1, 1000);
    });
    REQUIRE(records.ok());
    std::vector<server::storage::AuditEntry> entries;
    for (const auto& r : *records) entries.push_back(r.entry);
    return entries;
  }

  FixedClock clock_;
  std::string root_;
  std::string dir_;
  std::unique_ptr<IssuerKeys> keys_;
  std::unique_ptr<server::storage::Store> store_;
  std::unique_ptr<AccountService> accounts_;
  std::unique_ptr<EnrolmentService> enrolments_;
  std::unique_ptr<ActivationService> activations_;
  Officer anna_;
  Officer omar_;
};

}  // namespace tillit::service::testing
