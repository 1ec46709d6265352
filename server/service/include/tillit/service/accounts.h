// AccountService: desk officers and relying parties. Adds them (the operator's admin
// commands) and authenticates bearer tokens. A token or API key is 32 random bytes in
// base64url, shown once to the operator and stored only as IssuerKeys::HashSecret, so a
// copy of the database does not let anyone act as an officer.
//
// A relying party authenticates with its API key or, on a TLS listener, with a client
// certificate whose subject is registered for it (docs/http.md §TLS).
//
// Relying parties are authenticated on every RP API call (several per login), so their
// lookups are cached in memory for kRelyingPartyCacheMillis, keyed by the key's HMAC (the
// cache never holds an API key) or by the certificate subject. RevokeRelyingParty and
// SetRelyingPartyClientSubject empty the party's cache entries at once; a change written by
// another process (an operator tool on the same database) takes effect within the cache
// time. Unknown keys and subjects are not cached: every one goes to the store.
// Officer tokens are not cached: desk calls are rare and must see revocation at once.
//
// Thread safety: thread-safe; the referenced store, clock and keys must outlive it.
#pragma once

#include <cstdint>
#include <functional>
#include <mutex>
#include <optional>
#include <string>
#include <string_view>
#include <unordered_map>

#include "tillit/ports.h"
#include "tillit/result.h"
#include "tillit/service/issuer_keys.h"
#include "tillit/storage/store.h"

namespace tillit::service {

// How long an authenticated relying party is remembered (see above).
inline constexpr int64_t kRelyingPartyCacheMillis = 1000;

// The longest client certificate subject accepted (RFC 2253 text). Real subjects are a few
// hundred bytes at most; the bound keeps the cache and the index small.
inline constexpr size_t kMaxClientSubjectBytes = 1024;

// An authenticated officer, as the desk use cases receive it.
struct Officer {
  std::string id;
  std::string name;
  std::string organisation;
  server::storage::OfficerRole role = server::storage::OfficerRole::kOfficer;
};

// An authenticated relying party (e-service), as the RP API use cases receive it.
struct RelyingParty {
  std::string id;
  std::string name;  // shown to the resident on the device
};

struct NewOfficer {
  std::string officer_id;
  std::string token;  // shown once; only its hash is stored
};

struct NewRelyingParty {
  std::string rp_id;
  std::string api_key;  // shown once; only its hash is stored
};

class AccountService {
 public:
  AccountService(server::storage::Store& store, const Clock& clock, const IssuerKeys& keys)
      : store_(store), clock_(clock), keys_(keys) {}

  // Adds an officer and returns its id and fresh bearer token. `role` is "officer" or
  // "supervisor". Errors: "invalidParameters" (empty or over-long name or organisation,
  // unknown role), storage errors.
  Result<NewOfficer> AddOfficer(std::string_view name, std::string_view organisation,
                                std::string_view role);

  // Adds a relying party (an e-service) and returns its id and fresh API key. With
  // `client_subject` it may also authenticate by a TLS client certificate with exactly that
  // subject (see CheckClientSubject). Errors: "invalidParameters", "conflict" (another party
  // has the subject), storage errors.
  Result<NewRelyingParty> AddRelyingParty(
      std::string_view name, std::optional<std::string_view> client_subject = std::nullopt);

  // Sets the client certificate subject of relying party `rp_id` (see CheckClientSubject);
  // an empty `client_subject` clears it. Takes effect at once in this process (and within
  // kRelyingPartyCacheMillis in others): the old subject stops working. Audited as
  // "relyingPartyClientSubjectSet". Errors: "invalidParameters", "notFound", "conflict"
  // (another party, revoked or not, has the subject), storage errors.
  Status SetRelyingPartyClientSubject(std::string_view rp_id, std::string_view client_subject);

  // Revokes an officer: their token stops working at once (every desk request checks it).
  // Revoking twice keeps the first time. Errors: "notFound", storage errors.
  Status RevokeOfficer(std::string_view officer_id);

  // The active officer holding `token`. Errors: "unauthorized" for an empty, unknown or
  // revoked token (one code for all, so a caller learns nothing about which), storage
  // errors.
  Result<Officer> AuthenticateOfficer(std::string_view token);

  // The active relying party holding `api_key`, from the cache when it was looked up less
  // than kRelyingPartyCacheMillis ago. Errors: "unauthorized" (empty, unknown or revoked
  // key), storage errors.
  Result<RelyingParty> AuthenticateRelyingParty(std::string_view api_key);

  // The active relying party registered for a verified TLS client certificate with this
  // subject (HttpRequest::client_subject), cached like API keys. The subject is compared
  // byte for byte. Errors: "unauthorized" (empty, over-long, unknown or revoked; the same
  // code as for API keys), storage errors.
  Result<RelyingParty> AuthenticateRelyingPartyByClientSubject(std::string_view subject);

  // Revokes a relying party: its API key and client certificate stop working at once in
  // this process (and within kRelyingPartyCacheMillis in others sharing the database). Revoking twice keeps
  // the first time. Audited as "relyingPartyRevoked". Errors: "notFound", storage errors.
  Status RevokeRelyingParty(std::string_view rp_id);

  // Gives the active relying party `rp_id` a new API key and returns it (shown once; only
  // its hash is stored). The old key stops working at once in this process and within
  // kRelyingPartyCacheMillis in others; a client certificate subject is kept. Audited as
  // "relyingPartyKeyRotated". Errors: "notFound", "conflict" (revoked), storage errors.
  Result<std::string> RotateRelyingPartyKey(std::string_view rp_id);

 private:
  struct CachedRelyingParty {
    RelyingParty rp;
    int64_t expires_ms = 0;
  };
  using FindRelyingParty = std::function<Result<std::optional<server::storage::RelyingPartyRow>>(
      server::storage::ReadTransaction&)>;

  // The cache in front of `find`; `unknown` is the message of the "unauthorized" error.
  Result<RelyingParty> AuthenticateCached(std::string cache_key, const FindRelyingParty& find,
                                          std::string_view unknown);
  // Runs `change` and appends the admin's audit entry for it (`action` on `subject`, with
  // `detail_json`, at `now`) in one durable transaction: both or neither.
  Status WriteAudited(int64_t now, std::string_view action, std::string_view subject,
                      const std::string& detail_json,
                      const std::function<Status(server::storage::Transaction&)>& change);
  // Forgets every cache entry of `rp_id`, and any lookup still on its way to the cache.
  void ForgetCachedRelyingParty(std::string_view rp_id);

  server::storage::Store& store_;
  const Clock& clock_;
  const IssuerKeys& keys_;
  std::mutex rp_cache_mutex_;
  // Keyed by 'k' + the API key's HMAC (IssuerKeys::HashSecret) as bytes, or by 's' + the
  // client certificate subject: the first byte keeps the two kinds apart.
  std::unordered_map<std::string, CachedRelyingParty> rp_cache_;  // guarded by the mutex
  // Bumped by every revocation and subject change (guarded by the mutex): a lookup that
  // read the store before one must not put its now stale answer into the cache after it.
  uint64_t rp_cache_generation_ = 0;
};

// A client certificate subject as the operator registers it: 1..kMaxClientSubjectBytes of
// printable ASCII holding at least one "type=value", i.e. the RFC 2253 text that
// `openssl x509 -noout -subject -nameopt RFC2253` prints (and HttpRequest::client_subject
// carries), e.g. "CN=e-tjanst,O=Exempelkommun,C=SE"; bytes outside ASCII are escaped there as
// \XX. It is compared byte for byte, so it must be copied exactly. Errors: "invalidParameters".
Status CheckClientSubject(std::string_view subject);

// "<prefix>" + 16 lower-case hex digits from the system RNG: ids for officers, relying
// parties and enrolments. Random, not sequential, so ids reveal neither volume nor order.
std::string GenerateId(std::string_view prefix);

}  // namespace tillit::service
