// Audit checkpoints in storage (tillit/storage/audit.h, docs/storage.md §7.1): insert, read
// back in order and in batches, the latest one, refusals (duplicate seq, unknown seq,
// malformed signature), and the append-only triggers.
#include <doctest/doctest.h>

#include "fixtures.h"
#include "tillit/storage/audit.h"

namespace tillit::server::storage::testing {
namespace {

AuditEntry Entry(int64_t at) {
  return {.at = at, .actor = "admin", .action = "officerAdded", .subject = "off_1",
          .detail_json = "{}"};
}

void AppendEntries(Store& store, int n) {
  REQUIRE_OK(store.Write(Durability::kDurable, [&](Transaction& tx) -> Status {
    for (int i = 0; i < n; ++i) {
      auto appended = store.audit().Append(tx, Entry(1700000000 + i));
      if (!appended.ok()) return std::move(appended).error();
    }
    return {};
  }));
}

AuditCheckpoint Checkpoint(Store& store, uint64_t seq) {
  auto records = store.Read([&](ReadTransaction& tx) { return store.audit().ReadRange(tx, seq, 1); });
  REQUIRE_OK(records);
  REQUIRE(records->size() == 1);
  return {.seq = seq, .entry_hash = (*records)[0].entry_hash, .signed_at = 1700001000 + static_cast<int64_t>(seq),
          .key_id = "kid-" + std::to_string(seq), .signature = Bytes(64, static_cast<uint8_t>(seq))};
}

Status Insert(Store& store, const AuditCheckpoint& checkpoint) {
  return store.Write(Durability::kDurable, [&](Transaction& tx) {
    return store.audit().InsertCheckpoint(tx, checkpoint);
  });
}

TEST_CASE("checkpoints are stored verbatim and read back in order") {
  TempDir dir;
  auto store = Open(dir);
  AppendEntries(*store, 5);
  auto none = store->Read([&](ReadTransaction& tx) { return store->audit().LastCheckpoint(tx); });
  REQUIRE_OK(none);
  CHECK_FALSE(none->has_value());

  const AuditCheckpoint c2 = Checkpoint(*store, 2);
  const AuditCheckpoint c5 = Checkpoint(*store, 5);
  REQUIRE_OK(Insert(*store, c5));  // insertion order does not matter
  REQUIRE_OK(Insert(*store, c2));

  auto all = store->Read([&](ReadTransaction& tx) { return store->audit().ReadCheckpoints(tx, 1, 100); });
  REQUIRE_OK(all);
  REQUIRE(all->size() == 2);
  CHECK((*all)[0] == c2);
  CHECK((*all)[1] == c5);
  auto from3 = store->Read([&](ReadTransaction& tx) { return store->audit().ReadCheckpoints(tx, 3, 100); });
  REQUIRE_OK(from3);
  REQUIRE(from3->size() == 1);
  CHECK((*from3)[0] == c5);
  auto limited = store->Read([&](ReadTransaction& tx) { return store->audit().ReadCheckpoints(tx, 1, 1); });
  REQUIRE_OK(limited);
  CHECK(limited->size() == 1);
  auto beyond = store->Read([&](ReadTransaction& tx) {
    return store->audit().ReadCheckpoints(tx, UINT64_MAX, 10);
  });
  REQUIRE_OK(beyond);
  CHECK(beyond->empty());
  auto last = store->Read([&](ReadTransaction& tx) { return store->audit().LastCheckpoint(tx); });
  REQUIRE_OK(last);
  REQUIRE(last->has_value());
  CHECK(**last == c5);
}

TEST_CASE("a checkpoint is refused for a taken seq, an unknown seq or a bad signature") {
  TempDir dir;
  auto store = Open(dir);
  AppendEntries(*store, 3);
  REQUIRE_OK(Insert(*store, Checkpoint(*store, 3)));
  CHECK(ErrorCode(Insert(*store, Checkpoint(*store, 3))) == "conflict");

  AuditCheckpoint unknown = Checkpoint(*store, 1);
  unknown.seq = 4;  // no such audit entry: the foreign key refuses it
  CHECK(ErrorCode(Insert(*store, unknown)) == "internalError");
  unknown.seq = 0;
  CHECK(ErrorCode(Insert(*store, unknown)) == "invalidParameters");

  AuditCheckpoint short_signature = Checkpoint(*store, 2);
  short_signature.signature.pop_back();
  CHECK(ErrorCode(Insert(*store, short_signature)) == "internalError");
}

TEST_CASE("the checkpoint table refuses UPDATE and DELETE") {
  TempDir dir;
  auto store = Open(dir);
  AppendEntries(*store, 1);
  REQUIRE_OK(Insert(*store, Checkpoint(*store, 1)));
  for (const char* sql : {"UPDATE audit_checkpoints SET signed_at = 0",
                          "DELETE FROM audit_checkpoints"}) {
    INFO(sql);
    auto tx = store->Begin(Durability::kDurable);
    REQUIRE_OK(tx);
    CHECK_FALSE(Raw(*tx).Execute(sql).ok());
  }
  auto last = store->Read([&](ReadTransaction& tx) { return store->audit().LastCheckpoint(tx); });
  REQUIRE_OK(last);
  CHECK(last->has_value());
}

}  // namespace
}  // namespace tillit::server::storage::testing
