// Leases (tillit/storage/leases.h): the central lease table and import records, and the
// desk's leased identifiers: taken in serial order, each once even under 8 threads, given
// back by a rollback; bad rows refused.
#include <mutex>
#include <set>
#include <thread>

#include "fixtures.h"

namespace tillit::server::storage {
namespace {

using namespace testing;

DeskLeaseRow MakeDeskLease(const std::string& id, uint64_t first, uint64_t size) {
  return {.id = id, .desk = "desk-a", .deployment = std::string(64, 'a'), .first_serial = first,
          .size = size, .created_at = 10, .loaded_at = 20, .sync_key = Bytes(32, 1)};
}

std::vector<LeasedIdentifierRow> Identifiers(const std::string& lease_id, uint64_t first,
                                             uint64_t size) {
  std::vector<LeasedIdentifierRow> rows;
  for (uint64_t s = first; s < first + size; ++s) {
    rows.push_back({.serial = s, .identifier = TestIdentifier(s), .lease_id = lease_id,
                    .used_at = std::nullopt});
  }
  return rows;
}

Status Load(Store& store, const std::string& id, uint64_t first, uint64_t size) {
  return store.Write(Durability::kDurable, [&](Transaction& tx) {
    return store.leases().InsertDeskLease(tx, MakeDeskLease(id, first, size),
                                          Identifiers(id, first, size));
  });
}

Result<std::optional<LeasedIdentifierRow>> Take(Store& store, int64_t at) {
  return store.Write(Durability::kDurable,
                     [&](Transaction& tx) { return store.leases().TakeNextLeased(tx, at); });
}

TEST_CASE("central leases: insert, find, list with import counts") {
  TempDir dir;
  auto store = Open(dir);
  SeedBasics(*store);
  const LeaseRow lease{.id = "lease_1", .desk = "desk-a", .first_serial = 100, .size = 5,
                       .created_at = 7, .sync_key = Bytes(32, 9)};
  REQUIRE_OK(store->Write(Durability::kDurable,
                          [&](Transaction& tx) { return store->leases().InsertLease(tx, lease); }));
  auto insert = [&](LeaseRow row) {
    return store->Write(Durability::kDurable,
                        [&](Transaction& tx) { return store->leases().InsertLease(tx, row); });
  };
  LeaseRow same_id = lease;
  same_id.first_serial = 200;
  CHECK(ErrorCode(insert(same_id)) == "conflict");
  LeaseRow same_first = lease;
  same_first.id = "lease_2";
  CHECK(ErrorCode(insert(same_first)) == "conflict");
  LeaseRow empty = lease;
  empty.id = "lease_3";
  empty.size = 0;
  CHECK(ErrorCode(insert(empty)) == "invalidParameters");
  LeaseRow short_key = lease;
  short_key.id = "lease_4";
  short_key.sync_key = Bytes(31, 1);
  CHECK(ErrorCode(insert(short_key)) == "invalidParameters");
  LeaseRow huge = lease;
  huge.id = "lease_5";
  huge.first_serial = uint64_t{1} << 63;
  CHECK(ErrorCode(insert(huge)) == "invalidParameters");

  PersonRow person = SeedPerson(*store);
  REQUIRE_OK(store->Write(Durability::kDurable, [&](Transaction& tx) {
    return store->leases().RecordImport(tx, person.identifier, "lease_1", 30);
  }));
  CHECK(ErrorCode(store->Write(Durability::kDurable, [&](Transaction& tx) {
          return store->leases().RecordImport(tx, person.identifier, "lease_1", 31);
        })) == "conflict");
  auto read = store->Read([&](ReadTransaction& tx) -> Result<std::vector<LeaseSummary>> {
    TILLIT_TRY_ASSIGN(auto found, store->leases().FindLease(tx, "lease_1"));
    REQUIRE(found.has_value());
    CHECK(*found == lease);
    TILLIT_TRY_ASSIGN(auto missing, store->leases().FindLease(tx, "lease_9"));
    CHECK_FALSE(missing.has_value());
    TILLIT_TRY_ASSIGN(auto from, store->leases().FindImport(tx, person.identifier));
    CHECK(from == std::optional<std::string>("lease_1"));
    return store->leases().ListLeases(tx);
  });
  REQUIRE_OK(read);
  REQUIRE(read->size() == 1);
  CHECK((*read)[0].imported == 1);
}

TEST_CASE("desk leases: identifiers taken in serial order, once, and a rollback gives back") {
  TempDir dir;
  auto store = Open(dir);
  auto has = [&]() {
    auto r = store->Read([&](ReadTransaction& tx) { return store->leases().HasDeskLeases(tx); });
    REQUIRE_OK(r);
    return *r;
  };
  CHECK_FALSE(has());
  auto none = Take(*store, 1);
  REQUIRE_OK(none);
  CHECK_FALSE(none->has_value());

  // Loaded out of order: the lower serials are still taken first.
  REQUIRE_OK(Load(*store, "lease_b", 50, 2));
  REQUIRE_OK(Load(*store, "lease_a", 10, 2));
  CHECK(has());
  CHECK(ErrorCode(Load(*store, "lease_a", 10, 2)) == "conflict");
  CHECK(ErrorCode(Load(*store, "lease_c", 11, 1)) == "conflict");  // serial 11 is present
  CHECK(ErrorCode(store->Write(Durability::kDurable, [&](Transaction& tx) {
          return store->leases().InsertDeskLease(tx, MakeDeskLease("lease_d", 90, 2),
                                                 Identifiers("lease_d", 90, 1));
        })) == "invalidParameters");

  {
    // Taken and rolled back: the same identifier comes next.
    auto tx = store->Begin(Durability::kDurable);
    REQUIRE_OK(tx);
    auto taken = store->leases().TakeNextLeased(*tx, 5);
    REQUIRE_OK(taken);
    REQUIRE(taken->has_value());
    CHECK((*taken)->serial == 10);
  }
  std::vector<uint64_t> serials;
  for (int i = 0; i < 4; ++i) {
    auto taken = Take(*store, 100 + i);
    REQUIRE_OK(taken);
    REQUIRE(taken->has_value());
    CHECK((*taken)->identifier == TestIdentifier((*taken)->serial));
    CHECK((*taken)->used_at == 100 + i);
    serials.push_back((*taken)->serial);
  }
  CHECK(serials == std::vector<uint64_t>{10, 11, 50, 51});
  auto exhausted = Take(*store, 200);
  REQUIRE_OK(exhausted);
  CHECK_FALSE(exhausted->has_value());

  auto listed = store->Read([&](ReadTransaction& tx) -> Result<std::vector<DeskLeaseSummary>> {
    TILLIT_TRY_ASSIGN(auto used, store->leases().ListUsedLeased(tx));
    CHECK(used.size() == 4);
    TILLIT_TRY_ASSIGN(const bool present, store->leases().LeasedIdentifierExists(tx, 999, TestIdentifier(50)));
    CHECK(present);
    TILLIT_TRY_ASSIGN(const bool absent, store->leases().LeasedIdentifierExists(tx, 999, TestIdentifier(999)));
    CHECK_FALSE(absent);
    return store->leases().ListDeskLeases(tx);
  });
  REQUIRE_OK(listed);
  REQUIRE(listed->size() == 2);
  CHECK((*listed)[0].lease.id == "lease_a");
  CHECK((*listed)[0].used == 2);
  CHECK((*listed)[1].lease == MakeDeskLease("lease_b", 50, 2));
}

TEST_CASE("8 threads taking leased identifiers never get the same one") {
  TempDir dir;
  auto store = Open(dir);
  REQUIRE_OK(Load(*store, "lease_a", 0, 400));
  std::mutex mutex;
  std::set<uint64_t> seen;
  size_t taken_total = 0;
  bool failed = false;
  std::vector<std::thread> threads;
  for (int t = 0; t < 8; ++t) {
    threads.emplace_back([&] {
      for (int i = 0; i < 60; ++i) {
        auto taken = Take(*store, 1);
        std::lock_guard lock(mutex);
        if (!taken.ok()) {
          failed = true;
          return;
        }
        if (!taken->has_value()) continue;
        seen.insert((*taken)->serial);
        ++taken_total;
      }
    });
  }
  for (auto& t : threads) t.join();
  CHECK_FALSE(failed);
  CHECK(taken_total == 400);  // 480 attempts, 400 identifiers
  CHECK(seen.size() == 400);
}

}  // namespace
}  // namespace tillit::server::storage
