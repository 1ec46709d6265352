// Opens the SQLite implementation of Store: one database file (plus its -wal and -shm
// files beside it) in WAL mode. How it is built (one writer connection behind a gate, a
// pool of reader connections, migrations at open, FULL vs NORMAL synchronous) is in
// docs/storage.md. This header names no SQLite type.
//
// Thread safety: OpenSqliteStore may be called from any thread; the Store it returns is
// thread-safe (see tillit/storage/store.h). Several processes may open the same file:
// their writers take turns through SQLite's own locking and the busy timeout.
#pragma once

#include <chrono>
#include <cstddef>
#include <memory>
#include <string>

#include "tillit/ports.h"
#include "tillit/result.h"
#include "tillit/storage/store.h"

namespace tillit::server::storage {

struct SqliteStoreOptions {
  // The database file; created (with its schema) if it does not exist. Its directory
  // must exist.
  std::string path{};
  // How long a transaction waits for another writer (in this process or another) or for
  // a free reader connection before failing with "storageUnavailable".
  std::chrono::milliseconds busy_timeout{5000};
  // Reader connections in the pool; 0 means one per hardware thread (at least 2), since
  // the server runs as many handler threads as cores.
  size_t max_readers = 0;
  // Stamps schema_migrations.applied_at; null means the system clock. Not owned; must
  // outlive OpenSqliteStore (it is not kept).
  const Clock* clock = nullptr;
};

// Opens (or creates) the database, enables WAL and foreign keys, and applies every
// migration the file lacks, each in its own durable transaction.
// Errors: "storageUnavailable" (cannot open or create the file, or it is locked past the
// busy timeout), "unsupportedSchema" (the file has a migration this code does not know:
// it was written by a newer Tillit; nothing is changed), "storageFull", "internalError"
// (e.g. not a database file).
Result<std::unique_ptr<Store>> OpenSqliteStore(const SqliteStoreOptions& options);

// The schema version this code migrates databases to.
int SqliteSchemaVersion();

}  // namespace tillit::server::storage
