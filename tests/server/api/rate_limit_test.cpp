// RateLimiter: token buckets per address, per credential and for authentication failures
// (tillit/server/api/rate_limit.h), on a clock the test moves by hand.
#include "tillit/server/api/rate_limit.h"

#include <doctest/doctest.h>

#include <chrono>
#include <string>

namespace {

using namespace tillit::server::api;
using namespace std::chrono_literals;

struct FakeClock {
  std::chrono::steady_clock::time_point now{};
  RateLimiter::Clock fn() {
    return [this] { return now; };
  }
};

TEST_CASE("ParseRateLimit reads RATE, RATE:BURST and off, and refuses the rest") {
  auto a = ParseRateLimit("50");
  REQUIRE(a.ok());
  CHECK(a->per_second == 50);
  CHECK(a->burst == 100);
  auto b = ParseRateLimit("0.5:3");
  REQUIRE(b.ok());
  CHECK(b->per_second == 0.5);
  CHECK(b->burst == 3);
  auto c = ParseRateLimit("0.2");  // burst never below one request
  REQUIRE(c.ok());
  CHECK(c->burst == 1);
  auto off = ParseRateLimit("off");
  REQUIRE(off.ok());
  CHECK(off->per_second == 0);
  for (const char* bad : {"", "0", "-1", "abc", "5:", ":5", "5:0.5", "5:x", "1e10", "5 ", "nan", "inf"}) {
    INFO(bad);
    auto r = ParseRateLimit(bad);
    REQUIRE_FALSE(r.ok());
    CHECK(r.error().code == "invalidParameters");
  }
}

TEST_CASE("an address gets its burst, then waits for the refill") {
  FakeClock clock;
  RateLimiter limiter({.per_address = {2, 4}, .per_credential = {0, 0}, .failures_per_address = {0, 0}},
                      clock.fn());
  for (int i = 0; i < 4; ++i) CHECK(limiter.Admit("192.0.2.1", "") == 0);
  CHECK(limiter.Admit("192.0.2.1", "") == 1);  // one token takes 0.5 s: say 1 s
  CHECK(limiter.Admit("192.0.2.2", "") == 0);  // another address has its own bucket
  clock.now += 500ms;
  CHECK(limiter.Admit("192.0.2.1", "") == 0);
  CHECK(limiter.Admit("192.0.2.1", "") == 1);
  clock.now += 10s;  // refills to the burst, not beyond
  for (int i = 0; i < 4; ++i) CHECK(limiter.Admit("192.0.2.1", "") == 0);
  CHECK(limiter.Admit("192.0.2.1", "") > 0);
}

TEST_CASE("Retry-After is the whole seconds until a token is back") {
  FakeClock clock;
  RateLimiter limiter({.per_address = {0.1, 1}, .per_credential = {0, 0}, .failures_per_address = {0, 0}},
                      clock.fn());
  CHECK(limiter.Admit("192.0.2.1", "") == 0);
  CHECK(limiter.Admit("192.0.2.1", "") == 10);
  clock.now += 2500ms;
  CHECK(limiter.Admit("192.0.2.1", "") == 8);  // 7.5 s left, rounded up
}

TEST_CASE("bearer requests count against their credential, not the address") {
  FakeClock clock;
  RateLimiter limiter({.per_address = {1, 1}, .per_credential = {1, 3}, .failures_per_address = {0, 0}},
                      clock.fn());
  for (int i = 0; i < 3; ++i) CHECK(limiter.Admit("192.0.2.1", "key-a") == 0);
  CHECK(limiter.Admit("192.0.2.1", "key-a") > 0);
  CHECK(limiter.Admit("192.0.2.9", "key-a") > 0);  // the same key from elsewhere: same bucket
  CHECK(limiter.Admit("192.0.2.1", "key-b") == 0);
  CHECK(limiter.Admit("192.0.2.1", "") == 0);  // the address bucket was untouched
}

TEST_CASE("authentication failures shut an address out of bearer requests only") {
  FakeClock clock;
  RateLimiter limiter({.per_address = {100, 100}, .per_credential = {100, 100},
                       .failures_per_address = {0.5, 3}},
                      clock.fn());
  for (int i = 0; i < 3; ++i) {
    CHECK(limiter.Admit("192.0.2.1", "guess") == 0);
    limiter.RecordFailure("192.0.2.1");
  }
  CHECK(limiter.Admit("192.0.2.1", "another-guess") == 2);
  CHECK(limiter.Admit("192.0.2.1", "the-right-key") == 2);  // guessing must not go on
  CHECK(limiter.Admit("192.0.2.1", "") == 0);               // devices behind it still work
  CHECK(limiter.Admit("192.0.2.2", "the-right-key") == 0);
  clock.now += 2s;
  CHECK(limiter.Admit("192.0.2.1", "the-right-key") == 0);
}

TEST_CASE("off means no limit") {
  RateLimiter limiter({.per_address = {0, 0}, .per_credential = {0, 0}, .failures_per_address = {0, 0}});
  for (int i = 0; i < 10000; ++i) {
    REQUIRE(limiter.Admit("192.0.2.1", "") == 0);
    REQUIRE(limiter.Admit("192.0.2.1", "k") == 0);
    limiter.RecordFailure("192.0.2.1");
  }
}

TEST_CASE("a flood of new addresses shares one overflow bucket instead of growing memory") {
  FakeClock clock;
  RateLimiter limiter({.per_address = {1, 2}, .per_credential = {0, 0}, .failures_per_address = {0, 0},
                       .max_tracked = 16},
                      clock.fn());
  // Every address spends its burst, so no bucket is full and none can be dropped.
  int refused = 0;
  for (int i = 0; i < 2000; ++i) {
    std::string address = "10.0." + std::to_string(i / 256) + "." + std::to_string(i % 256);
    if (limiter.Admit(address, "") != 0) ++refused;
    if (limiter.Admit(address, "") != 0) ++refused;
  }
  // 16 tracked addresses (one per shard) get their 2 each; the rest share 16 overflow
  // buckets of 2: nearly everything past the first few dozen requests is refused.
  CHECK(refused > 3800);
  clock.now += 1h;  // the tracked buckets are full again and make room for new addresses
  CHECK(limiter.Admit("198.51.100.1", "") == 0);
}

TEST_CASE("Wrap answers 429 with Retry-After and counts 401 answers as failures") {
  FakeClock clock;
  RateLimiter limiter({.per_address = {1, 2}, .per_credential = {10, 10}, .failures_per_address = {1, 2}},
                      clock.fn());
  int handled = 0;
  Handler handler = limiter.Wrap([&](HttpRequest& request) {
    ++handled;
    HttpResponse response;
    response.status = request.Header("authorization") == "Bearer good" ? 200 : 401;
    return response;
  });
  HttpRequest plain;
  plain.method = "GET";
  plain.path = "/healthz";
  plain.remote_address = "192.0.2.1";
  CHECK(handler(plain).status == 401);  // (the fake handler wants a token)
  CHECK(handler(plain).status == 401);
  HttpResponse refused = handler(plain);
  CHECK(refused.status == 429);
  CHECK(refused.body.find("\"tooManyRequests\"") != std::string::npos);
  bool retry_after = false;
  for (auto& [name, value] : refused.headers) retry_after |= name == "Retry-After" && value == "1";
  CHECK(retry_after);
  CHECK(handled == 2);  // the refused request never reached the handler

  HttpRequest bearer = plain;
  bearer.headers["authorization"] = "Bearer good";
  // The two 401s above emptied the failure bucket: bearer requests wait too.
  CHECK(handler(bearer).status == 429);
  clock.now += 1s;
  CHECK(handler(bearer).status == 200);
}

TEST_CASE("client-certificate requests count against their subject, not the address") {
  FakeClock clock;
  RateLimiter limiter({.per_address = {1, 1}, .per_credential = {1, 3}, .failures_per_address = {1, 2}},
                      clock.fn());
  int handled = 0;
  Handler handler = limiter.Wrap([&](HttpRequest& request) {
    ++handled;
    HttpResponse response;
    response.status = request.client_subject == "CN=good" ? 200 : 401;
    return response;
  });
  HttpRequest kommun;
  kommun.method = "POST";
  kommun.path = "/rp/v1/collect";
  kommun.remote_address = "192.0.2.1";
  kommun.client_subject = "CN=good";
  // The per-address bucket holds one request; the subject's bucket holds three.
  for (int i = 0; i < 3; ++i) CHECK(handler(kommun).status == 200);
  CHECK(handler(kommun).status == 429);
  HttpRequest elsewhere = kommun;
  elsewhere.remote_address = "192.0.2.9";  // the same certificate from another address
  CHECK(handler(elsewhere).status == 429);
  HttpRequest other_subject = kommun;
  other_subject.client_subject = "CN=other";  // another subject: its own bucket (then 401)
  CHECK(handler(other_subject).status == 401);
  HttpRequest anonymous = kommun;
  anonymous.client_subject.clear();
  CHECK(handler(anonymous).status == 401);  // the address bucket was untouched until now
  CHECK(handled == 5);

  // A bearer token that spells a subject does not land in (or drain) the subject's bucket.
  clock.now += 10s;
  RateLimiter strict({.per_address = {0, 0}, .per_credential = {1, 1}, .failures_per_address = {0, 0}},
                     clock.fn());
  CHECK(strict.Admit("192.0.2.1", "CN=good", RateLimiter::CredentialKind::kBearer) == 0);
  CHECK(strict.Admit("192.0.2.1", "CN=good", RateLimiter::CredentialKind::kClientSubject) == 0);
  CHECK(strict.Admit("192.0.2.1", "CN=good", RateLimiter::CredentialKind::kClientSubject) > 0);
  // With a bearer token as well, the token is what counts.
  HttpRequest both = kommun;
  both.headers["authorization"] = "Bearer some-key";
  Handler strict_handler = strict.Wrap([](HttpRequest&) { return HttpResponse{}; });
  CHECK(strict_handler(both).status == 200);
}

}  // namespace
