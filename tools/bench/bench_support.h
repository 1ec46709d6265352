// Pieces of tillit-bench that are not the flow itself: a cheap reader for the few string
// fields the bench needs from the issuer's JSON answers, latency summaries, and starting
// a throw-away issuer (`--start-server`).
//
// Thread safety: free functions are thread-safe; a LocalServer belongs to one thread.
#pragma once

#include <sys/types.h>

#include <cstdint>
#include <memory>
#include <optional>
#include <random>
#include <string>
#include <string_view>
#include <vector>

#include "tillit/result.h"

namespace tillit::bench {

// The value of the first `"key":"..."` in `json` at or after `from`, if that value has no
// escape sequences. The issuer's answers put tokens, serials and base64 there, none of
// which need escaping; a value with a backslash is reported as absent, and callers that
// care fall back to a full parser. Cheap on purpose: the bench shares the machine with the
// server, and every microsecond it spends parsing is taken from the issuer.
std::optional<std::string_view> JsonStringField(std::string_view json, std::string_view key,
                                                size_t from = 0);

// The errorCode of an issuer error body ({"errorCode": ...}), or "http<status>" when the
// body has none.
std::string ErrorCodeOf(int status, std::string_view body);

// p50/p95/p99/max of samples in microseconds.
struct LatencySummary {
  size_t count = 0;
  double p50_ms = 0, p95_ms = 0, p99_ms = 0, max_ms = 0;
};
// Sorts `samples_us` in place.
LatencySummary Summarise(std::vector<uint32_t>& samples_us);

// The directory holding this executable (to find tillit-server next to it).
std::string ExecutableDir();

// A pronounceable capitalised word of `syllables` consonant-vowel pairs ("Bado"): names of
// simulated people, far enough apart that enrolment finds few possible duplicates.
std::string RandomWord(std::mt19937_64& rng, size_t syllables);

// Runs a program (argv[0] is a path) and returns what it printed on stdout; its stderr
// goes to ours. Errors: "internalError" (could not run, or it exited non-zero).
Result<std::string> RunCapture(const std::vector<std::string>& argv);

// A tillit-server on a fresh temporary data directory and a free loopback port, with one
// supervisor (for the desk API) and one e-service. Stopped (SIGTERM, then waited for) and
// its directory removed on destruction. The server's stderr goes to <dir>/server.log,
// which is printed if it fails to start.
class LocalServer {
 public:
  static Result<std::unique_ptr<LocalServer>> Start(const std::string& server_binary);
  ~LocalServer();
  LocalServer(const LocalServer&) = delete;
  LocalServer& operator=(const LocalServer&) = delete;

  const std::string& url() const { return url_; }
  const std::string& officer_token() const { return officer_token_; }
  const std::string& rp_key() const { return rp_key_; }
  pid_t pid() const { return pid_; }

 private:
  LocalServer() = default;
  std::string dir_;
  std::string url_;
  std::string officer_token_;
  std::string rp_key_;
  pid_t pid_ = -1;
};

}  // namespace tillit::bench
