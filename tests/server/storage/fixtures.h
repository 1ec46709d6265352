// Shared fixtures for the storage tests: a fresh temporary directory per test, a store
// opened in it, and rows that satisfy the schema's foreign keys (two officers, an
// enrolment, a person). White-box tests reach the SQLite connection through the internal
// header included below (the one place outside server/storage/src that may).
//
// Thread safety: each test builds its own fixtures.
#pragma once

#include <doctest/doctest.h>

#include <filesystem>
#include <memory>
#include <string>

#include "../../../server/storage/src/sqlite_transaction.h"
#include "temp_dir.h"
#include "tillit/bytes.h"
#include "tillit/identifier/identifier.h"
#include "tillit/storage/sqlite_store.h"

namespace tillit::server::storage::testing {

// Fails the test with the error's code and message unless `expr` (a Result) is ok.
#define REQUIRE_OK(expr)                                                                         \
  do {                                                                                           \
    const auto& require_ok_result_ = (expr);                                                     \
    if (!require_ok_result_.ok()) {                                                              \
      FAIL_CHECK(require_ok_result_.error().code << ": " << require_ok_result_.error().message); \
    }                                                                                            \
    REQUIRE(require_ok_result_.ok());                                                            \
  } while (false)

// The code of a failed Result (and a test failure if it succeeded).
template <typename R>
std::string ErrorCode(const R& result) {
  REQUIRE_FALSE(result.ok());
  return result.error().code;
}

// The test's fresh directory (the shared tillit::testing::TempDir) and the store's database
// file in it.
struct TempDir {
  ::tillit::testing::TempDir dir{"tillit-storage"};
  std::filesystem::path path() const { return dir.path(); }
  std::string db() const { return dir.file("tillit.db"); }
};

inline std::unique_ptr<Store> Open(const TempDir& dir, SqliteStoreOptions options = {}) {
  if (options.path.empty()) options.path = dir.db();
  auto store = OpenSqliteStore(options);
  REQUIRE_OK(store);
  return std::move(store).value();
}

// The connection under a transaction, for PRAGMA checks and raw SQL in white-box tests.
inline sqlite::Connection& Raw(ReadTransaction& tx) { return sqlite::ConnectionOf(tx); }

// A valid 12-character identifier (the unkeyed encoding of n; fine for storage tests).
inline std::string TestIdentifier(uint64_t n) {
  auto id = identifier::Identifier::FromPayload(n * 7919 + 12345);
  REQUIRE(id.ok());
  return id->ToString();
}

inline OfficerRow MakeOfficer(const std::string& id, uint8_t token_byte,
                              OfficerRole role = OfficerRole::kOfficer) {
  OfficerRow officer;
  officer.id = id;
  officer.name = "Officer " + id;
  officer.organisation = "Migrationsverket Solna";
  officer.role = role;
  officer.token_hash = Bytes(32, token_byte);
  officer.created_at = 1700000000;
  return officer;
}

inline EnrolmentRow MakeEnrolment(const std::string& id, const std::string& officer = "anna") {
  EnrolmentRow row;
  row.id = id;
  row.status = "ready";
  row.created_by = officer;
  row.created_at = 1700000100;
  row.request_json = R"({"person":{"givenName":"Amina"}})";
  row.assurance_level = 2;
  row.updated_at = 1700000100;
  return row;
}

inline PersonRow MakePerson(uint64_t n, const std::string& enrolment = "E1") {
  PersonRow row;
  row.identifier = TestIdentifier(n);
  row.serial = n;
  row.given_name = "Amina";
  row.surname = "Hassan" + std::to_string(n);
  row.birth_date = "1990";
  row.nationality = "SOM";
  row.assurance_level = 2;
  row.enrolment_id = enrolment;
  row.created_at = 1700000200;
  row.created_by = "anna";
  row.documents = {{"passport", "P" + std::to_string(1000 + n), "SOM"}};
  row.name_keys = {"AMN", "HSN"};
  return row;
}

// Officers "anna" and "bertil" (a supervisor) and enrolment "E1" by anna.
inline void SeedBasics(Store& store) {
  REQUIRE_OK(store.Write(Durability::kDurable, [&](Transaction& tx) -> Status {
    TILLIT_TRY(store.officers().Insert(tx, MakeOfficer("anna", 1)));
    TILLIT_TRY(store.officers().Insert(tx, MakeOfficer("bertil", 2, OfficerRole::kSupervisor)));
    TILLIT_TRY(store.enrolments().Insert(tx, MakeEnrolment("E1")));
    return {};
  }));
}

// SeedBasics plus person n issued from enrolment E1.
inline PersonRow SeedPerson(Store& store, uint64_t n = 1) {
  PersonRow person = MakePerson(n);
  REQUIRE_OK(store.Write(Durability::kDurable, [&](Transaction& tx) -> Status {
    return store.persons().Insert(tx, person);
  }));
  return person;
}

// Credential n (its serial, device key and certificate bytes derive from n) of `person`:
// good, level 2, valid for two years from 2023-11-14.
inline CredentialRow MakeCredential(const PersonRow& person, uint8_t n, int64_t created_at) {
  CredentialRow row;
  row.serial = HexEncode(Bytes(16, static_cast<uint8_t>(0x40 + n)));
  row.identifier = person.identifier;
  row.holder_public_key = Bytes(32, n);
  row.certificate_der = Bytes{0x30, 0x82, 0x01, 0x00, n};
  row.assurance_level = 2;
  row.not_before = 1700000000;
  row.not_after = 1700000000 + 2 * 365 * 86400;
  row.created_at = created_at;
  return row;
}

}  // namespace tillit::server::storage::testing
