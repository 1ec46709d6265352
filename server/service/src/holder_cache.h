// Internal: the login path's reads of a credential and its holder, kept in memory while
// nothing has written persons or credentials since (docs/performance.md §4.8).
//
// Every scan reads the credential and every respond reads it again with the holder's
// person row. Those reads were the largest part of verifying a device's answer after the
// signature itself: a SQLite read transaction, its file locks and, as completions keep
// writing, pages read back from the WAL. An entry is used only while
// Store::holder_records_version is what it was before the entry's snapshot began, so a
// suspension, a revocation or a changed person row written through this Store is seen by
// the very next scan or respond, exactly as with a fresh read. Any such write empties the
// cache as a whole: they are rare next to logins.
//
// Thread safety: all methods may be called from any number of threads at once.
#pragma once

#include <cstddef>
#include <cstdint>
#include <functional>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <string_view>
#include <unordered_map>

#include "tillit/result.h"
#include "tillit/storage/store.h"

namespace tillit::service::internal {

struct HolderRecords {
  server::storage::CredentialRow credential;
  // The holder's own row (PersonRepository::GetWithoutDetails), read in the same snapshot
  // as the credential; unset when only the credential was asked for.
  std::optional<server::storage::PersonRow> person;
};

class HolderCache {
 public:
  // `capacity`: entries kept; when full the cache starts over (each entry is a credential
  // row with its certificate, and possibly a person row: about a kilobyte).
  HolderCache(server::storage::Store& store, size_t capacity);
  HolderCache(const HolderCache&) = delete;
  HolderCache& operator=(const HolderCache&) = delete;

  // The credential `serial` as stored. Errors: those of CredentialRepository::Get
  // ("notFound", storage errors); nothing is kept of a failed read.
  Result<std::shared_ptr<const HolderRecords>> Credential(std::string_view serial);

  // The same with `person` set. Errors: also "notFound" if the holder's row is missing.
  Result<std::shared_ptr<const HolderRecords>> CredentialAndPerson(std::string_view serial);

  // Entries held now (for tests).
  size_t size() const;

 private:
  // Looks serials up without making a std::string of each.
  struct SerialHash {
    using is_transparent = void;
    size_t operator()(std::string_view s) const { return std::hash<std::string_view>{}(s); }
  };

  Result<std::shared_ptr<const HolderRecords>> Get(std::string_view serial, bool with_person);
  // Empties the cache if its entries were read under another number. Needs mutex_ held.
  void DropOlderThan(uint64_t version);

  server::storage::Store& store_;
  const size_t capacity_;
  mutable std::mutex mutex_;
  // By serial; every entry was read under `entries_version_`. Both guarded by mutex_.
  std::unordered_map<std::string, std::shared_ptr<const HolderRecords>, SerialHash,
                     std::equal_to<>>
      entries_;
  uint64_t entries_version_ = 0;
};

}  // namespace tillit::service::internal
