// HolderCache: the login path's credential and holder reads, kept while no write to persons
// or credentials has ended since, and never kept past one.
#include "../../../server/service/src/holder_cache.h"

#include <doctest/doctest.h>

#include <atomic>
#include <thread>
#include <vector>

#include "../storage/fixtures.h"

namespace tillit::service::internal {
namespace {

using namespace server::storage;
using namespace server::storage::testing;

struct Fixture {
  Fixture() {
    store = Open(dir);
    SeedBasics(*store);
    person = SeedPerson(*store);
    credential = MakeCredential(person, 1, 1700000000);
    REQUIRE_OK(Write(*store, [&](Transaction& tx) {
      return store->credentials().Insert(tx, credential);
    }));
  }

  template <typename F>
  static Status Write(Store& on, F&& fn) {
    return on.Write(Durability::kDurable, std::forward<F>(fn));
  }

  // Suspends credential 1 through `on`.
  void Suspend(Store& on) {
    REQUIRE_OK(Write(on, [&](Transaction& tx) {
      return on.credentials().SetStatus(tx, credential.serial, CredentialStatus::kSuspended,
                                        "test", 1700000100);
    }));
  }

  TempDir dir;
  std::unique_ptr<Store> store;
  PersonRow person;
  CredentialRow credential;
};

TEST_CASE_FIXTURE(Fixture, "a credential is read once and kept until its own store writes") {
  HolderCache cache(*store, 100);
  auto first = cache.Credential(credential.serial);
  REQUIRE_OK(first);
  CHECK((*first)->credential.serial == credential.serial);
  CHECK((*first)->credential.status == CredentialStatus::kGood);
  CHECK_FALSE((*first)->person.has_value());
  CHECK(cache.size() == 1);

  // A write the cache cannot see (another store: in the issuer, another process, which
  // serve.lock keeps out) shows that the second answer came from memory.
  auto other = Open(dir);
  Suspend(*other);
  auto second = cache.Credential(credential.serial);
  REQUIRE_OK(second);
  CHECK(second->get() == first->get());
  CHECK((*second)->credential.status == CredentialStatus::kGood);

  // A write through its own store that touches neither table keeps the entry...
  REQUIRE_OK(Write(*store, [&](Transaction& tx) {
    return store->enrolments().Insert(tx, MakeEnrolment("E2"));
  }));
  auto third = cache.Credential(credential.serial);
  REQUIRE_OK(third);
  CHECK(third->get() == first->get());

  // ...and one that does is seen by the very next read: here, a person's row changing.
  REQUIRE_OK(Write(*store, [&](Transaction& tx) {
    return store->persons().SetAssuranceLevel(tx, person.identifier, 2);
  }));
  auto fourth = cache.Credential(credential.serial);
  REQUIRE_OK(fourth);
  CHECK((*fourth)->credential.status == CredentialStatus::kSuspended);
}

TEST_CASE_FIXTURE(Fixture, "a suspension through the same store is seen at once") {
  HolderCache cache(*store, 100);
  REQUIRE_OK(cache.CredentialAndPerson(credential.serial));
  Suspend(*store);
  auto after = cache.CredentialAndPerson(credential.serial);
  REQUIRE_OK(after);
  CHECK((*after)->credential.status == CredentialStatus::kSuspended);
  REQUIRE((*after)->person.has_value());
  CHECK((*after)->person->identifier == person.identifier);
}

TEST_CASE_FIXTURE(Fixture, "the person is read with the credential when first asked for") {
  HolderCache cache(*store, 100);
  auto credential_only = cache.Credential(credential.serial);
  REQUIRE_OK(credential_only);
  CHECK_FALSE((*credential_only)->person.has_value());
  auto with_person = cache.CredentialAndPerson(credential.serial);
  REQUIRE_OK(with_person);
  REQUIRE((*with_person)->person.has_value());
  CHECK((*with_person)->person->identifier == person.identifier);
  CHECK((*with_person)->person->documents.empty());  // the row only (GetWithoutDetails)
  // Kept with the person now, for both kinds of question.
  auto again = cache.Credential(credential.serial);
  REQUIRE_OK(again);
  CHECK(again->get() == with_person->get());
}

TEST_CASE_FIXTURE(Fixture, "failures are not kept") {
  HolderCache cache(*store, 100);
  CredentialRow later = MakeCredential(person, 2, 1700000000);
  CHECK(ErrorCode(cache.Credential(later.serial)) == "notFound");
  CHECK(cache.size() == 0);
  REQUIRE_OK(Write(*store, [&](Transaction& tx) {
    return store->credentials().Insert(tx, later);
  }));
  auto found = cache.Credential(later.serial);
  REQUIRE_OK(found);
  CHECK((*found)->credential.serial == later.serial);
}

TEST_CASE_FIXTURE(Fixture, "a full cache starts over") {
  HolderCache cache(*store, 2);
  std::vector<CredentialRow> rows;
  for (uint8_t n = 2; n <= 4; ++n) {
    rows.push_back(MakeCredential(person, n, 1700000000));
    REQUIRE_OK(Write(*store, [&](Transaction& tx) {
      return store->credentials().Insert(tx, rows.back());
    }));
  }
  for (const auto& row : rows) {
    REQUIRE_OK(cache.Credential(row.serial));
    CHECK(cache.size() <= 2);
  }
  CHECK(cache.size() == 1);
}

TEST_CASE_FIXTURE(Fixture, "readers racing a suspension never see it undone") {
  HolderCache cache(*store, 100);
  std::atomic<bool> suspended{false};
  std::atomic<int> stale_after{0};
  std::atomic<int> failures{0};
  std::vector<std::thread> readers;
  for (int t = 0; t < 4; ++t) {
    readers.emplace_back([&] {
      for (int i = 0; i < 400; ++i) {
        // Loaded before the read: if the suspension had returned by then, the read must
        // show it.
        const bool was_suspended = suspended.load();
        auto read = cache.Credential(credential.serial);
        if (!read.ok()) {
          ++failures;
          continue;
        }
        if (was_suspended && (*read)->credential.status != CredentialStatus::kSuspended) {
          ++stale_after;
        }
      }
    });
  }
  std::this_thread::sleep_for(std::chrono::milliseconds(2));
  Suspend(*store);
  suspended = true;
  for (auto& t : readers) t.join();
  CHECK(failures.load() == 0);
  CHECK(stale_after.load() == 0);
  auto last = cache.Credential(credential.serial);
  REQUIRE_OK(last);
  CHECK((*last)->credential.status == CredentialStatus::kSuspended);
}

}  // namespace
}  // namespace tillit::service::internal
