// Internal: what several services share — the audit append, the desk's free-text reason
// rule, and making an activation code (issuance and device replacement make them alike).
//
// Thread safety: as the services; each call works in the caller's transaction.
#pragma once

#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>

#include "tillit/result.h"
#include "tillit/service/enrolment_service.h"
#include "tillit/service/issuer_keys.h"
#include "tillit/storage/store.h"

namespace tillit::service::internal {

// Appends an audit entry inside `tx`, so the entry commits or rolls back with the change it
// records. `detail_json` must hold no secret (tillit/storage/audit.h).
Status AppendAudit(server::storage::Store& store, server::storage::Transaction& tx, int64_t at,
                   std::string actor, std::string action, std::string subject,
                   std::string detail_json);

// A reason an officer types (revoke, suspend, resume, resolve): trimmed, not empty, at most
// 1000 bytes. Errors: "invalidParameters".
Result<std::string> CheckReason(std::string_view reason);

// `n` symbols drawn uniformly from the identifier alphabet (system RNG).
std::string RandomSymbols(size_t n);

// A fresh activation code for `identifier`, inserted in `tx`: a random public handle (6
// symbols, unique) and a secret (10 symbols) of which only the HMAC is stored
// (IssuerKeys::HashSecret), valid kActivationCodeLifetimeSeconds from `now`. The answer
// carries the code grouped XXXX-XXXX-XXXX-XXXX; it is shown once and never stored.
// Errors: storage errors; "internalError" if no free handle is found.
Result<IssuedIdentifier> NewActivationCode(server::storage::Store& store, const IssuerKeys& keys,
                                           server::storage::Transaction& tx,
                                           const std::string& identifier,
                                           const std::string& enrolment_id, int64_t now);

}  // namespace tillit::service::internal
