// AccountService: adding officers and relying parties, authenticating bearer tokens.
#include "tillit/service/accounts.h"

#include "stored_request.h"
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
// The cache holds one entry per valid key seen; more than this means something odd (keys
// are few), and the cache simply starts over rather than grow.
constexpr size_t kMaxCachedRelyingParties = 10000;

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

Status CheckClientSubject(std::string_view subject) {
  if (subject.empty() || subject.size() > kMaxClientSubjectBytes) {
    return MakeError("invalidParameters", "client subject: must be 1.." +
                                              std::to_string(kMaxClientSubjectBytes) + " bytes");
  }
  for (unsigned char c : subject) {
    // OpenSSL's RFC 2253 form escapes control and non-ASCII bytes, so the text a handshake
    // yields is always printable ASCII; anything else could never match.
    if (c < 0x20 || c > 0x7e) {
      return MakeError("invalidParameters",
                       "client subject: printable ASCII only (RFC 2253 escapes the rest as \\XX)");
    }
  }
  if (subject.find('=') == std::string_view::npos) {
    return MakeError("invalidParameters",
                     "client subject: must be RFC 2253 text such as CN=e-tjanst,O=Exempelkommun,C=SE");
  }
  return {};
}

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
  TILLIT_TRY(WriteAudited(
      now, "officerAdded", row.id,
      "{\"role\":\"" + std::string(server::storage::OfficerRoleName(parsed_role)) + "\"}",
      [&](Transaction& tx) { return store_.officers().Insert(tx, row); }));
  return created;
}

Status AccountService::RevokeOfficer(std::string_view officer_id) {
  const int64_t now = clock_.NowUnixSeconds();
  return WriteAudited(now, "officerRevoked", officer_id, "{}", [&](Transaction& tx) {
    return store_.officers().Revoke(tx, officer_id, now);
  });
}

Result<NewRelyingParty> AccountService::AddRelyingParty(
    std::string_view name, std::optional<std::string_view> client_subject) {
  TILLIT_TRY(CheckText("name", name));
  if (client_subject) TILLIT_TRY(CheckClientSubject(*client_subject));
  NewRelyingParty created{.rp_id = GenerateId("rp_"), .api_key = GenerateToken()};
  int64_t now = clock_.NowUnixSeconds();
  server::storage::RelyingPartyRow row{
      .id = created.rp_id,
      .name = std::string(name),
      .api_key_hash = keys_.HashSecret(SecretKind::kRelyingPartyKey, created.api_key),
      .created_at = now,
      .client_subject = client_subject ? std::optional<std::string>(*client_subject)
                                       : std::nullopt};
  // The subject is no secret: the audit shows which certificate speaks for the party.
  Status written = WriteAudited(
      now, "relyingPartyAdded", row.id,
      row.client_subject ? internal::AuditDetail({{"clientSubject", *row.client_subject}}) : "{}",
      [&](Transaction& tx) { return store_.relying_parties().Insert(tx, row); });
  // The id and key hash are fresh random values: a conflict is the subject.
  if (!written.ok() && written.error().code == "conflict" && row.client_subject) {
    return MakeError("conflict", "client subject: another e-service (revoked ones included) has it");
  }
  TILLIT_TRY(written);
  return created;
}

Status AccountService::SetRelyingPartyClientSubject(std::string_view rp_id,
                                                    std::string_view client_subject) {
  std::optional<std::string> subject;
  if (!client_subject.empty()) {
    TILLIT_TRY(CheckClientSubject(client_subject));
    subject = std::string(client_subject);
  }
  const int64_t now = clock_.NowUnixSeconds();
  Status written = WriteAudited(
      now, "relyingPartyClientSubjectSet", rp_id,
      subject ? internal::AuditDetail({{"clientSubject", *subject}}) : "{\"clientSubject\":null}",
      [&](Transaction& tx) { return store_.relying_parties().SetClientSubject(tx, rp_id, subject); });
  if (!written.ok() && written.error().code == "conflict") {
    return MakeError("conflict", "client subject: another e-service (revoked ones included) has it");
  }
  TILLIT_TRY(written);
  // After the commit, as for revocation: the old subject must stop working now.
  ForgetCachedRelyingParty(rp_id);
  return {};
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
  // The cache key is the HMAC, as the database's is: an exact-match hash lookup on a value
  // the caller cannot choose, so its timing reveals nothing useful about stored keys.
  // As for officers: looked up by its HMAC, and FindByKeyHash skips revoked parties.
  return AuthenticateCached(
      "k" + std::string(AsString(hash)),
      [&](server::storage::ReadTransaction& tx) {
        return store_.relying_parties().FindByKeyHash(tx, hash);
      },
      "unknown or revoked API key");
}

Result<RelyingParty> AccountService::AuthenticateRelyingPartyByClientSubject(
    std::string_view subject) {
  // The subject is not secret (it is in the certificate) and the handshake has already
  // proven the key behind it, so it is looked up as it is.
  if (subject.empty() || subject.size() > kMaxClientSubjectBytes) {
    return MakeError("unauthorized", "no or over-long client certificate subject");
  }
  return AuthenticateCached(
      "s" + std::string(subject),
      [&](server::storage::ReadTransaction& tx) {
        return store_.relying_parties().FindByClientSubject(tx, subject);
      },
      "no active e-service has this client certificate subject");
}

Result<RelyingParty> AccountService::AuthenticateCached(std::string cache_key,
                                                        const FindRelyingParty& find,
                                                        std::string_view unknown) {
  const int64_t now_ms = clock_.NowUnixMillis();
  uint64_t generation;
  {
    std::lock_guard lock(rp_cache_mutex_);
    generation = rp_cache_generation_;
    auto it = rp_cache_.find(cache_key);
    if (it != rp_cache_.end()) {
      if (now_ms < it->second.expires_ms &&
          now_ms >= it->second.expires_ms - kRelyingPartyCacheMillis) {
        return it->second.rp;
      }
      rp_cache_.erase(it);  // stale (or the clock went back): ask the store again
    }
  }
  TILLIT_TRY_ASSIGN(auto found, store_.Read(find));
  if (!found) return MakeError("unauthorized", std::string(unknown));
  RelyingParty rp{.id = found->id, .name = found->name};
  std::lock_guard lock(rp_cache_mutex_);
  if (generation != rp_cache_generation_) return rp;  // a change came between: no caching
  if (rp_cache_.size() >= kMaxCachedRelyingParties) rp_cache_.clear();
  rp_cache_[std::move(cache_key)] = {.rp = rp, .expires_ms = now_ms + kRelyingPartyCacheMillis};
  return rp;
}

Status AccountService::RevokeRelyingParty(std::string_view rp_id) {
  const int64_t now = clock_.NowUnixSeconds();
  TILLIT_TRY(WriteAudited(now, "relyingPartyRevoked", rp_id, "{}", [&](Transaction& tx) {
    return store_.relying_parties().Revoke(tx, rp_id, now);
  }));
  // After the commit, so that no lookup can re-cache the row as it was before.
  ForgetCachedRelyingParty(rp_id);
  return {};
}

Result<std::string> AccountService::RotateRelyingPartyKey(std::string_view rp_id) {
  std::string api_key = GenerateToken();
  const Bytes hash = keys_.HashSecret(SecretKind::kRelyingPartyKey, api_key);
  const int64_t now = clock_.NowUnixSeconds();
  TILLIT_TRY(WriteAudited(now, "relyingPartyKeyRotated", rp_id, "{}", [&](Transaction& tx) {
    return store_.relying_parties().SetApiKeyHash(tx, rp_id, hash);
  }));
  // After the commit, as for revocation: the old key must stop working now.
  ForgetCachedRelyingParty(rp_id);
  return api_key;
}

Status AccountService::WriteAudited(int64_t now, std::string_view action,
                                    std::string_view subject, const std::string& detail_json,
                                    const std::function<Status(Transaction&)>& change) {
  return store_.Write(Durability::kDurable, [&](Transaction& tx) -> Status {
    TILLIT_TRY(change(tx));
    auto appended = store_.audit().Append(tx, {.at = now,
                                               .actor = "admin",
                                               .action = std::string(action),
                                               .subject = std::string(subject),
                                               .detail_json = detail_json});
    if (!appended.ok()) return std::move(appended).error();
    return {};
  });
}

void AccountService::ForgetCachedRelyingParty(std::string_view rp_id) {
  std::lock_guard lock(rp_cache_mutex_);
  ++rp_cache_generation_;
  std::erase_if(rp_cache_, [&](const auto& entry) { return entry.second.rp.id == rp_id; });
}

}  // namespace tillit::service
