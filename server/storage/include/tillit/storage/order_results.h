// Completed login and signing results (docs/protocol.md §3). Live orders are kept in the
// issuer's memory; a result is written here, durably and together with its audit entry,
// before the device is told the order is complete. collect falls back to this table, so a
// completed login survives a restart, and a person's history (which e-service, when, what
// text) is read from it.
//
// Thread safety: as every repository (see tillit/storage/accounts.h).
#pragma once

#include <cstddef>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "tillit/result.h"
#include "tillit/storage/transaction.h"

namespace tillit::server::storage {

struct OrderResultRow {
  std::string order_ref{};          // UUID, primary key
  std::string rp_id{};              // the e-service that created the order
  std::string identifier{};         // canonical identifier of the person who completed it
  std::string credential_serial{};  // 32 lower-case hex characters
  std::string action{};             // "auth" or "sign" (schema CHECK)
  int64_t completed_at = 0;
  // The collect answer's completionData object, serialized (resultJws included). Stored
  // verbatim and returned as is, so what an e-service collects after a restart is byte for
  // byte what it would have collected before.
  std::string completion_json{};

  friend bool operator==(const OrderResultRow&, const OrderResultRow&) = default;
};

// ListByIdentifier returns at most this many rows whatever limit is passed.
inline constexpr size_t kMaxOrderResultRows = 1000;

class OrderResultRepository {
 public:
  virtual ~OrderResultRepository() = default;

  // Errors: "conflict" (the order_ref is taken); "internalError" if the relying party or the
  // person does not exist or a CHECK fails.
  virtual Status Insert(Transaction& tx, const OrderResultRow& row) = 0;

  // The result of an order, if completed.
  virtual Result<std::optional<OrderResultRow>> Find(ReadTransaction& tx,
                                                     std::string_view order_ref) = 0;

  // A person's results, newest first (then by order_ref), at most
  // min(limit, kMaxOrderResultRows), skipping the first `offset`.
  virtual Result<std::vector<OrderResultRow>> ListByIdentifier(ReadTransaction& tx,
                                                               std::string_view identifier,
                                                               size_t limit, size_t offset) = 0;
};

}  // namespace tillit::server::storage
