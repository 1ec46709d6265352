// SQLite counters (see tillit/storage/counters.h).
#include <limits>

#include "repository_util.h"
#include "sqlite_repositories.h"
#include "sqlite_transaction.h"

namespace tillit::server::storage::sqlite {
namespace {

// A block larger than this is surely a bug in the caller; it also keeps
// next_value + count far from int64 overflow, where SQLite would silently switch to
// floating point.
constexpr uint64_t kMaxAllocation = uint64_t{1} << 62;

}  // namespace

Result<uint64_t> SqliteCounterRepository::DoAllocate(Transaction& tx, std::string_view name,
                                                     uint64_t count) {
  if (count == 0 || count > kMaxAllocation) {
    return MakeError("invalidParameters", "counter allocation: count must be 1..2^62");
  }
  Connection& db = ConnectionOf(tx);
  const int64_t size = static_cast<int64_t>(count);
  // One statement reads and moves the counter: atomic on any backend, even without the
  // write lock that BEGIN IMMEDIATE already holds here. RETURNING is in SQLite >= 3.35
  // and PostgreSQL alike.
  TILLIT_TRY_ASSIGN(auto update,
                    db.Prepare("UPDATE counters SET next_value = next_value + ?2"
                               " WHERE name = ?1 AND next_value <= ?3 RETURNING next_value"));
  update.BindText(1, name);
  update.BindInt64(2, size);
  update.BindInt64(3, std::numeric_limits<int64_t>::max() - size);
  TILLIT_TRY_ASSIGN(const bool row, update.Step());
  if (row) {
    const int64_t next = update.ColumnInt64(0);
    TILLIT_TRY_ASSIGN(const bool more, update.Step());  // finish the statement
    (void)more;
    return static_cast<uint64_t>(next - size);
  }
  TILLIT_TRY_ASSIGN(const bool exists,
                    RowExists(db, "SELECT 1 FROM counters WHERE name = ?1", name));
  if (!exists) return NotFound("counter");
  return MakeError("counterExhausted", "counter allocation: the counter is exhausted");
}

Result<uint64_t> SqliteCounterRepository::Peek(ReadTransaction& tx, std::string_view name) {
  TILLIT_TRY_ASSIGN(auto select,
                    ConnectionOf(tx).Prepare("SELECT next_value FROM counters WHERE name = ?1"));
  select.BindText(1, name);
  TILLIT_TRY_ASSIGN(const bool row, select.Step());
  if (!row) return NotFound("counter");
  return static_cast<uint64_t>(select.ColumnInt64(0));
}

}  // namespace tillit::server::storage::sqlite
