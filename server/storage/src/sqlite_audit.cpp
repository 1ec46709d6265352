// SQLite audit log (see tillit/storage/audit.h).
#include <algorithm>
#include <limits>

#include "repository_util.h"
#include "sqlite_repositories.h"
#include "sqlite_transaction.h"

namespace tillit::server::storage::sqlite {
namespace {

#define TILLIT_AUDIT_COLUMNS "seq, at, actor, action, subject, detail_json, prev_hash, entry_hash"
#define TILLIT_CHECKPOINT_COLUMNS "seq, entry_hash, signed_at, key_id, signature"

Result<crypto::Sha256Digest> ToDigest(const Bytes& bytes, std::string_view column) {
  crypto::Sha256Digest digest{};
  if (bytes.size() != digest.size()) return BadStoredValue(column);
  std::copy(bytes.begin(), bytes.end(), digest.begin());
  return digest;
}

Result<AuditRecord> ReadRecord(const Statement& statement) {
  Columns columns(statement);
  AuditRecord record;
  record.seq = static_cast<uint64_t>(columns.Int64());
  record.entry.at = columns.Int64();
  record.entry.actor = columns.Text();
  record.entry.action = columns.Text();
  record.entry.subject = columns.Text();
  record.entry.detail_json = columns.Text();
  TILLIT_TRY_ASSIGN(record.prev_hash, ToDigest(columns.Blob(), "audit_log.prev_hash"));
  TILLIT_TRY_ASSIGN(record.entry_hash, ToDigest(columns.Blob(), "audit_log.entry_hash"));
  return record;
}

Result<AuditCheckpoint> ReadCheckpoint(const Statement& statement) {
  Columns columns(statement);
  AuditCheckpoint checkpoint;
  checkpoint.seq = static_cast<uint64_t>(columns.Int64());
  TILLIT_TRY_ASSIGN(checkpoint.entry_hash,
                    ToDigest(columns.Blob(), "audit_checkpoints.entry_hash"));
  checkpoint.signed_at = columns.Int64();
  checkpoint.key_id = columns.Text();
  checkpoint.signature = columns.Blob();
  return checkpoint;
}

Result<AuditHead> ReadHead(Connection& db) {
  TILLIT_TRY_ASSIGN(auto select,
                    db.Prepare("SELECT seq, entry_hash FROM audit_log ORDER BY seq DESC LIMIT 1"));
  TILLIT_TRY_ASSIGN(const bool row, select.Step());
  AuditHead head;
  if (!row) return head;
  head.seq = static_cast<uint64_t>(select.ColumnInt64(0));
  TILLIT_TRY_ASSIGN(head.entry_hash, ToDigest(select.ColumnBlob(1), "audit_log.entry_hash"));
  return head;
}

}  // namespace

Result<AuditRecord> SqliteAuditRepository::Append(Transaction& tx, const AuditEntry& entry) {
  Connection& db = ConnectionOf(tx);
  // Reading the head and inserting after it is safe because the write transaction holds
  // the database's write lock from BEGIN IMMEDIATE: no other append can come between.
  TILLIT_TRY_ASSIGN(const AuditHead head, ReadHead(db));
  AuditRecord record;
  record.seq = head.seq + 1;
  record.entry = entry;
  record.prev_hash = head.entry_hash;
  record.entry_hash = AuditEntryHash(record.prev_hash, record.seq, record.entry);

  TILLIT_TRY_ASSIGN(auto insert, db.Prepare("INSERT INTO audit_log (" TILLIT_AUDIT_COLUMNS
                                            ") VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8)"));
  insert.BindInt64(1, static_cast<int64_t>(record.seq));
  insert.BindInt64(2, entry.at);
  insert.BindText(3, entry.actor);
  insert.BindText(4, entry.action);
  insert.BindText(5, entry.subject);
  insert.BindText(6, entry.detail_json);
  insert.BindBlob(7, record.prev_hash);
  insert.BindBlob(8, record.entry_hash);
  TILLIT_TRY(insert.Run());
  return record;
}

Result<std::vector<AuditRecord>> SqliteAuditRepository::ReadRange(ReadTransaction& tx,
                                                                  uint64_t first_seq,
                                                                  size_t limit) {
  if (first_seq > static_cast<uint64_t>(std::numeric_limits<int64_t>::max())) {
    return std::vector<AuditRecord>();
  }
  TILLIT_TRY_ASSIGN(auto select, ConnectionOf(tx).Prepare(
                                     "SELECT " TILLIT_AUDIT_COLUMNS
                                     " FROM audit_log WHERE seq >= ?1 ORDER BY seq LIMIT ?2"));
  select.BindInt64(1, static_cast<int64_t>(first_seq));
  select.BindInt64(2, ClampLimit(limit, kMaxAuditReadRows));
  return FetchAll<AuditRecord>(select, ReadRecord);
}

Result<AuditHead> SqliteAuditRepository::Head(ReadTransaction& tx) {
  return ReadHead(ConnectionOf(tx));
}

Status SqliteAuditRepository::InsertCheckpoint(Transaction& tx,
                                               const AuditCheckpoint& checkpoint) {
  if (checkpoint.seq == 0 ||
      checkpoint.seq > static_cast<uint64_t>(std::numeric_limits<int64_t>::max())) {
    return MakeError("invalidParameters", "audit checkpoint: seq out of range");
  }
  TILLIT_TRY_ASSIGN(auto insert,
                    ConnectionOf(tx).Prepare("INSERT INTO audit_checkpoints (" TILLIT_CHECKPOINT_COLUMNS
                                             ") VALUES (?1, ?2, ?3, ?4, ?5)"));
  insert.BindInt64(1, static_cast<int64_t>(checkpoint.seq));
  insert.BindBlob(2, checkpoint.entry_hash);
  insert.BindInt64(3, checkpoint.signed_at);
  insert.BindText(4, checkpoint.key_id);
  insert.BindBlob(5, checkpoint.signature);
  TILLIT_TRY(insert.Run());
  return {};
}

Result<std::vector<AuditCheckpoint>> SqliteAuditRepository::ReadCheckpoints(ReadTransaction& tx,
                                                                            uint64_t first_seq,
                                                                            size_t limit) {
  if (first_seq > static_cast<uint64_t>(std::numeric_limits<int64_t>::max())) {
    return std::vector<AuditCheckpoint>();
  }
  TILLIT_TRY_ASSIGN(auto select,
                    ConnectionOf(tx).Prepare("SELECT " TILLIT_CHECKPOINT_COLUMNS
                                             " FROM audit_checkpoints WHERE seq >= ?1"
                                             " ORDER BY seq LIMIT ?2"));
  select.BindInt64(1, static_cast<int64_t>(first_seq));
  select.BindInt64(2, ClampLimit(limit, kMaxAuditReadRows));
  return FetchAll<AuditCheckpoint>(select, ReadCheckpoint);
}

Result<std::optional<AuditCheckpoint>> SqliteAuditRepository::LastCheckpoint(
    ReadTransaction& tx) {
  TILLIT_TRY_ASSIGN(auto select,
                    ConnectionOf(tx).Prepare("SELECT " TILLIT_CHECKPOINT_COLUMNS
                                             " FROM audit_checkpoints ORDER BY seq DESC LIMIT 1"));
  return FetchOne<AuditCheckpoint>(select, ReadCheckpoint);
}

}  // namespace tillit::server::storage::sqlite
