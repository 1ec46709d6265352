// SQLite order results (see tillit/storage/order_results.h).
#include <algorithm>
#include <limits>

#include "repository_util.h"
#include "sqlite_repositories.h"
#include "sqlite_transaction.h"

namespace tillit::server::storage::sqlite {
namespace {

#define TILLIT_ORDER_RESULT_COLUMNS \
  "order_ref, rp_id, identifier, credential_serial, action, completed_at, completion_json"

Result<OrderResultRow> ReadOrderResult(const Statement& statement) {
  Columns columns(statement);
  OrderResultRow row;
  row.order_ref = columns.Text();
  row.rp_id = columns.Text();
  row.identifier = columns.Text();
  row.credential_serial = columns.Text();
  row.action = columns.Text();
  row.completed_at = columns.Int64();
  row.completion_json = columns.Text();
  if (row.action != "auth" && row.action != "sign") return BadStoredValue("order_results.action");
  return row;
}

}  // namespace

Status SqliteOrderResultRepository::Insert(Transaction& tx, const OrderResultRow& row) {
  TILLIT_TRY_ASSIGN(auto insert, ConnectionOf(tx).Prepare(
                                     "INSERT INTO order_results (" TILLIT_ORDER_RESULT_COLUMNS
                                     ") VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7)"));
  insert.BindText(1, row.order_ref);
  insert.BindText(2, row.rp_id);
  insert.BindText(3, row.identifier);
  insert.BindText(4, row.credential_serial);
  insert.BindText(5, row.action);
  insert.BindInt64(6, row.completed_at);
  insert.BindText(7, row.completion_json);
  TILLIT_TRY(insert.Run());
  return {};
}

Result<std::optional<OrderResultRow>> SqliteOrderResultRepository::Find(
    ReadTransaction& tx, std::string_view order_ref) {
  TILLIT_TRY_ASSIGN(auto select,
                    ConnectionOf(tx).Prepare("SELECT " TILLIT_ORDER_RESULT_COLUMNS
                                             " FROM order_results WHERE order_ref = ?1"));
  select.BindText(1, order_ref);
  return FetchOne<OrderResultRow>(select, ReadOrderResult);
}

Result<std::vector<OrderResultRow>> SqliteOrderResultRepository::ListByIdentifier(
    ReadTransaction& tx, std::string_view identifier, size_t limit, size_t offset) {
  TILLIT_TRY_ASSIGN(auto select, ConnectionOf(tx).Prepare(
                                     "SELECT " TILLIT_ORDER_RESULT_COLUMNS
                                     " FROM order_results WHERE identifier = ?1"
                                     " ORDER BY completed_at DESC, order_ref LIMIT ?2 OFFSET ?3"));
  select.BindText(1, identifier);
  select.BindInt64(2, ClampLimit(limit, kMaxOrderResultRows));
  // An offset past every row simply finds nothing; clamp so the bound value stays an i64.
  select.BindInt64(3, ClampLimit(offset, static_cast<size_t>(std::numeric_limits<int64_t>::max())));
  return FetchAll<OrderResultRow>(select, ReadOrderResult);
}

}  // namespace tillit::server::storage::sqlite
