// Issued credentials (X.509 certificates binding a device key to an identifier) and
// their status, which the issuer checks at every login (design.md §The eID credential).
//
// Thread safety: as every repository (see tillit/storage/accounts.h).
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

enum class CredentialStatus {
  kGood,       // "good"
  kSuspended,  // "suspended": may return to good
  kRevoked,    // "revoked": final
};

// The stored names above. DO NOT CHANGE.
std::string_view CredentialStatusName(CredentialStatus status);

struct CredentialRow {
  // Lower-case hex of the 16-byte certificate serial (credential::kSerialSize): exactly
  // 32 characters, which the schema checks.
  std::string serial{};
  std::string identifier{};
  Bytes holder_public_key{};  // raw Ed25519 public key; one credential per device key
  Bytes certificate_der{};
  int assurance_level = 1;  // 1..3
  int64_t not_before = 0;
  int64_t not_after = 0;  // > not_before
  CredentialStatus status = CredentialStatus::kGood;
  std::optional<std::string> status_reason{};
  std::optional<int64_t> status_changed_at{};
  int64_t created_at = 0;

  friend bool operator==(const CredentialRow&, const CredentialRow&) = default;
};

class CredentialRepository {
 public:
  virtual ~CredentialRepository() = default;

  // Adds a credential. Errors: "conflict" (serial or holder key already registered);
  // "internalError" if the person does not exist or the row breaks a schema CHECK
  // (serial length, level, validity order).
  virtual Status Insert(Transaction& tx, const CredentialRow& credential) = 0;

  // Errors: "notFound".
  virtual Result<CredentialRow> Get(ReadTransaction& tx, std::string_view serial) = 0;

  // The credential registered for a device key, if any.
  virtual Result<std::optional<CredentialRow>> FindByHolderKey(ReadTransaction& tx,
                                                               ByteView holder_public_key) = 0;

  // Every credential of a person, newest first (then by serial).
  virtual Result<std::vector<CredentialRow>> ListByIdentifier(ReadTransaction& tx,
                                                              std::string_view identifier) = 0;

  // Sets the status of one credential, with a reason (empty: none) and time. Revoked is
  // final. Errors: "notFound"; "conflict" (the credential is revoked).
  virtual Status SetStatus(Transaction& tx, std::string_view serial, CredentialStatus status,
                           std::string_view reason, int64_t at) = 0;

  // Revokes every credential of the person that is not revoked yet (a lost phone, a
  // person found to be a duplicate) and returns how many it revoked.
  virtual Result<int64_t> RevokeAllForIdentifier(Transaction& tx, std::string_view identifier,
                                                 std::string_view reason, int64_t at) = 0;

  // Every credential whose status is not good (suspended or revoked, expired or not), by
  // serial: the entries of the issuer's CRL (docs/status.md). certificate_der is left
  // empty; the CRL needs none of it. A full scan: callers cache the result.
  virtual Result<std::vector<CredentialRow>> ListRevokedOrSuspended(ReadTransaction& tx) = 0;
};

}  // namespace tillit::server::storage
