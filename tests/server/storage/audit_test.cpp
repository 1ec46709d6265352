// The audit log: appends chain by hash, the canonical encoding (a known answer), chain
// verification catches edits, gaps and reordering, a rolled-back append leaves no trace,
// and the table refuses UPDATE and DELETE.
#include "fixtures.h"

namespace tillit::server::storage {
namespace {

using namespace testing;

AuditEntry Entry(int64_t at, std::string action, std::string subject) {
  return {.at = at,
          .actor = "anna",
          .action = std::move(action),
          .subject = std::move(subject),
          .detail_json = R"({"level":2})"};
}

TEST_CASE("the canonical encoding is the documented one") {
  crypto::Sha256Digest prev{};
  prev.fill(0xAB);
  const AuditEntry entry{
      .at = -2, .actor = "a", .action = "bc", .subject = "", .detail_json = "{}"};
  const Bytes encoded = EncodeAuditEntryForHash(prev, 258, entry);
  // Built as text: GCC 12 reports false array bounds errors for vector inserts here.
  std::string text("tillit-audit-v1\0", 16);
  text.append(32, '\xAB');                 // prev_hash
  text.append("\0\0\0\0\0\0\x01\x02", 8);  // seq 258, u64be
  text.append(7, '\xFF');                  // at -2, i64be
  text += '\xFE';
  text.append(
      "\0\0\0\x01"
      "a",
      5);  // actor
  text.append(
      "\0\0\0\x02"
      "bc",
      6);                      // action
  text.append("\0\0\0\0", 4);  // subject (empty)
  text.append(
      "\0\0\0\x02"
      "{}",
      6);  // detail_json
  const Bytes expected = ToBytes(text);
  CHECK(encoded == expected);
  CHECK(AuditEntryHash(prev, 258, entry) == crypto::Sha256(expected));
  // The same vector as docs/storage.md §Audit log, computed independently.
  const crypto::Sha256Digest hash = AuditEntryHash(prev, 258, entry);
  CHECK(HexEncode(hash) == "2045dcc6b197c6b318ef198524fe634923ce6729f1e919f27cc827bd328b878c");
  // Length prefixes keep field boundaries: moving a byte between fields changes the hash.
  const AuditEntry shifted{
      .at = -2, .actor = "ab", .action = "c", .subject = "", .detail_json = "{}"};
  CHECK(AuditEntryHash(prev, 258, shifted) != AuditEntryHash(prev, 258, entry));
}

TEST_CASE("appends form a hash chain that verifies") {
  TempDir dir;
  auto store = Open(dir);
  auto empty = store->Read([&](ReadTransaction& tx) { return store->audit().Head(tx); });
  REQUIRE_OK(empty);
  CHECK(*empty == AuditHead{});

  std::vector<AuditRecord> appended;
  for (int i = 0; i < 5; ++i) {
    auto record = store->Write(Durability::kDurable, [&](Transaction& tx) {
      return store->audit().Append(tx, Entry(1700000000 + i, "step" + std::to_string(i), "E1"));
    });
    REQUIRE_OK(record);
    appended.push_back(*record);
  }
  CHECK(appended[0].seq == 1);
  CHECK(appended[0].prev_hash == crypto::Sha256Digest{});
  CHECK(appended[4].seq == 5);
  CHECK(appended[3].entry_hash == appended[4].prev_hash);

  auto tx = store->BeginRead();
  REQUIRE_OK(tx);
  auto head = store->audit().Head(*tx);
  REQUIRE_OK(head);
  CHECK(head->seq == 5);
  CHECK(head->entry_hash == appended[4].entry_hash);
  auto all = store->audit().ReadRange(*tx, 1, 100);
  REQUIRE_OK(all);
  CHECK(*all == appended);
  REQUIRE_OK(VerifyAuditChain(*all, crypto::Sha256Digest{}));
  auto tail = store->audit().ReadRange(*tx, 3, 2);
  REQUIRE_OK(tail);
  REQUIRE(tail->size() == 2);
  CHECK((*tail)[0].seq == 3);
  REQUIRE_OK(VerifyAuditChain(*tail, appended[1].entry_hash));
  auto past_end = store->audit().ReadRange(*tx, 6, 10);
  REQUIRE_OK(past_end);
  CHECK(past_end->empty());
}

TEST_CASE("verification catches an edited, missing or reordered entry") {
  TempDir dir;
  auto store = Open(dir);
  std::vector<AuditRecord> records;
  for (int i = 0; i < 4; ++i) {
    auto record = store->Write(Durability::kDurable, [&](Transaction& tx) {
      return store->audit().Append(tx, Entry(i, "step", "E" + std::to_string(i)));
    });
    REQUIRE_OK(record);
    records.push_back(*record);
  }
  const crypto::Sha256Digest genesis{};
  REQUIRE_OK(VerifyAuditChain(records, genesis));

  auto edited = records;
  edited[2].entry.subject = "E9";
  CHECK(ErrorCode(VerifyAuditChain(edited, genesis)) == "auditChainBroken");
  auto rehashed = edited;  // recomputing the edited hash breaks the next link instead
  rehashed[2].entry_hash = AuditEntryHash(rehashed[2].prev_hash, 3, rehashed[2].entry);
  auto broken = VerifyAuditChain(rehashed, genesis);
  CHECK(ErrorCode(broken) == "auditChainBroken");
  CHECK(broken.error().message.find("entry 4") != std::string::npos);
  auto missing = records;
  missing.erase(missing.begin() + 1);
  CHECK(ErrorCode(VerifyAuditChain(missing, genesis)) == "auditChainBroken");
  auto reordered = records;
  std::swap(reordered[1], reordered[2]);
  CHECK(ErrorCode(VerifyAuditChain(reordered, genesis)) == "auditChainBroken");
  CHECK(ErrorCode(VerifyAuditChain(records, records[0].entry_hash)) == "auditChainBroken");
  auto first_dropped = std::vector<AuditRecord>(records.begin() + 1, records.end());
  CHECK(ErrorCode(VerifyAuditChain(first_dropped, genesis)) == "auditChainBroken");
}

TEST_CASE("an append rolled back with its transaction leaves no entry and no gap") {
  TempDir dir;
  auto store = Open(dir);
  REQUIRE_OK(store->Write(Durability::kDurable, [&](Transaction& tx) {
    return store->audit().Append(tx, Entry(1, "kept", "E1"));
  }));
  {
    auto tx = store->Begin(Durability::kDurable);
    REQUIRE_OK(tx);
    auto record = store->audit().Append(*tx, Entry(2, "discarded", "E1"));
    REQUIRE_OK(record);
    CHECK(record->seq == 2);
  }
  auto next = store->Write(Durability::kDurable, [&](Transaction& tx) {
    return store->audit().Append(tx, Entry(3, "next", "E1"));
  });
  REQUIRE_OK(next);
  CHECK(next->seq == 2);
  auto all = store->Read([&](ReadTransaction& tx) { return store->audit().ReadRange(tx, 0, 10); });
  REQUIRE_OK(all);
  REQUIRE(all->size() == 2);
  CHECK((*all)[1].entry.action == "next");
  REQUIRE_OK(VerifyAuditChain(*all, crypto::Sha256Digest{}));
}

TEST_CASE("the audit table refuses UPDATE and DELETE") {
  TempDir dir;
  auto store = Open(dir);
  REQUIRE_OK(store->Write(Durability::kDurable, [&](Transaction& tx) {
    return store->audit().Append(tx, Entry(1, "kept", "E1"));
  }));
  for (std::string_view sql : {"UPDATE audit_log SET actor = 'mallory'", "DELETE FROM audit_log"}) {
    auto result = store->Write(Durability::kDurable, [&](Transaction& tx) -> Status {
      TILLIT_TRY_ASSIGN(auto statement, Raw(tx).Prepare(sql));
      TILLIT_TRY(statement.Run());
      return {};
    });
    CHECK(ErrorCode(result) == "internalError");
    CHECK(result.error().message.find("append-only") != std::string::npos);
  }
  auto all = store->Read([&](ReadTransaction& tx) { return store->audit().ReadRange(tx, 1, 10); });
  REQUIRE_OK(all);
  REQUIRE(all->size() == 1);
  CHECK((*all)[0].entry.actor == "anna");
}

TEST_CASE("entries are stored verbatim, SQL-looking text and all") {
  TempDir dir;
  auto store = Open(dir);
  const AuditEntry entry{.at = 5,
                         .actor = "'; DROP TABLE audit_log; --",
                         .action = "x\" OR 1=1",
                         .subject = std::string("a\0b", 3),
                         .detail_json = R"({"q":"%_\\"})"};
  REQUIRE_OK(store->Write(Durability::kDurable,
                          [&](Transaction& tx) { return store->audit().Append(tx, entry); }));
  auto all = store->Read([&](ReadTransaction& tx) { return store->audit().ReadRange(tx, 1, 10); });
  REQUIRE_OK(all);
  REQUIRE(all->size() == 1);
  CHECK((*all)[0].entry == entry);
  REQUIRE_OK(VerifyAuditChain(*all, crypto::Sha256Digest{}));
}

}  // namespace
}  // namespace tillit::server::storage
