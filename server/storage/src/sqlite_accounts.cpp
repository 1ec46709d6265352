// SQLite officers and relying parties (see tillit/storage/accounts.h).
#include "repository_util.h"
#include "sqlite_repositories.h"
#include "sqlite_transaction.h"

namespace tillit::server::storage {

std::string_view OfficerRoleName(OfficerRole role) {
  switch (role) {
    case OfficerRole::kOfficer:
      return "officer";
    case OfficerRole::kSupervisor:
      return "supervisor";
  }
  return "officer";  // unreachable: every enumerator is handled above
}

namespace sqlite {
namespace {

#define TILLIT_OFFICER_COLUMNS "id, name, organisation, role, token_hash, created_at, revoked_at"
#define TILLIT_RP_COLUMNS "id, name, api_key_hash, created_at, revoked_at, client_subject"

Result<OfficerRow> ReadOfficer(const Statement& statement) {
  Columns columns(statement);
  OfficerRow officer;
  officer.id = columns.Text();
  officer.name = columns.Text();
  officer.organisation = columns.Text();
  const std::string role = columns.Text();
  if (role == OfficerRoleName(OfficerRole::kOfficer)) {
    officer.role = OfficerRole::kOfficer;
  } else if (role == OfficerRoleName(OfficerRole::kSupervisor)) {
    officer.role = OfficerRole::kSupervisor;
  } else {
    return BadStoredValue("officers.role");
  }
  officer.token_hash = columns.Blob();
  officer.created_at = columns.Int64();
  officer.revoked_at = columns.OptionalInt64();
  return officer;
}

Result<RelyingPartyRow> ReadRelyingParty(const Statement& statement) {
  Columns columns(statement);
  RelyingPartyRow party;
  party.id = columns.Text();
  party.name = columns.Text();
  party.api_key_hash = columns.Blob();
  party.created_at = columns.Int64();
  party.revoked_at = columns.OptionalInt64();
  party.client_subject = columns.OptionalText();
  return party;
}

// Sets revoked_at once; a second revocation keeps the first time.
Status RevokeOnce(Connection& db, std::string_view update_sql, std::string_view exists_sql,
                  std::string_view what, std::string_view id, int64_t at) {
  TILLIT_TRY_ASSIGN(auto update, db.Prepare(update_sql));
  update.BindText(1, id);
  update.BindInt64(2, at);
  TILLIT_TRY_ASSIGN(const int64_t changed, update.Run());
  if (changed == 1) return {};
  TILLIT_TRY_ASSIGN(const bool exists, RowExists(db, exists_sql, id));
  if (!exists) return NotFound(what);
  return {};
}

}  // namespace

Status SqliteOfficerRepository::Insert(Transaction& tx, const OfficerRow& officer) {
  Connection& db = ConnectionOf(tx);
  TILLIT_TRY_ASSIGN(auto insert, db.Prepare("INSERT INTO officers (" TILLIT_OFFICER_COLUMNS
                                            ") VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7)"));
  insert.BindText(1, officer.id);
  insert.BindText(2, officer.name);
  insert.BindText(3, officer.organisation);
  insert.BindText(4, OfficerRoleName(officer.role));
  insert.BindBlob(5, officer.token_hash);
  insert.BindInt64(6, officer.created_at);
  insert.BindOptionalInt64(7, officer.revoked_at);
  TILLIT_TRY(insert.Run());
  return {};
}

Result<std::optional<OfficerRow>> SqliteOfficerRepository::FindById(ReadTransaction& tx,
                                                                    std::string_view id) {
  TILLIT_TRY_ASSIGN(auto select, ConnectionOf(tx).Prepare("SELECT " TILLIT_OFFICER_COLUMNS
                                                          " FROM officers WHERE id = ?1"));
  select.BindText(1, id);
  return FetchOne<OfficerRow>(select, ReadOfficer);
}

Result<std::optional<OfficerRow>> SqliteOfficerRepository::FindByTokenHash(ReadTransaction& tx,
                                                                           ByteView token_hash) {
  TILLIT_TRY_ASSIGN(
      auto select,
      ConnectionOf(tx).Prepare("SELECT " TILLIT_OFFICER_COLUMNS
                               " FROM officers WHERE token_hash = ?1 AND revoked_at IS NULL"));
  select.BindBlob(1, token_hash);
  return FetchOne<OfficerRow>(select, ReadOfficer);
}

Status SqliteOfficerRepository::Revoke(Transaction& tx, std::string_view id, int64_t at) {
  return RevokeOnce(ConnectionOf(tx),
                    "UPDATE officers SET revoked_at = ?2 WHERE id = ?1 AND revoked_at IS NULL",
                    "SELECT 1 FROM officers WHERE id = ?1", "officer", id, at);
}

Result<std::vector<OfficerRow>> SqliteOfficerRepository::List(ReadTransaction& tx) {
  TILLIT_TRY_ASSIGN(auto select, ConnectionOf(tx).Prepare("SELECT " TILLIT_OFFICER_COLUMNS
                                                          " FROM officers ORDER BY id"));
  return FetchAll<OfficerRow>(select, ReadOfficer);
}

Status SqliteRelyingPartyRepository::Insert(Transaction& tx, const RelyingPartyRow& party) {
  TILLIT_TRY_ASSIGN(auto insert,
                    ConnectionOf(tx).Prepare("INSERT INTO relying_parties (" TILLIT_RP_COLUMNS
                                             ") VALUES (?1, ?2, ?3, ?4, ?5, ?6)"));
  insert.BindText(1, party.id);
  insert.BindText(2, party.name);
  insert.BindBlob(3, party.api_key_hash);
  insert.BindInt64(4, party.created_at);
  insert.BindOptionalInt64(5, party.revoked_at);
  insert.BindOptionalText(6, party.client_subject);
  TILLIT_TRY(insert.Run());
  return {};
}

Result<std::optional<RelyingPartyRow>> SqliteRelyingPartyRepository::FindById(ReadTransaction& tx,
                                                                              std::string_view id) {
  TILLIT_TRY_ASSIGN(auto select, ConnectionOf(tx).Prepare("SELECT " TILLIT_RP_COLUMNS
                                                          " FROM relying_parties WHERE id = ?1"));
  select.BindText(1, id);
  return FetchOne<RelyingPartyRow>(select, ReadRelyingParty);
}

Result<std::optional<RelyingPartyRow>> SqliteRelyingPartyRepository::FindByKeyHash(
    ReadTransaction& tx, ByteView api_key_hash) {
  TILLIT_TRY_ASSIGN(auto select,
                    ConnectionOf(tx).Prepare(
                        "SELECT " TILLIT_RP_COLUMNS
                        " FROM relying_parties WHERE api_key_hash = ?1 AND revoked_at IS NULL"));
  select.BindBlob(1, api_key_hash);
  return FetchOne<RelyingPartyRow>(select, ReadRelyingParty);
}

Result<std::optional<RelyingPartyRow>> SqliteRelyingPartyRepository::FindByClientSubject(
    ReadTransaction& tx, std::string_view subject) {
  TILLIT_TRY_ASSIGN(auto select,
                    ConnectionOf(tx).Prepare(
                        "SELECT " TILLIT_RP_COLUMNS
                        " FROM relying_parties WHERE client_subject = ?1 AND revoked_at IS NULL"));
  select.BindText(1, subject);
  return FetchOne<RelyingPartyRow>(select, ReadRelyingParty);
}

Status SqliteRelyingPartyRepository::SetClientSubject(Transaction& tx, std::string_view id,
                                                      const std::optional<std::string>& subject) {
  Connection& db = ConnectionOf(tx);
  TILLIT_TRY_ASSIGN(auto update,
                    db.Prepare("UPDATE relying_parties SET client_subject = ?2 WHERE id = ?1"));
  update.BindText(1, id);
  update.BindOptionalText(2, subject);
  TILLIT_TRY_ASSIGN(const int64_t changed, update.Run());
  if (changed == 0) return NotFound("relying party");
  return {};
}

Status SqliteRelyingPartyRepository::Revoke(Transaction& tx, std::string_view id, int64_t at) {
  return RevokeOnce(
      ConnectionOf(tx),
      "UPDATE relying_parties SET revoked_at = ?2 WHERE id = ?1 AND revoked_at IS NULL",
      "SELECT 1 FROM relying_parties WHERE id = ?1", "relying party", id, at);
}

Status SqliteRelyingPartyRepository::SetApiKeyHash(Transaction& tx, std::string_view id,
                                                   ByteView api_key_hash) {
  Connection& db = ConnectionOf(tx);
  TILLIT_TRY_ASSIGN(auto update, db.Prepare("UPDATE relying_parties SET api_key_hash = ?2 "
                                            "WHERE id = ?1 AND revoked_at IS NULL"));
  update.BindText(1, id);
  update.BindBlob(2, api_key_hash);
  TILLIT_TRY_ASSIGN(const int64_t changed, update.Run());
  if (changed == 1) return {};
  TILLIT_TRY_ASSIGN(const bool exists,
                    RowExists(db, "SELECT 1 FROM relying_parties WHERE id = ?1", id));
  if (!exists) return NotFound("relying party");
  return MakeError("conflict", "relying party is revoked");
}

Result<std::vector<RelyingPartyRow>> SqliteRelyingPartyRepository::List(ReadTransaction& tx) {
  TILLIT_TRY_ASSIGN(auto select, ConnectionOf(tx).Prepare("SELECT " TILLIT_RP_COLUMNS
                                                          " FROM relying_parties ORDER BY id"));
  return FetchAll<RelyingPartyRow>(select, ReadRelyingParty);
}

}  // namespace sqlite
}  // namespace tillit::server::storage
