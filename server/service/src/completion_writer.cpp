// CompletionWriter: group commit of completed orders (see completion_writer.h).
#include "completion_writer.h"

#include <algorithm>
#include <vector>

namespace tillit::service::internal {
namespace {

using server::storage::Durability;
using server::storage::Transaction;

bool StoreCannotWrite(const Error& error) {
  return error.code == "storageUnavailable" || error.code == "storageFull";
}

}  // namespace

Status CompletionWriter::WriteOne(const Pending& pending) {
  return store_.Write(Durability::kDurable, [&](Transaction& tx) -> Status {
    TILLIT_TRY(store_.order_results().Insert(tx, *pending.row));
    auto appended = store_.audit().Append(tx, *pending.audit);
    if (!appended.ok()) return std::move(appended).error();
    return {};
  });
}

void CompletionWriter::WriteBatch(const std::vector<Pending*>& batch) {
  Status all = store_.Write(Durability::kDurable, [&](Transaction& tx) -> Status {
    for (Pending* p : batch) {
      TILLIT_TRY(store_.order_results().Insert(tx, *p->row));
      auto appended = store_.audit().Append(tx, *p->audit);
      if (!appended.ok()) return std::move(appended).error();
    }
    return {};
  });
  size_t commits = all.ok() ? 1 : 0;
  if (all.ok() || batch.size() == 1 || StoreCannotWrite(all.error())) {
    for (Pending* p : batch) p->status = all;
  } else {
    // One row was refused and took the batch with it: give each its own transaction.
    for (Pending* p : batch) {
      p->status = WriteOne(*p);
      commits += p->status.ok();
    }
  }
  std::lock_guard lock(mutex_);
  commits_ += commits;
}

Status CompletionWriter::Write(const server::storage::OrderResultRow& row,
                               const server::storage::AuditEntry& audit) {
  Pending self{.row = &row, .audit = &audit, .status = {}, .done = false, .wake = {}};
  std::unique_lock lock(mutex_);
  queue_.push_back(&self);
  self.wake.wait(lock, [&] { return self.done || queue_.front() == &self; });
  if (self.done) return self.status;  // a leader wrote it

  // The leader: everything queued up to now (this one first) goes into one transaction.
  // The lock is released while writing so that others can queue for the next batch.
  const size_t n = std::min(queue_.size(), kMaxCompletionBatch);
  // Copied: the queue may grow (and its iterators move) while the batch is written.
  const std::vector<Pending*> batch(queue_.begin(),
                                    queue_.begin() + static_cast<std::ptrdiff_t>(n));
  lock.unlock();
  WriteBatch(batch);
  lock.lock();
  for (size_t i = 0; i < n; ++i) {
    Pending* p = queue_.front();
    queue_.pop_front();
    p->done = true;
    if (p != &self) p->wake.notify_one();
  }
  // The next in line leads the next batch.
  if (!queue_.empty()) queue_.front()->wake.notify_one();
  return self.status;
}

size_t CompletionWriter::commits() const {
  std::lock_guard lock(mutex_);
  return commits_;
}

}  // namespace tillit::service::internal
