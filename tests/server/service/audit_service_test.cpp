// AuditService (tillit/service/audit_service.h, docs/storage.md §7.1): checkpoints only when
// the head moved, signed by the result key over the documented bytes; Verify accepts an
// intact log and names the first untrustworthy seq for an edited entry, a chain rewritten
// with recomputed hashes, a removed tail, a forged checkpoint signature and a checkpoint
// by an unknown key. Tampering goes around the storage API with raw SQL, as someone with
// the file would.
#include "tillit/service/audit_service.h"

#include <doctest/doctest.h>

#include "../../../server/storage/src/sqlite.h"
#include "service_fixture.h"
#include "tillit/protocol/jws.h"

namespace tillit::service::testing {
namespace {

namespace st = server::storage;

#define REQUIRE_OK(expr)                                                                       \
  do {                                                                                         \
    const auto& ok_result_ = (expr);                                                           \
    if (!ok_result_.ok()) FAIL(ok_result_.error().code << ": " << ok_result_.error().message); \
  } while (false)

class AuditFixture : public ServiceFixture {
 public:
  AuditFixture() : audit_(*store_, clock_, *keys_) {}

  // Runs SQL on a connection of its own with foreign keys off and the append-only triggers
  // dropped: what someone holding the file can do.
  void Tamper(const std::string& sql) {
    auto raw = server::storage::sqlite::Connection::Open({.path = DatabasePath(dir_)});
    REQUIRE_OK(raw);
    REQUIRE_OK((*raw)->Execute("PRAGMA foreign_keys = OFF"));
    REQUIRE_OK((*raw)->Execute(
        "DROP TRIGGER IF EXISTS audit_log_no_update; DROP TRIGGER IF EXISTS audit_log_no_delete;"
        "DROP TRIGGER IF EXISTS audit_checkpoints_no_update;"
        "DROP TRIGGER IF EXISTS audit_checkpoints_no_delete;"));
    REQUIRE_OK((*raw)->Execute(sql));
  }

  AuditVerification Verify() {
    auto verified = audit_.Verify({});
    REQUIRE_OK(verified);
    return *verified;
  }

  uint64_t HeadSeq() {
    auto head = store_->Read([&](st::ReadTransaction& tx) { return store_->audit().Head(tx); });
    REQUIRE_OK(head);
    return head->seq;
  }

  std::optional<st::AuditCheckpoint> Written() {
    auto written = audit_.Checkpoint();
    REQUIRE_OK(written);
    return *written;
  }

  AuditService audit_;
};

TEST_CASE("the signed bytes are the documented ones") {
  crypto::Sha256Digest hash{};
  hash.fill(0xAB);
  const Bytes message = AuditCheckpointMessage(258, hash, -2);
  REQUIRE(message.size() == 75);
  CHECK(std::string(message.begin(), message.begin() + 27) ==
        std::string("tillit-audit-checkpoint-v1\0", 27));
  CHECK(HexEncode(ByteView(message).subspan(27, 8)) == "0000000000000102");
  std::string ab;
  for (int i = 0; i < 32; ++i) ab += "ab";
  CHECK(HexEncode(ByteView(message).subspan(35, 32)) == ab);
  CHECK(HexEncode(ByteView(message).subspan(67, 8)) == "fffffffffffffffe");
}

TEST_CASE_FIXTURE(AuditFixture, "checkpoints are written only when the head moved") {
  // The fixture's two officers are in the log already.
  const uint64_t head = HeadSeq();
  REQUIRE(head >= 2);
  auto first = Written();
  REQUIRE(first.has_value());
  CHECK(first->seq == head);
  CHECK(first->signed_at == clock_.NowUnixSeconds());
  CHECK(first->key_id == protocol::JwkThumbprint(keys_->result_key().verifying_key()));
  auto signature = crypto::Signature::Parse(first->signature);
  REQUIRE_OK(signature);
  CHECK(keys_->result_key()
            .verifying_key()
            .Verify(AuditCheckpointMessage(first->seq, first->entry_hash, first->signed_at),
                    *signature)
            .ok());
  CHECK_FALSE(Written().has_value());  // unmoved
  CHECK(HeadSeq() == head);            // a checkpoint is not an audit entry

  AddOfficer("Carin Ek", "officer");
  auto second = Written();
  REQUIRE(second.has_value());
  CHECK(second->seq == HeadSeq());

  const AuditVerification v = Verify();
  CHECK(v.ok);
  CHECK(v.entries == HeadSeq());
  CHECK(v.head.seq == HeadSeq());
  CHECK(v.checkpoints == 2);
  REQUIRE(v.last_checkpoint.has_value());
  CHECK(*v.last_checkpoint == *second);
}

TEST_CASE("an empty log verifies and gets no checkpoint") {
  char tmpl[] = "/tmp/tillit-audit-empty-XXXXXX";
  REQUIRE(::mkdtemp(tmpl) != nullptr);
  const std::string dir = tmpl;
  FixedClock clock(kNow);
  auto keys = IssuerKeys::LoadOrCreate(dir + "/data", clock);
  REQUIRE_OK(keys);
  auto store = server::storage::OpenSqliteStore({.path = DatabasePath(dir + "/data")});
  REQUIRE_OK(store);
  AuditService audit(**store, clock, *keys);
  auto written = audit.Checkpoint();
  REQUIRE_OK(written);
  CHECK_FALSE(written->has_value());
  auto verified = audit.Verify({});
  REQUIRE_OK(verified);
  CHECK(verified->ok);
  CHECK(verified->entries == 0);
  CHECK(verified->checkpoints == 0);
  store->reset();
  std::filesystem::remove_all(dir);
}

TEST_CASE_FIXTURE(AuditFixture, "an edited entry is found by the chain") {
  REQUIRE(Written().has_value());
  Tamper("UPDATE audit_log SET detail_json = '{\"role\":\"supervisor\"}' WHERE seq = 1");
  const AuditVerification v = Verify();
  CHECK_FALSE(v.ok);
  CHECK(v.first_broken_seq == 1);
  CHECK(v.reason.find("entry hash mismatch") != std::string::npos);
}

TEST_CASE_FIXTURE(AuditFixture, "a chain rewritten with recomputed hashes is found by a checkpoint") {
  const uint64_t pinned = HeadSeq();
  REQUIRE(Written().has_value());
  AddOfficer("Carin Ek", "officer");
  AddOfficer("David Lund", "officer");
  REQUIRE(Written().has_value());
  const uint64_t head = HeadSeq();
  // Remove everything after the first checkpoint and append a different history through
  // the API: every hash is right, the chain verifies, only the checkpoint at `head` knows.
  Tamper("DELETE FROM audit_log WHERE seq > " + std::to_string(pinned));
  AddOfficer("Eve Intruder", "supervisor");
  AddOfficer("Eve Intruder 2", "supervisor");
  REQUIRE(HeadSeq() == head);
  const AuditVerification v = Verify();
  CHECK_FALSE(v.ok);
  CHECK(v.first_broken_seq == pinned + 1);
  CHECK(v.reason.find("does not match the chain") != std::string::npos);
}

TEST_CASE_FIXTURE(AuditFixture, "a removed tail is found by the last checkpoint") {
  REQUIRE(Written().has_value());
  const uint64_t head = HeadSeq();
  Tamper("DELETE FROM audit_log WHERE seq = " + std::to_string(head));
  const AuditVerification v = Verify();
  CHECK_FALSE(v.ok);
  CHECK(v.first_broken_seq == head);
  CHECK(v.reason.find("removed from the end") != std::string::npos);
}

TEST_CASE_FIXTURE(AuditFixture, "a forged or foreign checkpoint is refused") {
  auto written = Written();
  REQUIRE(written.has_value());
  const uint64_t head = HeadSeq();
  SUBCASE("a flipped signature bit") {
    Bytes flipped = written->signature;
    flipped[10] ^= 0x01;
    Tamper("UPDATE audit_checkpoints SET signature = x'" + HexEncode(flipped) + "'");
  }
  SUBCASE("a random signature") {
    Tamper("UPDATE audit_checkpoints SET signature = randomblob(64)");
  }
  SUBCASE("another signing time under the old signature") {
    Tamper("UPDATE audit_checkpoints SET signed_at = signed_at + 1");
  }
  SUBCASE("an unknown key") {
    Tamper("UPDATE audit_checkpoints SET key_id = 'someone-else'");
  }
  const AuditVerification v = Verify();
  CHECK_FALSE(v.ok);
  CHECK(v.first_broken_seq == head);
  CHECK((v.reason.find("invalid signature") != std::string::npos ||
         v.reason.find("unknown signing key") != std::string::npos));
}

}  // namespace
}  // namespace tillit::service::testing
