// Token-bucket abuse limits (tillit/server/api/rate_limit.h, docs/http.md §Abuse limits).
#include "tillit/server/api/rate_limit.h"

#include <algorithm>
#include <array>
#include <charconv>
#include <cmath>
#include <mutex>
#include <unordered_map>

#include "route_util.h"
#include "tillit/bytes.h"
#include "tillit/crypto/hash.h"
#include "tillit/server/api/json.h"

namespace tillit::server::api {
namespace {

using TimePoint = std::chrono::steady_clock::time_point;

struct Bucket {
  double tokens = 0;
  TimePoint updated;
};

// One kind of bucket (addresses, credentials or failures), in shards so that threads
// checking different keys rarely meet on one mutex.
class BucketTable {
 public:
  BucketTable(RateLimit limit, size_t max_tracked)
      : limit_(limit), max_per_shard_(std::max<size_t>(1, max_tracked / kShards)) {}

  bool enabled() const { return limit_.per_second > 0; }

  // Takes `cost` tokens if there are that many: 0. Otherwise the seconds until there will
  // be (at least 1), and nothing is taken.
  int64_t Take(const std::string& key, TimePoint now, double cost = 1) {
    Shard& shard = shards_[std::hash<std::string>{}(key) % kShards];
    std::lock_guard<std::mutex> lock(shard.mutex);
    Bucket* bucket = Find(shard, key, now);
    Refill(*bucket, now);
    if (bucket->tokens >= cost) {
      bucket->tokens -= cost;
      return 0;
    }
    double wait = (cost - bucket->tokens) / limit_.per_second;
    return std::max<int64_t>(1, static_cast<int64_t>(std::ceil(wait)));
  }

  // Whether at least one token is there, without taking it.
  bool HasToken(const std::string& key, TimePoint now) {
    Shard& shard = shards_[std::hash<std::string>{}(key) % kShards];
    std::lock_guard<std::mutex> lock(shard.mutex);
    auto it = shard.buckets.find(key);
    if (it == shard.buckets.end()) return true;
    Refill(it->second, now);
    return it->second.tokens >= 1;
  }

 private:
  static constexpr size_t kShards = 16;
  struct Shard {
    std::mutex mutex;
    std::unordered_map<std::string, Bucket> buckets;
    Bucket overflow;
    bool overflow_started = false;
  };

  void Refill(Bucket& bucket, TimePoint now) const {
    if (now <= bucket.updated) return;
    double elapsed = std::chrono::duration<double>(now - bucket.updated).count();
    bucket.tokens = std::min(limit_.burst, bucket.tokens + elapsed * limit_.per_second);
    bucket.updated = now;
  }

  Bucket* Find(Shard& shard, const std::string& key, TimePoint now) {
    auto it = shard.buckets.find(key);
    if (it != shard.buckets.end()) return &it->second;
    if (shard.buckets.size() >= max_per_shard_) {
      // A full bucket is the same as no bucket: dropping those loses nothing.
      for (auto i = shard.buckets.begin(); i != shard.buckets.end();) {
        Refill(i->second, now);
        i = i->second.tokens >= limit_.burst ? shard.buckets.erase(i) : std::next(i);
      }
    }
    if (shard.buckets.size() >= max_per_shard_) {
      // Still full: the newcomers share one bucket. A flood of new addresses then throttles
      // itself instead of growing memory without bound.
      if (!shard.overflow_started) {
        shard.overflow = Bucket{limit_.burst, now};
        shard.overflow_started = true;
      }
      return &shard.overflow;
    }
    return &shard.buckets.emplace(key, Bucket{limit_.burst, now}).first->second;
  }

  const RateLimit limit_;
  const size_t max_per_shard_;
  std::array<Shard, kShards> shards_;
};

HttpResponse TooMany(int64_t retry_after) {
  HttpResponse response =
      ErrorResponse(429, "tooManyRequests", "too many requests; try again after Retry-After seconds");
  response.headers.emplace_back("Retry-After", std::to_string(retry_after));
  return response;
}

// The kind goes into the hash with a NUL after it, so no bearer token can be chosen to
// land in a certificate subject's bucket (and drain it), nor the other way round.
std::string CredentialKey(RateLimiter::CredentialKind kind, std::string_view credential) {
  std::string input = kind == RateLimiter::CredentialKind::kBearer ? std::string("bearer", 7)
                                                                   : std::string("client-subject", 15);
  input.append(credential);
  auto digest = crypto::Sha256(AsBytes(input));
  return std::string(reinterpret_cast<const char*>(digest.data()), 16);
}

}  // namespace

struct RateLimiter::Impl {
  Impl(RateLimitOptions o, Clock c)
      : clock(c ? std::move(c) : [] { return std::chrono::steady_clock::now(); }),
        addresses(o.per_address, o.max_tracked),
        credentials(o.per_credential, o.max_tracked),
        failures(o.failures_per_address, o.max_tracked) {}
  Clock clock;
  BucketTable addresses;
  BucketTable credentials;
  BucketTable failures;
};

Result<RateLimit> ParseRateLimit(std::string_view text) {
  if (text == "off") return RateLimit{0, 0};
  auto number = [](std::string_view s) -> Result<double> {
    double v = 0;
    auto [end, ec] = std::from_chars(s.data(), s.data() + s.size(), v);
    if (s.empty() || ec != std::errc() || end != s.data() + s.size() || !(v > 0) || v > 1e9) {
      return MakeError("invalidParameters",
                       "a rate limit is RATE or RATE:BURST with positive numbers, or off");
    }
    return v;
  };
  size_t colon = text.find(':');
  TILLIT_TRY_ASSIGN(double rate, number(text.substr(0, colon)));
  double burst = std::max(1.0, 2 * rate);
  if (colon != std::string_view::npos) {
    TILLIT_TRY_ASSIGN(burst, number(text.substr(colon + 1)));
    if (burst < 1) return MakeError("invalidParameters", "a rate limit's BURST must be at least 1");
  }
  return RateLimit{rate, burst};
}

RateLimiter::RateLimiter(RateLimitOptions options, Clock clock)
    : impl_(std::make_unique<Impl>(options, std::move(clock))) {}

RateLimiter::~RateLimiter() = default;

int64_t RateLimiter::Admit(std::string_view address, std::string_view credential,
                           CredentialKind kind) {
  const TimePoint now = impl_->clock();
  const std::string where(address);
  if (credential.empty()) {
    return impl_->addresses.enabled() ? impl_->addresses.Take(where, now) : 0;
  }
  if (impl_->failures.enabled() && !impl_->failures.HasToken(where, now)) {
    return impl_->failures.Take(where, now);  // nothing to take: just the wait
  }
  return impl_->credentials.enabled()
             ? impl_->credentials.Take(CredentialKey(kind, credential), now)
             : 0;
}

void RateLimiter::RecordFailure(std::string_view address) {
  if (!impl_->failures.enabled()) return;
  // When the bucket is already empty the take is refused and nothing changes: that is
  // enough, since Admit refuses credential requests from this address until it refills.
  (void)impl_->failures.Take(std::string(address), impl_->clock());
}

Handler RateLimiter::Wrap(Handler inner) {
  return [this, inner = std::move(inner)](HttpRequest& request) {
    std::string_view credential = internal::BearerToken(request);
    CredentialKind kind = CredentialKind::kBearer;
    if (credential.empty() && !request.client_subject.empty()) {
      credential = request.client_subject;
      kind = CredentialKind::kClientSubject;
    }
    if (int64_t wait = Admit(request.remote_address, credential, kind); wait > 0) {
      return TooMany(wait);
    }
    HttpResponse response = inner(request);
    if (response.status == 401) RecordFailure(request.remote_address);
    return response;
  };
}

}  // namespace tillit::server::api
