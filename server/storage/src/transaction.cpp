// ReadTransaction and Transaction: the backend-neutral handles (see
// tillit/storage/transaction.h).
#include "tillit/storage/transaction.h"

#include <utility>

#include "tillit/check.h"

namespace tillit::server::storage {

ReadTransaction::ReadTransaction(std::unique_ptr<TransactionBackend> backend)
    : backend_(std::move(backend)) {
  TILLIT_CHECK(backend_ != nullptr);
}

ReadTransaction& ReadTransaction::operator=(ReadTransaction&& other) noexcept {
  if (this != &other) {
    End();
    backend_ = std::move(other.backend_);
  }
  return *this;
}

ReadTransaction::~ReadTransaction() { End(); }

TransactionBackend& ReadTransaction::backend() const {
  TILLIT_CHECK(backend_ != nullptr);
  return *backend_;
}

void ReadTransaction::End() {
  if (backend_ == nullptr) return;
  backend_->Rollback();
  backend_.reset();  // the backend's destructor gives its connection back
}

Transaction::Transaction(std::unique_ptr<TransactionBackend> backend)
    : ReadTransaction(std::move(backend)) {}

Status Transaction::Commit() {
  TILLIT_CHECK(backend_ != nullptr);
  Status committed = backend_->Commit();
  backend_.reset();
  return committed;
}

void Transaction::Rollback() {
  TILLIT_CHECK(backend_ != nullptr);
  End();
}

}  // namespace tillit::server::storage
