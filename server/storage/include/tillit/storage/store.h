// Store: the issuer's database as the services see it: transactions plus one repository
// per kind of record. The interface is backend-neutral; tillit/storage/sqlite_store.h
// opens the SQLite implementation, and a PostgreSQL one can sit beside it
// (docs/storage.md §PostgreSQL).
//
// Error codes of every storage operation (stable; the API layer maps them to HTTP):
//   "conflict"           a UNIQUE/PRIMARY KEY constraint refused a write, or the row was
//                        not in the state a conditional write requires;
//   "notFound"           a Get* or a write to a row that does not exist;
//   "storageFull"        the disk is full;
//   "storageUnavailable" the database cannot be opened or read, or another writer held
//                        it longer than the busy timeout (worth retrying later);
//   "unsupportedSchema"  the database was written by a newer version of Tillit;
//   "invalidParameters"  a caller-supplied size or count out of range;
//   "alreadyExists"      Backup: the target file exists (it is never overwritten);
//   "internalError"      anything else (a foreign key or CHECK constraint refused a
//                        write, a corrupt file, a bug). Never shown to clients in detail.
// Messages name the table, column or operation, never a value: bound values can be
// secrets or personal data, and messages end up in logs.
//
// Thread safety: a Store is thread-safe; many threads may begin transactions at once.
// Read transactions run concurrently; write transactions are serialised (one at a time
// per database, across processes too). A thread that holds a Transaction must not begin
// another one (it would wait for itself; the SQLite store aborts instead). The Store
// must outlive every transaction it began.
#pragma once

#include <cstdint>
#include <functional>
#include <string>
#include <type_traits>
#include <utility>

#include "tillit/result.h"
#include "tillit/storage/accounts.h"
#include "tillit/storage/activation_codes.h"
#include "tillit/storage/audit.h"
#include "tillit/storage/counters.h"
#include "tillit/storage/credentials.h"
#include "tillit/storage/enrolments.h"
#include "tillit/storage/leases.h"
#include "tillit/storage/order_results.h"
#include "tillit/storage/persons.h"
#include "tillit/storage/transaction.h"

namespace tillit::server::storage {

// How far Store::Backup has got, reported after each step.
struct BackupProgress {
  uint64_t copied_pages = 0;
  uint64_t total_pages = 0;
};

class Store {
 public:
  virtual ~Store() = default;

  // Begins a read-write transaction, waiting for the current writer (if any) to finish.
  // Errors: "storageUnavailable" (still busy after the busy timeout), "storageFull",
  // "internalError".
  virtual Result<Transaction> Begin(Durability durability) = 0;

  // Begins a read-only snapshot. It sees every transaction committed before its first
  // read and nothing committed after. Errors: "storageUnavailable", "internalError".
  virtual Result<ReadTransaction> BeginRead() = 0;

  // The schema version of the open database (the latest migration this code knows).
  virtual int schema_version() const = 0;

  // A number that changes each time a transaction of this Store that wrote `persons` or
  // `credentials` rows ends (committed or rolled back), before Commit() returns. What the
  // services keep in memory of those rows (the login path's holder cache) is valid while
  // the number is what it was before the snapshot it came from began. Writes by other
  // processes are not counted: `tillit-server serve` holds the data directory's serve.lock
  // so that no other process changes rows of these tables while it runs (docs/storage.md
  // §5.1).
  virtual uint64_t holder_records_version() const = 0;

  // Writes a consistent copy of the whole database as of one moment to the new file
  // `path` while other transactions (in this process or another) go on; writers are never
  // blocked. The copy is written to `path` + ".tmp", fsynced and renamed to `path` (and the
  // directory fsynced), so `path` is either absent or complete; an existing file is never
  // overwritten. `progress` (may be empty) is called after each step, on this thread.
  // Errors: "alreadyExists" (`path` or `path`.tmp exists: the latter is left by a backup
  // that is running or was interrupted), "storageUnavailable" (cannot read the database or
  // write the copy), "storageFull", "internalError". On failure no `path` is created and
  // the temporary file is removed. docs/operations.md §Backups.
  virtual Status Backup(const std::string& path,
                        const std::function<void(const BackupProgress&)>& progress) = 0;

  // The repositories. They hold no state of their own: each call works in the transaction
  // passed to it, and they live as long as the store.
  virtual OfficerRepository& officers() = 0;
  virtual RelyingPartyRepository& relying_parties() = 0;
  virtual CounterRepository& counters() = 0;
  virtual EnrolmentRepository& enrolments() = 0;
  virtual PersonRepository& persons() = 0;
  virtual ActivationCodeRepository& activation_codes() = 0;
  virtual CredentialRepository& credentials() = 0;
  virtual AuditRepository& audit() = 0;
  virtual OrderResultRepository& order_results() = 0;
  virtual LeaseRepository& leases() = 0;  // offline desks (docs/offline-desk.md)

  // Runs fn(ReadTransaction&) -> Result<T> in a fresh snapshot and returns its result.
  template <typename F>
  auto Read(F&& fn) -> std::invoke_result_t<F&, ReadTransaction&> {
    using R = std::invoke_result_t<F&, ReadTransaction&>;
    auto tx = BeginRead();
    if (!tx.ok()) return R(std::move(tx).error());
    return fn(*tx);
  }

  // Runs fn(Transaction&) -> Result<T> in a new transaction and commits it if fn
  // succeeded; if fn fails, nothing it wrote is kept and its error is returned. A commit
  // failure is returned in place of fn's value. fn must not commit or roll back itself.
  template <typename F>
  auto Write(Durability durability, F&& fn) -> std::invoke_result_t<F&, Transaction&> {
    using R = std::invoke_result_t<F&, Transaction&>;
    auto tx = Begin(durability);
    if (!tx.ok()) return R(std::move(tx).error());
    R result = fn(*tx);
    if (!result.ok()) return result;
    Status committed = tx->Commit();
    if (!committed.ok()) return R(std::move(committed).error());
    return result;
  }
};

}  // namespace tillit::server::storage
