// Leased blocks of identifier serials, for enrolment desks that may work offline
// (docs/offline-desk.md). Two sides share this repository, each in its own data directory:
//
//   - the central issuer records each block it leases (serial_leases) and, when a desk's
//     sync file is imported, which lease each imported person came from
//     (serial_lease_imports);
//   - an offline desk records the leases it loaded (desk_leases) and their identifiers
//     (desk_leased_identifiers), and takes them one at a time, in serial order, when it
//     issues.
//
// A lease's serials come from the central counter (counters.h: Allocate(tx, name, size)),
// so leases are disjoint from each other and from every central issuance by construction;
// nothing here allocates serials.
//
// Thread safety: as every repository (see tillit/storage/accounts.h).
#pragma once

#include <cstdint>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "tillit/bytes.h"
#include "tillit/result.h"
#include "tillit/storage/transaction.h"

namespace tillit::server::storage {

// Central: one block of serials leased to a desk.
struct LeaseRow {
  std::string id{};         // "lease_" + 16 hex digits
  std::string desk{};       // the desk's name as the operator gave it
  uint64_t first_serial = 0;
  uint64_t size = 0;        // >= 1
  int64_t created_at = 0;
  Bytes sync_key{};         // 32 bytes: the HMAC key of the desk's sync records

  friend bool operator==(const LeaseRow&, const LeaseRow&) = default;
};

// Central: a lease with the number of its identifiers imported so far.
struct LeaseSummary {
  LeaseRow lease{};
  uint64_t imported = 0;
};

// Desk: a lease loaded from a lease file.
struct DeskLeaseRow {
  std::string id{};
  std::string desk{};
  std::string deployment{};  // lower-case hex SHA-256 of the central CA certificate (DER)
  uint64_t first_serial = 0;
  uint64_t size = 0;
  int64_t created_at = 0;    // when the centre created it
  int64_t loaded_at = 0;
  Bytes sync_key{};          // 32 bytes, from the lease file

  friend bool operator==(const DeskLeaseRow&, const DeskLeaseRow&) = default;
};

// Desk: one identifier of a loaded lease.
struct LeasedIdentifierRow {
  uint64_t serial = 0;
  std::string identifier{};  // canonical 12-character form
  std::string lease_id{};
  std::optional<int64_t> used_at{};  // set when issued

  friend bool operator==(const LeasedIdentifierRow&, const LeasedIdentifierRow&) = default;
};

// Desk: a loaded lease with how many of its identifiers have been issued.
struct DeskLeaseSummary {
  DeskLeaseRow lease{};
  uint64_t used = 0;
};

class LeaseRepository {
 public:
  virtual ~LeaseRepository() = default;

  // ---- Central ----

  // Records a lease. Errors: "conflict" (the id or the first serial is taken),
  // "invalidParameters" (size 0, a serial above 2^63 - 1, a sync key not 32 bytes).
  virtual Status InsertLease(Transaction& tx, const LeaseRow& lease) = 0;
  virtual Result<std::optional<LeaseRow>> FindLease(ReadTransaction& tx, std::string_view id) = 0;
  // Every lease, oldest first, with its import count.
  virtual Result<std::vector<LeaseSummary>> ListLeases(ReadTransaction& tx) = 0;
  // Records that `identifier` (a person already inserted) came from `lease_id`.
  // Errors: "conflict" (already recorded), "internalError" (no such person or lease).
  virtual Status RecordImport(Transaction& tx, std::string_view identifier,
                              std::string_view lease_id, int64_t at) = 0;
  // The lease an identifier was imported from, if it was imported.
  virtual Result<std::optional<std::string>> FindImport(ReadTransaction& tx,
                                                        std::string_view identifier) = 0;

  // ---- Desk ----

  // Records a loaded lease and its identifiers (all unused). Errors: "conflict" (the lease
  // id, a serial or an identifier is already present), "invalidParameters" (a row whose
  // lease_id is not lease.id, or the sizes disagree).
  virtual Status InsertDeskLease(Transaction& tx, const DeskLeaseRow& lease,
                                 std::span<const LeasedIdentifierRow> identifiers) = 0;
  virtual Result<std::optional<DeskLeaseRow>> FindDeskLease(ReadTransaction& tx,
                                                            std::string_view id) = 0;
  // Every loaded lease, oldest first, with its use count.
  virtual Result<std::vector<DeskLeaseSummary>> ListDeskLeases(ReadTransaction& tx) = 0;
  // True if this database has loaded any lease (it is an offline desk).
  virtual Result<bool> HasDeskLeases(ReadTransaction& tx) = 0;
  // True if the serial or the identifier is already among the leased identifiers.
  virtual Result<bool> LeasedIdentifierExists(ReadTransaction& tx, uint64_t serial,
                                              std::string_view identifier) = 0;
  // Marks the unused leased identifier with the lowest serial as used at `at` and returns
  // it; an empty optional when none is left. One statement: two issuances can never take
  // the same identifier, and a rollback gives it back.
  virtual Result<std::optional<LeasedIdentifierRow>> TakeNextLeased(Transaction& tx,
                                                                   int64_t at) = 0;
  // The used leased identifiers, in serial order.
  virtual Result<std::vector<LeasedIdentifierRow>> ListUsedLeased(ReadTransaction& tx) = 0;
};

}  // namespace tillit::server::storage
