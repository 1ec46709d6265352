// Internal: the SQLite side of a transaction (a connection lent to one transaction), and
// how the SQLite repositories reach that connection from a ReadTransaction.
//
// Thread safety: used by the thread that holds the transaction.
#pragma once

#include <functional>

#include "sqlite.h"
#include "tillit/storage/transaction.h"

namespace tillit::server::storage::sqlite {

class SqliteTransactionBackend final : public TransactionBackend {
 public:
  // `connection` has a transaction open; `release` gives the connection back to the store
  // and runs exactly once, when this backend is destroyed (after commit or rollback).
  SqliteTransactionBackend(Connection& connection, std::function<void()> release)
      : connection_(connection), release_(std::move(release)) {}
  SqliteTransactionBackend(const SqliteTransactionBackend&) = delete;
  SqliteTransactionBackend& operator=(const SqliteTransactionBackend&) = delete;
  ~SqliteTransactionBackend() override {
    if (connection_.transaction_open()) connection_.RollbackTransaction();
    release_();
  }

  Status Commit() override { return connection_.CommitTransaction(); }
  void Rollback() override { connection_.RollbackTransaction(); }

  Connection& connection() { return connection_; }

 private:
  Connection& connection_;
  std::function<void()> release_;
};

// The connection of a transaction begun by a SQLite store. A transaction of another
// backend (or an ended one) is a programmer error and aborts.
Connection& ConnectionOf(ReadTransaction& tx);

}  // namespace tillit::server::storage::sqlite
