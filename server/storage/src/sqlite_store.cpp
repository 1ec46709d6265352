// The SQLite Store (see tillit/storage/sqlite_store.h and docs/storage.md §Threading).
//
// Connections: one writer connection, lent to one Transaction at a time through a gate
// (a mutex-guarded flag rather than a held std::mutex, so a transaction may end on a
// thread other than the one that began it), and a pool of up to max_readers reader
// connections, opened on demand, each lent to one ReadTransaction at a time. In WAL mode
// readers never wait for the writer nor the writer for readers, so a server with one
// handler thread per core reads in parallel and queues only its writes, which are short.
// One writer connection (instead of BEGIN IMMEDIATE on many) makes writers queue in
// order on a condition variable instead of polling SQLite's busy handler.
#include "tillit/storage/sqlite_store.h"

#include <algorithm>
#include <atomic>
#include <condition_variable>
#include <mutex>
#include <thread>
#include <vector>

#include "migrations.h"
#include "sqlite_backup.h"
#include "sqlite.h"
#include "sqlite_repositories.h"
#include "sqlite_transaction.h"
#include "tillit/check.h"

namespace tillit::server::storage {
namespace sqlite {

Connection& ConnectionOf(ReadTransaction& tx) {
  auto* backend = dynamic_cast<SqliteTransactionBackend*>(&tx.backend());
  TILLIT_CHECK(backend != nullptr);  // a transaction of another backend
  return backend->connection();
}

namespace {

// WAL frames (pages) after which a commit asks the checkpoint thread to run: SQLite's own
// default for its automatic checkpoint.
constexpr int kCheckpointFrames = 1000;
// ... and after which the writer checkpoints itself: the thread has fallen far behind.
constexpr int kWriterCheckpointFrames = 10 * kCheckpointFrames;

class SqliteStore final : public Store {
 public:
  SqliteStore(const SqliteStoreOptions& options, std::unique_ptr<Connection> writer,
              int schema_version)
      : path_(options.path),
        busy_timeout_(options.busy_timeout),
        max_readers_(options.max_readers != 0
                         ? options.max_readers
                         : std::max<size_t>(2, std::thread::hardware_concurrency())),
        schema_version_(schema_version),
        writer_(std::move(writer)) {
    // Only the holder of the writer gate runs statements on writer_, so only it reaches the
    // hook and the flag.
    writer_->SetRowWriteHook([this](std::string_view table) {
      if (table == "persons" || table == "credentials") holders_written_ = true;
    });
    // Checkpoints off the commit path (docs/storage.md §4, Checkpoints): SQLite's
    // automatic checkpoint copies about 4 MB into the database file and syncs it inside
    // whichever commit passes 1,000 WAL frames, and every writer queued behind that commit
    // waits for it (it was most of respond's p99, docs/performance.md §4.9). The commit only asks; a thread
    // with a connection of its own checkpoints. Should it fall far behind (or fail), the
    // writer checkpoints itself, as SQLite would have, so the WAL stays bounded.
    writer_->SetWalHook([this](int frames) {
      if (frames >= kWriterCheckpointFrames) {
        (void)writer_->CheckpointPassive();  // a failure leaves the WAL as it was: retried
      } else if (frames >= kCheckpointFrames) {
        {
          std::lock_guard lock(checkpoint_mutex_);
          checkpoint_wanted_ = true;
        }
        checkpoint_cv_.notify_one();
      }
    });
    checkpointer_ = std::thread([this] { RunCheckpointer(); });
  }

  ~SqliteStore() override {
    // A transaction outliving its store would use a closed connection.
    TILLIT_CHECK(active_transactions_.load() == 0);
    {
      std::lock_guard lock(checkpoint_mutex_);
      stopping_ = true;
    }
    checkpoint_cv_.notify_one();
    checkpointer_.join();
  }

  Result<Transaction> Begin(Durability durability) override {
    {
      std::unique_lock lock(writer_mutex_);
      // Waiting for ourselves would never end: a programmer error, reported loudly.
      TILLIT_CHECK(!(writer_busy_ && writer_thread_ == std::this_thread::get_id()));
      if (!writer_cv_.wait_for(lock, busy_timeout_, [this] { return !writer_busy_; })) {
        return MakeError("storageUnavailable",
                         "beginning a transaction: another writer held the database past "
                         "the busy timeout");
      }
      writer_busy_ = true;
      writer_thread_ = std::this_thread::get_id();
    }
    // The synchronous level may only change outside a transaction, so it is set per
    // transaction, just before BEGIN (and skipped when it is already right).
    Status begun = writer_->SetSynchronous(
        durability == Durability::kDurable ? Synchronous::kFull : Synchronous::kNormal);
    if (begun.ok()) begun = writer_->BeginTransaction(/*immediate=*/true);
    if (!begun.ok()) {
      ReleaseWriter();
      return std::move(begun).error();
    }
    ++active_transactions_;
    return Transaction(std::make_unique<SqliteTransactionBackend>(*writer_, [this] {
      --active_transactions_;
      ReleaseWriter();
    }));
  }

  Result<ReadTransaction> BeginRead() override {
    TILLIT_TRY_ASSIGN(Connection * reader, AcquireReader());
    Status begun = reader->BeginTransaction(/*immediate=*/false);
    if (!begun.ok()) {
      ReleaseReader(reader);
      return std::move(begun).error();
    }
    ++active_transactions_;
    return ReadTransaction(std::make_unique<SqliteTransactionBackend>(*reader, [this, reader] {
      --active_transactions_;
      ReleaseReader(reader);
    }));
  }

  int schema_version() const override { return schema_version_; }

  uint64_t holder_records_version() const override { return holder_records_version_.load(); }

  Status Backup(const std::string& path,
                const std::function<void(const BackupProgress&)>& progress) override {
    return BackupDatabase(path_, path, busy_timeout_, progress);
  }

  OfficerRepository& officers() override { return officers_; }
  RelyingPartyRepository& relying_parties() override { return relying_parties_; }
  CounterRepository& counters() override { return counters_; }
  EnrolmentRepository& enrolments() override { return enrolments_; }
  PersonRepository& persons() override { return persons_; }
  ActivationCodeRepository& activation_codes() override { return activation_codes_; }
  CredentialRepository& credentials() override { return credentials_; }
  AuditRepository& audit() override { return audit_; }
  OrderResultRepository& order_results() override { return order_results_; }
  LeaseRepository& leases() override { return leases_; }

 private:
  // The checkpoint thread: one PASSIVE checkpoint per request of the writer's WAL hook.
  void RunCheckpointer() {
    std::unique_ptr<Connection> connection;  // opened at the first request
    std::unique_lock lock(checkpoint_mutex_);
    for (;;) {
      checkpoint_cv_.wait(lock, [this] { return checkpoint_wanted_ || stopping_; });
      if (stopping_) return;
      checkpoint_wanted_ = false;
      lock.unlock();
      if (connection == nullptr) {
        auto opened = Connection::Open(
            {.path = path_, .busy_timeout = busy_timeout_, .read_only = false});
        if (opened.ok()) connection = std::move(opened).value();
      }
      // A failure (another checkpoint running, a full disk) is retried at the next
      // request; the writer's own checkpoint bounds the WAL meanwhile.
      if (connection != nullptr) (void)connection->CheckpointPassive();
      lock.lock();
    }
  }

  // Runs once the transaction has committed or rolled back, still holding the gate.
  void ReleaseWriter() {
    // After the end, so that a reader whose snapshot began before it cannot keep what it
    // read under the new number (Store::holder_records_version).
    if (holders_written_) {
      holders_written_ = false;
      ++holder_records_version_;
    }
    {
      std::lock_guard lock(writer_mutex_);
      writer_busy_ = false;
      writer_thread_ = std::thread::id();
    }
    writer_cv_.notify_one();
  }

  Result<Connection*> AcquireReader() {
    {
      std::unique_lock lock(readers_mutex_);
      const bool ready = readers_cv_.wait_for(lock, busy_timeout_, [this] {
        return !idle_readers_.empty() || readers_.size() + opening_readers_ < max_readers_;
      });
      if (!ready) {
        return MakeError("storageUnavailable",
                         "beginning a read: every reader connection stayed busy past the "
                         "busy timeout");
      }
      if (!idle_readers_.empty()) {
        Connection* reader = idle_readers_.back();
        idle_readers_.pop_back();
        return reader;
      }
      ++opening_readers_;
    }
    // Opening takes a while (file open, PRAGMAs); other threads need not wait for it.
    auto opened =
        Connection::Open({.path = path_, .busy_timeout = busy_timeout_, .read_only = true});
    std::lock_guard lock(readers_mutex_);
    --opening_readers_;
    if (!opened.ok()) {
      readers_cv_.notify_one();  // the slot this thread meant to fill is free again
      return std::move(opened).error();
    }
    readers_.push_back(std::move(opened).value());
    return readers_.back().get();
  }

  void ReleaseReader(Connection* reader) {
    {
      std::lock_guard lock(readers_mutex_);
      idle_readers_.push_back(reader);
    }
    readers_cv_.notify_one();
  }

  const std::string path_;
  const std::chrono::milliseconds busy_timeout_;
  const size_t max_readers_;
  const int schema_version_;

  std::mutex writer_mutex_;
  std::condition_variable writer_cv_;
  bool writer_busy_ = false;            // guarded by writer_mutex_
  std::thread::id writer_thread_;       // guarded by writer_mutex_; who began the writer
  std::unique_ptr<Connection> writer_;  // used only by the holder of the gate
  bool holders_written_ = false;        // used only by the holder of the gate
  std::atomic<uint64_t> holder_records_version_{0};

  std::mutex checkpoint_mutex_;
  std::condition_variable checkpoint_cv_;
  bool checkpoint_wanted_ = false;  // guarded by checkpoint_mutex_
  bool stopping_ = false;           // guarded by checkpoint_mutex_
  std::thread checkpointer_;        // started last in the constructor, joined first

  std::mutex readers_mutex_;
  std::condition_variable readers_cv_;
  std::vector<std::unique_ptr<Connection>> readers_;  // every reader; guarded
  std::vector<Connection*> idle_readers_;             // guarded
  size_t opening_readers_ = 0;                        // guarded

  std::atomic<int> active_transactions_{0};

  SqliteOfficerRepository officers_;
  SqliteRelyingPartyRepository relying_parties_;
  SqliteCounterRepository counters_;
  SqliteEnrolmentRepository enrolments_;
  SqlitePersonRepository persons_;
  SqliteActivationCodeRepository activation_codes_;
  SqliteCredentialRepository credentials_;
  SqliteAuditRepository audit_;
  SqliteOrderResultRepository order_results_;
  SqliteLeaseRepository leases_;
};

}  // namespace
}  // namespace sqlite

Result<std::unique_ptr<Store>> OpenSqliteStore(const SqliteStoreOptions& options) {
  if (options.path.empty()) {
    return MakeError("invalidParameters", "opening database: the path is empty");
  }
  TILLIT_TRY_ASSIGN(auto writer, sqlite::Connection::Open({.path = options.path,
                                                           .busy_timeout = options.busy_timeout,
                                                           .read_only = false}));
  const SystemClock system_clock;
  const Clock& clock = options.clock != nullptr ? *options.clock : system_clock;
  TILLIT_TRY_ASSIGN(const int version, sqlite::Migrate(*writer, clock));
  return std::unique_ptr<Store>(
      std::make_unique<sqlite::SqliteStore>(options, std::move(writer), version));
}

int SqliteSchemaVersion() { return sqlite::LatestSchemaVersion(); }

}  // namespace tillit::server::storage
