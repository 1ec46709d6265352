// Order results: round trip, lookup of a missing order, a person's history newest first
// with limit and offset, the primary key and the schema's checks and references, and
// migration 2 applied to a database left at version 1.
#include "../../../server/storage/src/migrations.h"
#include "fixtures.h"

namespace tillit::server::storage {
namespace {

using namespace testing;

void SeedRelyingParty(Store& store, const std::string& id, uint8_t key_byte) {
  REQUIRE_OK(store.Write(Durability::kDurable, [&](Transaction& tx) {
    return store.relying_parties().Insert(tx, {.id = id,
                                               .name = "E-service " + id,
                                               .api_key_hash = Bytes(32, key_byte),
                                               .created_at = 1700000000});
  }));
}

OrderResultRow MakeResult(const PersonRow& person, const std::string& order_ref,
                          int64_t completed_at, const std::string& rp = "rp1") {
  return {.order_ref = order_ref,
          .rp_id = rp,
          .identifier = person.identifier,
          .credential_serial = std::string(32, 'a'),
          .action = "auth",
          .completed_at = completed_at,
          .completion_json = R"({"user":{"identifier":")" + person.identifier + R"("}})"};
}

Status Insert(Store& store, const OrderResultRow& row) {
  return store.Write(Durability::kDurable,
                     [&](Transaction& tx) { return store.order_results().Insert(tx, row); });
}

Result<std::vector<OrderResultRow>> List(Store& store, const std::string& identifier, size_t limit,
                                         size_t offset) {
  return store.Read([&](ReadTransaction& tx) {
    return store.order_results().ListByIdentifier(tx, identifier, limit, offset);
  });
}

std::vector<std::string> Refs(const std::vector<OrderResultRow>& rows) {
  std::vector<std::string> refs;
  for (const auto& row : rows) refs.push_back(row.order_ref);
  return refs;
}

TEST_CASE("an order result round-trips; an unknown order is not found") {
  TempDir dir;
  auto store = Open(dir);
  SeedBasics(*store);
  PersonRow person = SeedPerson(*store);
  SeedRelyingParty(*store, "rp1", 1);
  OrderResultRow row = MakeResult(person, "6c1e2b0a-1d2c-4e5f-8a9b-0c1d2e3f4a5b", 1700000500);
  row.action = "sign";
  row.completion_json = "{\"text\":\"\xC3\xA5\xC3\xA4\xC3\xB6 \\\"quoted\\\"\"}";
  REQUIRE_OK(Insert(*store, row));

  auto tx = store->BeginRead();
  REQUIRE_OK(tx);
  auto found = store->order_results().Find(*tx, row.order_ref);
  REQUIRE_OK(found);
  REQUIRE(found->has_value());
  CHECK(**found == row);
  auto missing = store->order_results().Find(*tx, "00000000-0000-4000-8000-000000000000");
  REQUIRE_OK(missing);
  CHECK_FALSE(missing->has_value());
}

TEST_CASE("a person's results are listed newest first, paged, and capped") {
  TempDir dir;
  auto store = Open(dir);
  SeedBasics(*store);
  PersonRow amina = SeedPerson(*store, 1);
  PersonRow other = SeedPerson(*store, 2);
  SeedRelyingParty(*store, "rp1", 1);
  SeedRelyingParty(*store, "rp2", 2);
  REQUIRE_OK(Insert(*store, MakeResult(amina, "b", 100)));
  REQUIRE_OK(Insert(*store, MakeResult(amina, "a", 300, "rp2")));
  REQUIRE_OK(Insert(*store, MakeResult(amina, "c", 300)));
  REQUIRE_OK(Insert(*store, MakeResult(amina, "d", 200)));
  REQUIRE_OK(Insert(*store, MakeResult(other, "e", 400)));

  auto all = List(*store, amina.identifier, 100, 0);
  REQUIRE_OK(all);
  // Newest first; equal times by order_ref.
  CHECK(Refs(*all) == std::vector<std::string>{"a", "c", "d", "b"});
  CHECK((*all)[0].rp_id == "rp2");

  auto page = List(*store, amina.identifier, 2, 1);
  REQUIRE_OK(page);
  CHECK(Refs(*page) == std::vector<std::string>{"c", "d"});
  auto past_end = List(*store, amina.identifier, 10, 4);
  REQUIRE_OK(past_end);
  CHECK(past_end->empty());
  auto huge_offset = List(*store, amina.identifier, 10, static_cast<size_t>(-1));
  REQUIRE_OK(huge_offset);
  CHECK(huge_offset->empty());
  auto none = List(*store, amina.identifier, 0, 0);
  REQUIRE_OK(none);
  CHECK(none->empty());
  auto nobody = List(*store, TestIdentifier(77), 10, 0);
  REQUIRE_OK(nobody);
  CHECK(nobody->empty());

  // The cap holds whatever limit is passed.
  REQUIRE_OK(store->Write(Durability::kFast, [&](Transaction& tx) -> Status {
    for (size_t i = 0; i < kMaxOrderResultRows + 5; ++i) {
      TILLIT_TRY(store->order_results().Insert(
          tx, MakeResult(other, "bulk-" + std::to_string(i), static_cast<int64_t>(i))));
    }
    return {};
  }));
  auto capped = List(*store, other.identifier, static_cast<size_t>(-1), 0);
  REQUIRE_OK(capped);
  CHECK(capped->size() == kMaxOrderResultRows);
  CHECK(capped->front().order_ref == "bulk-" + std::to_string(kMaxOrderResultRows + 4));
}

TEST_CASE("order refs are unique; the schema checks references, serials and actions") {
  TempDir dir;
  auto store = Open(dir);
  SeedBasics(*store);
  PersonRow person = SeedPerson(*store);
  SeedRelyingParty(*store, "rp1", 1);
  OrderResultRow row = MakeResult(person, "o1", 100);
  REQUIRE_OK(Insert(*store, row));
  CHECK(ErrorCode(Insert(*store, MakeResult(person, "o1", 200))) == "conflict");

  OrderResultRow unknown_rp = MakeResult(person, "o2", 100, "rp-nobody");
  CHECK(ErrorCode(Insert(*store, unknown_rp)) == "internalError");
  OrderResultRow unknown_person = MakeResult(person, "o3", 100);
  unknown_person.identifier = TestIdentifier(99);
  CHECK(ErrorCode(Insert(*store, unknown_person)) == "internalError");
  OrderResultRow short_serial = MakeResult(person, "o4", 100);
  short_serial.credential_serial = "abcd";
  CHECK(ErrorCode(Insert(*store, short_serial)) == "internalError");
  OrderResultRow upper_serial = MakeResult(person, "o5", 100);
  upper_serial.credential_serial = std::string(32, 'A');
  CHECK(ErrorCode(Insert(*store, upper_serial)) == "internalError");
  OrderResultRow bad_action = MakeResult(person, "o6", 100);
  bad_action.action = "login";
  CHECK(ErrorCode(Insert(*store, bad_action)) == "internalError");

  // Nothing of the refused rows was kept.
  auto listed = List(*store, person.identifier, 100, 0);
  REQUIRE_OK(listed);
  CHECK(Refs(*listed) == std::vector<std::string>{"o1"});
}

TEST_CASE("a version 1 database is migrated to version 2 and keeps its data") {
  TempDir dir;
  {
    // What a Tillit that knew only migration 1 left behind.
    auto raw = sqlite::Connection::Open({.path = dir.db()});
    REQUIRE_OK(raw);
    sqlite::Connection& db = **raw;
    const auto migrations = sqlite::Migrations();
    REQUIRE(migrations.size() >= 2);
    REQUIRE(migrations[0].version == 1);
    REQUIRE_OK(
        db.Execute("CREATE TABLE schema_migrations (version INTEGER NOT NULL PRIMARY KEY,"
                   " applied_at BIGINT NOT NULL)"));
    REQUIRE_OK(db.Execute(migrations[0].sql));
    REQUIRE_OK(db.Execute("INSERT INTO schema_migrations (version, applied_at) VALUES (1, 5)"));
    REQUIRE_OK(
        db.Execute("INSERT INTO relying_parties (id, name, api_key_hash, created_at)"
                   " VALUES ('rp1', 'Exempelkommun', x'0101', 1700000000)"));
    auto before = sqlite::ReadSchemaVersion(db);
    REQUIRE_OK(before);
    CHECK(*before == 1);
    auto no_table = db.Execute("SELECT 1 FROM order_results");
    CHECK_FALSE(no_table.ok());
  }
  FixedClock clock(1800000000);
  auto store = Open(dir, {.clock = &clock});
  CHECK(store->schema_version() == SqliteSchemaVersion());
  CHECK(SqliteSchemaVersion() >= 2);
  {
    auto tx = store->BeginRead();
    REQUIRE_OK(tx);
    auto select =
        Raw(*tx).Prepare("SELECT version, applied_at FROM schema_migrations ORDER BY version");
    REQUIRE_OK(select);
    REQUIRE(*select->Step());
    CHECK(select->ColumnInt64(0) == 1);
    CHECK(select->ColumnInt64(1) == 5);  // untouched
    // Version 2 and every later one are applied now.
    for (int version = 2; version <= SqliteSchemaVersion(); ++version) {
      REQUIRE(*select->Step());
      CHECK(select->ColumnInt64(0) == version);
      CHECK(select->ColumnInt64(1) == 1800000000);
    }
    CHECK_FALSE(*select->Step());
    auto party = store->relying_parties().FindById(*tx, "rp1");
    REQUIRE_OK(party);
    REQUIRE(party->has_value());
    CHECK((*party)->name == "Exempelkommun");
    auto index = Raw(*tx).Prepare(
        "SELECT 1 FROM sqlite_master WHERE type = 'index' AND name = 'order_results_identifier'");
    REQUIRE_OK(index);
    CHECK(*index->Step());
  }
  // The new table works in the migrated file.
  SeedBasics(*store);
  PersonRow person = SeedPerson(*store);
  REQUIRE_OK(Insert(*store, MakeResult(person, "o1", 100)));
  auto found =
      store->Read([&](ReadTransaction& tx) { return store->order_results().Find(tx, "o1"); });
  REQUIRE_OK(found);
  CHECK(found->has_value());
}

}  // namespace
}  // namespace tillit::server::storage
