// Abuse limits in front of every route: token buckets per peer address and per bearer
// credential, answering 429 tooManyRequests with Retry-After (RFC 6585 §4, RFC 9110 §10.2.3).
//
//   - a request without `Authorization: Bearer` or a TLS client certificate (devices,
//     status, pages) takes a token from its address's bucket;
//   - a request with one takes a token from that credential's bucket (an e-service's API key
//     or an officer's token), so an e-service whose servers share one address is limited by
//     its key, not by the address;
//   - a request without a bearer token but with a verified TLS client certificate
//     (HttpRequest::client_subject, an e-service on mutual TLS) counts the same way, in the
//     bucket of its certificate's subject;
//   - every 401 takes a token from the address's failure bucket, and a credential request
//     from an address whose failure bucket is empty is refused before it is handled:
//     guessing keys is slow however many keys are tried.
// Buckets are keyed by address or by SHA-256 of the credential's kind and value (no
// credential is kept; a bearer token and a subject never share a bucket).
// Idle full buckets are dropped; the number tracked is capped, and when the cap is reached
// new keys share one overflow bucket, so memory stays bounded under a flood of addresses.
//
// Thread safety: Check and Wrap's handler may run on many threads at once.
#pragma once

#include <chrono>
#include <cstddef>
#include <cstdint>
#include <functional>
#include <memory>
#include <string>
#include <string_view>

#include "tillit/result.h"
#include "tillit/server/api/http.h"

namespace tillit::server::api {

struct RateLimit {
  double per_second = 0;  // refill rate; 0 = no limit
  double burst = 0;       // bucket size: requests allowed at once after a quiet period
};

struct RateLimitOptions {
  RateLimit per_address{50, 200};
  RateLimit per_credential{5000, 10000};
  RateLimit failures_per_address{1, 20};
  size_t max_tracked = 100000;  // buckets per kind before the overflow bucket is used
};

// "RATE" or "RATE:BURST" (requests per second, decimal), or "off". BURST defaults to
// 2 x RATE (at least 1). Errors: invalidParameters.
Result<RateLimit> ParseRateLimit(std::string_view text);

class RateLimiter {
 public:
  using Clock = std::function<std::chrono::steady_clock::time_point()>;
  explicit RateLimiter(RateLimitOptions options, Clock clock = nullptr);
  ~RateLimiter();
  RateLimiter(const RateLimiter&) = delete;
  RateLimiter& operator=(const RateLimiter&) = delete;

  // Wraps `inner` with the limits above; the limiter must outlive the handler.
  Handler Wrap(Handler inner);

  enum class CredentialKind { kBearer, kClientSubject };

  // The decision for one request before it is handled: 0 = go ahead, else the seconds to
  // put in Retry-After (at least 1). `credential` is the bearer token (kBearer), the TLS
  // client certificate's subject (kClientSubject), or "" for none.
  int64_t Admit(std::string_view address, std::string_view credential,
                CredentialKind kind = CredentialKind::kBearer);
  // Records an authentication failure from `address` (a 401 answer).
  void RecordFailure(std::string_view address);

  struct Impl;

 private:
  std::unique_ptr<Impl> impl_;
};

}  // namespace tillit::server::api
