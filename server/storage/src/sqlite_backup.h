// Internal: the SQLite online backup behind Store::Backup (tillit/storage/store.h).
//
// Thread safety: uses connections of its own; safe alongside any other use of the file.
#pragma once

#include <chrono>
#include <functional>
#include <string>

#include "tillit/result.h"
#include "tillit/storage/store.h"

namespace tillit::server::storage::sqlite {

// Copies the database at `source_path` to the new file `dest_path` (contract of
// Store::Backup). The copy is taken from one read snapshot held for the whole backup, so
// it is consistent, and since a WAL reader blocks no writer, the server keeps writing;
// holding the snapshot also keeps SQLite from restarting the copy whenever another
// connection commits (which it does for a backup without an open read transaction).
Status BackupDatabase(const std::string& source_path, const std::string& dest_path,
                      std::chrono::milliseconds busy_timeout,
                      const std::function<void(const BackupProgress&)>& progress);

}  // namespace tillit::server::storage::sqlite
