// AuditService: signed checkpoints of the audit log, and the whole-log check behind
// `tillit-server admin audit-verify` (docs/storage.md §7.1, docs/operations.md §4).
//
// A checkpoint is the issuer's Ed25519 signature, with the result key (IssuerKeys::
// result_key(), published at /.well-known/jwks.json), over the head of the hash chain at
// one moment. The chain alone shows an edited, reordered or removed entry in the middle;
// a checkpoint also pins the tail, so cutting entries off the end, or rewriting the chain
// from some entry on with recomputed hashes, is detected by anyone with the public key —
// unless the attacker also holds the key (which lives beside the database: ship
// checkpoints or the head elsewhere for that, see docs/operations.md).
//
// Thread safety: thread-safe; the store, clock and keys must outlive the service.
#pragma once

#include <cstdint>
#include <functional>
#include <optional>
#include <string>

#include "tillit/bytes.h"
#include "tillit/crypto/ed25519.h"
#include "tillit/crypto/hash.h"
#include "tillit/ports.h"
#include "tillit/result.h"
#include "tillit/service/issuer_keys.h"
#include "tillit/storage/store.h"

namespace tillit::service {

// The bytes a checkpoint signs (docs/storage.md §7.1):
//   "tillit-audit-checkpoint-v1" 0x00 || u64be(seq) || entry_hash (32) || i64be(signed_at)
// 75 bytes. The context string keeps these signatures apart from every other signature
// of the result key (result JWSs). DO NOT CHANGE: checkpoints are stored.
Bytes AuditCheckpointMessage(uint64_t seq, const crypto::Sha256Digest& entry_hash,
                             int64_t signed_at);

// How far Verify has got: entries checked out of the head's seq.
struct AuditVerifyProgress {
  uint64_t verified = 0;
  uint64_t total = 0;
};

// The outcome of Verify. A broken log is a normal outcome, not an Error.
struct AuditVerification {
  bool ok = false;
  uint64_t entries = 0;  // entries read
  server::storage::AuditHead head{};
  uint64_t checkpoints = 0;  // checkpoints checked
  std::optional<server::storage::AuditCheckpoint> last_checkpoint{};
  // When !ok: the first seq that cannot be trusted, and why (for people; not stable).
  uint64_t first_broken_seq = 0;
  std::string reason{};
};

class AuditService {
 public:
  AuditService(server::storage::Store& store, const Clock& clock, const IssuerKeys& keys)
      : store_(store), clock_(clock), keys_(keys) {}

  // Signs the current head and stores the checkpoint, in one durable transaction, unless
  // the log is empty or the latest checkpoint already pins the head (the head has not
  // moved). Returns the checkpoint written, or nullopt. A checkpoint is not itself an audit
  // entry (that would move the head). Errors: storage errors ("conflict" if another
  // process wrote a checkpoint for the same head at the same moment).
  Result<std::optional<server::storage::AuditCheckpoint>> Checkpoint();

  // Reads the whole log in one read snapshot, in batches of kMaxAuditReadRows, and checks
  // that seqs run 1, 2, 3, ... with every link and entry hash right (VerifyAuditChain);
  // that every checkpoint was signed by the result key over (seq, entry_hash, signed_at)
  // and that its entry_hash is the chain's entry at that seq; and that no checkpoint pins
  // an entry beyond the end (truncation). `progress` (may be empty) is called after each
  // batch. Errors: only storage errors; a broken log is {ok = false, ...}.
  Result<AuditVerification> Verify(
      const std::function<void(const AuditVerifyProgress&)>& progress) const;

 private:
  server::storage::Store& store_;
  const Clock& clock_;
  const IssuerKeys& keys_;
};

}  // namespace tillit::service
