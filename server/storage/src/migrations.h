// Internal: the SQLite schema as an ordered list of migrations, and the code that brings
// a database up to date when the store opens it (docs/storage.md §Migrations).
//
// Thread safety: Migrations() is immutable data; Migrate uses the one connection it is
// given and is safe against other processes migrating the same file at the same time
// (each step re-reads the version inside its own BEGIN IMMEDIATE transaction).
#pragma once

#include <span>
#include <string_view>

#include "sqlite.h"
#include "tillit/ports.h"
#include "tillit/result.h"

namespace tillit::server::storage::sqlite {

// One step of the schema. A released migration is never edited: a change to the schema
// is a new migration with the next version. DO NOT CHANGE released entries.
struct Migration {
  int version;           // 1, 2, 3, ... without gaps
  std::string_view sql;  // DDL (and constant seed rows) only; no parameters
};

// Every migration in version order.
std::span<const Migration> Migrations();

// The version of the last migration: the schema this code reads and writes.
int LatestSchemaVersion();

// The highest version recorded in schema_migrations (0 for a new database). Runs inside
// the caller's transaction if one is open.
Result<int> ReadSchemaVersion(Connection& connection);

// Creates schema_migrations if needed, refuses a database that is newer than this code,
// then applies each missing migration in its own durable transaction (the DDL and the
// schema_migrations row commit together, so a crash leaves the database at a version,
// never between two). Returns the resulting version.
// Errors: "unsupportedSchema" (nothing is changed then); whatever SQLite reports.
Result<int> Migrate(Connection& connection, const Clock& clock);

}  // namespace tillit::server::storage::sqlite
