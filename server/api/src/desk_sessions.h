// DeskSessions: the desk web page's cookie sessions (docs/web.md §Session cookie,
// docs/desk-api.md §Web sessions). A session maps a random id, which the browser holds in
// an HttpOnly cookie, to the officer token the officer signed in with; the token itself
// never reaches page script, a URL or browser storage. The desk routes re-authenticate
// that token on every request, so revoking an officer ends their sessions at once.
//
// Session ids are 32 random bytes in base64url (43 characters). The table is keyed by
// SHA-256 of the id, so a lookup compares digests rather than the id itself (its timing
// says nothing about how much of a guessed id was right), and a dump of the table would not
// hold usable ids. Tokens are kept in SecretBytes (wiped when the session ends).
//
// Lifetimes: a session ends after `idle_seconds` without a request or `absolute_seconds`
// after sign-in, whichever comes first (OWASP ASVS 3.3.2 / 3.3.4 with NIST SP 800-63B
// §7.2 reauthentication at AAL2: 30 minutes idle, 12 hours in all). Everything is in memory:
// a server restart signs every officer out, which is the safe direction.
//
// Thread safety: thread-safe; the clock must outlive the object.
#pragma once

#include <cstddef>
#include <cstdint>
#include <mutex>
#include <optional>
#include <string>
#include <string_view>
#include <unordered_map>

#include "tillit/crypto/secret.h"
#include "tillit/ports.h"
#include "tillit/result.h"

namespace tillit::server::api {

struct DeskSessionLimits {
  int64_t idle_seconds = 30 * 60;
  int64_t absolute_seconds = 12 * 60 * 60;
  // Live sessions in all; above it Create fails (tooManyRequests) rather than signing
  // someone else out.
  size_t max_sessions = 1000;
  // Live sessions per officer; a further sign-in ends that officer's oldest one (a desk
  // that signs in again and again, e.g. after lost cookies, never fills the table).
  size_t max_sessions_per_officer = 8;
};

class DeskSessions {
 public:
  explicit DeskSessions(const Clock& clock, DeskSessionLimits limits = {});

  DeskSessions(const DeskSessions&) = delete;
  DeskSessions& operator=(const DeskSessions&) = delete;

  // Starts a session for `officer_id`, who has just authenticated with `token`, and returns
  // its id (for the cookie; the caller must not log it). Expired sessions are dropped first.
  // Errors: "tooManyRequests" when max_sessions live sessions remain.
  Result<std::string> Create(std::string_view officer_id, std::string_view token);

  // The token of the live session `session_id`, counting this as use (the idle timer
  // restarts). nullopt for an unknown, malformed or expired id (an expired one is removed).
  std::optional<crypto::SecretBytes> Use(std::string_view session_id);

  // Ends the session, if it exists. Idempotent.
  void End(std::string_view session_id);

  // Live (not yet purged) sessions; for tests and metrics.
  size_t size() const;

  const DeskSessionLimits& limits() const { return limits_; }

 private:
  struct Session {
    std::string officer_id;
    crypto::SecretBytes token;
    int64_t created_at = 0;
    int64_t last_used = 0;
  };

  bool Expired(const Session& session, int64_t now) const;
  void PurgeExpiredLocked(int64_t now);

  const Clock& clock_;
  const DeskSessionLimits limits_;
  mutable std::mutex mutex_;
  // Key: the raw SHA-256 digest of the session id (32 bytes in a string).
  std::unordered_map<std::string, Session> sessions_;
};

}  // namespace tillit::server::api
