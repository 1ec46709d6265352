// One issuer data directory (keys, SQLite store, services) at the fuzz targets' fixed clock,
// for offline_desk_fuzz and fuzz_seed_gen: the central issuer or an offline desk of
// docs/offline-desk.md. Set-up failures abort. Not thread-safe.
#pragma once

#include <cstdio>
#include <cstdlib>
#include <memory>
#include <string>
#include <utility>

#include "tillit/ports.h"
#include "tillit/service/accounts.h"
#include "tillit/service/enrolment_service.h"
#include "tillit/service/issuer_keys.h"
#include "tillit/service/lease_service.h"
#include "tillit/storage/sqlite_store.h"

namespace tillit::fuzz {

template <typename T>
T MustOk(Result<T> result, const char* what) {
  if (!result.ok()) {
    std::fprintf(stderr, "fuzz: %s: %s: %s\n", what, result.error().code.c_str(),
                 result.error().message.c_str());
    std::abort();
  }
  return std::move(*result);
}

struct FuzzNode {
  static constexpr int64_t kNow = 1748772000;  // 2025-06-01T10:00:00Z

  explicit FuzzNode(const std::string& data_dir) : clock(kNow) {
    keys = std::make_unique<service::IssuerKeys>(
        MustOk(service::IssuerKeys::LoadOrCreate(data_dir, clock), "issuer keys"));
    store = MustOk(server::storage::OpenSqliteStore({.path = service::DatabasePath(data_dir)}),
                   "store");
    accounts = std::make_unique<service::AccountService>(*store, clock, *keys);
    enrolments = std::make_unique<service::EnrolmentService>(*store, clock, *keys);
    leases = std::make_unique<service::LeaseService>(*store, clock, *keys);
  }
  ~FuzzNode() {
    leases.reset();
    enrolments.reset();
    accounts.reset();
    store.reset();
  }

  FixedClock clock;
  std::unique_ptr<service::IssuerKeys> keys;
  std::unique_ptr<server::storage::Store> store;
  std::unique_ptr<service::AccountService> accounts;
  std::unique_ptr<service::EnrolmentService> enrolments;
  std::unique_ptr<service::LeaseService> leases;
};

}  // namespace tillit::fuzz
