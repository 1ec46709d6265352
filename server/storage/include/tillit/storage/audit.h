// The audit log: an append-only, hash-chained record of every step of proofing, issuance
// and status change (NIST SP 800-63A audit; OWASP ASVS tamper-evident logs). Each entry's
// hash covers the previous entry's hash, so changing, removing or reordering an entry
// breaks every later link; keeping the latest Head() elsewhere (a log shipper, a printed
// report) also reveals truncation. The byte encoding that is hashed is specified in
// docs/storage.md §Audit log and is DO NOT CHANGE.
//
// detail_json is stored and hashed verbatim; callers must not put secrets (tokens, codes,
// keys) in any field.
//
// Signed checkpoints (audit_checkpoints, schema version 3) pin the chain's head from time
// to time: a checkpoint is a signature by the issuer over (seq, entry_hash, signed_at), so
// cutting entries off the tail, or rewriting the whole chain from some entry on, is
// detected by anyone holding the issuer's public key (tillit/service/audit_service.h signs
// and verifies them; the signed bytes are docs/storage.md §7.1). Storage keeps them and
// checks nothing cryptographic.
//
// Thread safety: the free functions are pure; the repository as every repository (see
// tillit/storage/accounts.h). Appends are serialised by the write transaction.
#pragma once

#include <cstddef>
#include <cstdint>
#include <optional>
#include <span>
#include <string>
#include <vector>

#include "tillit/bytes.h"
#include "tillit/crypto/hash.h"
#include "tillit/result.h"
#include "tillit/storage/transaction.h"

namespace tillit::server::storage {

// What the caller records.
struct AuditEntry {
  int64_t at = 0;
  std::string actor{};    // who: an officer id, "rp:<id>", "system"
  std::string action{};   // what: a stable camelCase verb, e.g. "identifierIssued"
  std::string subject{};  // on what: an enrolment id, an identifier, a credential serial
  std::string detail_json{};

  friend bool operator==(const AuditEntry&, const AuditEntry&) = default;
};

// An entry as stored, with its place in the chain.
struct AuditRecord {
  uint64_t seq = 0;  // 1, 2, 3, ... without gaps
  AuditEntry entry{};
  crypto::Sha256Digest prev_hash{};  // entry_hash of seq - 1; all zero for seq 1
  crypto::Sha256Digest entry_hash{};

  friend bool operator==(const AuditRecord&, const AuditRecord&) = default;
};

// The latest entry: seq 0 and an all-zero hash for an empty log.
struct AuditHead {
  uint64_t seq = 0;
  crypto::Sha256Digest entry_hash{};

  friend bool operator==(const AuditHead&, const AuditHead&) = default;
};

// A signed checkpoint as stored (docs/storage.md §7.1).
struct AuditCheckpoint {
  uint64_t seq = 0;                   // the audit entry it pins (>= 1)
  crypto::Sha256Digest entry_hash{};  // that entry's entry_hash when it was signed
  int64_t signed_at = 0;              // Unix seconds
  std::string key_id{};               // RFC 7638 thumbprint of the signing key
  Bytes signature{};                  // Ed25519, 64 bytes

  friend bool operator==(const AuditCheckpoint&, const AuditCheckpoint&) = default;
};

// The bytes whose SHA-256 is an entry's hash (docs/storage.md §Audit log):
//   "tillit-audit-v1" 0x00 || prev_hash (32) || u64be(seq) || i64be(at)
//   || for actor, action, subject, detail_json: u32be(byte length) || bytes
// Length prefixes make the encoding injective: no two entries share an encoding.
// DO NOT CHANGE.
Bytes EncodeAuditEntryForHash(const crypto::Sha256Digest& prev_hash, uint64_t seq,
                              const AuditEntry& entry);

// SHA-256 of EncodeAuditEntryForHash(prev_hash, seq, entry).
crypto::Sha256Digest AuditEntryHash(const crypto::Sha256Digest& prev_hash, uint64_t seq,
                                    const AuditEntry& entry);

// Checks that `records` are consecutive (seq increasing by one), that the first one's
// prev_hash equals `prev_hash` (the hash of the entry before it; all zero when the range
// starts at seq 1), that each later prev_hash is the entry_hash before it, and that every
// entry_hash is recomputed correctly. Errors: "auditChainBroken" naming the first bad seq.
Status VerifyAuditChain(std::span<const AuditRecord> records,
                        const crypto::Sha256Digest& prev_hash);

// ReadRange returns at most this many records per call whatever limit is passed.
inline constexpr size_t kMaxAuditReadRows = 10000;

class AuditRepository {
 public:
  virtual ~AuditRepository() = default;

  // Appends an entry after the current head, within `tx` (so the entry commits or rolls
  // back with the change it records), and returns it as stored.
  virtual Result<AuditRecord> Append(Transaction& tx, const AuditEntry& entry) = 0;

  // Records with seq >= first_seq in order, at most min(limit, kMaxAuditReadRows).
  virtual Result<std::vector<AuditRecord>> ReadRange(ReadTransaction& tx, uint64_t first_seq,
                                                     size_t limit) = 0;

  // The latest entry.
  virtual Result<AuditHead> Head(ReadTransaction& tx) = 0;

  // Stores a checkpoint. Append-only, like the log. Errors: "conflict" (that seq already
  // has a checkpoint); "invalidParameters" (seq 0 or above 2^63 - 1); "internalError" (no
  // audit entry with that seq, or a signature that is not 64 bytes).
  virtual Status InsertCheckpoint(Transaction& tx, const AuditCheckpoint& checkpoint) = 0;

  // Checkpoints with seq >= first_seq in order, at most min(limit, kMaxAuditReadRows).
  virtual Result<std::vector<AuditCheckpoint>> ReadCheckpoints(ReadTransaction& tx,
                                                               uint64_t first_seq,
                                                               size_t limit) = 0;

  // The checkpoint with the highest seq, if any.
  virtual Result<std::optional<AuditCheckpoint>> LastCheckpoint(ReadTransaction& tx) = 0;
};

}  // namespace tillit::server::storage
