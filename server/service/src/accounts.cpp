// AccountService: adding officers and relying parties, authenticating bearer tokens.
#include "tillit/service/accounts.h"

#include "tillit/bytes.h"
#include "tillit/crypto/random.h"
#include "tillit/utf8.h"

namespace tillit::service {
namespace {

using server::storage::Durability;
using server::storage::OfficerRole;
using server::storage::Transaction;

constexpr size_t kTokenBytes = 32;
constexpr size_t kMaxNameBytes = 200;
// A base64url token of 32 bytes is 43 characters; anything much longer is not ours, and
// hashing it would only cost time.
constexpr size_t kMaxTokenChars = 128;

Status CheckText(std::string_view field, std::string_view value) {
  if (value.empty() || value.size() > kMaxNameBytes) {
    return MakeError("invalidParameters", std::string(field) + ": must be 1.." +
                                              std::to_string(kMaxNameBytes) + " bytes");
  }
  for (unsigned char c : value) {
    if (c < 0x20 || c == 0x7f) {
      return MakeError("invalidParameters", std::string(field) + ": control character");
    }
  }
  // An e-service's name is shown on the device and signed there (docs/protocol.md §5 rpName
  // is UTF-8): a name that is not UTF-8 would make every login to it fail on the device.
  if (!IsValidUtf8(value)) {
    return MakeError("invalidParameters", std::string(field) + ": not valid UTF-8");
  }
  return {};
}

std::string GenerateToken() { return Base64UrlEncode(crypto::RandomBytes(kTokenBytes)); }

}  // namespace

std::string GenerateId(std::string_view prefix) {
  return std::string(prefix) + HexEncode(crypto::RandomBytes(8));
}

Result<NewOfficer> AccountService::AddOfficer(std::string_view name,
                                              std::string_view organisation,
                                              std::string_view role) {
  TILLIT_TRY(CheckText("name", name));
  TILLIT_TRY(CheckText("organisation", organisation));
  OfficerRole parsed_role;
  if (role == "officer") {
    parsed_role = OfficerRole::kOfficer;
  } else if (role == "supervisor") {
    parsed_role = OfficerRole::kSupervisor;
  } else {
    return MakeError("invalidParameters", "role: must be officer or supervisor");
  }
  NewOfficer created{.officer_id = GenerateId("off_"), .token = GenerateToken()};
  int64_t now = clock_.NowUnixSeconds();
  server::storage::OfficerRow row{.id = created.officer_id,
                                  .name = std::string(name),
                                  .organisation = std::string(organisation),
                                  .role = parsed_role,
                                  .token_hash = keys_.HashSecret(SecretKind::kOfficerToken,
                                                                 created.token),
                                  .created_at = now};
  TILLIT_TRY(store_.Write(Durability::kDurable, [&](Transaction& tx) -> Status {
    TILLIT_TRY(store_.officers().Insert(tx, row));
    auto appended = store_.audit().Append(
        tx, {.at = now,
             .actor = "admin",
             .action = "officerAdded",
             .subject = row.id,
             .detail_json = "{\"role\":\"" +
                            std::string(server::storage::OfficerRoleName(parsed_role)) + "\"}"});
    if (!appended.ok()) return std::move(appended).error();
    return {};
  }));
  return created;
}

Status AccountService::RevokeOfficer(std::string_view officer_id) {
  const int64_t now = clock_.NowUnixSeconds();
  return store_.Write(Durability::kDurable, [&](Transaction& tx) -> Status {
    TILLIT_TRY(store_.officers().Revoke(tx, officer_id, now));
    auto appended = store_.audit().Append(
        tx, {.at = now, .actor = "admin", .action = "officerRevoked",
             .subject = std::string(officer_id), .detail_json = "{}"});
    if (!appended.ok()) return std::move(appended).error();
    return {};
  });
}

Result<NewRelyingParty> AccountService::AddRelyingParty(std::string_view name) {
  TILLIT_TRY(CheckText("name", name));
  NewRelyingParty created{.rp_id = GenerateId("rp_"), .api_key = GenerateToken()};
  int64_t now = clock_.NowUnixSeconds();
  server::storage::RelyingPartyRow row{
      .id = created.rp_id,
      .name = std::string(name),
      .api_key_hash = keys_.HashSecret(SecretKind::kRelyingPartyKey, created.api_key),
      .created_at = now};
  TILLIT_TRY(store_.Write(Durability::kDurable, [&](Transaction& tx) -> Status {
    TILLIT_TRY(store_.relying_parties().Insert(tx, row));
    auto appended = store_.audit().Append(
        tx, {.at = now, .actor = "admin", .action = "relyingPartyAdded", .subject = row.id,
             .detail_json = "{}"});
    if (!appended.ok()) return std::move(appended).error();
    return {};
  }));
  return created;
}

Result<Officer> AccountService::AuthenticateOfficer(std::string_view token) {
  if (token.empty() || token.size() > kMaxTokenChars) {
    return MakeError("unauthorized", "missing or malformed officer token");
  }
  Bytes hash = keys_.HashSecret(SecretKind::kOfficerToken, token);
  // Looked up by its HMAC: the database compares hashes, never the token, and timing can
  // reveal at most something about a hash the caller cannot choose.
  TILLIT_TRY_ASSIGN(auto found, store_.Read([&](server::storage::ReadTransaction& tx) {
    return store_.officers().FindByTokenHash(tx, hash);
  }));
  if (!found) return MakeError("unauthorized", "unknown or revoked officer token");
  return Officer{.id = found->id,
                 .name = found->name,
                 .organisation = found->organisation,
                 .role = found->role};
}

Result<RelyingParty> AccountService::AuthenticateRelyingParty(std::string_view api_key) {
  if (api_key.empty() || api_key.size() > kMaxTokenChars) {
    return MakeError("unauthorized", "missing or malformed API key");
  }
  Bytes hash = keys_.HashSecret(SecretKind::kRelyingPartyKey, api_key);
  // As for officers: looked up by its HMAC, and FindByKeyHash skips revoked parties.
  TILLIT_TRY_ASSIGN(auto found, store_.Read([&](server::storage::ReadTransaction& tx) {
    return store_.relying_parties().FindByKeyHash(tx, hash);
  }));
  if (!found) return MakeError("unauthorized", "unknown or revoked API key");
  return RelyingParty{.id = found->id, .name = found->name};
}

}  // namespace tillit::service
