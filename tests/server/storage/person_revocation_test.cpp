// persons.revoked_at (schema version 5): MarkRevoked, and the migration that marks people
// revoked before it from the audit log.
#include "../../../server/storage/src/migrations.h"
#include "fixtures.h"

namespace tillit::server::storage {
namespace {

using namespace testing;

// Applies migrations 1..4 by hand, as a Tillit that knew only those left the database.
void CreateVersion4(sqlite::Connection& db) {
  REQUIRE_OK(
      db.Execute("CREATE TABLE schema_migrations (version INTEGER NOT NULL PRIMARY KEY,"
                 " applied_at BIGINT NOT NULL)"));
  for (const auto& migration : sqlite::Migrations()) {
    if (migration.version > 4) break;
    REQUIRE_OK(db.Execute(migration.sql));
    REQUIRE_OK(db.Execute("INSERT INTO schema_migrations (version, applied_at) VALUES (" +
                          std::to_string(migration.version) + ", 5)"));
  }
}

void InsertPerson(sqlite::Connection& db, const std::string& identifier, int serial) {
  const std::string enrolment = "enr_" + identifier;
  REQUIRE_OK(db.Execute("INSERT INTO enrolments (id, status, created_by, created_at, request_json,"
                        " assurance_level, updated_at) VALUES ('" + enrolment +
                        "', 'issued', 'off1', 1, '{}', 2, 1)"));
  REQUIRE_OK(db.Execute(
      "INSERT INTO persons (identifier, serial, given_name, surname, search_text, birth_date,"
      " nationality, assurance_level, enrolment_id, created_at, created_by) VALUES ('" +
      identifier + "', " + std::to_string(serial) + ", 'A', 'B', 'a b', '1990', 'SYR', 2, '" +
      enrolment + "', 1, 'off1')"));
}

TEST_CASE("migration 5 marks people revoked before it, from the audit log") {
  TempDir dir;
  {
    auto raw = sqlite::Connection::Open({.path = dir.db()});
    REQUIRE_OK(raw);
    sqlite::Connection& db = **raw;
    CreateVersion4(db);
    REQUIRE_OK(db.Execute("INSERT INTO officers (id, name, organisation, role, token_hash,"
                          " created_at) VALUES ('off1', 'Anna', 'MV', 'officer', x'01', 1)"));
    InsertPerson(db, "AAAAAAAAAAAA", 1);
    InsertPerson(db, "BBBBBBBBBBBB", 2);
    // Two revocations of A (the first counts), and an unrelated entry about B.
    const std::string zero(64, '0');
    REQUIRE_OK(db.Execute(
        "INSERT INTO audit_log (seq, at, actor, action, subject, detail_json, prev_hash,"
        " entry_hash) VALUES"
        " (1, 100, 'off1', 'credentialsRevoked', 'AAAAAAAAAAAA', '{}', x'" + zero + "', x'" +
        std::string(63, '0') + "1'),"
        " (2, 200, 'off1', 'credentialsRevoked', 'AAAAAAAAAAAA', '{}', x'" + zero + "', x'" +
        std::string(63, '0') + "2'),"
        " (3, 300, 'off1', 'identifierIssued', 'BBBBBBBBBBBB', '{}', x'" + zero + "', x'" +
        std::string(63, '0') + "3')"));
  }
  auto store = Open(dir);
  REQUIRE(store->schema_version() >= 5);
  auto tx = store->BeginRead();
  REQUIRE_OK(tx);
  auto a = store->persons().Get(*tx, "AAAAAAAAAAAA");
  REQUIRE_OK(a);
  CHECK(a->revoked_at == 100);
  auto b = store->persons().Get(*tx, "BBBBBBBBBBBB");
  REQUIRE_OK(b);
  CHECK_FALSE(b->revoked_at.has_value());
}

TEST_CASE("MarkRevoked keeps the first time; an unknown person is notFound") {
  TempDir dir;
  auto store = Open(dir);
  {
    auto tx = store->Begin(Durability::kDurable);
    REQUIRE_OK(tx);
    CHECK(store->persons().MarkRevoked(*tx, "CCCCCCCCCCCC", 10).error().code == "notFound");
    REQUIRE_OK(Raw(*tx).Execute("INSERT INTO officers (id, name, organisation, role, token_hash,"
                                " created_at) VALUES ('off1', 'Anna', 'MV', 'officer', x'01', 1)"));
    InsertPerson(Raw(*tx), "CCCCCCCCCCCC", 7);
    REQUIRE_OK(store->persons().MarkRevoked(*tx, "CCCCCCCCCCCC", 10));
    REQUIRE_OK(store->persons().MarkRevoked(*tx, "CCCCCCCCCCCC", 20));
    REQUIRE_OK(tx->Commit());
  }
  auto tx = store->BeginRead();
  REQUIRE_OK(tx);
  auto c = store->persons().Get(*tx, "CCCCCCCCCCCC");
  REQUIRE_OK(c);
  CHECK(c->revoked_at == 10);
}

}  // namespace
}  // namespace tillit::server::storage
