// Internal: a thin RAII layer over the SQLite C API for the repositories in this
// directory. It exists so that every query is parameterised (SQL text is a constant;
// values only ever go through Bind*), every failure becomes an Error with a stable code,
// and no message ever carries a bound value (values can be secrets or personal data).
// sqlite3.h stays in sqlite.cpp; this header only forward-declares its handles.
//
// Thread safety: a Connection and its Statements are used by one thread at a time (the
// store hands each connection to one transaction at a time); SQLite runs in multi-thread
// mode (SQLITE_OPEN_NOMUTEX), which relies on exactly that.
#pragma once

#include <chrono>
#include <cstddef>
#include <cstdint>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <unordered_map>

#include "tillit/bytes.h"
#include "tillit/result.h"

struct sqlite3;
struct sqlite3_stmt;

namespace tillit::server::storage::sqlite {

struct ConnectionOptions {
  std::string path;
  std::chrono::milliseconds busy_timeout{5000};
  // Reader connections set PRAGMA query_only, so a write through one fails instead of
  // bypassing the writer's serialisation.
  bool read_only = false;
};

// PRAGMA synchronous in WAL mode: kFull syncs the WAL at every commit (durable across
// power loss); kNormal syncs only at checkpoints (durable across a process crash).
enum class Synchronous { kFull, kNormal };

class Connection;

// A prepared statement borrowed from its connection's cache. Bind indexes are 1-based and
// match ?1, ?2, ... in the SQL; column indexes are 0-based positions in the result row.
// A failed Bind* is remembered and reported by the next Step/Run (so call sites need not
// check each bind). Destroying the statement resets it and returns it to the cache.
class Statement {
 public:
  Statement(Statement&& other) noexcept;
  Statement& operator=(Statement&&) = delete;
  Statement(const Statement&) = delete;
  Statement& operator=(const Statement&) = delete;
  ~Statement();

  void BindInt64(int index, int64_t value);
  void BindDouble(int index, double value);
  void BindText(int index, std::string_view value);
  void BindBlob(int index, ByteView value);
  void BindNull(int index);
  void BindOptionalInt64(int index, const std::optional<int64_t>& value);
  void BindOptionalText(int index, const std::optional<std::string>& value);
  void BindOptionalBlob(int index, const std::optional<Bytes>& value);

  // Advances to the next row: true if a row is available, false when done.
  Result<bool> Step();
  // Steps to completion (ignoring any rows) and returns the number of rows the statement
  // inserted, updated or deleted.
  Result<int64_t> Run();

  // Columns of the current row (valid after Step returned true).
  bool IsNull(int column) const;
  int64_t ColumnInt64(int column) const;
  double ColumnDouble(int column) const;
  std::string ColumnText(int column) const;
  Bytes ColumnBlob(int column) const;
  std::optional<int64_t> ColumnOptionalInt64(int column) const;
  std::optional<std::string> ColumnOptionalText(int column) const;
  std::optional<Bytes> ColumnOptionalBlob(int column) const;

 private:
  friend class Connection;
  Statement(Connection* connection, sqlite3_stmt* stmt, std::string sql);
  void NoteBind(int rc, int index);

  Connection* connection_;
  sqlite3_stmt* stmt_;
  std::string sql_;
  int bind_error_ = 0;  // SQLITE_OK
  int bind_error_index_ = 0;
};

// Reads the columns of a row left to right, so a row mapper reads like the SELECT list.
class Columns {
 public:
  explicit Columns(const Statement& statement, int first = 0)
      : statement_(statement), next_(first) {}
  int64_t Int64() { return statement_.ColumnInt64(next_++); }
  double Double() { return statement_.ColumnDouble(next_++); }
  std::string Text() { return statement_.ColumnText(next_++); }
  Bytes Blob() { return statement_.ColumnBlob(next_++); }
  std::optional<int64_t> OptionalInt64() { return statement_.ColumnOptionalInt64(next_++); }
  std::optional<std::string> OptionalText() { return statement_.ColumnOptionalText(next_++); }
  std::optional<Bytes> OptionalBlob() { return statement_.ColumnOptionalBlob(next_++); }
  int next() const { return next_; }

 private:
  const Statement& statement_;
  int next_;
};

// One database connection, with a cache of prepared statements and the bookkeeping that
// makes a transaction fail as a whole after its first failed statement.
class Connection {
 public:
  // Opens the file (creating it unless read_only), sets the busy timeout, turns on
  // foreign keys and defensive mode, and for a read-write connection enables WAL and
  // synchronous=FULL. Errors: "storageUnavailable", "internalError" (e.g. WAL or foreign
  // keys could not be enabled, or this SQLite was built without thread support).
  static Result<std::unique_ptr<Connection>> Open(const ConnectionOptions& options);

  ~Connection();
  Connection(const Connection&) = delete;
  Connection& operator=(const Connection&) = delete;

  // Prepares `sql`, a constant text with ?N parameters; never a string built from values.
  // Inside a transaction that already had a failed statement this fails with that error.
  Result<Statement> Prepare(std::string_view sql);

  // Runs one or more statements that take no parameters (DDL, PRAGMA setters). Like
  // Prepare, fails inside a transaction that already had a failed statement.
  Status Execute(std::string_view sql);

  // Sets PRAGMA synchronous; only outside a transaction (SQLite refuses it inside).
  Status SetSynchronous(Synchronous level);

  // BEGIN IMMEDIATE (takes the database's write lock now, waiting up to the busy timeout,
  // so writers queue at BEGIN instead of failing at their first write) or BEGIN (a read
  // transaction whose snapshot starts at its first read).
  Status BeginTransaction(bool immediate);
  // COMMIT; on any failure (including an earlier failed statement, whose error is
  // returned) rolls back. The transaction has ended afterwards.
  Status CommitTransaction();
  // ROLLBACK if a transaction is open; never fails observably.
  void RollbackTransaction();

  // True between BeginTransaction and its commit or rollback.
  bool transaction_open() const { return transaction_open_; }

  // Calls `hook(table)` on this connection's thread for every row it inserts, updates or
  // deletes in a table (sqlite3_update_hook), before the transaction commits; empty: no
  // hook. Every table of the schema has a rowid, which the hook needs; rows removed by a
  // REPLACE conflict or a DELETE without WHERE would not be reported, and Tillit writes
  // neither. The hook must not use the connection.
  void SetRowWriteHook(std::function<void(std::string_view table)> hook);

  // Calls `hook(frames)` on this connection's thread after each of its commits, with the
  // number of frames the WAL file now holds (sqlite3_wal_hook). This replaces SQLite's
  // automatic checkpoint, which runs inside the commit that passes 1,000 frames; the hook
  // may call CheckpointPassive on this connection. Empty: the automatic checkpoint again.
  void SetWalHook(std::function<void(int frames)> hook);

  // A PASSIVE checkpoint: copies into the database file what the WAL holds and no reader
  // still needs, waiting for no one. Errors: "storageUnavailable" (another checkpoint was
  // running), "storageFull", "internalError".
  Status CheckpointPassive();

  // Maps a SQLite result code to an Error (codes in tillit/storage/store.h). `what` names
  // the operation; the message adds SQLite's description, which never holds bound values.
  Error MakeError(int rc, std::string_view what) const;

 private:
  friend class Statement;
  explicit Connection(sqlite3* db) : db_(db) {}
  // Records a failed statement: it dooms the open transaction, if any.
  void NoteFailure(const Error& error);
  // Runs one parameterless statement through the statement cache. BEGIN, COMMIT and the
  // synchronous PRAGMA run several times per request; Execute would parse them each time
  // (docs/performance.md §4.7).
  Status RunCached(std::string_view sql);
  // Takes back a reset statement for reuse (or finalizes it).
  void Recycle(std::string sql, sqlite3_stmt* stmt);

  sqlite3* db_;
  std::unordered_map<std::string, sqlite3_stmt*> cache_;
  bool transaction_open_ = false;
  std::optional<Error> transaction_error_;
  std::optional<Synchronous> synchronous_;
  std::function<void(std::string_view)> row_write_hook_;
  std::function<void(int)> wal_hook_;
};

// Maps a SQLite result code to an Error code string: "storageFull", "storageUnavailable",
// "conflict" or "internalError". Exposed for the tests.
std::string ErrorCodeFor(int rc);

}  // namespace tillit::server::storage::sqlite
