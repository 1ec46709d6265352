// The desk web page's cookie sessions; see desk_sessions.h.
#include "desk_sessions.h"

#include <algorithm>
#include <vector>

#include "tillit/bytes.h"
#include "tillit/crypto/hash.h"
#include "tillit/crypto/random.h"

namespace tillit::server::api {
namespace {

constexpr size_t kSessionIdBytes = 32;
// Base64url of 32 bytes without padding.
constexpr size_t kSessionIdChars = 43;

// The table key for an id. Ids of the wrong shape never reach the table.
std::string KeyOf(std::string_view session_id) {
  crypto::Sha256Digest digest = crypto::Sha256(AsBytes(session_id));
  return std::string(digest.begin(), digest.end());
}

bool WellFormed(std::string_view session_id) {
  if (session_id.size() != kSessionIdChars) return false;
  return std::all_of(session_id.begin(), session_id.end(), [](char c) {
    return (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') ||
           c == '-' || c == '_';
  });
}

}  // namespace

DeskSessions::DeskSessions(const Clock& clock, DeskSessionLimits limits)
    : clock_(clock), limits_(limits) {}

bool DeskSessions::Expired(const Session& session, int64_t now) const {
  return now - session.last_used >= limits_.idle_seconds ||
         now - session.created_at >= limits_.absolute_seconds;
}

void DeskSessions::PurgeExpiredLocked(int64_t now) {
  for (auto it = sessions_.begin(); it != sessions_.end();) {
    it = Expired(it->second, now) ? sessions_.erase(it) : std::next(it);
  }
}

Result<std::string> DeskSessions::Create(std::string_view officer_id, std::string_view token) {
  const int64_t now = clock_.NowUnixSeconds();
  Bytes raw = crypto::RandomBytes(kSessionIdBytes);
  std::string id = Base64UrlEncode(raw);
  std::fill(raw.begin(), raw.end(), 0);

  std::lock_guard lock(mutex_);
  PurgeExpiredLocked(now);
  // The officer's own oldest sessions make room first (see DeskSessionLimits).
  std::vector<decltype(sessions_)::iterator> own;
  for (auto it = sessions_.begin(); it != sessions_.end(); ++it) {
    if (it->second.officer_id == officer_id) own.push_back(it);
  }
  if (limits_.max_sessions_per_officer > 0 && own.size() >= limits_.max_sessions_per_officer) {
    std::sort(own.begin(), own.end(),
              [](auto a, auto b) { return a->second.created_at < b->second.created_at; });
    const size_t drop = own.size() - limits_.max_sessions_per_officer + 1;
    for (size_t i = 0; i < drop; ++i) sessions_.erase(own[i]);
  }
  if (sessions_.size() >= limits_.max_sessions) {
    return MakeError("tooManyRequests", "too many desk sessions; try again later");
  }
  Session session{.officer_id = std::string(officer_id),
                  .token = crypto::SecretBytes::CopyFrom(AsBytes(token),
                                                         crypto::InsecureSecretAccess::Get()),
                  .created_at = now,
                  .last_used = now};
  sessions_.emplace(KeyOf(id), std::move(session));
  return id;
}

std::optional<crypto::SecretBytes> DeskSessions::Use(std::string_view session_id) {
  if (!WellFormed(session_id)) return std::nullopt;
  const std::string key = KeyOf(session_id);
  const int64_t now = clock_.NowUnixSeconds();
  std::lock_guard lock(mutex_);
  auto it = sessions_.find(key);
  if (it == sessions_.end()) return std::nullopt;
  if (Expired(it->second, now)) {
    sessions_.erase(it);
    return std::nullopt;
  }
  it->second.last_used = now;
  const auto access = crypto::InsecureSecretAccess::Get();
  return crypto::SecretBytes::CopyFrom(it->second.token.Expose(access), access);
}

void DeskSessions::End(std::string_view session_id) {
  if (!WellFormed(session_id)) return;
  const std::string key = KeyOf(session_id);
  std::lock_guard lock(mutex_);
  sessions_.erase(key);
}

size_t DeskSessions::size() const {
  std::lock_guard lock(mutex_);
  return sessions_.size();
}

}  // namespace tillit::server::api
