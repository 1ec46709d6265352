// The SQLite store itself: migrations, PRAGMAs, transactions (commit, rollback on
// destruction, doomed after a failed statement), durability levels, writer serialisation
// and the reader pool, error mapping.
#include <atomic>
#include <chrono>
#include <filesystem>
#include <fstream>
#include <thread>

#include "fixtures.h"

namespace tillit::server::storage {
namespace {

using namespace testing;

Result<int64_t> PragmaInt(ReadTransaction& tx, std::string_view pragma) {
  TILLIT_TRY_ASSIGN(auto statement, Raw(tx).Prepare(pragma));
  TILLIT_TRY_ASSIGN(const bool row, statement.Step());
  if (!row) return MakeError("internalError", "no row");
  return statement.ColumnInt64(0);
}

Result<std::string> PragmaText(ReadTransaction& tx, std::string_view pragma) {
  TILLIT_TRY_ASSIGN(auto statement, Raw(tx).Prepare(pragma));
  TILLIT_TRY_ASSIGN(const bool row, statement.Step());
  if (!row) return MakeError("internalError", "no row");
  return statement.ColumnText(0);
}

Result<int64_t> CountRows(ReadTransaction& tx, std::string_view sql) { return PragmaInt(tx, sql); }

TEST_CASE("a fresh database is migrated to the latest version, and reopening changes nothing") {
  TempDir dir;
  FixedClock clock(1700000000);
  {
    auto store = Open(dir, {.clock = &clock});
    CHECK(store->schema_version() == SqliteSchemaVersion());
    CHECK(SqliteSchemaVersion() == 6);
    auto tx = store->BeginRead();
    REQUIRE_OK(tx);
    auto applied = CountRows(*tx, "SELECT applied_at FROM schema_migrations WHERE version = 1");
    REQUIRE_OK(applied);
    CHECK(*applied == 1700000000);
    SeedBasics(*store);
  }
  clock.Set(1800000000);
  auto store = Open(dir, {.clock = &clock});
  CHECK(store->schema_version() == SqliteSchemaVersion());
  auto tx = store->BeginRead();
  REQUIRE_OK(tx);
  auto migrations = CountRows(*tx, "SELECT COUNT(*) FROM schema_migrations");
  REQUIRE_OK(migrations);
  CHECK(*migrations == SqliteSchemaVersion());
  auto applied = CountRows(*tx, "SELECT applied_at FROM schema_migrations WHERE version = 1");
  REQUIRE_OK(applied);
  CHECK(*applied == 1700000000);  // not re-applied
  auto counters = CountRows(*tx, "SELECT COUNT(*) FROM counters");
  REQUIRE_OK(counters);
  CHECK(*counters == 1);  // the seed row is not inserted twice
  auto officers = store->officers().List(*tx);
  REQUIRE_OK(officers);
  CHECK(officers->size() == 2);  // data survives reopening
}

TEST_CASE("a database written by a newer version is refused and left alone") {
  TempDir dir;
  {
    auto store = Open(dir);
    REQUIRE_OK(store->Write(Durability::kDurable, [](Transaction& tx) -> Status {
      TILLIT_TRY_ASSIGN(
          auto insert,
          Raw(tx).Prepare("INSERT INTO schema_migrations (version, applied_at) VALUES (1000, 0)"));
      TILLIT_TRY(insert.Run());
      return {};
    }));
  }
  auto reopened = OpenSqliteStore({.path = dir.db()});
  CHECK(ErrorCode(reopened) == "unsupportedSchema");
  // Refusing did not touch the file: the newer version is still recorded.
  auto again = OpenSqliteStore({.path = dir.db()});
  CHECK(ErrorCode(again) == "unsupportedSchema");
}

TEST_CASE("connections run in WAL mode with foreign keys on; readers are query-only") {
  TempDir dir;
  auto store = Open(dir);
  {
    auto tx = store->Begin(Durability::kDurable);
    REQUIRE_OK(tx);
    auto mode = PragmaText(*tx, "PRAGMA journal_mode");
    REQUIRE_OK(mode);
    CHECK(*mode == "wal");
    auto fk = PragmaInt(*tx, "PRAGMA foreign_keys");
    REQUIRE_OK(fk);
    CHECK(*fk == 1);
    auto query_only = PragmaInt(*tx, "PRAGMA query_only");
    REQUIRE_OK(query_only);
    CHECK(*query_only == 0);
    auto timeout = PragmaInt(*tx, "PRAGMA busy_timeout");
    REQUIRE_OK(timeout);
    CHECK(*timeout == 5000);
  }
  auto read = store->BeginRead();
  REQUIRE_OK(read);
  auto mode = PragmaText(*read, "PRAGMA journal_mode");
  REQUIRE_OK(mode);
  CHECK(*mode == "wal");
  auto fk = PragmaInt(*read, "PRAGMA foreign_keys");
  REQUIRE_OK(fk);
  CHECK(*fk == 1);
  auto query_only = PragmaInt(*read, "PRAGMA query_only");
  REQUIRE_OK(query_only);
  CHECK(*query_only == 1);
  // A write through a reader connection fails instead of bypassing the writer.
  auto insert = Raw(*read).Prepare("INSERT INTO counters (name, next_value) VALUES ('x', 0)");
  REQUIRE_OK(insert);
  CHECK_FALSE(insert->Run().ok());
}

TEST_CASE("durable transactions sync fully, fast ones normally") {
  TempDir dir;
  auto store = Open(dir);
  for (int round = 0; round < 2; ++round) {  // switching back and forth works
    {
      auto tx = store->Begin(Durability::kFast);
      REQUIRE_OK(tx);
      auto level = PragmaInt(*tx, "PRAGMA synchronous");
      REQUIRE_OK(level);
      CHECK(*level == 1);  // NORMAL
    }
    auto tx = store->Begin(Durability::kDurable);
    REQUIRE_OK(tx);
    auto level = PragmaInt(*tx, "PRAGMA synchronous");
    REQUIRE_OK(level);
    CHECK(*level == 2);  // FULL
  }
}

TEST_CASE("a transaction destroyed without commit rolls back") {
  TempDir dir;
  auto store = Open(dir);
  {
    auto tx = store->Begin(Durability::kDurable);
    REQUIRE_OK(tx);
    REQUIRE_OK(store->officers().Insert(*tx, MakeOfficer("anna", 1)));
    auto seen = store->officers().FindById(*tx, "anna");  // reads its own write
    REQUIRE_OK(seen);
    CHECK(seen->has_value());
  }
  {
    auto tx = store->Begin(Durability::kDurable);
    REQUIRE_OK(tx);
    REQUIRE_OK(store->officers().Insert(*tx, MakeOfficer("bertil", 2)));
    tx->Rollback();
    CHECK_FALSE(tx->active());
  }
  auto read = store->BeginRead();
  REQUIRE_OK(read);
  auto officers = store->officers().List(*read);
  REQUIRE_OK(officers);
  CHECK(officers->empty());
}

TEST_CASE("a committed transaction is visible to new snapshots, not to older ones") {
  TempDir dir;
  auto store = Open(dir);
  auto before = store->BeginRead();
  REQUIRE_OK(before);
  auto empty = store->officers().List(*before);  // the first read starts the snapshot
  REQUIRE_OK(empty);
  CHECK(empty->empty());

  auto tx = store->Begin(Durability::kDurable);
  REQUIRE_OK(tx);
  REQUIRE_OK(store->officers().Insert(*tx, MakeOfficer("anna", 1)));
  // WAL: readers are not blocked by an open writer and do not see uncommitted rows.
  {
    auto during = store->BeginRead();
    REQUIRE_OK(during);
    auto none = store->officers().FindById(*during, "anna");
    REQUIRE_OK(none);
    CHECK_FALSE(none->has_value());
  }
  REQUIRE_OK(tx->Commit());
  CHECK_FALSE(tx->active());

  auto still = store->officers().List(*before);
  REQUIRE_OK(still);
  CHECK(still->empty());
  auto after = store->Read([&](ReadTransaction& read) { return store->officers().List(read); });
  REQUIRE_OK(after);
  CHECK(after->size() == 1);
}

TEST_CASE("after a failed statement the transaction is doomed and commits nothing") {
  TempDir dir;
  auto store = Open(dir);
  auto tx = store->Begin(Durability::kDurable);
  REQUIRE_OK(tx);
  REQUIRE_OK(store->officers().Insert(*tx, MakeOfficer("anna", 1)));
  auto duplicate = store->officers().Insert(*tx, MakeOfficer("anna", 9));
  CHECK(ErrorCode(duplicate) == "conflict");
  // Ignoring the error does not let the caller commit the first insert alone.
  auto later = store->officers().Insert(*tx, MakeOfficer("bertil", 2));
  CHECK(ErrorCode(later) == "conflict");
  auto committed = tx->Commit();
  CHECK(ErrorCode(committed) == "conflict");
  auto officers = store->Read([&](ReadTransaction& read) { return store->officers().List(read); });
  REQUIRE_OK(officers);
  CHECK(officers->empty());
}

TEST_CASE("Write commits on success and keeps nothing on failure") {
  TempDir dir;
  auto store = Open(dir);
  auto value = store->Write(Durability::kDurable, [&](Transaction& tx) -> Result<int> {
    TILLIT_TRY(store->officers().Insert(tx, MakeOfficer("anna", 1)));
    return 42;
  });
  REQUIRE_OK(value);
  CHECK(*value == 42);
  auto failed = store->Write(Durability::kDurable, [&](Transaction& tx) -> Status {
    TILLIT_TRY(store->officers().Insert(tx, MakeOfficer("bertil", 2)));
    return MakeError("invalidParameters", "the use case changed its mind");
  });
  CHECK(ErrorCode(failed) == "invalidParameters");
  auto officers = store->Read([&](ReadTransaction& read) { return store->officers().List(read); });
  REQUIRE_OK(officers);
  REQUIRE(officers->size() == 1);
  CHECK((*officers)[0].id == "anna");
}

TEST_CASE("writers take turns; one held past the busy timeout makes others fail cleanly") {
  TempDir dir;
  auto store = Open(dir, {.busy_timeout = std::chrono::milliseconds(200)});
  auto held = store->Begin(Durability::kFast);
  REQUIRE_OK(held);
  std::string code;
  std::thread other([&] {
    auto tx = store->Begin(Durability::kFast);
    code = tx.ok() ? "ok" : tx.error().code;
  });
  other.join();
  CHECK(code == "storageUnavailable");

  // Released: the next writer proceeds, on any thread.
  std::atomic<bool> began{false};
  std::thread waiter([&] {
    auto tx = store->Begin(Durability::kFast);
    began = tx.ok();
  });
  std::this_thread::sleep_for(std::chrono::milliseconds(20));
  held->Rollback();
  waiter.join();
  CHECK(began.load());
}

TEST_CASE("two stores on one file serialise their writers through SQLite's lock") {
  TempDir dir;
  auto first = Open(dir, {.busy_timeout = std::chrono::milliseconds(200)});
  auto second = Open(dir, {.busy_timeout = std::chrono::milliseconds(200)});
  auto held = first->Begin(Durability::kDurable);
  REQUIRE_OK(held);
  auto blocked = second->Begin(Durability::kDurable);  // BEGIN IMMEDIATE waits, then gives up
  CHECK(ErrorCode(blocked) == "storageUnavailable");
  REQUIRE_OK(first->officers().Insert(*held, MakeOfficer("anna", 1)));
  REQUIRE_OK(held->Commit());
  auto seen = second->Read(
      [&](ReadTransaction& read) { return second->officers().FindById(read, "anna"); });
  REQUIRE_OK(seen);
  CHECK(seen->has_value());
}

TEST_CASE("the reader pool is bounded and waits up to the busy timeout") {
  TempDir dir;
  auto store = Open(dir, {.busy_timeout = std::chrono::milliseconds(100), .max_readers = 2});
  auto a = store->BeginRead();
  auto b = store->BeginRead();
  REQUIRE_OK(a);
  REQUIRE_OK(b);
  CHECK(ErrorCode(store->BeginRead()) == "storageUnavailable");
  { ReadTransaction released = std::move(*a); }  // ends the snapshot, frees its connection
  CHECK_FALSE(a->active());
  auto c = store->BeginRead();
  REQUIRE_OK(c);
  // Move-assigning ends the snapshot held by the target first.
  *b = std::move(*c);
  CHECK(b->active());
  CHECK_FALSE(c->active());
  auto d = store->BeginRead();
  REQUIRE_OK(d);
}

TEST_CASE("many threads read and write at once") {
  TempDir dir;
  auto store = Open(dir, {.max_readers = 4});
  SeedBasics(*store);
  std::atomic<int> failures{0};
  std::vector<std::thread> threads;
  for (int t = 0; t < 8; ++t) {
    threads.emplace_back([&, t] {
      for (int i = 0; i < 50; ++i) {
        if (t % 2 == 0) {
          auto ok = store->Write(Durability::kFast, [&](Transaction& tx) -> Status {
            AuditEntry entry{.at = i, .actor = "t" + std::to_string(t), .action = "test"};
            TILLIT_TRY(store->audit().Append(tx, entry));
            return {};
          });
          if (!ok.ok()) ++failures;
        } else {
          auto head = store->Read([&](ReadTransaction& tx) { return store->audit().Head(tx); });
          if (!head.ok()) ++failures;
        }
      }
    });
  }
  for (auto& thread : threads) thread.join();
  CHECK(failures.load() == 0);
  auto head = store->Read([&](ReadTransaction& tx) { return store->audit().Head(tx); });
  REQUIRE_OK(head);
  CHECK(head->seq == 200);
}

TEST_CASE("opening fails cleanly") {
  TempDir dir;
  SUBCASE("a directory that does not exist") {
    auto store = OpenSqliteStore({.path = (dir.path() / "missing" / "x.db").string()});
    CHECK(ErrorCode(store) == "storageUnavailable");
  }
  SUBCASE("a file that is not a database") {
    std::ofstream(dir.db()) << std::string(4096, 'x');
    auto store = OpenSqliteStore({.path = dir.db()});
    CHECK(ErrorCode(store) == "internalError");
  }
  SUBCASE("an empty path") { CHECK(ErrorCode(OpenSqliteStore({})) == "invalidParameters"); }
}

TEST_CASE("SQLite result codes map to the storage error codes") {
  // sqlite3.h stays inside server/storage/src, so the (stable, documented) numeric codes
  // are spelled out: primary code | extended code << 8.
  CHECK(sqlite::ErrorCodeFor(13) == "storageFull");                  // SQLITE_FULL
  CHECK(sqlite::ErrorCodeFor(10 | 3 << 8) == "storageUnavailable");  // SQLITE_IOERR_WRITE
  CHECK(sqlite::ErrorCodeFor(10 | 4 << 8) == "storageUnavailable");  // SQLITE_IOERR_FSYNC
  CHECK(sqlite::ErrorCodeFor(14) == "storageUnavailable");           // SQLITE_CANTOPEN
  CHECK(sqlite::ErrorCodeFor(5) == "storageUnavailable");            // SQLITE_BUSY
  CHECK(sqlite::ErrorCodeFor(5 | 2 << 8) == "storageUnavailable");   // SQLITE_BUSY_SNAPSHOT
  CHECK(sqlite::ErrorCodeFor(19 | 8 << 8) == "conflict");            // SQLITE_CONSTRAINT_UNIQUE
  CHECK(sqlite::ErrorCodeFor(19 | 6 << 8) == "conflict");            // SQLITE_CONSTRAINT_PRIMARYKEY
  CHECK(sqlite::ErrorCodeFor(19 | 3 << 8) == "internalError");       // SQLITE_CONSTRAINT_FOREIGNKEY
  CHECK(sqlite::ErrorCodeFor(19 | 1 << 8) == "internalError");       // SQLITE_CONSTRAINT_CHECK
  CHECK(sqlite::ErrorCodeFor(19 | 5 << 8) == "internalError");       // SQLITE_CONSTRAINT_NOTNULL
  CHECK(sqlite::ErrorCodeFor(11) == "internalError");                // SQLITE_CORRUPT
  CHECK(sqlite::ErrorCodeFor(1) == "internalError");                 // SQLITE_ERROR
}

TEST_CASE("a full disk is reported as storageFull and the transaction keeps nothing") {
  TempDir dir;
  auto store = Open(dir);
  SeedBasics(*store);
  auto tx = store->Begin(Durability::kDurable);
  REQUIRE_OK(tx);
  // Cap the file at its current size on this connection: the next growth fails as a full
  // disk would.
  auto pages = PragmaInt(*tx, "PRAGMA page_count");
  REQUIRE_OK(pages);
  REQUIRE_OK(Raw(*tx).Execute("PRAGMA max_page_count = " + std::to_string(*pages)));
  Status last;
  for (int i = 0; i < 100 && last.ok(); ++i) {
    OfficerRow officer = MakeOfficer("bulk" + std::to_string(i), static_cast<uint8_t>(10 + i));
    officer.name = std::string(4000, 'x');
    last = store->officers().Insert(*tx, officer);
  }
  CHECK(ErrorCode(last) == "storageFull");
  CHECK(ErrorCode(tx->Commit()) == "storageFull");
  auto officers = store->Read([&](ReadTransaction& read) { return store->officers().List(read); });
  REQUIRE_OK(officers);
  CHECK(officers->size() == 2);
}

TEST_CASE("error messages never contain bound values") {
  TempDir dir;
  auto store = Open(dir);
  const std::string secret = "SECRET-token-value-4711";
  OfficerRow first = MakeOfficer("anna", 1);
  first.name = secret;
  REQUIRE_OK(store->Write(Durability::kDurable,
                          [&](Transaction& tx) { return store->officers().Insert(tx, first); }));
  OfficerRow again = MakeOfficer(secret, 1);  // same token hash: a conflict
  auto result = store->Write(Durability::kDurable,
                             [&](Transaction& tx) { return store->officers().Insert(tx, again); });
  CHECK(ErrorCode(result) == "conflict");
  CHECK(result.error().message.find(secret) == std::string::npos);
  CHECK(result.error().message.find("officers.token_hash") != std::string::npos);
}

TEST_CASE("the WAL is checkpointed off the commit path while the store is open") {
  TempDir dir;
  auto store = Open(dir);
  {
    auto tx = store->Begin(Durability::kFast);
    REQUIRE_OK(tx);
    // The writer runs no automatic checkpoint of its own: its WAL hook replaced it...
    auto automatic = PragmaInt(*tx, "PRAGMA wal_autocheckpoint");
    REQUIRE_OK(automatic);
    CHECK(*automatic == 0);
    REQUIRE_OK(Raw(*tx).Execute("CREATE TABLE scratch (b BLOB)"));
    REQUIRE_OK(tx->Commit());
  }
  const auto before = std::filesystem::file_size(dir.db());
  // ...yet about 1,500 pages of commits (past the 1,000 frames that ask for a checkpoint,
  // short of the 10,000 at which the writer would do it itself) reach the database file
  // while the store is open: the checkpoint thread copied them.
  for (int i = 0; i < 30; ++i) {
    REQUIRE_OK(store->Write(Durability::kFast, [&](Transaction& tx) -> Status {
      TILLIT_TRY_ASSIGN(auto insert,
                        Raw(tx).Prepare("INSERT INTO scratch (b) VALUES (zeroblob(200000))"));
      TILLIT_TRY(insert.Run());
      return {};
    }));
  }
  const auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(20);
  while (std::filesystem::file_size(dir.db()) < before + 3'000'000 &&
         std::chrono::steady_clock::now() < deadline) {
    std::this_thread::sleep_for(std::chrono::milliseconds(10));
  }
  CHECK(std::filesystem::file_size(dir.db()) >= before + 3'000'000);
}

TEST_CASE("holder_records_version moves when a write to persons or credentials ends") {
  TempDir dir;
  auto store = Open(dir);
  SeedBasics(*store);  // officers and an enrolment: not holder records
  const uint64_t start = store->holder_records_version();
  PersonRow person = MakePerson(1);

  SUBCASE("a committed person insert, after the commit") {
    auto tx = store->Begin(Durability::kDurable);
    REQUIRE_OK(tx);
    REQUIRE_OK(store->persons().Insert(*tx, person));
    CHECK(store->holder_records_version() == start);  // not while the writer is open
    REQUIRE_OK(tx->Commit());
    CHECK(store->holder_records_version() > start);
  }
  SUBCASE("a credential status change, and a rolled-back one too") {
    SeedPerson(*store);
    CredentialRow credential = MakeCredential(person, 1, 1700000000);
    REQUIRE_OK(store->Write(Durability::kDurable, [&](Transaction& tx) {
      return store->credentials().Insert(tx, credential);
    }));
    const uint64_t inserted = store->holder_records_version();
    CHECK(inserted > start);
    {
      auto tx = store->Begin(Durability::kDurable);
      REQUIRE_OK(tx);
      REQUIRE_OK(store->credentials().SetStatus(*tx, credential.serial,
                                                CredentialStatus::kSuspended, "test", 1700000100));
    }  // rolled back: what a reader kept meanwhile may not be trusted either
    const uint64_t rolled_back = store->holder_records_version();
    CHECK(rolled_back > inserted);
    REQUIRE_OK(store->Write(Durability::kDurable, [&](Transaction& tx) {
      return store->credentials().SetStatus(tx, credential.serial, CredentialStatus::kSuspended,
                                            "test", 1700000100);
    }));
    CHECK(store->holder_records_version() > rolled_back);
  }
  SUBCASE("not by reads, nor by writes to other tables") {
    SeedPerson(*store);
    const uint64_t seeded = store->holder_records_version();
    REQUIRE_OK(store->Write(Durability::kDurable, [&](Transaction& tx) {
      return store->enrolments().Insert(tx, MakeEnrolment("E2"));
    }));
    auto read = store->Read([&](ReadTransaction& tx) {
      return store->persons().GetWithoutDetails(tx, person.identifier);
    });
    REQUIRE_OK(read);
    CHECK(store->holder_records_version() == seeded);
  }
  SUBCASE("not by another store on the same file (one process serves a data directory)") {
    auto other = Open(dir);
    SeedPerson(*other);
    CHECK(store->holder_records_version() == start);
  }
}

}  // namespace
}  // namespace tillit::server::storage
