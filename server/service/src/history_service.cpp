// A person's own history of logins and signatures (tillit/service/history_service.h;
// docs/protocol.md §9).
#include "tillit/service/history_service.h"

#include <cpprest/json.h>

#include <deque>
#include <map>
#include <mutex>
#include <unordered_map>
#include <utility>

#include "stored_request.h"
#include "tillit/crypto/ed25519.h"
#include "tillit/crypto/random.h"
#include "tillit/protocol/history.h"

namespace tillit::service {
namespace {

namespace st = server::storage;

bool IsSerial(std::string_view serial) {
  if (serial.size() != 32) return false;
  for (char c : serial) {
    if (!((c >= '0' && c <= '9') || (c >= 'a' && c <= 'f'))) return false;
  }
  return true;
}

// completionData.userVisibleData (standard base64, docs/protocol.md §4.2) as text. The
// stored result was built by this issuer, so anything unreadable is simply left out.
std::optional<std::string> VisibleText(const std::string& completion_json) {
  try {
    const web::json::value json = web::json::value::parse(completion_json);
    if (!json.is_object() || !json.has_field("userVisibleData") ||
        !json.at("userVisibleData").is_string()) {
      return std::nullopt;
    }
    auto bytes = Base64Decode(json.at("userVisibleData").as_string());
    if (!bytes.ok()) return std::nullopt;
    return std::string(AsString(*bytes));
  } catch (const std::exception&) {
    return std::nullopt;
  }
}

}  // namespace

struct HistoryService::State {
  State(st::Store& store, const Clock& clock, HistoryLimits limits)
      : store(store), clock(clock), limits(limits) {}

  struct Pending {
    std::string serial;
    int64_t expires_ms = 0;
  };

  // Drops expired nonces; they expire in the order they were made (one TTL for all).
  void Purge(int64_t now_ms) {
    while (!order.empty() && order.front().first <= now_ms) {
      auto it = nonces.find(order.front().second);
      if (it != nonces.end() && it->second.expires_ms <= now_ms) nonces.erase(it);
      order.pop_front();
    }
  }

  st::Store& store;
  const Clock& clock;
  const HistoryLimits limits;
  std::mutex mutex;
  // Keyed by the nonce's bytes. A lookup by a random 32-byte key reveals nothing useful
  // through timing: guessing one is hopeless either way.
  std::unordered_map<std::string, Pending> nonces;      // guarded by mutex
  std::deque<std::pair<int64_t, std::string>> order;    // (expires_ms, nonce); guarded
};

HistoryService::HistoryService(st::Store& store, const Clock& clock, HistoryLimits limits)
    : state_(std::make_unique<State>(store, clock, limits)) {}

HistoryService::~HistoryService() = default;

Result<Bytes> HistoryService::Challenge(std::string_view credential_serial) {
  State& s = *state_;
  if (!IsSerial(credential_serial)) {
    return MakeError("invalidParameters", "credentialSerial: must be 32 lower-case hex characters");
  }
  TILLIT_TRY_ASSIGN(const st::CredentialRow credential, s.store.Read([&](st::ReadTransaction& tx) {
    return s.store.credentials().Get(tx, credential_serial);
  }));
  Bytes nonce = crypto::RandomBytes(protocol::kHistoryNonceSize);
  const int64_t now_ms = s.clock.NowUnixMillis();
  std::lock_guard lock(s.mutex);
  s.Purge(now_ms);
  if (s.nonces.size() >= s.limits.max_nonces) {
    return MakeError("tooManyRequests", "too many history requests at once; try again shortly");
  }
  std::string key(AsString(nonce));
  const int64_t expires_ms = now_ms + s.limits.nonce_ttl_ms;
  s.nonces[key] = State::Pending{credential.serial, expires_ms};
  s.order.emplace_back(expires_ms, std::move(key));
  return nonce;
}

Result<HistoryPage> HistoryService::Read(std::string_view credential_serial, ByteView nonce,
                                         ByteView signature, size_t limit, size_t offset) {
  State& s = *state_;
  if (!IsSerial(credential_serial)) {
    return MakeError("invalidParameters", "credentialSerial: must be 32 lower-case hex characters");
  }
  if (nonce.size() != protocol::kHistoryNonceSize) {
    return MakeError("invalidParameters", "nonce: must be 32 bytes");
  }
  if (limit < 1 || limit > kMaxHistoryPage) {
    return MakeError("invalidParameters", "limit: must be 1 to " + std::to_string(kMaxHistoryPage));
  }
  auto parsed_signature = crypto::Signature::Parse(signature);
  if (!parsed_signature.ok()) {
    return MakeError("invalidParameters", "signature: must be 64 bytes");
  }

  // The nonce first, and consumed whatever follows: one nonce, one attempt.
  {
    const int64_t now_ms = s.clock.NowUnixMillis();
    std::lock_guard lock(s.mutex);
    s.Purge(now_ms);
    auto it = s.nonces.find(std::string(AsString(nonce)));
    if (it == s.nonces.end() || it->second.expires_ms <= now_ms) {
      return MakeError("notFound", "unknown, used or expired nonce");
    }
    const bool same_serial = it->second.serial == credential_serial;
    s.nonces.erase(it);
    if (!same_serial) return MakeError("notFound", "unknown, used or expired nonce");
  }

  TILLIT_TRY_ASSIGN(const st::CredentialRow credential, s.store.Read([&](st::ReadTransaction& tx) {
    return s.store.credentials().Get(tx, credential_serial);
  }));
  auto key = crypto::VerifyingKey::Create(credential.holder_public_key);
  if (!key.ok()) return MakeError("internalError", "stored holder key does not parse");
  TILLIT_TRY_ASSIGN(const Bytes message, protocol::HistorySignedMessage(nonce, credential_serial));
  if (!key->Verify(message, *parsed_signature).ok()) {
    return MakeError("invalidSignature", "the signature does not verify under the credential's key");
  }
  // As at login (docs/protocol.md §7): only a good credential within its validity. A
  // revoked device (stolen) must not read its holder's history.
  const int64_t now = s.clock.NowUnixSeconds();
  if (credential.status != st::CredentialStatus::kGood || now < credential.not_before ||
      now >= credential.not_after) {
    return MakeError("certificateErr", "the credential is not valid");
  }

  HistoryPage page;
  Status listed = s.store.Read([&](st::ReadTransaction& tx) -> Status {
    // One row more than asked tells whether another page follows.
    TILLIT_TRY_ASSIGN(auto rows, s.store.order_results().ListByIdentifier(
                                     tx, credential.identifier, limit + 1, offset));
    if (rows.size() > limit) {
      rows.resize(limit);
      page.next_offset = offset + limit;
    }
    std::map<std::string, std::string> names;  // rp_id -> name, read once per page
    for (auto& row : rows) {
      auto name = names.find(row.rp_id);
      if (name == names.end()) {
        TILLIT_TRY_ASSIGN(const auto rp, s.store.relying_parties().FindById(tx, row.rp_id));
        name = names.emplace(row.rp_id, rp ? rp->name : row.rp_id).first;
      }
      page.entries.push_back(HistoryEntry{.rp_id = row.rp_id,
                                          .rp_name = name->second,
                                          .action = row.action,
                                          .completed_at = row.completed_at,
                                          .text = VisibleText(row.completion_json),
                                          .credential_serial = row.credential_serial});
    }
    return {};
  });
  TILLIT_TRY(listed);

  const std::string detail = internal::AuditDetail(
      {{"credentialSerial", credential.serial}},
      {{"offset", static_cast<int64_t>(offset)},
       {"entries", static_cast<int64_t>(page.entries.size())}});
  Status audited = s.store.Write(st::Durability::kDurable, [&](st::Transaction& tx) -> Status {
    auto appended = s.store.audit().Append(tx, {.at = now,
                                                .actor = "device",
                                                .action = "historyViewed",
                                                .subject = credential.identifier,
                                                .detail_json = detail});
    if (!appended.ok()) return std::move(appended).error();
    return {};
  });
  TILLIT_TRY(audited);
  return page;
}

}  // namespace tillit::service
