// Internal: small helpers shared by the SQLite repositories: fetching one or all rows
// through a row mapper, "notFound" errors, existence checks and limit clamping.
//
// Thread safety: stateless functions over the caller's statement or connection.
#pragma once

#include <algorithm>
#include <cstddef>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "sqlite.h"
#include "tillit/result.h"

namespace tillit::server::storage::sqlite {

inline Error NotFound(std::string_view what) {
  return MakeError("notFound", std::string(what) + " not found");
}

// An "internalError" for a stored value outside its domain (the schema's CHECKs should
// make this impossible; a hand-edited or corrupt file still must not abort the server).
inline Error BadStoredValue(std::string_view column) {
  return MakeError("internalError", "unexpected stored value in " + std::string(column));
}

// Steps once; an empty optional if there is no row, else map(statement) -> Result<T>.
template <typename T, typename Map>
Result<std::optional<T>> FetchOne(Statement& statement, Map&& map) {
  TILLIT_TRY_ASSIGN(const bool row, statement.Step());
  if (!row) return std::optional<T>();
  TILLIT_TRY_ASSIGN(T value, map(statement));
  return std::optional<T>(std::move(value));
}

// Every row, each through map(statement) -> Result<T>.
template <typename T, typename Map>
Result<std::vector<T>> FetchAll(Statement& statement, Map&& map) {
  std::vector<T> rows;
  for (;;) {
    TILLIT_TRY_ASSIGN(const bool row, statement.Step());
    if (!row) break;
    TILLIT_TRY_ASSIGN(T value, map(statement));
    rows.push_back(std::move(value));
  }
  return rows;
}

// True if `sql` (a SELECT with one parameter ?1) returns a row for `key`.
inline Result<bool> RowExists(Connection& db, std::string_view sql, std::string_view key) {
  TILLIT_TRY_ASSIGN(auto statement, db.Prepare(sql));
  statement.BindText(1, key);
  return statement.Step();
}

// min(limit, max) as a SQL LIMIT value.
inline int64_t ClampLimit(size_t limit, size_t max) {
  return static_cast<int64_t>(std::min(limit, max));
}

}  // namespace tillit::server::storage::sqlite
