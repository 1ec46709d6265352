#include "holder_cache.h"

#include <utility>

namespace tillit::service::internal {

using server::storage::ReadTransaction;

HolderCache::HolderCache(server::storage::Store& store, size_t capacity)
    : store_(store), capacity_(capacity) {}

Result<std::shared_ptr<const HolderRecords>> HolderCache::Credential(std::string_view serial) {
  return Get(serial, /*with_person=*/false);
}

Result<std::shared_ptr<const HolderRecords>> HolderCache::CredentialAndPerson(
    std::string_view serial) {
  return Get(serial, /*with_person=*/true);
}

size_t HolderCache::size() const {
  std::lock_guard lock(mutex_);
  return entries_.size();
}

void HolderCache::DropOlderThan(uint64_t version) {
  if (entries_version_ == version) return;
  entries_.clear();  // every entry is older than the write that changed the number
  entries_version_ = version;
}

Result<std::shared_ptr<const HolderRecords>> HolderCache::Get(std::string_view serial,
                                                              bool with_person) {
  // Read before the snapshot begins: a write that ends after this moment changes the
  // number, so what the snapshot saw is never kept under a number that outlived it.
  const uint64_t version = store_.holder_records_version();
  {
    std::lock_guard lock(mutex_);
    DropOlderThan(version);
    auto it = entries_.find(serial);
    if (it != entries_.end() && (!with_person || it->second->person)) return it->second;
  }
  auto read = store_.Read([&](ReadTransaction& tx) -> Result<std::shared_ptr<const HolderRecords>> {
    auto records = std::make_shared<HolderRecords>();
    TILLIT_TRY_ASSIGN(records->credential, store_.credentials().Get(tx, serial));
    if (with_person) {
      TILLIT_TRY_ASSIGN(records->person,
                        store_.persons().GetWithoutDetails(tx, records->credential.identifier));
    }
    return std::shared_ptr<const HolderRecords>(std::move(records));
  });
  if (!read.ok()) return read;
  std::lock_guard lock(mutex_);
  // A write that ended while this read ran may or may not be in it: keep nothing.
  if (store_.holder_records_version() != version) return read;
  DropOlderThan(version);
  if (entries_.size() >= capacity_) entries_.clear();
  entries_.insert_or_assign(std::string(serial), *read);
  return read;
}

}  // namespace tillit::service::internal
