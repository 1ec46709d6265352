// The central counter: contiguous blocks, rollback gives values back, bad arguments, and
// 8 threads x 500 allocations yielding 4000 distinct values.
#include <algorithm>
#include <set>
#include <thread>

#include "fixtures.h"

namespace tillit::server::storage {
namespace {

using namespace testing;

Result<uint64_t> AllocateOne(Store& store, uint64_t count, Durability durability) {
  return store.Write(durability, [&](Transaction& tx) {
    return store.counters().Allocate(tx, kIdentifierSerialCounter, count);
  });
}

TEST_CASE("the identifier serial counter starts at 0 and hands out contiguous blocks") {
  TempDir dir;
  auto store = Open(dir);
  auto first = AllocateOne(*store, 1, Durability::kDurable);
  REQUIRE_OK(first);
  CHECK(*first == 0);
  auto block = AllocateOne(*store, 100, Durability::kDurable);  // a desk lease
  REQUIRE_OK(block);
  CHECK(*block == 1);
  auto next = AllocateOne(*store, 1, Durability::kDurable);
  REQUIRE_OK(next);
  CHECK(*next == 101);
  auto peek = store->Read(
      [&](ReadTransaction& tx) { return store->counters().Peek(tx, kIdentifierSerialCounter); });
  REQUIRE_OK(peek);
  CHECK(*peek == 102);
}

TEST_CASE("an allocation rolled back with its transaction is handed out again") {
  TempDir dir;
  auto store = Open(dir);
  {
    auto tx = store->Begin(Durability::kDurable);
    REQUIRE_OK(tx);
    auto value = store->counters().Allocate(*tx, kIdentifierSerialCounter);
    REQUIRE_OK(value);
    CHECK(*value == 0);
  }  // not committed
  auto again = AllocateOne(*store, 1, Durability::kDurable);
  REQUIRE_OK(again);
  CHECK(*again == 0);
}

TEST_CASE("bad allocations are refused") {
  TempDir dir;
  auto store = Open(dir);
  CHECK(ErrorCode(AllocateOne(*store, 0, Durability::kDurable)) == "invalidParameters");
  CHECK(ErrorCode(AllocateOne(*store, (uint64_t{1} << 62) + 1, Durability::kDurable)) ==
        "invalidParameters");
  auto unknown = store->Write(Durability::kDurable, [&](Transaction& tx) {
    return store->counters().Allocate(tx, "no_such_counter");
  });
  CHECK(ErrorCode(unknown) == "notFound");
  auto unknown_peek = store->Read(
      [&](ReadTransaction& tx) { return store->counters().Peek(tx, "no_such_counter"); });
  CHECK(ErrorCode(unknown_peek) == "notFound");
  // The counter may reach 2^63 - 1 but never pass it (SQLite would turn an overflowing
  // integer into a float).
  REQUIRE_OK(AllocateOne(*store, uint64_t{1} << 62, Durability::kDurable));
  auto last = AllocateOne(*store, (uint64_t{1} << 62) - 1, Durability::kDurable);
  REQUIRE_OK(last);
  CHECK(*last == uint64_t{1} << 62);
  CHECK(ErrorCode(AllocateOne(*store, 1, Durability::kDurable)) == "counterExhausted");
  auto peek = store->Read(
      [&](ReadTransaction& tx) { return store->counters().Peek(tx, kIdentifierSerialCounter); });
  REQUIRE_OK(peek);
  CHECK(*peek == uint64_t{INT64_MAX});
}

TEST_CASE("8 threads x 500 allocations give 4000 distinct values") {
  TempDir dir;
  auto store = Open(dir);
  constexpr int kThreads = 8;
  constexpr int kPerThread = 500;
  std::vector<std::vector<uint64_t>> values(kThreads);
  std::vector<std::string> errors(kThreads);
  std::vector<std::thread> threads;
  for (int t = 0; t < kThreads; ++t) {
    threads.emplace_back([&, t] {
      // Alternate durability levels: both paths share the one writer.
      for (int i = 0; i < kPerThread; ++i) {
        auto value = AllocateOne(*store, 1, i % 2 == 0 ? Durability::kFast : Durability::kDurable);
        if (!value.ok()) {
          errors[t] = value.error().code + ": " + value.error().message;
          return;
        }
        values[t].push_back(*value);
      }
    });
  }
  for (auto& thread : threads) thread.join();
  std::set<uint64_t> all;
  for (int t = 0; t < kThreads; ++t) {
    CHECK(errors[t].empty());
    // Within one thread, later allocations get larger values.
    CHECK(std::is_sorted(values[t].begin(), values[t].end()));
    all.insert(values[t].begin(), values[t].end());
  }
  CHECK(all.size() == kThreads * kPerThread);
  CHECK(*all.begin() == 0);
  CHECK(*all.rbegin() == kThreads * kPerThread - 1);  // no gaps either
}

}  // namespace
}  // namespace tillit::server::storage
