// CompletionWriter (server/service/src/completion_writer.h): group commit of completed
// orders. Concurrent writes share transactions and every caller returns only once its own
// rows are stored; a storage outage fails the whole batch; one refused row fails only
// itself.
#include "../../../server/service/src/completion_writer.h"

#include <doctest/doctest.h>

#include <atomic>
#include <chrono>
#include <thread>
#include <vector>

#include "service_fixture.h"
#include "tillit/protocol/login_qr.h"

namespace tillit::service::testing {
namespace {

using internal::CompletionWriter;
using server::storage::AuditEntry;
using server::storage::Durability;
using server::storage::OrderResultRow;
using server::storage::ReadTransaction;

class WriterFixture : public ServiceFixture {
 public:
  WriterFixture() {
    auto created = accounts_->AddRelyingParty("Exempelkommun");
    REQUIRE(created.ok());
    rp_id_ = created->rp_id;
    identifier_ = EnrolAndIssue("Amal", "Hassan", "P1111111").identifier;
  }

  OrderResultRow Row(std::string order_ref = protocol::GenerateUuidV4()) const {
    return {.order_ref = std::move(order_ref),
            .rp_id = rp_id_,
            .identifier = identifier_,
            .credential_serial = std::string(32, 'a'),
            .action = "auth",
            .completed_at = kNow,
            .completion_json = "{\"x\":1}"};
  }
  AuditEntry Audit(const OrderResultRow& row) const {
    return {.at = kNow,
            .actor = "rp:" + rp_id_,
            .action = "loginCompleted",
            .subject = identifier_,
            .detail_json = "{\"orderRef\":\"" + row.order_ref + "\"}"};
  }
  bool Stored(const std::string& order_ref) {
    auto row = store_->Read(
        [&](ReadTransaction& tx) { return store_->order_results().Find(tx, order_ref); });
    REQUIRE(row.ok());
    return row->has_value();
  }

  std::string rp_id_;
  std::string identifier_;
};

// Runs Write for each row on its own thread, `delay` apart, and returns the statuses.
std::vector<Status> WriteConcurrently(CompletionWriter& writer,
                                      const std::vector<OrderResultRow>& rows,
                                      const std::vector<AuditEntry>& audits) {
  std::vector<Status> out(rows.size());
  std::vector<std::thread> threads;
  for (size_t i = 0; i < rows.size(); ++i) {
    threads.emplace_back([&, i] { out[i] = writer.Write(rows[i], audits[i]); });
  }
  for (auto& t : threads) t.join();
  return out;
}

TEST_CASE_FIXTURE(WriterFixture, "a single write commits alone") {
  CompletionWriter writer(*store_);
  OrderResultRow row = Row();
  REQUIRE(writer.Write(row, Audit(row)).ok());
  CHECK(writer.commits() == 1);
  CHECK(Stored(row.order_ref));
}

TEST_CASE_FIXTURE(WriterFixture, "writes queued behind a busy writer share one commit") {
  CompletionWriter writer(*store_);
  constexpr size_t kWrites = 32;
  std::vector<OrderResultRow> rows;
  std::vector<AuditEntry> audits;
  for (size_t i = 0; i < kWrites; ++i) {
    rows.push_back(Row());
    audits.push_back(Audit(rows.back()));
  }
  std::vector<Status> results;
  {
    // Another writer holds the database: the first caller leads and waits in Begin while
    // the others queue behind it.
    auto held = store_->Begin(Durability::kDurable);
    REQUIRE(held.ok());
    std::thread release([&] {
      std::this_thread::sleep_for(std::chrono::milliseconds(300));
      REQUIRE(held->Commit().ok());
    });
    results = WriteConcurrently(writer, rows, audits);
    release.join();
  }
  for (size_t i = 0; i < kWrites; ++i) {
    CAPTURE(i);
    CHECK(results[i].ok());
    CHECK(Stored(rows[i].order_ref));
  }
  // The first leader's batch, then (nearly) everyone else in one.
  CHECK(writer.commits() < kWrites / 4);
  auto audit =
      store_->Read([&](ReadTransaction& tx) { return store_->audit().ReadRange(tx, 1, 1000); });
  REQUIRE(audit.ok());
  size_t completed = 0;
  for (const auto& r : *audit) completed += r.entry.action == "loginCompleted";
  CHECK(completed == kWrites);
  CHECK(server::storage::VerifyAuditChain(*audit, crypto::Sha256Digest{}).ok());
}

TEST_CASE_FIXTURE(WriterFixture, "a storage outage fails the batch, and nothing is stored") {
  auto impatient = server::storage::OpenSqliteStore(
      {.path = DatabasePath(dir_), .busy_timeout = std::chrono::milliseconds(100)});
  REQUIRE(impatient.ok());
  CompletionWriter writer(**impatient);
  std::vector<OrderResultRow> rows{Row(), Row(), Row(), Row()};
  std::vector<AuditEntry> audits;
  for (const auto& r : rows) audits.push_back(Audit(r));
  {
    auto held = store_->Begin(Durability::kDurable);
    REQUIRE(held.ok());
    auto results = WriteConcurrently(writer, rows, audits);
    for (const auto& r : results) {
      REQUIRE_FALSE(r.ok());
      CHECK(r.error().code == "storageUnavailable");
    }
  }
  for (const auto& r : rows) CHECK_FALSE(Stored(r.order_ref));
  CHECK(writer.commits() == 0);
  // Afterwards the same rows go in.
  auto results = WriteConcurrently(writer, rows, audits);
  for (size_t i = 0; i < rows.size(); ++i) {
    CHECK(results[i].ok());
    CHECK(Stored(rows[i].order_ref));
  }
}

TEST_CASE_FIXTURE(WriterFixture, "a refused row fails alone; the rest of its batch is stored") {
  CompletionWriter writer(*store_);
  const std::string taken = protocol::GenerateUuidV4();
  OrderResultRow first = Row(taken);
  REQUIRE(writer.Write(first, Audit(first)).ok());

  std::vector<OrderResultRow> rows{Row(), Row(taken), Row(), Row()};  // [1] conflicts
  std::vector<AuditEntry> audits;
  for (const auto& r : rows) audits.push_back(Audit(r));
  std::vector<Status> results;
  {
    auto held = store_->Begin(Durability::kDurable);
    REQUIRE(held.ok());
    std::thread release([&] {
      std::this_thread::sleep_for(std::chrono::milliseconds(300));
      REQUIRE(held->Commit().ok());
    });
    results = WriteConcurrently(writer, rows, audits);
    release.join();
  }
  REQUIRE_FALSE(results[1].ok());
  CHECK(results[1].error().code == "conflict");
  for (size_t i : {0, 2, 3}) {
    CAPTURE(i);
    CHECK(results[i].ok());
    CHECK(Stored(rows[i].order_ref));
  }
}

}  // namespace
}  // namespace tillit::service::testing
