// SQLite leases of identifier serials (see tillit/storage/leases.h).
#include <limits>

#include "repository_util.h"
#include "sqlite_repositories.h"
#include "sqlite_transaction.h"

namespace tillit::server::storage::sqlite {
namespace {

constexpr uint64_t kMaxStoredSerial = static_cast<uint64_t>(std::numeric_limits<int64_t>::max());
constexpr size_t kSyncKeySize = 32;

#define TILLIT_LEASE_COLUMNS "id, desk, first_serial, size, created_at, sync_key"
#define TILLIT_DESK_LEASE_COLUMNS \
  "id, desk, deployment, first_serial, size, created_at, loaded_at, sync_key"

// A block whose serials all fit a BIGINT, with a 32-byte key.
Status CheckBlock(uint64_t first, uint64_t size, const Bytes& sync_key) {
  if (size == 0 || first > kMaxStoredSerial || size > kMaxStoredSerial - first) {
    return MakeError("invalidParameters", "lease: serial range out of range");
  }
  if (sync_key.size() != kSyncKeySize) {
    return MakeError("invalidParameters", "lease: sync key must be 32 bytes");
  }
  return {};
}

Result<LeaseRow> ReadLease(const Statement& statement) {
  Columns columns(statement);
  LeaseRow row;
  row.id = columns.Text();
  row.desk = columns.Text();
  const int64_t first = columns.Int64();
  const int64_t size = columns.Int64();
  if (first < 0) return BadStoredValue("serial_leases.first_serial");
  if (size < 1) return BadStoredValue("serial_leases.size");
  row.first_serial = static_cast<uint64_t>(first);
  row.size = static_cast<uint64_t>(size);
  row.created_at = columns.Int64();
  row.sync_key = columns.Blob();
  return row;
}

Result<DeskLeaseRow> ReadDeskLease(const Statement& statement) {
  Columns columns(statement);
  DeskLeaseRow row;
  row.id = columns.Text();
  row.desk = columns.Text();
  row.deployment = columns.Text();
  const int64_t first = columns.Int64();
  const int64_t size = columns.Int64();
  if (first < 0) return BadStoredValue("desk_leases.first_serial");
  if (size < 1) return BadStoredValue("desk_leases.size");
  row.first_serial = static_cast<uint64_t>(first);
  row.size = static_cast<uint64_t>(size);
  row.created_at = columns.Int64();
  row.loaded_at = columns.Int64();
  row.sync_key = columns.Blob();
  return row;
}

Result<LeasedIdentifierRow> ReadLeasedIdentifier(const Statement& statement) {
  Columns columns(statement);
  LeasedIdentifierRow row;
  const int64_t serial = columns.Int64();
  if (serial < 0) return BadStoredValue("desk_leased_identifiers.serial");
  row.serial = static_cast<uint64_t>(serial);
  row.identifier = columns.Text();
  row.lease_id = columns.Text();
  row.used_at = columns.OptionalInt64();
  return row;
}

Result<uint64_t> ReadCount(const Statement& statement, int column, std::string_view what) {
  const int64_t count = statement.ColumnInt64(column);
  if (count < 0) return BadStoredValue(what);
  return static_cast<uint64_t>(count);
}

}  // namespace

Status SqliteLeaseRepository::InsertLease(Transaction& tx, const LeaseRow& lease) {
  TILLIT_TRY(CheckBlock(lease.first_serial, lease.size, lease.sync_key));
  TILLIT_TRY_ASSIGN(auto insert,
                    ConnectionOf(tx).Prepare("INSERT INTO serial_leases (" TILLIT_LEASE_COLUMNS
                                             ") VALUES (?1, ?2, ?3, ?4, ?5, ?6)"));
  insert.BindText(1, lease.id);
  insert.BindText(2, lease.desk);
  insert.BindInt64(3, static_cast<int64_t>(lease.first_serial));
  insert.BindInt64(4, static_cast<int64_t>(lease.size));
  insert.BindInt64(5, lease.created_at);
  insert.BindBlob(6, lease.sync_key);
  TILLIT_TRY(insert.Run());
  return {};
}

Result<std::optional<LeaseRow>> SqliteLeaseRepository::FindLease(ReadTransaction& tx,
                                                                 std::string_view id) {
  TILLIT_TRY_ASSIGN(auto select, ConnectionOf(tx).Prepare("SELECT " TILLIT_LEASE_COLUMNS
                                                          " FROM serial_leases WHERE id = ?1"));
  select.BindText(1, id);
  return FetchOne<LeaseRow>(select, ReadLease);
}

Result<std::vector<LeaseSummary>> SqliteLeaseRepository::ListLeases(ReadTransaction& tx) {
  TILLIT_TRY_ASSIGN(
      auto select,
      ConnectionOf(tx).Prepare(
          "SELECT l.id, l.desk, l.first_serial, l.size, l.created_at, l.sync_key,"
          " (SELECT COUNT(*) FROM serial_lease_imports i WHERE i.lease_id = l.id)"
          " FROM serial_leases l ORDER BY l.first_serial"));
  return FetchAll<LeaseSummary>(select, [](const Statement& s) -> Result<LeaseSummary> {
    LeaseSummary summary;
    TILLIT_TRY_ASSIGN(summary.lease, ReadLease(s));
    TILLIT_TRY_ASSIGN(summary.imported, ReadCount(s, 6, "serial_lease_imports"));
    return summary;
  });
}

Status SqliteLeaseRepository::RecordImport(Transaction& tx, std::string_view identifier,
                                           std::string_view lease_id, int64_t at) {
  TILLIT_TRY_ASSIGN(auto insert, ConnectionOf(tx).Prepare(
                                     "INSERT INTO serial_lease_imports (identifier, lease_id,"
                                     " imported_at) VALUES (?1, ?2, ?3)"));
  insert.BindText(1, identifier);
  insert.BindText(2, lease_id);
  insert.BindInt64(3, at);
  TILLIT_TRY(insert.Run());
  return {};
}

Result<std::optional<std::string>> SqliteLeaseRepository::FindImport(ReadTransaction& tx,
                                                                     std::string_view identifier) {
  TILLIT_TRY_ASSIGN(auto select,
                    ConnectionOf(tx).Prepare(
                        "SELECT lease_id FROM serial_lease_imports WHERE identifier = ?1"));
  select.BindText(1, identifier);
  return FetchOne<std::string>(
      select, [](const Statement& s) -> Result<std::string> { return s.ColumnText(0); });
}

Status SqliteLeaseRepository::InsertDeskLease(Transaction& tx, const DeskLeaseRow& lease,
                                              std::span<const LeasedIdentifierRow> identifiers) {
  TILLIT_TRY(CheckBlock(lease.first_serial, lease.size, lease.sync_key));
  if (identifiers.size() != lease.size) {
    return MakeError("invalidParameters", "desk lease: identifier count differs from size");
  }
  for (const LeasedIdentifierRow& row : identifiers) {
    if (row.lease_id != lease.id || row.serial > kMaxStoredSerial) {
      return MakeError("invalidParameters", "desk lease: identifier of another lease");
    }
  }
  Connection& db = ConnectionOf(tx);
  {
    TILLIT_TRY_ASSIGN(auto insert,
                      db.Prepare("INSERT INTO desk_leases (" TILLIT_DESK_LEASE_COLUMNS
                                 ") VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8)"));
    insert.BindText(1, lease.id);
    insert.BindText(2, lease.desk);
    insert.BindText(3, lease.deployment);
    insert.BindInt64(4, static_cast<int64_t>(lease.first_serial));
    insert.BindInt64(5, static_cast<int64_t>(lease.size));
    insert.BindInt64(6, lease.created_at);
    insert.BindInt64(7, lease.loaded_at);
    insert.BindBlob(8, lease.sync_key);
    TILLIT_TRY(insert.Run());
  }
  for (const LeasedIdentifierRow& row : identifiers) {
    TILLIT_TRY_ASSIGN(auto insert,
                      db.Prepare("INSERT INTO desk_leased_identifiers (serial, identifier,"
                                 " lease_id, used_at) VALUES (?1, ?2, ?3, ?4)"));
    insert.BindInt64(1, static_cast<int64_t>(row.serial));
    insert.BindText(2, row.identifier);
    insert.BindText(3, row.lease_id);
    insert.BindOptionalInt64(4, row.used_at);
    TILLIT_TRY(insert.Run());
  }
  return {};
}

Result<std::optional<DeskLeaseRow>> SqliteLeaseRepository::FindDeskLease(ReadTransaction& tx,
                                                                         std::string_view id) {
  TILLIT_TRY_ASSIGN(auto select, ConnectionOf(tx).Prepare("SELECT " TILLIT_DESK_LEASE_COLUMNS
                                                          " FROM desk_leases WHERE id = ?1"));
  select.BindText(1, id);
  return FetchOne<DeskLeaseRow>(select, ReadDeskLease);
}

Result<std::vector<DeskLeaseSummary>> SqliteLeaseRepository::ListDeskLeases(ReadTransaction& tx) {
  TILLIT_TRY_ASSIGN(
      auto select,
      ConnectionOf(tx).Prepare(
          "SELECT l.id, l.desk, l.deployment, l.first_serial, l.size, l.created_at,"
          " l.loaded_at, l.sync_key,"
          " (SELECT COUNT(*) FROM desk_leased_identifiers i"
          "  WHERE i.lease_id = l.id AND i.used_at IS NOT NULL)"
          " FROM desk_leases l ORDER BY l.first_serial"));
  return FetchAll<DeskLeaseSummary>(select, [](const Statement& s) -> Result<DeskLeaseSummary> {
    DeskLeaseSummary summary;
    TILLIT_TRY_ASSIGN(summary.lease, ReadDeskLease(s));
    TILLIT_TRY_ASSIGN(summary.used, ReadCount(s, 8, "desk_leased_identifiers"));
    return summary;
  });
}

Result<bool> SqliteLeaseRepository::HasDeskLeases(ReadTransaction& tx) {
  TILLIT_TRY_ASSIGN(auto select, ConnectionOf(tx).Prepare("SELECT 1 FROM desk_leases LIMIT 1"));
  return select.Step();
}

Result<bool> SqliteLeaseRepository::LeasedIdentifierExists(ReadTransaction& tx, uint64_t serial,
                                                           std::string_view identifier) {
  if (serial > kMaxStoredSerial) return false;
  TILLIT_TRY_ASSIGN(auto select,
                    ConnectionOf(tx).Prepare("SELECT 1 FROM desk_leased_identifiers"
                                             " WHERE serial = ?1 OR identifier = ?2 LIMIT 1"));
  select.BindInt64(1, static_cast<int64_t>(serial));
  select.BindText(2, identifier);
  return select.Step();
}

Result<std::optional<LeasedIdentifierRow>> SqliteLeaseRepository::TakeNextLeased(Transaction& tx,
                                                                                 int64_t at) {
  // One statement picks and marks the identifier (the partial index on unused serials
  // finds it), so it is atomic on any backend and isolation level.
  TILLIT_TRY_ASSIGN(
      auto update,
      ConnectionOf(tx).Prepare(
          "UPDATE desk_leased_identifiers SET used_at = ?1"
          " WHERE serial = (SELECT serial FROM desk_leased_identifiers"
          "                 WHERE used_at IS NULL ORDER BY serial LIMIT 1)"
          " AND used_at IS NULL RETURNING serial, identifier, lease_id, used_at"));
  update.BindInt64(1, at);
  TILLIT_TRY_ASSIGN(auto row, FetchOne<LeasedIdentifierRow>(update, ReadLeasedIdentifier));
  if (row) {
    TILLIT_TRY_ASSIGN(const bool more, update.Step());  // finish the statement
    (void)more;
  }
  return row;
}

Result<std::vector<LeasedIdentifierRow>> SqliteLeaseRepository::ListUsedLeased(
    ReadTransaction& tx) {
  TILLIT_TRY_ASSIGN(auto select,
                    ConnectionOf(tx).Prepare(
                        "SELECT serial, identifier, lease_id, used_at FROM desk_leased_identifiers"
                        " WHERE used_at IS NOT NULL ORDER BY serial"));
  return FetchAll<LeasedIdentifierRow>(select, ReadLeasedIdentifier);
}

}  // namespace tillit::server::storage::sqlite
