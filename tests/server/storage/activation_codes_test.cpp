// Activation codes: round trip, failed-attempt counting, nonces, and single use under
// concurrency (threads of one store, and two stores on one file).
#include <atomic>
#include <thread>

#include "fixtures.h"

namespace tillit::server::storage {
namespace {

using namespace testing;

ActivationCodeRow MakeCode(const std::string& handle, const PersonRow& person) {
  return {.handle = handle,
          .secret_hash = Bytes(32, 0xAC),
          .identifier = person.identifier,
          .enrolment_id = "E1",
          .created_at = 1700000000,
          .expires_at = 1700086400};
}

TEST_CASE("an activation code round-trips; attempts count up atomically") {
  TempDir dir;
  auto store = Open(dir);
  SeedBasics(*store);
  PersonRow person = SeedPerson(*store);
  ActivationCodeRow code = MakeCode("H1", person);
  code.enrolment_id = std::nullopt;  // e.g. a replacement phone, no enrolment
  REQUIRE_OK(store->Write(Durability::kDurable, [&](Transaction& tx) {
    return store->activation_codes().Insert(tx, code);
  }));
  auto found = store->Read(
      [&](ReadTransaction& tx) { return store->activation_codes().FindByHandle(tx, "H1"); });
  REQUIRE_OK(found);
  REQUIRE(found->has_value());
  CHECK(**found == code);
  auto missing = store->Read(
      [&](ReadTransaction& tx) { return store->activation_codes().FindByHandle(tx, "nope"); });
  REQUIRE_OK(missing);
  CHECK_FALSE(missing->has_value());

  for (int64_t expected = 1; expected <= 3; ++expected) {
    auto attempts = store->Write(Durability::kDurable, [&](Transaction& tx) {
      return store->activation_codes().RecordFailedAttempt(tx, "H1");
    });
    REQUIRE_OK(attempts);
    CHECK(*attempts == expected);
  }
  auto unknown = store->Write(Durability::kDurable, [&](Transaction& tx) {
    return store->activation_codes().RecordFailedAttempt(tx, "nope");
  });
  CHECK(ErrorCode(unknown) == "notFound");
  auto duplicate = store->Write(Durability::kDurable, [&](Transaction& tx) {
    return store->activation_codes().Insert(tx, code);
  });
  CHECK(ErrorCode(duplicate) == "conflict");
}

TEST_CASE("nonces are set on unused codes and cleared when the code is used") {
  TempDir dir;
  auto store = Open(dir);
  SeedBasics(*store);
  PersonRow person = SeedPerson(*store);
  auto write = [&](auto fn) { return store->Write(Durability::kDurable, fn); };
  REQUIRE_OK(write([&](Transaction& tx) {
    return store->activation_codes().Insert(tx, MakeCode("H1", person));
  }));
  const Bytes nonce(32, 0x5A);
  REQUIRE_OK(write([&](Transaction& tx) {
    return store->activation_codes().SetNonce(tx, "H1", nonce, 1700000060);
  }));
  auto with_nonce = store->Read(
      [&](ReadTransaction& tx) { return store->activation_codes().FindByHandle(tx, "H1"); });
  REQUIRE_OK(with_nonce);
  CHECK((*with_nonce)->nonce == nonce);
  CHECK((*with_nonce)->nonce_expires_at == 1700000060);

  auto used = write(
      [&](Transaction& tx) { return store->activation_codes().MarkUsed(tx, "H1", 1700000030); });
  REQUIRE_OK(used);
  CHECK(*used);
  auto after = store->Read(
      [&](ReadTransaction& tx) { return store->activation_codes().FindByHandle(tx, "H1"); });
  REQUIRE_OK(after);
  CHECK((*after)->used_at == 1700000030);
  CHECK_FALSE((*after)->nonce.has_value());
  CHECK_FALSE((*after)->nonce_expires_at.has_value());

  CHECK(ErrorCode(write([&](Transaction& tx) {
          return store->activation_codes().SetNonce(tx, "H1", nonce, 1700000090);
        })) == "conflict");
  CHECK(ErrorCode(write([&](Transaction& tx) {
          return store->activation_codes().SetNonce(tx, "nope", nonce, 1700000090);
        })) == "notFound");
  auto again = write(
      [&](Transaction& tx) { return store->activation_codes().MarkUsed(tx, "H1", 1700000040); });
  REQUIRE_OK(again);
  CHECK_FALSE(*again);
  CHECK(ErrorCode(write([&](Transaction& tx) {
          return store->activation_codes().MarkUsed(tx, "nope", 1);
        })) == "notFound");
}

TEST_CASE("a code must belong to an existing person; a nonce needs its expiry") {
  TempDir dir;
  auto store = Open(dir);
  SeedBasics(*store);
  PersonRow person = SeedPerson(*store);
  ActivationCodeRow orphan = MakeCode("H1", person);
  orphan.identifier = TestIdentifier(99);
  auto fk = store->Write(Durability::kDurable, [&](Transaction& tx) {
    return store->activation_codes().Insert(tx, orphan);
  });
  CHECK(ErrorCode(fk) == "internalError");
  ActivationCodeRow half_nonce = MakeCode("H2", person);
  half_nonce.nonce = Bytes(32, 1);
  auto check = store->Write(Durability::kDurable, [&](Transaction& tx) {
    return store->activation_codes().Insert(tx, half_nonce);
  });
  CHECK(ErrorCode(check) == "internalError");
}

TEST_CASE("of 8 threads using one code at once, exactly one wins") {
  TempDir dir;
  auto store = Open(dir);
  SeedBasics(*store);
  PersonRow person = SeedPerson(*store);
  for (int round = 0; round < 5; ++round) {
    const std::string handle = "H" + std::to_string(round);
    REQUIRE_OK(store->Write(Durability::kDurable, [&](Transaction& tx) {
      return store->activation_codes().Insert(tx, MakeCode(handle, person));
    }));
    std::atomic<int> wins{0};
    std::atomic<int> losses{0};
    std::atomic<int> errors{0};
    std::vector<std::thread> threads;
    for (int t = 0; t < 8; ++t) {
      threads.emplace_back([&, t] {
        auto used = store->Write(Durability::kDurable, [&](Transaction& tx) {
          return store->activation_codes().MarkUsed(tx, handle, 1700000000 + t);
        });
        if (!used.ok()) {
          ++errors;
        } else if (*used) {
          ++wins;
        } else {
          ++losses;
        }
      });
    }
    for (auto& thread : threads) thread.join();
    CHECK(wins.load() == 1);
    CHECK(losses.load() == 7);
    CHECK(errors.load() == 0);
  }
}

TEST_CASE("two stores (as two processes would) using one code: exactly one wins") {
  TempDir dir;
  auto first = Open(dir);
  SeedBasics(*first);
  PersonRow person = SeedPerson(*first);
  REQUIRE_OK(first->Write(Durability::kDurable, [&](Transaction& tx) {
    return first->activation_codes().Insert(tx, MakeCode("H1", person));
  }));
  auto second = Open(dir);
  std::atomic<int> wins{0};
  std::atomic<int> errors{0};
  std::vector<std::thread> threads;
  for (int t = 0; t < 8; ++t) {
    Store& store = t % 2 == 0 ? *first : *second;
    threads.emplace_back([&, t] {
      auto used = store.Write(Durability::kDurable, [&](Transaction& tx) {
        return store.activation_codes().MarkUsed(tx, "H1", 1700000000 + t);
      });
      if (!used.ok()) {
        ++errors;
      } else if (*used) {
        ++wins;
      }
    });
  }
  for (auto& thread : threads) thread.join();
  CHECK(wins.load() == 1);
  CHECK(errors.load() == 0);
}

}  // namespace
}  // namespace tillit::server::storage
