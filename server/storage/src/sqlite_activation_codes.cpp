// SQLite activation codes (see tillit/storage/activation_codes.h).
#include "repository_util.h"
#include "sqlite_repositories.h"
#include "sqlite_transaction.h"

namespace tillit::server::storage::sqlite {
namespace {

#define TILLIT_ACTIVATION_COLUMNS                                           \
  "handle, secret_hash, identifier, enrolment_id, created_at, expires_at, " \
  "failed_attempts, used_at, nonce, nonce_expires_at"

Result<ActivationCodeRow> ReadCode(const Statement& statement) {
  Columns columns(statement);
  ActivationCodeRow row;
  row.handle = columns.Text();
  row.secret_hash = columns.Blob();
  row.identifier = columns.Text();
  row.enrolment_id = columns.OptionalText();
  row.created_at = columns.Int64();
  row.expires_at = columns.Int64();
  row.failed_attempts = columns.Int64();
  row.used_at = columns.OptionalInt64();
  row.nonce = columns.OptionalBlob();
  row.nonce_expires_at = columns.OptionalInt64();
  return row;
}

Result<bool> CodeExists(Connection& db, std::string_view handle) {
  return RowExists(db, "SELECT 1 FROM activation_codes WHERE handle = ?1", handle);
}

}  // namespace

Status SqliteActivationCodeRepository::Insert(Transaction& tx, const ActivationCodeRow& code) {
  TILLIT_TRY_ASSIGN(
      auto insert,
      ConnectionOf(tx).Prepare("INSERT INTO activation_codes (" TILLIT_ACTIVATION_COLUMNS ") VALUES"
                               " (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10)"));
  insert.BindText(1, code.handle);
  insert.BindBlob(2, code.secret_hash);
  insert.BindText(3, code.identifier);
  insert.BindOptionalText(4, code.enrolment_id);
  insert.BindInt64(5, code.created_at);
  insert.BindInt64(6, code.expires_at);
  insert.BindInt64(7, code.failed_attempts);
  insert.BindOptionalInt64(8, code.used_at);
  insert.BindOptionalBlob(9, code.nonce);
  insert.BindOptionalInt64(10, code.nonce_expires_at);
  TILLIT_TRY(insert.Run());
  return {};
}

Result<std::optional<ActivationCodeRow>> SqliteActivationCodeRepository::FindByHandle(
    ReadTransaction& tx, std::string_view handle) {
  TILLIT_TRY_ASSIGN(auto select,
                    ConnectionOf(tx).Prepare("SELECT " TILLIT_ACTIVATION_COLUMNS
                                             " FROM activation_codes WHERE handle = ?1"));
  select.BindText(1, handle);
  return FetchOne<ActivationCodeRow>(select, ReadCode);
}

Result<int64_t> SqliteActivationCodeRepository::RecordFailedAttempt(Transaction& tx,
                                                                    std::string_view handle) {
  // Read-and-increment in one statement, so no two failures can count as one.
  TILLIT_TRY_ASSIGN(
      auto update,
      ConnectionOf(tx).Prepare("UPDATE activation_codes SET failed_attempts = failed_attempts + 1"
                               " WHERE handle = ?1 RETURNING failed_attempts"));
  update.BindText(1, handle);
  TILLIT_TRY_ASSIGN(const bool row, update.Step());
  if (!row) return NotFound("activation code");
  const int64_t attempts = update.ColumnInt64(0);
  TILLIT_TRY_ASSIGN(const bool more, update.Step());  // finish the statement
  (void)more;
  return attempts;
}

Status SqliteActivationCodeRepository::SetNonce(Transaction& tx, std::string_view handle,
                                                ByteView nonce, int64_t expires_at) {
  Connection& db = ConnectionOf(tx);
  TILLIT_TRY_ASSIGN(auto update,
                    db.Prepare("UPDATE activation_codes SET nonce = ?2, nonce_expires_at = ?3"
                               " WHERE handle = ?1 AND used_at IS NULL"));
  update.BindText(1, handle);
  update.BindBlob(2, nonce);
  update.BindInt64(3, expires_at);
  TILLIT_TRY_ASSIGN(const int64_t changed, update.Run());
  if (changed == 1) return {};
  TILLIT_TRY_ASSIGN(const bool exists, CodeExists(db, handle));
  if (!exists) return NotFound("activation code");
  return MakeError("conflict", "activation code already used");
}

Result<bool> SqliteActivationCodeRepository::MarkUsed(Transaction& tx, std::string_view handle,
                                                      int64_t at) {
  Connection& db = ConnectionOf(tx);
  // The condition is the whole point: of two concurrent uses exactly one changes the row.
  TILLIT_TRY_ASSIGN(
      auto update,
      db.Prepare("UPDATE activation_codes SET used_at = ?2, nonce = NULL, nonce_expires_at = NULL"
                 " WHERE handle = ?1 AND used_at IS NULL"));
  update.BindText(1, handle);
  update.BindInt64(2, at);
  TILLIT_TRY_ASSIGN(const int64_t changed, update.Run());
  if (changed == 1) return true;
  TILLIT_TRY_ASSIGN(const bool exists, CodeExists(db, handle));
  if (!exists) return NotFound("activation code");
  return false;
}

Result<std::vector<ActivationCodeRow>> SqliteActivationCodeRepository::ListByIdentifier(
    ReadTransaction& tx, std::string_view identifier) {
  TILLIT_TRY_ASSIGN(auto select,
                    ConnectionOf(tx).Prepare("SELECT " TILLIT_ACTIVATION_COLUMNS
                                             " FROM activation_codes WHERE identifier = ?1"
                                             " ORDER BY created_at DESC, handle"));
  select.BindText(1, identifier);
  return FetchAll<ActivationCodeRow>(select, ReadCode);
}

Result<int64_t> SqliteActivationCodeRepository::CancelUnused(Transaction& tx,
                                                             std::string_view identifier) {
  TILLIT_TRY_ASSIGN(
      auto update,
      ConnectionOf(tx).Prepare(
          "UPDATE activation_codes SET expires_at = created_at, nonce = NULL,"
          " nonce_expires_at = NULL"
          " WHERE identifier = ?1 AND used_at IS NULL AND expires_at > created_at"));
  update.BindText(1, identifier);
  return update.Run();
}

Result<int64_t> SqliteActivationCodeRepository::SupersedeUnused(Transaction& tx,
                                                                std::string_view identifier,
                                                                int64_t at) {
  TILLIT_TRY_ASSIGN(
      auto update,
      ConnectionOf(tx).Prepare(
          "UPDATE activation_codes SET used_at = ?2, nonce = NULL, nonce_expires_at = NULL"
          " WHERE identifier = ?1 AND used_at IS NULL"));
  update.BindText(1, identifier);
  update.BindInt64(2, at);
  return update.Run();
}

}  // namespace tillit::server::storage::sqlite
