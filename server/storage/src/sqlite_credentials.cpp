// SQLite credentials (see tillit/storage/credentials.h).
#include "repository_util.h"
#include "sqlite_repositories.h"
#include "sqlite_transaction.h"

namespace tillit::server::storage {

std::string_view CredentialStatusName(CredentialStatus status) {
  switch (status) {
    case CredentialStatus::kGood:
      return "good";
    case CredentialStatus::kSuspended:
      return "suspended";
    case CredentialStatus::kRevoked:
      return "revoked";
  }
  return "revoked";  // unreachable
}

namespace sqlite {
namespace {

#define TILLIT_CREDENTIAL_COLUMNS                                                         \
  "serial, identifier, holder_public_key, certificate_der, assurance_level, not_before, " \
  "not_after, status, status_reason, status_changed_at, created_at"

Result<CredentialRow> ReadCredential(const Statement& statement) {
  Columns columns(statement);
  CredentialRow row;
  row.serial = columns.Text();
  row.identifier = columns.Text();
  row.holder_public_key = columns.Blob();
  row.certificate_der = columns.Blob();
  row.assurance_level = static_cast<int>(columns.Int64());
  row.not_before = columns.Int64();
  row.not_after = columns.Int64();
  const std::string status = columns.Text();
  if (status == CredentialStatusName(CredentialStatus::kGood)) {
    row.status = CredentialStatus::kGood;
  } else if (status == CredentialStatusName(CredentialStatus::kSuspended)) {
    row.status = CredentialStatus::kSuspended;
  } else if (status == CredentialStatusName(CredentialStatus::kRevoked)) {
    row.status = CredentialStatus::kRevoked;
  } else {
    return BadStoredValue("credentials.status");
  }
  row.status_reason = columns.OptionalText();
  row.status_changed_at = columns.OptionalInt64();
  row.created_at = columns.Int64();
  return row;
}

void BindReason(Statement& statement, int index, std::string_view reason) {
  if (reason.empty()) {
    statement.BindNull(index);
  } else {
    statement.BindText(index, reason);
  }
}

}  // namespace

Status SqliteCredentialRepository::Insert(Transaction& tx, const CredentialRow& row) {
  TILLIT_TRY_ASSIGN(
      auto insert,
      ConnectionOf(tx).Prepare("INSERT INTO credentials (" TILLIT_CREDENTIAL_COLUMNS ") VALUES"
                               " (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11)"));
  insert.BindText(1, row.serial);
  insert.BindText(2, row.identifier);
  insert.BindBlob(3, row.holder_public_key);
  insert.BindBlob(4, row.certificate_der);
  insert.BindInt64(5, row.assurance_level);
  insert.BindInt64(6, row.not_before);
  insert.BindInt64(7, row.not_after);
  insert.BindText(8, CredentialStatusName(row.status));
  insert.BindOptionalText(9, row.status_reason);
  insert.BindOptionalInt64(10, row.status_changed_at);
  insert.BindInt64(11, row.created_at);
  TILLIT_TRY(insert.Run());
  return {};
}

Result<CredentialRow> SqliteCredentialRepository::Get(ReadTransaction& tx,
                                                      std::string_view serial) {
  TILLIT_TRY_ASSIGN(auto select, ConnectionOf(tx).Prepare("SELECT " TILLIT_CREDENTIAL_COLUMNS
                                                          " FROM credentials WHERE serial = ?1"));
  select.BindText(1, serial);
  TILLIT_TRY_ASSIGN(auto row, FetchOne<CredentialRow>(select, ReadCredential));
  if (!row) return NotFound("credential");
  return std::move(*row);
}

Result<std::optional<CredentialRow>> SqliteCredentialRepository::FindByHolderKey(
    ReadTransaction& tx, ByteView holder_public_key) {
  TILLIT_TRY_ASSIGN(auto select,
                    ConnectionOf(tx).Prepare("SELECT " TILLIT_CREDENTIAL_COLUMNS
                                             " FROM credentials WHERE holder_public_key = ?1"));
  select.BindBlob(1, holder_public_key);
  return FetchOne<CredentialRow>(select, ReadCredential);
}

Result<std::vector<CredentialRow>> SqliteCredentialRepository::ListByIdentifier(
    ReadTransaction& tx, std::string_view identifier) {
  TILLIT_TRY_ASSIGN(auto select, ConnectionOf(tx).Prepare("SELECT " TILLIT_CREDENTIAL_COLUMNS
                                                          " FROM credentials WHERE identifier = ?1"
                                                          " ORDER BY created_at DESC, serial"));
  select.BindText(1, identifier);
  return FetchAll<CredentialRow>(select, ReadCredential);
}

Status SqliteCredentialRepository::SetStatus(Transaction& tx, std::string_view serial,
                                             CredentialStatus status, std::string_view reason,
                                             int64_t at) {
  Connection& db = ConnectionOf(tx);
  // Revocation is final: a revoked row never matches.
  TILLIT_TRY_ASSIGN(
      auto update,
      db.Prepare("UPDATE credentials SET status = ?2, status_reason = ?3, status_changed_at = ?4"
                 " WHERE serial = ?1 AND status <> 'revoked'"));
  update.BindText(1, serial);
  update.BindText(2, CredentialStatusName(status));
  BindReason(update, 3, reason);
  update.BindInt64(4, at);
  TILLIT_TRY_ASSIGN(const int64_t changed, update.Run());
  if (changed == 1) return {};
  TILLIT_TRY_ASSIGN(const bool exists,
                    RowExists(db, "SELECT 1 FROM credentials WHERE serial = ?1", serial));
  if (!exists) return NotFound("credential");
  return MakeError("conflict", "credential is revoked");
}

Result<int64_t> SqliteCredentialRepository::RevokeAllForIdentifier(Transaction& tx,
                                                                   std::string_view identifier,
                                                                   std::string_view reason,
                                                                   int64_t at) {
  TILLIT_TRY_ASSIGN(
      auto update,
      ConnectionOf(tx).Prepare(
          "UPDATE credentials SET status = 'revoked', status_reason = ?2, status_changed_at = ?3"
          " WHERE identifier = ?1 AND status <> 'revoked'"));
  update.BindText(1, identifier);
  BindReason(update, 2, reason);
  update.BindInt64(3, at);
  return update.Run();
}

Result<std::vector<CredentialRow>> SqliteCredentialRepository::ListRevokedOrSuspended(
    ReadTransaction& tx) {
  // X'' for certificate_der keeps ReadCredential's column order without reading the blobs.
  TILLIT_TRY_ASSIGN(
      auto select,
      ConnectionOf(tx).Prepare(
          "SELECT serial, identifier, holder_public_key, X'', assurance_level, not_before,"
          " not_after, status, status_reason, status_changed_at, created_at"
          " FROM credentials WHERE status <> 'good' ORDER BY serial"));
  return FetchAll<CredentialRow>(select, ReadCredential);
}

}  // namespace sqlite
}  // namespace tillit::server::storage
