// The issuer's accounts: enrolment officers (who use the desk) and relying parties (the
// e-services that call the RP API). Only hashes of their bearer tokens and API keys are
// stored, so a copy of the database does not let anyone act as them; hashing is the
// caller's (service layer's) job, storage compares hashes for equality only.
//
// Conventions of every repository in this library (docs/storage.md §Repositories):
//   - Get* returns the row or the Error "notFound"; Find* returns an empty optional when
//     there is no such row (an expected outcome, e.g. an unknown token);
//   - writes take a Transaction, reads a ReadTransaction (a Transaction is one);
//   - "conflict" means a UNIQUE or PRIMARY KEY constraint refused the write, or the row
//     is not in the state the write requires; other errors are "storageFull",
//     "storageUnavailable" and "internalError" (see tillit/storage/store.h);
//   - times are Unix seconds;
//   - every field of a row struct has an initialiser, so a designated initialiser that
//     names only some fields compiles cleanly under -Wextra (-Wmissing-field-initializers).
//
// Thread safety: repositories hold no state of their own and may be used from any number
// of threads, each with its own transaction.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "tillit/bytes.h"
#include "tillit/result.h"
#include "tillit/storage/transaction.h"

namespace tillit::server::storage {

enum class OfficerRole {
  kOfficer,     // "officer": enrols, resolves matches, issues
  kSupervisor,  // "supervisor": also approves (four-eyes) and manages officers
};

// The stored names, "officer" and "supervisor". DO NOT CHANGE (they are in databases).
std::string_view OfficerRoleName(OfficerRole role);

struct OfficerRow {
  std::string id{};
  std::string name{};
  std::string organisation{};
  OfficerRole role = OfficerRole::kOfficer;
  Bytes token_hash{};  // hash of the officer's bearer token; unique
  int64_t created_at = 0;
  std::optional<int64_t> revoked_at{};

  friend bool operator==(const OfficerRow&, const OfficerRow&) = default;
};

class OfficerRepository {
 public:
  virtual ~OfficerRepository() = default;

  // Adds an officer (revoked_at is stored as given). Errors: "conflict" if the id or the
  // token hash is already taken.
  virtual Status Insert(Transaction& tx, const OfficerRow& officer) = 0;

  // The officer with this id, revoked or not.
  virtual Result<std::optional<OfficerRow>> FindById(ReadTransaction& tx, std::string_view id) = 0;

  // The active officer whose token hashes to token_hash. A revoked officer is not found,
  // so a caller authenticating a request cannot forget to check revocation.
  virtual Result<std::optional<OfficerRow>> FindByTokenHash(ReadTransaction& tx,
                                                            ByteView token_hash) = 0;

  // Revokes the officer at `at`. Revoking a revoked officer keeps the first time and
  // succeeds. Errors: "notFound".
  virtual Status Revoke(Transaction& tx, std::string_view id, int64_t at) = 0;

  // Every officer, revoked ones included, ordered by id.
  virtual Result<std::vector<OfficerRow>> List(ReadTransaction& tx) = 0;
};

struct RelyingPartyRow {
  std::string id{};
  std::string name{};  // shown to the resident on the device before they log in
  Bytes api_key_hash{};
  int64_t created_at = 0;
  std::optional<int64_t> revoked_at{};
  // The RFC 2253 subject of the TLS client certificate that authenticates this party
  // instead of its API key (docs/http.md §TLS); unique among the parties that have one.
  std::optional<std::string> client_subject{};

  friend bool operator==(const RelyingPartyRow&, const RelyingPartyRow&) = default;
};

class RelyingPartyRepository {
 public:
  virtual ~RelyingPartyRepository() = default;

  // Adds a relying party. Errors: "conflict" if the id, the key hash or the client subject
  // is taken.
  virtual Status Insert(Transaction& tx, const RelyingPartyRow& party) = 0;

  // The relying party with this id, revoked or not.
  virtual Result<std::optional<RelyingPartyRow>> FindById(ReadTransaction& tx,
                                                          std::string_view id) = 0;

  // The active (not revoked) relying party whose API key hashes to api_key_hash.
  virtual Result<std::optional<RelyingPartyRow>> FindByKeyHash(ReadTransaction& tx,
                                                               ByteView api_key_hash) = 0;

  // The active (not revoked) relying party whose client certificate subject is exactly
  // `subject` (byte for byte; no normalisation).
  virtual Result<std::optional<RelyingPartyRow>> FindByClientSubject(
      ReadTransaction& tx, std::string_view subject) = 0;

  // Sets (or, with nullopt, clears) the client certificate subject of the relying party
  // `id`, revoked or not. Errors: "notFound"; "conflict" if another party has the subject.
  virtual Status SetClientSubject(Transaction& tx, std::string_view id,
                                  const std::optional<std::string>& subject) = 0;

  // Revokes the relying party at `at`; revoking again keeps the first time.
  // Errors: "notFound".
  virtual Status Revoke(Transaction& tx, std::string_view id, int64_t at) = 0;

  // Replaces the API key hash of the active relying party `id` (a new key; the old one stops
  // matching). Errors: "notFound"; "conflict" if the party is revoked or the hash is taken.
  virtual Status SetApiKeyHash(Transaction& tx, std::string_view id, ByteView api_key_hash) = 0;

  // Every relying party, revoked ones included, ordered by id.
  virtual Result<std::vector<RelyingPartyRow>> List(ReadTransaction& tx) = 0;
};

}  // namespace tillit::server::storage
