// relying_parties.client_subject (schema version 6): the migration that adds it to a
// database with e-services, lookups by subject that skip revoked parties, and its
// uniqueness (docs/http.md §TLS).
#include "../../../server/storage/src/migrations.h"
#include "fixtures.h"

namespace tillit::server::storage {
namespace {

using namespace testing;

constexpr const char* kSubject = "CN=e-tjanst,O=Exempelkommun,C=SE";

RelyingPartyRow MakeParty(const std::string& id, uint8_t key_byte,
                          std::optional<std::string> subject = std::nullopt) {
  return {.id = id,
          .name = "E-tjänst " + id,
          .api_key_hash = Bytes(32, key_byte),
          .created_at = 1700000000,
          .revoked_at = std::nullopt,
          .client_subject = std::move(subject)};
}

Result<std::optional<RelyingPartyRow>> BySubject(Store& store, std::string_view subject) {
  return store.Read([&](ReadTransaction& tx) {
    return store.relying_parties().FindByClientSubject(tx, subject);
  });
}

Status SetSubject(Store& store, std::string_view id, std::optional<std::string> subject) {
  return store.Write(Durability::kDurable, [&](Transaction& tx) {
    return store.relying_parties().SetClientSubject(tx, id, subject);
  });
}

TEST_CASE("migration 6 keeps the e-services of a version 5 database, with no subject") {
  TempDir dir;
  {
    auto raw = sqlite::Connection::Open({.path = dir.db()});
    REQUIRE_OK(raw);
    sqlite::Connection& db = **raw;
    REQUIRE_OK(
        db.Execute("CREATE TABLE schema_migrations (version INTEGER NOT NULL PRIMARY KEY,"
                   " applied_at BIGINT NOT NULL)"));
    for (const auto& migration : sqlite::Migrations()) {
      if (migration.version > 5) break;
      REQUIRE_OK(db.Execute(migration.sql));
      REQUIRE_OK(db.Execute("INSERT INTO schema_migrations (version, applied_at) VALUES (" +
                            std::to_string(migration.version) + ", 5)"));
    }
    REQUIRE_OK(db.Execute("INSERT INTO relying_parties (id, name, api_key_hash, created_at)"
                          " VALUES ('rp1', 'Kommun', x'0101', 1), ('rp2', 'Region', x'0202', 2)"));
  }
  auto store = Open(dir);
  REQUIRE(store->schema_version() >= 6);
  auto found = store->Read(
      [&](ReadTransaction& tx) { return store->relying_parties().FindById(tx, "rp1"); });
  REQUIRE_OK(found);
  REQUIRE(found->has_value());
  CHECK((*found)->name == "Kommun");
  CHECK_FALSE((*found)->client_subject.has_value());
  // Parties without a subject never clash with each other (NULLs are distinct).
  REQUIRE_OK(SetSubject(*store, "rp2", kSubject));
  auto by_subject = BySubject(*store, kSubject);
  REQUIRE_OK(by_subject);
  REQUIRE(by_subject->has_value());
  CHECK((*by_subject)->id == "rp2");
}

TEST_CASE("a party is found by its exact subject until revoked") {
  TempDir dir;
  auto store = Open(dir);
  RelyingPartyRow party = MakeParty("rp1", 1, std::string(kSubject));
  REQUIRE_OK(store->Write(Durability::kDurable, [&](Transaction& tx) {
    return store->relying_parties().Insert(tx, party);
  }));
  auto found = BySubject(*store, kSubject);
  REQUIRE_OK(found);
  REQUIRE(found->has_value());
  CHECK(**found == party);
  // Exact bytes: no case folding, no reordering, no trimming.
  for (const char* other : {"cn=e-tjanst,O=Exempelkommun,C=SE", "CN=e-tjanst, O=Exempelkommun, C=SE",
                            "C=SE,O=Exempelkommun,CN=e-tjanst", "CN=e-tjanst,O=Exempelkommun",
                            "CN=e-tjanst,O=Exempelkommun,C=SE ", ""}) {
    CAPTURE(other);
    auto miss = BySubject(*store, other);
    REQUIRE_OK(miss);
    CHECK_FALSE(miss->has_value());
  }
  REQUIRE_OK(store->Write(Durability::kDurable, [&](Transaction& tx) {
    return store->relying_parties().Revoke(tx, "rp1", 1700000100);
  }));
  auto revoked = BySubject(*store, kSubject);
  REQUIRE_OK(revoked);
  CHECK_FALSE(revoked->has_value());
}

TEST_CASE("a subject belongs to one party; setting, moving and clearing it") {
  TempDir dir;
  auto store = Open(dir);
  REQUIRE_OK(store->Write(Durability::kDurable, [&](Transaction& tx) -> Status {
    TILLIT_TRY(store->relying_parties().Insert(tx, MakeParty("rp1", 1, std::string(kSubject))));
    return store->relying_parties().Insert(tx, MakeParty("rp2", 2));
  }));
  // A second party with the same subject: refused at insert and at update.
  auto insert_clash = store->Write(Durability::kDurable, [&](Transaction& tx) {
    return store->relying_parties().Insert(tx, MakeParty("rp3", 3, std::string(kSubject)));
  });
  CHECK(ErrorCode(insert_clash) == "conflict");
  CHECK(ErrorCode(SetSubject(*store, "rp2", kSubject)) == "conflict");
  // Setting the same subject again on its own party is fine.
  REQUIRE_OK(SetSubject(*store, "rp1", kSubject));

  // Clearing frees it for another party.
  REQUIRE_OK(SetSubject(*store, "rp1", std::nullopt));
  auto none = BySubject(*store, kSubject);
  REQUIRE_OK(none);
  CHECK_FALSE(none->has_value());
  REQUIRE_OK(SetSubject(*store, "rp2", kSubject));
  auto moved = BySubject(*store, kSubject);
  REQUIRE_OK(moved);
  REQUIRE(moved->has_value());
  CHECK((*moved)->id == "rp2");

  CHECK(ErrorCode(SetSubject(*store, "nobody", kSubject)) == "notFound");
  CHECK(ErrorCode(SetSubject(*store, "nobody", std::nullopt)) == "notFound");
}

}  // namespace
}  // namespace tillit::server::storage
