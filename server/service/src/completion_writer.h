// Internal: group commit for completed orders (docs/protocol.md §7.4, docs/performance.md).
//
// Every completed login or signature is written durably — its order_results row and its
// audit entry — before the device hears "complete". One durable SQLite commit costs an
// fsync (≈150 µs here), and commits are serialised, so one commit per completion would
// cap the issuer near 6,600 completions/s whatever the CPU. CompletionWriter batches:
// callers queue their completion and wait; the caller at the head of the queue writes
// everything queued so far in one durable transaction and then wakes the others with the
// outcome. Under light load a batch is one completion and nothing waits longer than it
// would have alone; under heavy load the fsync is shared by the whole batch. (LevelDB's
// DBImpl::Write works the same way.)
//
// Each caller returns only after the transaction holding its rows has committed (or
// failed): the durability promise per completion is unchanged. On failure:
//   - "storageUnavailable"/"storageFull" (the database cannot write at all): every
//     completion in the batch gets that error; retrying one by one would only wait the
//     busy timeout once per completion;
//   - any other error (a row refused: a conflict, a CHECK): the batch is rolled back and
//     each completion is written in a transaction of its own, so one bad row cannot fail
//     the others.
//
// Thread safety: Write may be called from any number of threads at once.
#pragma once

#include <condition_variable>
#include <cstddef>
#include <deque>
#include <mutex>
#include <vector>

#include "tillit/result.h"
#include "tillit/storage/audit.h"
#include "tillit/storage/order_results.h"
#include "tillit/storage/store.h"

namespace tillit::service::internal {

// Largest batch: bounds how long one transaction holds the writer (each completion is a
// few kilobytes of row and an audit hash) and so the latency of other writers.
inline constexpr size_t kMaxCompletionBatch = 256;

class CompletionWriter {
 public:
  explicit CompletionWriter(server::storage::Store& store) : store_(store) {}
  CompletionWriter(const CompletionWriter&) = delete;
  CompletionWriter& operator=(const CompletionWriter&) = delete;

  // Inserts `row` and appends `audit` durably, batched with concurrent callers. Returns
  // once they are committed, or the error that kept them from it (nothing of them is then
  // stored).
  Status Write(const server::storage::OrderResultRow& row,
               const server::storage::AuditEntry& audit);

  // Transactions committed so far (for tests and metrics: fewer than completions written
  // means batching happened).
  size_t commits() const;

 private:
  struct Pending {
    const server::storage::OrderResultRow* row;
    const server::storage::AuditEntry* audit;
    Status status;
    bool done = false;
    std::condition_variable wake;
  };

  // Writes `batch` (the front of the queue, none done) and sets each one's status.
  void WriteBatch(const std::vector<Pending*>& batch);
  Status WriteOne(const Pending& pending);

  server::storage::Store& store_;
  mutable std::mutex mutex_;
  std::deque<Pending*> queue_;  // guarded by mutex_; the front is the leader
  size_t commits_ = 0;          // guarded by mutex_
};

}  // namespace tillit::service::internal
