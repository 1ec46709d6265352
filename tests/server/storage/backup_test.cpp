// Store::Backup (tillit/storage/store.h; docs/operations.md §6): the copy opens as a store
// with the same rows, it is taken while another thread writes, progress is reported, and
// an existing target (or a leftover temporary file) is never overwritten.
#include <doctest/doctest.h>
#include <sys/stat.h>

#include <atomic>
#include <fstream>
#include <thread>

#include "fixtures.h"

namespace tillit::server::storage::testing {
namespace {

AuditHead HeadOf(Store& store) {
  auto head = store.Read([&](ReadTransaction& tx) { return store.audit().Head(tx); });
  REQUIRE_OK(head);
  return *head;
}

Status AppendSome(Store& store, int n) {
  return store.Write(Durability::kDurable, [&](Transaction& tx) -> Status {
    for (int i = 0; i < n; ++i) {
      auto appended = store.audit().Append(tx, {.at = 1700000000 + i, .actor = "system",
                                                .action = "test", .subject = std::string(1000, 'x'),
                                                .detail_json = "{}"});
      if (!appended.ok()) return std::move(appended).error();
    }
    return {};
  });
}

TEST_CASE("a backup is a consistent copy taken while another thread writes") {
  TempDir dir;
  auto store = Open(dir);
  SeedBasics(*store);
  for (int i = 0; i < 20; ++i) REQUIRE_OK(AppendSome(*store, 100));  // ~2 MB: several steps of 256 pages

  std::atomic<bool> stop{false};
  std::atomic<int> writes{0};
  std::thread writer([&] {
    while (!stop.load()) {
      if (AppendSome(*store, 5).ok()) ++writes;
    }
  });
  const std::string target = (dir.path() / "copy.db").string();
  uint64_t calls = 0, last_copied = 0, total = 0;
  Status done = store->Backup(target, [&](const BackupProgress& p) {
    ++calls;
    CHECK(p.copied_pages >= last_copied);
    CHECK(p.copied_pages <= p.total_pages);
    last_copied = p.copied_pages;
    total = p.total_pages;
  });
  stop = true;
  writer.join();
  REQUIRE_OK(done);
  CHECK(calls >= 2);
  CHECK(last_copied == total);
  struct stat st {};
  CHECK(::stat((target + ".tmp").c_str(), &st) != 0);  // renamed away

  // The copy opens, its chain verifies from seq 1 to its head, and the officers are there.
  auto copy = Open(dir, {.path = target});
  const AuditHead copied = HeadOf(*copy);
  CHECK(copied.seq >= 2000);
  CHECK(copied.seq <= HeadOf(*store).seq);
  auto records = copy->Read([&](ReadTransaction& tx) { return copy->audit().ReadRange(tx, 1, 10000); });
  REQUIRE_OK(records);
  CHECK(records->size() == copied.seq);
  CHECK(VerifyAuditChain(*records, crypto::Sha256Digest{}).ok());
  auto anna = copy->Read([&](ReadTransaction& tx) { return copy->officers().FindById(tx, "anna"); });
  REQUIRE_OK(anna);
  CHECK(anna->has_value());
}

TEST_CASE("a backup never overwrites a file") {
  TempDir dir;
  auto store = Open(dir);
  SeedBasics(*store);
  const std::string target = (dir.path() / "copy.db").string();
  { std::ofstream(target) << "precious"; }
  CHECK(ErrorCode(store->Backup(target, {})) == "alreadyExists");
  std::ifstream in(target);
  std::string text;
  std::getline(in, text);
  CHECK(text == "precious");

  // A temporary file left by an interrupted backup is reported, not reused or removed.
  const std::string other = (dir.path() / "other.db").string();
  { std::ofstream(other + ".tmp") << "half"; }
  CHECK(ErrorCode(store->Backup(other, {})) == "alreadyExists");
  struct stat st {};
  CHECK(::stat(other.c_str(), &st) != 0);
  CHECK(::stat((other + ".tmp").c_str(), &st) == 0);

  // A directory that does not exist: storageUnavailable, nothing left behind.
  CHECK(ErrorCode(store->Backup((dir.path() / "no" / "such.db").string(), {})) ==
        "storageUnavailable");
}

}  // namespace
}  // namespace tillit::server::storage::testing
