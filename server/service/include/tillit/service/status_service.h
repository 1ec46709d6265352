// StatusService: credential status for e-services (docs/status.md): the status of one
// credential by serial, answered live from storage, and the issuer's CRL, signed with the
// CA key and cached in memory for at most kCrlRefreshSeconds.
//
// Thread safety: thread-safe. Concurrent Crl() calls share one cached CRL; at most one
// of them regenerates it (the others wait for it). The referenced store, clock and keys
// must outlive the service.
#pragma once

#include <cstdint>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "tillit/bytes.h"
#include "tillit/credential/crl.h"
#include "tillit/ports.h"
#include "tillit/result.h"
#include "tillit/service/issuer_keys.h"
#include "tillit/storage/credentials.h"
#include "tillit/storage/store.h"

namespace tillit::service {

// A CRL is reused for this long after its thisUpdate, so a status change reaches the CRL
// within this many seconds (the JSON status is live).
inline constexpr int64_t kCrlRefreshSeconds = 60;
// nextUpdate - thisUpdate: how long an e-service may rely on one CRL (RFC 5280 §5.1.2.5).
inline constexpr int64_t kCrlValiditySeconds = 3600;

// The status of one credential now, by precedence: revoked, then expired, then suspended,
// then good (docs/status.md §2).
struct CredentialStatusAnswer {
  std::string status;  // "good", "suspended", "revoked" or "expired"
  // For suspended and revoked: when the status was set; for expired: notAfter.
  std::optional<int64_t> since;
};

// A signed CRL and the times written in it.
struct CrlDocument {
  Bytes der;
  int64_t this_update = 0;
  int64_t next_update = 0;
  int64_t crl_number = 0;
};

// The CRL entry for a credential that is not good (docs/status.md §3): suspended →
// certificateHold; revoked by a device replacement (reason kReplacedReasonPrefix...) →
// superseded; any other revocation → unspecified (no reasonCode), since the officer's
// free-text reason cannot prove a key compromise or a cessation. The revocation time is
// status_changed_at (created_at if unset). Precondition: status is not good.
credential::CrlEntry CrlEntryFor(const server::storage::CredentialRow& row);

class StatusService {
 public:
  StatusService(server::storage::Store& store, const Clock& clock, const IssuerKeys& keys)
      : store_(store), clock_(clock), keys_(keys) {}

  // The status of the credential with this serial. `serial` must be exactly 32 lower-case
  // hex characters. Errors: "invalidParameters" (malformed serial), "notFound" (no such
  // credential), storage errors.
  Result<CredentialStatusAnswer> Status(std::string_view serial) const;

  // The current CRL: the cached one while it is younger than kCrlRefreshSeconds, otherwise
  // a new one listing every credential that is not good, with thisUpdate = now, nextUpdate
  // = now + kCrlValiditySeconds and a cRLNumber greater than any this service issued
  // before (now, or the last one + 1). Shared and immutable: callers may keep it.
  // Errors: storage errors, "internalError".
  Result<std::shared_ptr<const CrlDocument>> Crl();

 private:
  server::storage::Store& store_;
  const Clock& clock_;
  const IssuerKeys& keys_;
  std::mutex mutex_;  // guards cached_ and last_number_
  std::shared_ptr<const CrlDocument> cached_;
  int64_t last_number_ = -1;
};

}  // namespace tillit::service
