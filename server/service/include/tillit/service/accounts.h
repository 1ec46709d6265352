// AccountService: desk officers and relying parties. Adds them (the operator's admin
// commands) and authenticates bearer tokens. A token or API key is 32 random bytes in
// base64url, shown once to the operator and stored only as IssuerKeys::HashSecret, so a
// copy of the database does not let anyone act as an officer.
//
// Thread safety: thread-safe; the referenced store, clock and keys must outlive it.
#pragma once

#include <string>
#include <string_view>

#include "tillit/ports.h"
#include "tillit/result.h"
#include "tillit/service/issuer_keys.h"
#include "tillit/storage/store.h"

namespace tillit::service {

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

  // Adds a relying party (an e-service) and returns its id and fresh API key.
  // Errors: "invalidParameters", storage errors.
  Result<NewRelyingParty> AddRelyingParty(std::string_view name);

  // Revokes an officer: their token stops working at once (every desk request checks it).
  // Revoking twice keeps the first time. Errors: "notFound", storage errors.
  Status RevokeOfficer(std::string_view officer_id);

  // The active officer holding `token`. Errors: "unauthorized" for an empty, unknown or
  // revoked token (one code for all, so a caller learns nothing about which), storage
  // errors.
  Result<Officer> AuthenticateOfficer(std::string_view token);

  // The active relying party holding `api_key`. Errors: "unauthorized" (empty, unknown or
  // revoked key), storage errors.
  Result<RelyingParty> AuthenticateRelyingParty(std::string_view api_key);

 private:
  server::storage::Store& store_;
  const Clock& clock_;
  const IssuerKeys& keys_;
};

// "<prefix>" + 16 lower-case hex digits from the system RNG: ids for officers, relying
// parties and enrolments. Random, not sequential, so ids reveal neither volume nor order.
std::string GenerateId(std::string_view prefix);

}  // namespace tillit::service
