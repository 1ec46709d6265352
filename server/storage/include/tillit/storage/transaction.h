// Transactions: the unit in which repositories read and write. A ReadTransaction is a
// consistent read-only snapshot; a Transaction is a read-write transaction that is either
// committed as a whole or leaves no trace. Both are move-only handles over a backend's
// state (TransactionBackend), so services never see which database is underneath.
//
// Rules every backend follows (docs/storage.md §Transactions):
//   - a Transaction that is destroyed (or moved-over) without Commit() is rolled back;
//   - once a statement inside a transaction has failed, the transaction is doomed: later
//     statements fail and Commit() rolls back and returns that first error. PostgreSQL
//     behaves this way natively; the SQLite backend enforces it, so a caller that ignores
//     an error can never commit half of a use case;
//   - a Transaction is a ReadTransaction, so a use case reads its own writes through the
//     same repository read methods.
//
// Thread safety: a transaction is used by one thread at a time. It may be handed to
// another thread, but not used by two at once.
#pragma once

#include <memory>

#include "tillit/result.h"

namespace tillit::server::storage {

// How hard a commit works to survive a power cut.
enum class Durability {
  // Committed data survives a crash of the process and of the machine (fsync at every
  // commit). For enrolment, issuance, credential status and audit: losing those after
  // telling the desk "issued" would hand out a number the database forgot.
  kDurable,
  // Committed data survives a crash of the process but possibly not a power cut or
  // kernel crash (the last commits may be lost; the database stays consistent). For
  // short-lived state that is cheap to lose, such as login orders that live ~30 s.
  kFast,
};

// The backend's side of a transaction. Implemented by each backend; only that backend's
// repositories look inside (by downcasting). Services never call it.
class TransactionBackend {
 public:
  virtual ~TransactionBackend() = default;
  // Commits. Whether it succeeds or not, the transaction has ended afterwards.
  virtual Status Commit() = 0;
  // Discards every write made in the transaction (for a read transaction: releases the
  // snapshot). Never fails observably: a failed rollback leaves nothing committed either.
  virtual void Rollback() = 0;
};

// A read-only snapshot. Ends (and releases its connection) when destroyed.
class ReadTransaction {
 public:
  // For backends: takes over `backend`, which must not be null.
  explicit ReadTransaction(std::unique_ptr<TransactionBackend> backend);
  ReadTransaction(ReadTransaction&& other) noexcept = default;
  // Ends the transaction held here (rolling it back) before taking over `other`'s.
  ReadTransaction& operator=(ReadTransaction&& other) noexcept;
  ReadTransaction(const ReadTransaction&) = delete;
  ReadTransaction& operator=(const ReadTransaction&) = delete;
  virtual ~ReadTransaction();

  // False once the transaction has ended (committed, rolled back or moved from).
  bool active() const { return backend_ != nullptr; }

  // For backends' repositories: the backend state. Using an ended transaction is a
  // programmer error and aborts.
  TransactionBackend& backend() const;

 protected:
  // Rolls back and releases the backend, if any.
  void End();

  std::unique_ptr<TransactionBackend> backend_;
};

// A read-write transaction. Writers are serialised: while one is open, Store::Begin in
// another thread waits (up to the store's busy timeout).
class Transaction : public ReadTransaction {
 public:
  // For backends: takes over `backend`, which must not be null.
  explicit Transaction(std::unique_ptr<TransactionBackend> backend);
  Transaction(Transaction&& other) noexcept = default;
  Transaction& operator=(Transaction&& other) noexcept = default;

  // Commits every write made in the transaction, with the durability chosen at Begin.
  // The transaction has ended afterwards, even on failure (then nothing was written).
  // Errors: the first error of a failed statement in this transaction; "storageFull",
  // "storageUnavailable", "internalError" from the commit itself. Committing an ended
  // transaction is a programmer error and aborts.
  Status Commit();

  // Discards every write now instead of at destruction. Ending an ended transaction is a
  // programmer error and aborts.
  void Rollback();
};

}  // namespace tillit::server::storage
