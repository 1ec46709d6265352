// Activation codes: the one-time code (shown as a QR at the desk) with which a resident's
// device registers its key. The code has a public handle (the lookup key) and a secret
// part of which only a hash is stored; the service verifies the secret in constant time,
// counts failures, and consumes the code exactly once.
//
// Single use is enforced here, not by the caller's read-then-write: MarkUsed is one
// conditional UPDATE, so of two devices racing with the same code exactly one wins, on
// any backend and at any isolation level.
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

struct ActivationCodeRow {
  std::string handle{};  // public lookup part of the code
  Bytes secret_hash{};   // hash of the secret part
  std::string identifier{};
  std::optional<std::string> enrolment_id{};  // none for a code made outside an enrolment
  int64_t created_at = 0;
  int64_t expires_at = 0;
  int64_t failed_attempts = 0;
  std::optional<int64_t> used_at{};
  std::optional<Bytes> nonce{};  // a pending challenge for the device, with its expiry
  std::optional<int64_t> nonce_expires_at{};

  friend bool operator==(const ActivationCodeRow&, const ActivationCodeRow&) = default;
};

class ActivationCodeRepository {
 public:
  virtual ~ActivationCodeRepository() = default;

  // Adds a code with all fields as given (normally no attempts, unused, no nonce).
  // Errors: "conflict" (the handle is taken); "internalError" if the person or
  // enrolment does not exist, or only one of nonce and nonce_expires_at is set.
  virtual Status Insert(Transaction& tx, const ActivationCodeRow& code) = 0;

  virtual Result<std::optional<ActivationCodeRow>> FindByHandle(ReadTransaction& tx,
                                                                std::string_view handle) = 0;

  // Adds one to the failed attempts in a single UPDATE and returns the new count; the
  // caller disables the code when it reaches its limit. Errors: "notFound".
  virtual Result<int64_t> RecordFailedAttempt(Transaction& tx, std::string_view handle) = 0;

  // Sets the pending challenge of an unused code, replacing any earlier one.
  // Errors: "notFound"; "conflict" (the code is used).
  virtual Status SetNonce(Transaction& tx, std::string_view handle, ByteView nonce,
                          int64_t expires_at) = 0;

  // Marks the code used at `at` and clears its nonce, only if it was unused. Returns true
  // if this call used it, false if it was already used (the caller must then refuse).
  // Expiry and attempts are the caller's to check, in the same transaction, before.
  // Errors: "notFound".
  virtual Result<bool> MarkUsed(Transaction& tx, std::string_view handle, int64_t at) = 0;

  // Every code of a person, newest first (then by handle).
  virtual Result<std::vector<ActivationCodeRow>> ListByIdentifier(ReadTransaction& tx,
                                                                  std::string_view identifier) = 0;

  // Ends every unused code of a person because the person was revoked: sets expires_at
  // to created_at (a code that was never valid; no issued code looks like that, so a
  // cancelled code can be told from one that expired unused) and clears the nonce.
  // Returns how many codes it changed. The time of the cancellation is in the audit log.
  virtual Result<int64_t> CancelUnused(Transaction& tx, std::string_view identifier) = 0;

  // Ends every unused code of a person because a device replacement made a new one:
  // marks them used at `at` (a code is used up once, by a device or by its replacement)
  // and clears the nonce. Returns how many codes it changed.
  virtual Result<int64_t> SupersedeUnused(Transaction& tx, std::string_view identifier,
                                          int64_t at) = 0;
};

}  // namespace tillit::server::storage
