// Signed audit checkpoints and the whole-log check (tillit/service/audit_service.h;
// docs/storage.md §7.1).
#include "tillit/service/audit_service.h"

#include <algorithm>
#include <span>
#include <string_view>
#include <utility>
#include <vector>

#include "tillit/crypto/compare.h"
#include "tillit/protocol/jws.h"

namespace tillit::service {
namespace {

namespace st = server::storage;

// The trailing NUL is part of the context. DO NOT CHANGE.
constexpr std::string_view kCheckpointContext{"tillit-audit-checkpoint-v1\0", 27};

void PutU64(Bytes& out, uint64_t value) {
  for (int shift = 56; shift >= 0; shift -= 8) out.push_back(static_cast<uint8_t>(value >> shift));
}

std::string Seq(uint64_t seq) { return std::to_string(seq); }

}  // namespace

Bytes AuditCheckpointMessage(uint64_t seq, const crypto::Sha256Digest& entry_hash,
                             int64_t signed_at) {
  Bytes out;
  out.reserve(kCheckpointContext.size() + 8 + entry_hash.size() + 8);
  for (char c : kCheckpointContext) out.push_back(static_cast<uint8_t>(c));
  PutU64(out, seq);
  for (uint8_t b : entry_hash) out.push_back(b);
  PutU64(out, static_cast<uint64_t>(signed_at));  // two's complement, as i64be
  return out;
}

Result<std::optional<st::AuditCheckpoint>> AuditService::Checkpoint() {
  // A read first: most calls find the head unmoved and need not queue for the writer.
  TILLIT_TRY_ASSIGN(const bool moved, store_.Read([&](st::ReadTransaction& tx) -> Result<bool> {
    TILLIT_TRY_ASSIGN(const st::AuditHead head, store_.audit().Head(tx));
    TILLIT_TRY_ASSIGN(const auto last, store_.audit().LastCheckpoint(tx));
    return head.seq != 0 && (!last || last->seq != head.seq);
  }));
  if (!moved) return std::optional<st::AuditCheckpoint>();
  return store_.Write(
      st::Durability::kDurable,
      [&](st::Transaction& tx) -> Result<std::optional<st::AuditCheckpoint>> {
        // Again inside the write transaction: the head cannot move under it.
        TILLIT_TRY_ASSIGN(const st::AuditHead head, store_.audit().Head(tx));
        TILLIT_TRY_ASSIGN(const auto last, store_.audit().LastCheckpoint(tx));
        if (head.seq == 0 || (last && last->seq == head.seq)) {
          return std::optional<st::AuditCheckpoint>();
        }
        st::AuditCheckpoint checkpoint;
        checkpoint.seq = head.seq;
        checkpoint.entry_hash = head.entry_hash;
        checkpoint.signed_at = clock_.NowUnixSeconds();
        const crypto::SigningKey& key = keys_.result_key();
        checkpoint.key_id = protocol::JwkThumbprint(key.verifying_key());
        const crypto::Signature signature = key.Sign(
            AuditCheckpointMessage(checkpoint.seq, checkpoint.entry_hash, checkpoint.signed_at));
        checkpoint.signature.assign(signature.bytes().begin(), signature.bytes().end());
        TILLIT_TRY(store_.audit().InsertCheckpoint(tx, checkpoint));
        return std::optional<st::AuditCheckpoint>(std::move(checkpoint));
      });
}

Result<AuditVerification> AuditService::Verify(
    const std::function<void(const AuditVerifyProgress&)>& progress) const {
  TILLIT_TRY_ASSIGN(st::ReadTransaction tx, store_.BeginRead());
  st::AuditRepository& audit = store_.audit();
  AuditVerification out;
  TILLIT_TRY_ASSIGN(out.head, audit.Head(tx));

  const crypto::VerifyingKey& key = keys_.result_key().verifying_key();
  const std::string key_id = protocol::JwkThumbprint(key);
  auto broken = [&](uint64_t seq, std::string reason) {
    out.ok = false;
    out.first_broken_seq = seq;
    out.reason = std::move(reason);
    return out;
  };
  // Checks a checkpoint's key and signature (not yet its place in the chain).
  auto signature_error = [&](const st::AuditCheckpoint& c) -> std::optional<std::string> {
    // key_id is public; the comparison need not be constant-time, but costs nothing.
    if (!crypto::ConstantTimeEquals(AsBytes(c.key_id), AsBytes(key_id))) {
      return "checkpoint at seq " + Seq(c.seq) + " names an unknown signing key";
    }
    auto signature = crypto::Signature::Parse(c.signature);
    if (!signature.ok() ||
        !key.Verify(AuditCheckpointMessage(c.seq, c.entry_hash, c.signed_at), *signature).ok()) {
      return "checkpoint at seq " + Seq(c.seq) + ": invalid signature";
    }
    return std::nullopt;
  };

  // Checkpoints are read in batches alongside the entries; `pending` holds those not yet
  // matched to an entry, in seq order.
  std::vector<st::AuditCheckpoint> pending;
  size_t pending_pos = 0;
  uint64_t next_checkpoint_seq = 1;  // where the next checkpoint batch starts
  bool checkpoints_done = false;
  auto next_checkpoint = [&]() -> Result<const st::AuditCheckpoint*> {
    if (pending_pos == pending.size() && !checkpoints_done) {
      TILLIT_TRY_ASSIGN(pending, audit.ReadCheckpoints(tx, next_checkpoint_seq,
                                                       st::kMaxAuditReadRows));
      pending_pos = 0;
      if (pending.empty()) {
        checkpoints_done = true;
      } else {
        next_checkpoint_seq = pending.back().seq + 1;
      }
    }
    return pending_pos < pending.size() ? &pending[pending_pos] : nullptr;
  };

  crypto::Sha256Digest prev{};  // all zero before seq 1
  uint64_t expected_seq = 1;
  uint64_t last_good_checkpoint = 0;  // seq of the last checkpoint that matched
  for (;;) {
    TILLIT_TRY_ASSIGN(const auto records,
                      audit.ReadRange(tx, expected_seq, st::kMaxAuditReadRows));
    if (records.empty()) break;
    for (const st::AuditRecord& record : records) {
      // ReadRange returns seq >= expected_seq in order: a larger one means a gap.
      if (record.seq != expected_seq) {
        return broken(expected_seq, "audit entry " + Seq(expected_seq) + " is missing");
      }
      if (Status linked = st::VerifyAuditChain(std::span(&record, 1), prev); !linked.ok()) {
        return broken(record.seq, linked.error().message);
      }
      TILLIT_TRY_ASSIGN(const st::AuditCheckpoint* checkpoint, next_checkpoint());
      if (checkpoint != nullptr && checkpoint->seq == record.seq) {
        if (auto error = signature_error(*checkpoint)) return broken(record.seq, *error);
        if (!crypto::ConstantTimeEquals(checkpoint->entry_hash, record.entry_hash)) {
          // The chain is consistent but not the one that was signed: it was rewritten
          // (hashes recomputed) somewhere after the last checkpoint that matched.
          return broken(last_good_checkpoint + 1,
                        "checkpoint at seq " + Seq(record.seq) +
                            " does not match the chain: an entry after seq " +
                            Seq(last_good_checkpoint) + " was rewritten");
        }
        last_good_checkpoint = record.seq;
        out.last_checkpoint = *checkpoint;
        ++out.checkpoints;
        ++pending_pos;
      }
      prev = record.entry_hash;
      ++expected_seq;
      ++out.entries;
    }
    if (progress) progress({.verified = out.entries, .total = out.head.seq});
  }
  if (out.entries != out.head.seq) {
    // Head() and the walk disagree inside one snapshot: the file is damaged.
    return broken(out.entries + 1, "the log's head is seq " + Seq(out.head.seq) + " but only " +
                                       Seq(out.entries) + " entries could be read in order");
  }
  // A checkpoint left over pins an entry that is no longer there: the tail was cut off.
  TILLIT_TRY_ASSIGN(const st::AuditCheckpoint* beyond, next_checkpoint());
  if (beyond != nullptr) {
    if (auto error = signature_error(*beyond)) return broken(beyond->seq, *error);
    return broken(out.entries + 1, "the log ends at seq " + Seq(out.entries) +
                                       " but a checkpoint pins seq " + Seq(beyond->seq) +
                                       ": entries were removed from the end");
  }
  out.ok = true;
  return out;
}

}  // namespace tillit::service
