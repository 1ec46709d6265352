// tillit-bench: load generator for the whole login flow through the issuer's real HTTP API
// and database (docs/performance.md). It provisions simulated devices — enrolled at the
// desk API and activated like a phone, keys held in memory — and then runs full flows with
// C concurrent e-service sessions:
//
//   e-service POST /rp/v1/auth -> device POST /device/v1/orders/scan (the animated QR of
//   docs/protocol.md §2, computed as an e-service would) -> shown -> respond (signed data
//   of §5, Ed25519) -> e-service POST /rp/v1/collect until "complete"
//
// A flow counts only if collect answered "complete" with the device's own identifier.
// What a phone spends on the PIN (the key store's Argon2id unseal) is not simulated: it is
// the phone's cost, not the issuer's (docs/performance.md).
//
// Closed loop by default: each session starts its next flow when the last one ends.
// --rate caps the total start rate (open loop per session) to measure latency at a given
// load; latencies are then still measured from each request's own send time.
#include <cpprest/json.h>
#include <signal.h>
#include <unistd.h>

#include <atomic>
#include <charconv>
#include <chrono>
#include <cinttypes>
#include <cstdio>
#include <cstdlib>
#include <iostream>
#include <map>
#include <memory>
#include <mutex>
#include <optional>
#include <random>
#include <string>
#include <thread>
#include <vector>

#include "bench_support.h"
#include "http_client.h"
#include "tillit/bytes.h"
#include "tillit/crypto/ed25519.h"
#include "tillit/platform/activation_code.h"
#include "tillit/protocol/login_qr.h"
#include "tillit/protocol/signed_data.h"

namespace {

using namespace tillit;
using bench::RandomWord;
using bench::BenchConnection;
using bench::HttpAnswer;
using Clock = std::chrono::steady_clock;

constexpr const char* kUsage =
    "usage: tillit-bench (--server URL --rp-key KEY | --start-server) --devices N\n"
    "                    --concurrency C --duration SECONDS [--rate FLOWS_PER_SECOND] [--json]\n"
    "  Runs full login flows (auth, scan, shown, respond, collect) against a Tillit issuer\n"
    "  and prints flows/s, per-step latency and every error by errorCode.\n"
    "  --server URL      the issuer (http://HOST:PORT). Provisioning N devices needs a desk\n"
    "                    officer token in $TILLIT_DESK_TOKEN (tillit-server admin add-officer).\n"
    "  --rp-key KEY      the e-service API key (tillit-server admin add-rp)\n"
    "  --start-server    run a tillit-server (next to this program) on a temporary data\n"
    "                    directory instead; it is stopped and removed at the end\n"
    "  --devices N       simulated devices to enrol and activate (1..100000)\n"
    "  --concurrency C   concurrent e-service sessions (1..4096)\n"
    "  --duration S      seconds to run flows (1..86400)\n"
    "  --rate R          start at most R flows per second in total (default: as fast as\n"
    "                    the sessions go)\n"
    "  --json            print the results as one JSON object instead of a table\n"
    "  Progress goes to stderr once a second. Exit 0 if the run completed (errors are\n"
    "  reported, not fatal), 1 if it could not run, 2 for a usage error.\n";

int UsageError(const std::string& message) {
  std::cerr << "tillit-bench: " << message << "\n" << kUsage;
  return 2;
}

struct Options {
  std::optional<std::string> server;
  std::optional<std::string> rp_key;
  bool start_server = false;
  bool json = false;
  long devices = 0;
  long concurrency = 0;
  long duration = 0;
  double rate = 0;  // 0: unlimited
};

std::optional<long> ParseLong(const std::string& text, long min, long max) {
  long value = 0;
  auto [end, ec] = std::from_chars(text.data(), text.data() + text.size(), value);
  if (ec != std::errc() || end != text.data() + text.size() || value < min || value > max) {
    return std::nullopt;
  }
  return value;
}

// Returns an error message, or nothing; sets `help` for --help.
std::optional<std::string> ParseArgs(int argc, char** argv, Options& o, bool& help) {
  std::vector<std::string> args(argv + 1, argv + argc);
  bool have_devices = false, have_concurrency = false, have_duration = false;
  for (size_t i = 0; i < args.size(); ++i) {
    std::string name = args[i];
    std::optional<std::string> inline_value;
    if (const size_t eq = name.find('='); name.rfind("--", 0) == 0 && eq != std::string::npos) {
      inline_value = name.substr(eq + 1);
      name = name.substr(0, eq);
    }
    auto flag = [&]() -> std::optional<std::string> {
      if (inline_value) return "option " + name + " takes no value";
      return std::nullopt;
    };
    auto value = [&](std::string& out) -> std::optional<std::string> {
      if (inline_value) {
        out = *inline_value;
      } else {
        if (i + 1 >= args.size()) return "option " + name + " needs a value";
        out = args[++i];
      }
      return std::nullopt;
    };
    std::string text;
    if (name == "--help" || name == "-h") {
      help = true;
      return std::nullopt;
    } else if (name == "--json") {
      if (auto e = flag()) return e;
      o.json = true;
    } else if (name == "--start-server") {
      if (auto e = flag()) return e;
      o.start_server = true;
    } else if (name == "--server") {
      if (auto e = value(text)) return e;
      o.server = text;
    } else if (name == "--rp-key") {
      if (auto e = value(text)) return e;
      o.rp_key = text;
    } else if (name == "--devices" || name == "--concurrency" || name == "--duration") {
      if (auto e = value(text)) return e;
      const long max = name == "--devices" ? 100000 : name == "--concurrency" ? 4096 : 86400;
      auto parsed = ParseLong(text, 1, max);
      if (!parsed) return name + " must be a whole number from 1 to " + std::to_string(max);
      (name == "--devices"       ? (have_devices = true, o.devices)
       : name == "--concurrency" ? (have_concurrency = true, o.concurrency)
                                 : (have_duration = true, o.duration)) = *parsed;
    } else if (name == "--rate") {
      if (auto e = value(text)) return e;
      auto parsed = ParseLong(text, 1, 10'000'000);
      if (!parsed) return "--rate must be a whole number of flows per second, 1 to 10000000";
      o.rate = static_cast<double>(*parsed);
    } else {
      return "unknown option " + args[i];
    }
  }
  if (o.start_server && (o.server || o.rp_key)) {
    return "--start-server runs its own server: do not give --server or --rp-key";
  }
  if (!o.start_server && (!o.server || !o.rp_key)) {
    return "give --server URL and --rp-key KEY, or --start-server";
  }
  if (!have_devices) return "--devices is required";
  if (!have_concurrency) return "--concurrency is required";
  if (!have_duration) return "--duration is required";
  return std::nullopt;
}

// --- provisioning ---

struct Device {
  std::string identifier;  // canonical, as the issuer returned it
  std::string serial;
  crypto::SigningKey key;
};

Result<web::json::value> ParseOk(const Result<HttpAnswer>& answer, int expected, const char* what) {
  if (!answer.ok()) return answer.error();
  if (answer->status != expected) {
    return MakeError(bench::ErrorCodeOf(answer->status, answer->body),
                     std::string(what) + ": HTTP " + std::to_string(answer->status));
  }
  try {
    return web::json::value::parse(answer->body);
  } catch (const std::exception&) {
    return MakeError("badAnswer", std::string(what) + ": not JSON");
  }
}

std::string Str(const web::json::value& v, const char* name) {
  if (!v.has_field(name) || !v.at(name).is_string()) return "";
  return v.at(name).as_string();
}

// One person through the desk (enrol at level 3, issue) and one phone through activation
// (docs/desk-api.md), as tillit-desk and tillit-device do it.
Result<Device> Provision(BenchConnection& conn, const std::string& officer_token,
                         std::mt19937_64& rng) {
  const std::string given = RandomWord(rng, 3);
  const std::string surname = RandomWord(rng, 4);
  char birth[16];
  std::snprintf(birth, sizeof birth, "%04d-%02d-%02d", 1940 + static_cast<int>(rng() % 65),
                1 + static_cast<int>(rng() % 12), 1 + static_cast<int>(rng() % 28));
  std::string passport = "B";
  for (int i = 0; i < 8; ++i) passport.push_back("0123456789"[rng() % 10]);
  const std::string enrol = "{\"person\":{\"givenName\":\"" + given + "\",\"surname\":\"" +
                            surname + "\",\"birthDate\":\"" + birth +
                            "\",\"nationality\":\"SYR\"},\"evidence\":[{\"type\":\"passport\","
                            "\"number\":\"" +
                            passport +
                            "\",\"country\":\"SYR\",\"expiry\":"
                            "\"2035-01-01\"}],\"checks\":[\"chip-read\",\"face-to-photo\"]}";
  TILLIT_TRY_ASSIGN(auto created,
                    ParseOk(conn.Post("/desk/v1/enrolments", enrol, officer_token), 201, "enrol"));
  const std::string id = Str(created, "enrolmentId");
  if (created.has_field("possibleDuplicates") && created.at("possibleDuplicates").size() > 0) {
    // Random names can sound alike; the bench's people are all different.
    TILLIT_TRY(ParseOk(conn.Post("/desk/v1/enrolments/" + id + "/resolve",
                                 "{\"resolution\":\"different\",\"reason\":\"bench: generated "
                                 "people\"}",
                                 officer_token),
                       200, "resolve"));
  }
  TILLIT_TRY_ASSIGN(auto issued,
                    ParseOk(conn.Post("/desk/v1/enrolments/" + id + "/issue", "{}", officer_token),
                            201, "issue"));
  TILLIT_TRY_ASSIGN(std::string code,
                    platform::CanonicalActivationCode(Str(issued, "activationCode")));
  TILLIT_TRY_ASSIGN(auto challenge, ParseOk(conn.Post("/device/v1/activation/challenge",
                                                      "{\"activationCode\":\"" + code + "\"}"),
                                            200, "activation challenge"));
  TILLIT_TRY_ASSIGN(Bytes nonce, Base64UrlDecode(Str(challenge, "nonce")));
  crypto::SigningKey key = crypto::SigningKey::Generate();
  TILLIT_TRY_ASSIGN(Bytes message,
                    platform::ActivationSignedBytes(nonce, code, key.verifying_key().bytes()));
  const crypto::Signature signature = key.Sign(message);
  TILLIT_TRY_ASSIGN(
      auto done,
      ParseOk(
          conn.Post("/device/v1/activation/complete",
                    "{\"activationCode\":\"" + code + "\",\"nonce\":\"" + Base64UrlEncode(nonce) +
                        "\",\"publicKey\":\"" + Base64UrlEncode(key.verifying_key().bytes()) +
                        "\",\"signature\":\"" + Base64UrlEncode(signature.bytes()) + "\"}"),
          201, "activation complete"));
  return Device{Str(done, "identifier"), Str(done, "credentialSerial"), std::move(key)};
}

// --- the flows ---

enum Step { kAuth, kScan, kShown, kRespond, kCollect, kFlow, kSteps };
constexpr const char* kStepNames[kSteps] = {"auth", "scan", "shown", "respond", "collect", "flow"};

struct SessionStats {
  std::vector<uint32_t> latency_us[kSteps];
  std::map<std::string, uint64_t> errors;
};

struct Shared {
  bench::ServerAddress address;
  std::string rp_key;
  const std::vector<Device>* devices = nullptr;
  Clock::time_point start;
  Clock::time_point stop;
  double rate = 0;
  long concurrency = 1;
  std::atomic<uint64_t> flows{0};
  std::atomic<uint64_t> errors{0};
  std::atomic<bool> abort{false};
};

uint32_t MicrosSince(Clock::time_point t) {
  return static_cast<uint32_t>(
      std::chrono::duration_cast<std::chrono::microseconds>(Clock::now() - t).count());
}

class Session {
 public:
  Session(Shared& shared, size_t index)
      : shared_(shared), index_(index), rp_(shared.address), device_(shared.address) {}

  void Run() {
    const auto interval = shared_.rate > 0
                              ? std::chrono::duration<double>(shared_.concurrency / shared_.rate)
                              : std::chrono::duration<double>(0);
    // Sessions are staggered over one interval so that a rate-limited run starts evenly.
    auto next =
        shared_.start +
        std::chrono::duration_cast<Clock::duration>(
            interval * (static_cast<double>(index_) / static_cast<double>(shared_.concurrency)));
    const auto& devices = *shared_.devices;
    size_t device_index = index_ % devices.size();
    while (!shared_.abort.load(std::memory_order_relaxed)) {
      if (shared_.rate > 0) {
        if (next >= shared_.stop) break;
        std::this_thread::sleep_until(next);
        next += std::chrono::duration_cast<Clock::duration>(interval);
      }
      if (Clock::now() >= shared_.stop) break;
      const Device& device = devices[device_index];
      device_index = (device_index + static_cast<size_t>(shared_.concurrency)) % devices.size();
      const auto flow_start = Clock::now();
      if (auto error = Flow(device)) {
        ++stats_.errors[*error];
        shared_.errors.fetch_add(1, std::memory_order_relaxed);
      } else {
        stats_.latency_us[kFlow].push_back(MicrosSince(flow_start));
        shared_.flows.fetch_add(1, std::memory_order_relaxed);
      }
    }
  }

  SessionStats& stats() { return stats_; }

 private:
  // One request, timed into `step`. Any non-`expected` status is an error named by its
  // errorCode.
  std::optional<std::string> Call(BenchConnection& conn, Step step, std::string_view path,
                                  const std::string& body, std::string_view bearer,
                                  HttpAnswer& out) {
    const auto t = Clock::now();
    auto answer = conn.Post(path, body, bearer);
    if (!answer.ok()) return std::string(kStepNames[step]) + ":transport";
    stats_.latency_us[step].push_back(MicrosSince(t));
    out = std::move(*answer);
    if (out.status != 200) {
      return std::string(kStepNames[step]) + ":" + bench::ErrorCodeOf(out.status, out.body);
    }
    return std::nullopt;
  }

  // Returns the error that ended the flow, or nothing if it completed correctly.
  std::optional<std::string> Flow(const Device& device) {
    HttpAnswer a;
    // The e-service starts a login (no required identifier: any enrolled resident may
    // answer, as with an animated QR on a public page).
    if (auto e =
            Call(rp_, kAuth, "/rp/v1/auth", "{\"endUserIp\":\"192.0.2.7\"}", shared_.rp_key, a)) {
      return e;
    }
    const auto answered = Clock::now();
    auto order_ref = bench::JsonStringField(a.body, "orderRef");
    auto token = bench::JsonStringField(a.body, "qrStartToken");
    auto secret = bench::JsonStringField(a.body, "qrStartSecret");
    if (!order_ref || !token || !secret) return std::string("auth:badAnswer");
    const std::string ref(*order_ref);
    // The QR the e-service shows now: t counts whole seconds from its own answer.
    const int64_t t =
        std::chrono::duration_cast<std::chrono::seconds>(Clock::now() - answered).count();
    const std::string qr = protocol::FormatLoginQr(*token, *secret, t);

    if (auto e = Call(device_, kScan, "/device/v1/orders/scan",
                      "{\"qrText\":\"" + qr + "\",\"credentialSerial\":\"" + device.serial + "\"}",
                      {}, a)) {
      return e;
    }
    auto challenge_text = bench::JsonStringField(a.body, "challenge");
    auto rp_id = bench::JsonStringField(a.body, "rpId");
    auto rp_name = bench::JsonStringField(a.body, "rpName");
    if (!challenge_text || !rp_id || !rp_name) return std::string("scan:badAnswer");
    auto challenge = Base64UrlDecode(*challenge_text);
    if (!challenge.ok()) return std::string("scan:badAnswer");
    protocol::SignedData data;
    data.action = protocol::OrderAction::kAuth;
    data.order_ref = ref;
    data.challenge = *challenge;
    data.rp_id = std::string(*rp_id);
    data.rp_name = std::string(*rp_name);
    data.credential_serial = device.serial;
    data.start = qr;
    const std::string challenge_field(*challenge_text);

    if (auto e = Call(device_, kShown, "/device/v1/orders/shown",
                      "{\"orderRef\":\"" + ref + "\",\"challenge\":\"" + challenge_field + "\"}",
                      {}, a)) {
      return e;
    }
    // (A phone would now ask for the PIN and unseal its key.)
    data.signed_at = std::chrono::duration_cast<std::chrono::seconds>(
                         std::chrono::system_clock::now().time_since_epoch())
                         .count();
    auto signed_bytes = protocol::SerializeSignedData(data);
    if (!signed_bytes.ok()) return std::string("respond:serialize");
    const crypto::Signature signature = device.key.Sign(*signed_bytes);
    if (auto e = Call(device_, kRespond, "/device/v1/orders/respond",
                      "{\"orderRef\":\"" + ref + "\",\"signedData\":\"" +
                          Base64UrlEncode(*signed_bytes) + "\",\"signature\":\"" +
                          Base64UrlEncode(signature.bytes()) + "\"}",
                      {}, a)) {
      return e;
    }

    // The issuer answers respond only once the result is durable, so the first collect
    // normally sees it; an e-service would poll every second or two, the bench sooner.
    const std::string collect_body = "{\"orderRef\":\"" + ref + "\"}";
    for (int attempt = 0; attempt < 200; ++attempt) {
      if (auto e = Call(rp_, kCollect, "/rp/v1/collect", collect_body, shared_.rp_key, a)) {
        return e;
      }
      auto status = bench::JsonStringField(a.body, "status");
      if (!status) return std::string("collect:badAnswer");
      if (*status == "complete") {
        // completionData.user.identifier must be this device's person.
        const size_t user = a.body.find("\"user\":{");
        auto identifier = user == std::string::npos
                              ? std::nullopt
                              : bench::JsonStringField(a.body, "identifier", user);
        if (!identifier) return std::string("collect:badAnswer");
        if (*identifier != device.identifier) return std::string("collect:wrongIdentifier");
        return std::nullopt;
      }
      if (*status != "pending") {
        auto hint = bench::JsonStringField(a.body, "hintCode");
        return "collect:" + std::string(*status) + "/" + std::string(hint ? *hint : "");
      }
      std::this_thread::sleep_for(std::chrono::milliseconds(5));
    }
    return std::string("collect:timeout");
  }

  Shared& shared_;
  size_t index_;
  BenchConnection rp_;      // the e-service's connection
  BenchConnection device_;  // the phone's connection
  SessionStats stats_;
};

std::string Fixed(double v, int digits) {
  char buf[64];
  std::snprintf(buf, sizeof buf, "%.*f", digits, v);
  return buf;
}

}  // namespace

int main(int argc, char** argv) {
  signal(SIGPIPE, SIG_IGN);
  Options options;
  bool help = false;
  if (auto error = ParseArgs(argc, argv, options, help)) return UsageError(*error);
  if (help) {
    std::cout << kUsage;
    return 0;
  }

  std::unique_ptr<bench::LocalServer> local;
  std::string url, rp_key, officer_token;
  if (options.start_server) {
    auto started = bench::LocalServer::Start(bench::ExecutableDir() + "/tillit-server");
    if (!started.ok()) {
      std::cerr << "tillit-bench: " << started.error().message << "\n";
      return 1;
    }
    local = std::move(*started);
    url = local->url();
    rp_key = local->rp_key();
    officer_token = local->officer_token();
  } else {
    url = *options.server;
    rp_key = *options.rp_key;
    const char* token = std::getenv("TILLIT_DESK_TOKEN");
    if (token == nullptr || *token == '\0') {
      return UsageError("provisioning devices needs an officer token in $TILLIT_DESK_TOKEN");
    }
    officer_token = token;
  }
  auto address = bench::ParseServerUrl(url);
  if (!address.ok()) return UsageError(address.error().message);

  // Provision the devices, a few at a time (each is four durable writes on the issuer).
  std::cerr << "tillit-bench: provisioning " << options.devices << " devices at " << url << "\n";
  const auto provision_start = Clock::now();
  std::vector<std::optional<Device>> slots(static_cast<size_t>(options.devices));
  std::atomic<size_t> next_slot{0};
  std::mutex error_mutex;
  std::optional<Error> provision_error;
  {
    std::vector<std::thread> workers;
    const size_t n = std::min<size_t>(8, slots.size());
    for (size_t w = 0; w < n; ++w) {
      workers.emplace_back([&, w] {
        BenchConnection conn(*address);
        std::mt19937_64 rng(std::random_device{}() ^ (w * 0x9e3779b97f4a7c15ULL));
        for (size_t i; (i = next_slot.fetch_add(1)) < slots.size();) {
          auto device = Provision(conn, officer_token, rng);
          if (!device.ok()) {
            std::lock_guard lock(error_mutex);
            if (!provision_error) provision_error = device.error();
            return;
          }
          slots[i] = std::move(*device);
        }
      });
    }
    for (auto& t : workers) t.join();
  }
  if (provision_error) {
    std::cerr << "tillit-bench: provisioning failed: " << provision_error->code << ": "
              << provision_error->message << "\n";
    return 1;
  }
  std::vector<Device> devices;
  for (auto& slot : slots) devices.push_back(std::move(*slot));
  const double provision_s = std::chrono::duration<double>(Clock::now() - provision_start).count();
  std::cerr << "tillit-bench: provisioned " << devices.size() << " devices in "
            << Fixed(provision_s, 2) << " s; running " << options.concurrency << " sessions for "
            << options.duration << " s\n";

  Shared shared;
  shared.address = *address;
  shared.rp_key = rp_key;
  shared.devices = &devices;
  shared.rate = options.rate;
  shared.concurrency = options.concurrency;
  shared.start = Clock::now();
  shared.stop = shared.start + std::chrono::seconds(options.duration);

  std::vector<std::unique_ptr<Session>> sessions;
  for (long i = 0; i < options.concurrency; ++i) {
    sessions.push_back(std::make_unique<Session>(shared, static_cast<size_t>(i)));
  }
  std::vector<std::thread> threads;
  for (auto& s : sessions) threads.emplace_back([&s] { s->Run(); });

  // Progress once a second on stderr.
  std::atomic<bool> done{false};
  std::thread progress([&] {
    uint64_t last_flows = 0;
    auto tick = shared.start;
    while (!done.load()) {
      tick += std::chrono::seconds(1);
      while (!done.load() && Clock::now() < tick) {
        std::this_thread::sleep_for(std::chrono::milliseconds(20));
      }
      if (done.load()) break;
      const uint64_t flows = shared.flows.load();
      const double elapsed = std::chrono::duration<double>(Clock::now() - shared.start).count();
      std::fprintf(stderr,
                   "tillit-bench: %5.0f s  %10" PRIu64 " flows  %8" PRIu64 " flows/s  %" PRIu64
                   " errors\n",
                   elapsed, flows, flows - last_flows, shared.errors.load());
      last_flows = flows;
    }
  });
  for (auto& t : threads) t.join();
  const double elapsed = std::chrono::duration<double>(Clock::now() - shared.start).count();
  done.store(true);
  progress.join();

  // Merge.
  SessionStats total;
  for (auto& s : sessions) {
    for (int step = 0; step < kSteps; ++step) {
      auto& from = s->stats().latency_us[step];
      total.latency_us[step].insert(total.latency_us[step].end(), from.begin(), from.end());
    }
    for (const auto& [code, n] : s->stats().errors) total.errors[code] += n;
  }
  const uint64_t flows = shared.flows.load();
  const uint64_t errors = shared.errors.load();
  const double rate = static_cast<double>(flows) / elapsed;
  bench::LatencySummary summary[kSteps];
  for (int step = 0; step < kSteps; ++step)
    summary[step] = bench::Summarise(total.latency_us[step]);

  if (options.json) {
    web::json::value v = web::json::value::object(true);
    v["server"] = web::json::value::string(url);
    v["devices"] = web::json::value::number(static_cast<int64_t>(devices.size()));
    v["concurrency"] = web::json::value::number(static_cast<int64_t>(options.concurrency));
    v["rateLimit"] = web::json::value::number(options.rate);
    v["durationSeconds"] = web::json::value::number(elapsed);
    v["provisionSeconds"] = web::json::value::number(provision_s);
    v["flows"] = web::json::value::number(flows);
    v["flowsPerSecond"] = web::json::value::number(rate);
    v["errors"] = web::json::value::number(errors);
    web::json::value codes = web::json::value::object(true);
    for (const auto& [code, n] : total.errors) codes[code] = web::json::value::number(n);
    v["errorsByCode"] = codes;
    web::json::value steps = web::json::value::object(true);
    for (int step = 0; step < kSteps; ++step) {
      web::json::value s = web::json::value::object(true);
      s["count"] = web::json::value::number(static_cast<uint64_t>(summary[step].count));
      s["p50Ms"] = web::json::value::number(summary[step].p50_ms);
      s["p95Ms"] = web::json::value::number(summary[step].p95_ms);
      s["p99Ms"] = web::json::value::number(summary[step].p99_ms);
      s["maxMs"] = web::json::value::number(summary[step].max_ms);
      steps[kStepNames[step]] = s;
    }
    v["latency"] = steps;
    std::cout << v.serialize() << "\n";
  } else {
    std::printf("tillit-bench: %s, %zu devices, %ld sessions%s, %.1f s\n", url.c_str(),
                devices.size(), options.concurrency,
                options.rate > 0 ? (", rate " + Fixed(options.rate, 0) + "/s").c_str() : "",
                elapsed);
    std::printf("complete flows  %" PRIu64 "  (%.1f flows/s)\n", flows, rate);
    std::printf("errors          %" PRIu64 "\n", errors);
    for (const auto& [code, n] : total.errors)
      std::printf("  %-40s %" PRIu64 "\n", code.c_str(), n);
    std::printf("%-8s %10s %9s %9s %9s %9s\n", "step", "count", "p50 ms", "p95 ms", "p99 ms",
                "max ms");
    for (int step = 0; step < kSteps; ++step) {
      std::printf("%-8s %10zu %9.3f %9.3f %9.3f %9.3f\n", kStepNames[step], summary[step].count,
                  summary[step].p50_ms, summary[step].p95_ms, summary[step].p99_ms,
                  summary[step].max_ms);
    }
  }
  std::fflush(stdout);
  return 0;
}
