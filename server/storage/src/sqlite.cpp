// The SQLite RAII layer (see sqlite.h). One of the only files that include sqlite3.h.
#include "sqlite.h"

#include <sqlite3.h>

#include <utility>

#include "tillit/check.h"

namespace tillit::server::storage::sqlite {
namespace {

// Prepared statements kept per connection. The repositories use a few dozen distinct
// statements; the bound only matters for the IN lists, whose text varies with the number
// of keys.
constexpr size_t kMaxCachedStatements = 128;

// sqlite3_bind_text/_blob bind NULL when given a null pointer, which an empty
// std::string_view or vector may hold; a non-null pointer to nothing binds an empty value.
constexpr char kEmpty[1] = {0};

}  // namespace

std::string ErrorCodeFor(int rc) {
  switch (rc & 0xff) {
    case SQLITE_FULL:
      return "storageFull";
    case SQLITE_IOERR:
    case SQLITE_CANTOPEN:
    case SQLITE_BUSY:
    case SQLITE_LOCKED:
    case SQLITE_READONLY:
    case SQLITE_PERM:
    case SQLITE_PROTOCOL:
      return "storageUnavailable";
    case SQLITE_CONSTRAINT:
      // Only uniqueness is a conflict the caller can act on (someone else holds the key).
      // A foreign key, CHECK or NOT NULL failure means the service passed a bad row.
      if (rc == SQLITE_CONSTRAINT_UNIQUE || rc == SQLITE_CONSTRAINT_PRIMARYKEY) {
        return "conflict";
      }
      return "internalError";
    default:
      return "internalError";
  }
}

// ---- Statement ----

Statement::Statement(Connection* connection, sqlite3_stmt* stmt, std::string sql)
    : connection_(connection), stmt_(stmt), sql_(std::move(sql)) {}

Statement::Statement(Statement&& other) noexcept
    : connection_(other.connection_),
      stmt_(std::exchange(other.stmt_, nullptr)),
      sql_(std::move(other.sql_)),
      bind_error_(other.bind_error_),
      bind_error_index_(other.bind_error_index_) {}

Statement::~Statement() {
  if (stmt_ == nullptr) return;
  // Reset ends the statement's implicit read of the database; its return value repeats
  // the last step's error, which was already reported.
  sqlite3_reset(stmt_);
  sqlite3_clear_bindings(stmt_);
  connection_->Recycle(std::move(sql_), stmt_);
}

void Statement::NoteBind(int rc, int index) {
  if (rc != SQLITE_OK && bind_error_ == SQLITE_OK) {
    bind_error_ = rc;
    bind_error_index_ = index;
  }
}

void Statement::BindInt64(int index, int64_t value) {
  NoteBind(sqlite3_bind_int64(stmt_, index, value), index);
}

void Statement::BindDouble(int index, double value) {
  NoteBind(sqlite3_bind_double(stmt_, index, value), index);
}

void Statement::BindText(int index, std::string_view value) {
  const char* data = value.data() != nullptr ? value.data() : kEmpty;
  NoteBind(sqlite3_bind_text64(stmt_, index, data, value.size(), SQLITE_TRANSIENT, SQLITE_UTF8),
           index);
}

void Statement::BindBlob(int index, ByteView value) {
  const void* data = value.data() != nullptr ? static_cast<const void*>(value.data()) : kEmpty;
  NoteBind(sqlite3_bind_blob64(stmt_, index, data, value.size(), SQLITE_TRANSIENT), index);
}

void Statement::BindNull(int index) { NoteBind(sqlite3_bind_null(stmt_, index), index); }

void Statement::BindOptionalInt64(int index, const std::optional<int64_t>& value) {
  if (value) {
    BindInt64(index, *value);
  } else {
    BindNull(index);
  }
}

void Statement::BindOptionalText(int index, const std::optional<std::string>& value) {
  if (value) {
    BindText(index, *value);
  } else {
    BindNull(index);
  }
}

void Statement::BindOptionalBlob(int index, const std::optional<Bytes>& value) {
  if (value) {
    BindBlob(index, *value);
  } else {
    BindNull(index);
  }
}

Result<bool> Statement::Step() {
  TILLIT_CHECK(stmt_ != nullptr);
  if (bind_error_ != SQLITE_OK) {
    Error error = connection_->MakeError(bind_error_,
                                         "binding parameter " + std::to_string(bind_error_index_));
    connection_->NoteFailure(error);
    return error;
  }
  const int rc = sqlite3_step(stmt_);
  if (rc == SQLITE_ROW) return true;
  if (rc == SQLITE_DONE) return false;
  Error error = connection_->MakeError(rc, "statement");
  connection_->NoteFailure(error);
  return error;
}

Result<int64_t> Statement::Run() {
  for (;;) {
    TILLIT_TRY_ASSIGN(const bool row, Step());
    if (!row) break;
  }
  return static_cast<int64_t>(sqlite3_changes64(sqlite3_db_handle(stmt_)));
}

bool Statement::IsNull(int column) const {
  return sqlite3_column_type(stmt_, column) == SQLITE_NULL;
}

int64_t Statement::ColumnInt64(int column) const { return sqlite3_column_int64(stmt_, column); }

double Statement::ColumnDouble(int column) const { return sqlite3_column_double(stmt_, column); }

std::string Statement::ColumnText(int column) const {
  const auto* text = sqlite3_column_text(stmt_, column);
  const int size = sqlite3_column_bytes(stmt_, column);  // after _text, as the docs require
  if (text == nullptr) return std::string();
  return std::string(reinterpret_cast<const char*>(text), static_cast<size_t>(size));
}

Bytes Statement::ColumnBlob(int column) const {
  const auto* data = static_cast<const uint8_t*>(sqlite3_column_blob(stmt_, column));
  const int size = sqlite3_column_bytes(stmt_, column);
  if (data == nullptr) return Bytes();
  return Bytes(data, data + size);
}

std::optional<int64_t> Statement::ColumnOptionalInt64(int column) const {
  if (IsNull(column)) return std::nullopt;
  return ColumnInt64(column);
}

std::optional<std::string> Statement::ColumnOptionalText(int column) const {
  if (IsNull(column)) return std::nullopt;
  return ColumnText(column);
}

std::optional<Bytes> Statement::ColumnOptionalBlob(int column) const {
  if (IsNull(column)) return std::nullopt;
  return ColumnBlob(column);
}

// ---- Connection ----

Result<std::unique_ptr<Connection>> Connection::Open(const ConnectionOptions& options) {
  // Multi-thread mode (NOMUTEX) is safe only if the library was built thread-safe.
  if (sqlite3_threadsafe() == 0) {
    return ::tillit::MakeError("internalError", "SQLite was built without thread support");
  }
  int flags = SQLITE_OPEN_NOMUTEX | SQLITE_OPEN_PRIVATECACHE;
  flags |= options.read_only ? SQLITE_OPEN_READWRITE : (SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE);
  sqlite3* db = nullptr;
  const int rc = sqlite3_open_v2(options.path.c_str(), &db, flags, nullptr);
  if (rc != SQLITE_OK) {
    Error error{ErrorCodeFor(rc), std::string("opening database: ") + sqlite3_errstr(rc)};
    sqlite3_close_v2(db);  // a handle is returned even on failure (or null: a no-op)
    return error;
  }
  std::unique_ptr<Connection> connection(new Connection(db));
  sqlite3_extended_result_codes(db, 1);
  sqlite3_busy_timeout(db, static_cast<int>(options.busy_timeout.count()));
  // Defensive mode forbids statements that can corrupt the file on purpose (writable
  // schema, raw page writes); an untrusted schema cannot run functions with side effects.
  sqlite3_db_config(db, SQLITE_DBCONFIG_DEFENSIVE, 1, nullptr);
  sqlite3_db_config(db, SQLITE_DBCONFIG_TRUSTED_SCHEMA, 0, nullptr);

  // Foreign keys are off by default in SQLite and per connection; read back to be sure
  // this build enforces them (the pragma is silently ignored otherwise).
  TILLIT_TRY(connection->Execute("PRAGMA foreign_keys = ON"));
  {
    TILLIT_TRY_ASSIGN(auto check, connection->Prepare("PRAGMA foreign_keys"));
    TILLIT_TRY_ASSIGN(const bool row, check.Step());
    if (!row || check.ColumnInt64(0) != 1) {
      return ::tillit::MakeError("internalError",
                                 "opening database: foreign keys cannot be enabled");
    }
  }
  if (options.read_only) {
    TILLIT_TRY(connection->Execute("PRAGMA query_only = ON"));
  } else {
    // WAL lets readers work on a snapshot while one writer commits; the mode is stored in
    // the file, so readers opened afterwards use it too.
    TILLIT_TRY_ASSIGN(auto wal, connection->Prepare("PRAGMA journal_mode = WAL"));
    TILLIT_TRY_ASSIGN(const bool row, wal.Step());
    if (!row || wal.ColumnText(0) != "wal") {
      return ::tillit::MakeError("internalError", "opening database: WAL mode cannot be enabled");
    }
  }
  if (!options.read_only) TILLIT_TRY(connection->SetSynchronous(Synchronous::kFull));
  return connection;
}

Connection::~Connection() {
  for (auto& [sql, stmt] : cache_) sqlite3_finalize(stmt);
  // close_v2 defers the close if anything is still open instead of failing.
  sqlite3_close_v2(db_);
}

void Connection::SetRowWriteHook(std::function<void(std::string_view table)> hook) {
  row_write_hook_ = std::move(hook);
  if (!row_write_hook_) {
    sqlite3_update_hook(db_, nullptr, nullptr);
    return;
  }
  sqlite3_update_hook(
      db_,
      [](void* self, int, const char*, const char* table, sqlite3_int64) {
        static_cast<Connection*>(self)->row_write_hook_(table);
      },
      this);
}

void Connection::SetWalHook(std::function<void(int frames)> hook) {
  wal_hook_ = std::move(hook);
  if (!wal_hook_) {
    sqlite3_wal_autocheckpoint(db_, 1000);  // SQLite's default
    return;
  }
  sqlite3_wal_hook(
      db_,
      [](void* self, sqlite3*, const char*, int frames) {
        static_cast<Connection*>(self)->wal_hook_(frames);
        return SQLITE_OK;
      },
      this);
}

Status Connection::CheckpointPassive() {
  const int rc =
      sqlite3_wal_checkpoint_v2(db_, nullptr, SQLITE_CHECKPOINT_PASSIVE, nullptr, nullptr);
  if (rc != SQLITE_OK) return MakeError(rc, "checkpoint");
  return {};
}

Error Connection::MakeError(int rc, std::string_view what) const {
  std::string message(what);
  message += ": ";
  message += sqlite3_errstr(rc);
  // sqlite3_errmsg describes the last failure on this connection: a table, column or
  // constraint name, or a fragment of the (constant) SQL text; never a bound value.
  const char* detail = sqlite3_errmsg(db_);
  if (detail != nullptr && std::string_view(detail) != sqlite3_errstr(rc)) {
    message += " (";
    message += detail;
    message += ")";
  }
  return Error{ErrorCodeFor(rc), std::move(message)};
}

void Connection::NoteFailure(const Error& error) {
  if (transaction_open_ && !transaction_error_) transaction_error_ = error;
}

void Connection::Recycle(std::string sql, sqlite3_stmt* stmt) {
  if (cache_.size() >= kMaxCachedStatements || cache_.count(sql) != 0) {
    sqlite3_finalize(stmt);
    return;
  }
  cache_.emplace(std::move(sql), stmt);
}

Result<Statement> Connection::Prepare(std::string_view sql) {
  if (transaction_open_ && transaction_error_) {
    return Error{transaction_error_->code,
                 "transaction failed earlier: " + transaction_error_->message};
  }
  std::string key(sql);
  if (auto it = cache_.find(key); it != cache_.end()) {
    sqlite3_stmt* stmt = it->second;
    cache_.erase(it);
    return Statement(this, stmt, std::move(key));
  }
  sqlite3_stmt* stmt = nullptr;
  const char* tail = nullptr;
  const int rc = sqlite3_prepare_v3(db_, key.data(), static_cast<int>(key.size()),
                                    SQLITE_PREPARE_PERSISTENT, &stmt, &tail);
  if (rc != SQLITE_OK) {
    Error error = MakeError(rc, "preparing statement");
    NoteFailure(error);
    return error;
  }
  // One statement per Prepare: trailing text would be silently ignored otherwise.
  TILLIT_CHECK(stmt != nullptr);
  TILLIT_CHECK(tail == key.data() + key.size());
  return Statement(this, stmt, std::move(key));
}

Status Connection::Execute(std::string_view sql) {
  if (transaction_open_ && transaction_error_) {
    return Error{transaction_error_->code,
                 "transaction failed earlier: " + transaction_error_->message};
  }
  const char* next = sql.data();
  const char* end = sql.data() + sql.size();
  while (next < end) {
    sqlite3_stmt* stmt = nullptr;
    const char* tail = nullptr;
    int rc = sqlite3_prepare_v2(db_, next, static_cast<int>(end - next), &stmt, &tail);
    if (rc != SQLITE_OK) {
      Error error = MakeError(rc, "preparing statement");
      NoteFailure(error);
      return error;
    }
    next = tail;
    if (stmt == nullptr) continue;  // whitespace or a comment
    do {
      rc = sqlite3_step(stmt);
    } while (rc == SQLITE_ROW);
    if (rc != SQLITE_DONE) {
      Error error = MakeError(rc, "executing statement");
      sqlite3_finalize(stmt);
      NoteFailure(error);
      return error;
    }
    sqlite3_finalize(stmt);
  }
  return {};
}

Status Connection::RunCached(std::string_view sql) {
  TILLIT_TRY_ASSIGN(Statement statement, Prepare(sql));
  auto ran = statement.Run();
  if (!ran.ok()) return std::move(ran).error();
  return {};
}

Status Connection::SetSynchronous(Synchronous level) {
  TILLIT_CHECK(!transaction_open_);
  if (synchronous_ == level) return {};
  TILLIT_TRY(RunCached(level == Synchronous::kFull ? "PRAGMA synchronous = FULL"
                                                   : "PRAGMA synchronous = NORMAL"));
  synchronous_ = level;
  return {};
}

Status Connection::BeginTransaction(bool immediate) {
  TILLIT_CHECK(!transaction_open_);
  TILLIT_TRY(RunCached(immediate ? "BEGIN IMMEDIATE" : "BEGIN"));
  transaction_open_ = true;
  transaction_error_.reset();
  return {};
}

Status Connection::CommitTransaction() {
  TILLIT_CHECK(transaction_open_);
  if (transaction_error_) {
    Error error{transaction_error_->code,
                "transaction rolled back after an earlier error: " + transaction_error_->message};
    RollbackTransaction();
    return error;
  }
  Status committed = RunCached("COMMIT");
  if (!committed.ok()) {
    RollbackTransaction();
    return committed;
  }
  transaction_open_ = false;
  return {};
}

void Connection::RollbackTransaction() {
  // After some errors (SQLITE_FULL, IOERR, BUSY, NOMEM) SQLite has already rolled back
  // on its own; a second ROLLBACK would only fail.
  if (sqlite3_get_autocommit(db_) == 0) {
    transaction_open_ = false;  // so Execute's failure, if any, is not noted
    (void)RunCached("ROLLBACK");
  }
  transaction_open_ = false;
  transaction_error_.reset();
}

}  // namespace tillit::server::storage::sqlite
