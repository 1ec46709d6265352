// The SQLite schema migrations (see migrations.h). The schema is explained table by table
// in docs/storage.md §Schema; keep the two in step.
//
// Portability (docs/storage.md §PostgreSQL): the DDL sticks to what PostgreSQL also
// accepts: TEXT, BIGINT (64-bit: serials, Unix times), INTEGER (small numbers), DOUBLE
// PRECISION, explicit NOT NULL (SQLite would otherwise allow NULL in a TEXT primary key),
// CHECK constraints instead of STRICT tables, no AUTOINCREMENT and no rowid reliance.
// The differences a PostgreSQL migration list must make: BLOB -> BYTEA, and the audit
// log's append-only triggers (SQLite's RAISE syntax) -> a trigger function or REVOKE.
#include "migrations.h"

#include <algorithm>
#include <string>

#include "tillit/check.h"

namespace tillit::server::storage::sqlite {
namespace {

// Version 1: the issuer's first schema. DO NOT CHANGE (released).
constexpr std::string_view kSchemaV1 = R"sql(
CREATE TABLE officers (
  id           TEXT NOT NULL PRIMARY KEY,
  name         TEXT NOT NULL,
  organisation TEXT NOT NULL,
  role         TEXT NOT NULL CHECK (role IN ('officer', 'supervisor')),
  token_hash   BLOB NOT NULL UNIQUE,
  created_at   BIGINT NOT NULL,
  revoked_at   BIGINT
);

CREATE TABLE relying_parties (
  id           TEXT NOT NULL PRIMARY KEY,
  name         TEXT NOT NULL,
  api_key_hash BLOB NOT NULL UNIQUE,
  created_at   BIGINT NOT NULL,
  revoked_at   BIGINT
);

CREATE TABLE counters (
  name       TEXT NOT NULL PRIMARY KEY,
  next_value BIGINT NOT NULL CHECK (next_value >= 0)
);
INSERT INTO counters (name, next_value) VALUES ('identifier_serial', 0);

CREATE TABLE enrolments (
  id                  TEXT NOT NULL PRIMARY KEY,
  status              TEXT NOT NULL,
  created_by          TEXT NOT NULL REFERENCES officers (id),
  created_at          BIGINT NOT NULL,
  request_json        TEXT NOT NULL,
  assurance_level     INTEGER NOT NULL CHECK (assurance_level BETWEEN 1 AND 3),
  approved_by         TEXT REFERENCES officers (id),
  approved_at         BIGINT,
  identifier          TEXT REFERENCES persons (identifier),
  existing_identifier TEXT REFERENCES persons (identifier),
  rejected_by         TEXT REFERENCES officers (id),
  rejected_at         BIGINT,
  rejection_reason    TEXT,
  updated_at          BIGINT NOT NULL,
  CHECK (approved_by IS NULL OR approved_by <> created_by),
  CHECK ((approved_by IS NULL) = (approved_at IS NULL)),
  CHECK ((rejected_by IS NULL) = (rejected_at IS NULL))
);
CREATE INDEX enrolments_status ON enrolments (status, created_at);

CREATE TABLE enrolment_matches (
  enrolment_id      TEXT NOT NULL REFERENCES enrolments (id),
  identifier        TEXT NOT NULL REFERENCES persons (identifier),
  kind              TEXT NOT NULL CHECK (kind IN ('hard', 'possible')),
  score             DOUBLE PRECISION NOT NULL,
  reasons           TEXT NOT NULL,
  resolution        TEXT CHECK (resolution IN ('same', 'different')),
  resolution_reason TEXT,
  resolved_by       TEXT REFERENCES officers (id),
  resolved_at       BIGINT,
  PRIMARY KEY (enrolment_id, identifier),
  CHECK ((resolution IS NULL) = (resolved_by IS NULL)),
  CHECK ((resolution IS NULL) = (resolved_at IS NULL))
);

CREATE TABLE persons (
  identifier        TEXT NOT NULL PRIMARY KEY CHECK (length(identifier) = 12),
  serial            BIGINT NOT NULL UNIQUE CHECK (serial >= 0),
  given_name        TEXT NOT NULL,
  surname           TEXT NOT NULL,
  original_name     TEXT,
  search_text       TEXT NOT NULL,
  birth_date        TEXT NOT NULL,
  nationality       TEXT NOT NULL,
  samordningsnummer TEXT UNIQUE,
  case_number       TEXT UNIQUE,
  personnummer      TEXT UNIQUE,
  assurance_level   INTEGER NOT NULL CHECK (assurance_level BETWEEN 1 AND 3),
  enrolment_id      TEXT NOT NULL REFERENCES enrolments (id),
  created_at        BIGINT NOT NULL,
  created_by        TEXT NOT NULL REFERENCES officers (id)
);

CREATE TABLE person_documents (
  type        TEXT NOT NULL,
  number_norm TEXT NOT NULL,
  country     TEXT NOT NULL,
  identifier  TEXT NOT NULL REFERENCES persons (identifier),
  PRIMARY KEY (type, number_norm, country)
);
CREATE INDEX person_documents_identifier ON person_documents (identifier);
CREATE INDEX person_documents_number ON person_documents (number_norm);

CREATE TABLE person_name_keys (
  identifier TEXT NOT NULL REFERENCES persons (identifier),
  name_key   TEXT NOT NULL,
  PRIMARY KEY (identifier, name_key)
);
CREATE INDEX person_name_keys_key ON person_name_keys (name_key);

CREATE TABLE activation_codes (
  handle           TEXT NOT NULL PRIMARY KEY,
  secret_hash      BLOB NOT NULL,
  identifier       TEXT NOT NULL REFERENCES persons (identifier),
  enrolment_id     TEXT REFERENCES enrolments (id),
  created_at       BIGINT NOT NULL,
  expires_at       BIGINT NOT NULL,
  failed_attempts  INTEGER NOT NULL DEFAULT 0 CHECK (failed_attempts >= 0),
  used_at          BIGINT,
  nonce            BLOB,
  nonce_expires_at BIGINT,
  CHECK ((nonce IS NULL) = (nonce_expires_at IS NULL))
);
CREATE INDEX activation_codes_identifier ON activation_codes (identifier);

CREATE TABLE credentials (
  serial            TEXT NOT NULL PRIMARY KEY
                    CHECK (length(serial) = 32 AND serial = lower(serial)),
  identifier        TEXT NOT NULL REFERENCES persons (identifier),
  holder_public_key BLOB NOT NULL UNIQUE,
  certificate_der   BLOB NOT NULL,
  assurance_level   INTEGER NOT NULL CHECK (assurance_level BETWEEN 1 AND 3),
  not_before        BIGINT NOT NULL,
  not_after         BIGINT NOT NULL,
  status            TEXT NOT NULL CHECK (status IN ('good', 'suspended', 'revoked')),
  status_reason     TEXT,
  status_changed_at BIGINT,
  created_at        BIGINT NOT NULL,
  CHECK (not_before < not_after)
);
CREATE INDEX credentials_identifier ON credentials (identifier);

CREATE TABLE audit_log (
  seq         BIGINT NOT NULL PRIMARY KEY CHECK (seq >= 1),
  at          BIGINT NOT NULL,
  actor       TEXT NOT NULL,
  action      TEXT NOT NULL,
  subject     TEXT NOT NULL,
  detail_json TEXT NOT NULL,
  prev_hash   BLOB NOT NULL CHECK (length(prev_hash) = 32),
  entry_hash  BLOB NOT NULL UNIQUE CHECK (length(entry_hash) = 32)
);
CREATE TRIGGER audit_log_no_update BEFORE UPDATE ON audit_log
BEGIN
  SELECT RAISE(ABORT, 'audit_log is append-only');
END;
CREATE TRIGGER audit_log_no_delete BEFORE DELETE ON audit_log
BEGIN
  SELECT RAISE(ABORT, 'audit_log is append-only');
END;
)sql";

// Version 2: completed login and signing results (docs/protocol.md §3), so collect
// survives a restart and a person's history can be read. The identifier index serves
// ListByIdentifier (newest first). DO NOT CHANGE once released.
constexpr std::string_view kSchemaV2 = R"sql(
CREATE TABLE order_results (
  order_ref         TEXT NOT NULL PRIMARY KEY,
  rp_id             TEXT NOT NULL REFERENCES relying_parties (id),
  identifier        TEXT NOT NULL REFERENCES persons (identifier),
  credential_serial TEXT NOT NULL
                    CHECK (length(credential_serial) = 32
                           AND credential_serial = lower(credential_serial)),
  action            TEXT NOT NULL CHECK (action IN ('auth', 'sign')),
  completed_at      BIGINT NOT NULL,
  completion_json   TEXT NOT NULL
);
CREATE INDEX order_results_identifier ON order_results (identifier, completed_at);
)sql";

// Version 3: signed checkpoints of the audit log's head (docs/storage.md §Audit log). The
// issuer signs (seq, entry_hash) of the head from time to time; a checkpoint kept outside
// the database, or this table together with the chain, reveals a rewritten or truncated
// log. Append-only like the log itself. DO NOT CHANGE once released.
constexpr std::string_view kSchemaV3 = R"sql(
CREATE TABLE audit_checkpoints (
  seq        BIGINT NOT NULL PRIMARY KEY REFERENCES audit_log (seq),
  entry_hash BLOB NOT NULL CHECK (length(entry_hash) = 32),
  signed_at  BIGINT NOT NULL,
  key_id     TEXT NOT NULL,
  signature  BLOB NOT NULL CHECK (length(signature) = 64)
);
CREATE TRIGGER audit_checkpoints_no_update BEFORE UPDATE ON audit_checkpoints
BEGIN
  SELECT RAISE(ABORT, 'audit_checkpoints is append-only');
END;
CREATE TRIGGER audit_checkpoints_no_delete BEFORE DELETE ON audit_checkpoints
BEGIN
  SELECT RAISE(ABORT, 'audit_checkpoints is append-only');
END;
)sql";

// Version 4: leased blocks of identifier serials for offline desks (docs/offline-desk.md).
// The central issuer's side: serial_leases (each block it leased, with the HMAC key of
// the desk's sync records) and serial_lease_imports (which lease each imported person
// came from). An offline desk's side: desk_leases (leases it loaded) and
// desk_leased_identifiers (their identifiers; used_at is set in the issuing transaction).
// The partial index finds the next unused identifier without scanning used ones.
// DO NOT CHANGE once released.
constexpr std::string_view kSchemaV4 = R"sql(
CREATE TABLE serial_leases (
  id           TEXT NOT NULL PRIMARY KEY,
  desk         TEXT NOT NULL,
  first_serial BIGINT NOT NULL UNIQUE CHECK (first_serial >= 0),
  size         BIGINT NOT NULL CHECK (size >= 1),
  created_at   BIGINT NOT NULL,
  sync_key     BLOB NOT NULL CHECK (length(sync_key) = 32)
);
CREATE INDEX serial_leases_desk ON serial_leases (desk);

CREATE TABLE serial_lease_imports (
  identifier  TEXT NOT NULL PRIMARY KEY REFERENCES persons (identifier),
  lease_id    TEXT NOT NULL REFERENCES serial_leases (id),
  imported_at BIGINT NOT NULL
);
CREATE INDEX serial_lease_imports_lease ON serial_lease_imports (lease_id);

CREATE TABLE desk_leases (
  id           TEXT NOT NULL PRIMARY KEY,
  desk         TEXT NOT NULL,
  deployment   TEXT NOT NULL CHECK (length(deployment) = 64),
  first_serial BIGINT NOT NULL UNIQUE CHECK (first_serial >= 0),
  size         BIGINT NOT NULL CHECK (size >= 1),
  created_at   BIGINT NOT NULL,
  loaded_at    BIGINT NOT NULL,
  sync_key     BLOB NOT NULL CHECK (length(sync_key) = 32)
);

CREATE TABLE desk_leased_identifiers (
  serial     BIGINT NOT NULL PRIMARY KEY CHECK (serial >= 0),
  identifier TEXT NOT NULL UNIQUE CHECK (length(identifier) = 12),
  lease_id   TEXT NOT NULL REFERENCES desk_leases (id),
  used_at    BIGINT
);
CREATE INDEX desk_leased_identifiers_lease ON desk_leased_identifiers (lease_id);
CREATE INDEX desk_leased_identifiers_free ON desk_leased_identifiers (serial)
  WHERE used_at IS NULL;
)sql";

// Version 5: when a person's eID was revoked at the desk (`revoke`). Revocation is final
// for the person, not only for the credentials it revoked: a device replacement also
// revokes credentials, and must stay possible afterwards, so the two cannot be told apart
// from credential rows alone. DO NOT CHANGE once released.
//
// People revoked before this version are marked from the audit log, whose
// credentialsRevoked entries name the person as subject (the first one is when).
constexpr std::string_view kSchemaV5 = R"sql(
ALTER TABLE persons ADD COLUMN revoked_at BIGINT;
UPDATE persons SET revoked_at = (
  SELECT MIN(a.at) FROM audit_log a
  WHERE a.action = 'credentialsRevoked' AND a.subject = persons.identifier)
WHERE EXISTS (
  SELECT 1 FROM audit_log a
  WHERE a.action = 'credentialsRevoked' AND a.subject = persons.identifier);
)sql";

// Version 6: e-services authenticated by a TLS client certificate instead of an API key
// (docs/http.md §TLS): the certificate's RFC 2253 subject, at most one party per subject.
// NULL (API key only) for every party added before. DO NOT CHANGE once released.
constexpr std::string_view kSchemaV6 = R"sql(
ALTER TABLE relying_parties ADD COLUMN client_subject TEXT;
CREATE UNIQUE INDEX relying_parties_client_subject ON relying_parties (client_subject)
  WHERE client_subject IS NOT NULL;
)sql";

constexpr Migration kMigrations[] = {
    {1, kSchemaV1},
    {2, kSchemaV2},
    {3, kSchemaV3},
    {4, kSchemaV4},
    {5, kSchemaV5},
    {6, kSchemaV6},
};

// Runs `body` inside BEGIN IMMEDIATE ... COMMIT on `connection`, rolling back on error.
template <typename F>
Status InTransaction(Connection& connection, F&& body) {
  TILLIT_TRY(connection.BeginTransaction(/*immediate=*/true));
  Status status = body();
  if (!status.ok()) {
    connection.RollbackTransaction();
    return status;
  }
  return connection.CommitTransaction();
}

Error Unsupported(int found) {
  return MakeError("unsupportedSchema", "the database has schema version " + std::to_string(found) +
                                            "; this version of Tillit knows up to " +
                                            std::to_string(LatestSchemaVersion()));
}

}  // namespace

std::span<const Migration> Migrations() { return kMigrations; }

int LatestSchemaVersion() { return kMigrations[std::size(kMigrations) - 1].version; }

Result<int> ReadSchemaVersion(Connection& connection) {
  TILLIT_TRY_ASSIGN(auto statement,
                    connection.Prepare("SELECT COALESCE(MAX(version), 0) FROM schema_migrations"));
  TILLIT_TRY_ASSIGN(const bool row, statement.Step());
  TILLIT_CHECK(row);  // an aggregate always yields one row
  return static_cast<int>(statement.ColumnInt64(0));
}

Result<int> Migrate(Connection& connection, const Clock& clock) {
  // The list is code; a gap or a reordering is a programmer error.
  for (size_t i = 0; i < std::size(kMigrations); ++i) {
    TILLIT_CHECK(kMigrations[i].version == static_cast<int>(i) + 1);
  }
  // Schema changes are exactly what must survive a power cut.
  TILLIT_TRY(connection.SetSynchronous(Synchronous::kFull));

  int version = 0;
  TILLIT_TRY(InTransaction(connection, [&]() -> Status {
    TILLIT_TRY(
        connection.Execute("CREATE TABLE IF NOT EXISTS schema_migrations ("
                           " version INTEGER NOT NULL PRIMARY KEY,"
                           " applied_at BIGINT NOT NULL)"));
    TILLIT_TRY_ASSIGN(version, ReadSchemaVersion(connection));
    return {};
  }));
  if (version > LatestSchemaVersion()) return Unsupported(version);

  for (const Migration& migration : kMigrations) {
    if (migration.version <= version) continue;
    TILLIT_TRY(InTransaction(connection, [&]() -> Status {
      // Another process may have applied it since the version was read.
      TILLIT_TRY_ASSIGN(const int current, ReadSchemaVersion(connection));
      if (current > LatestSchemaVersion()) return Unsupported(current);
      if (current >= migration.version) return {};
      TILLIT_TRY(connection.Execute(migration.sql));
      TILLIT_TRY_ASSIGN(auto insert,
                        connection.Prepare(
                            "INSERT INTO schema_migrations (version, applied_at) VALUES (?1, ?2)"));
      insert.BindInt64(1, migration.version);
      insert.BindInt64(2, clock.NowUnixSeconds());
      TILLIT_TRY(insert.Run());
      return {};
    }));
  }
  TILLIT_TRY_ASSIGN(version, ReadSchemaVersion(connection));
  return version;
}

}  // namespace tillit::server::storage::sqlite
