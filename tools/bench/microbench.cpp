// tillit-microbench: Google Benchmark figures for the parts of a login (docs/
// performance.md), from which the CPU bound on flows per second is computed:
//   - Ed25519 verify with bare libsodium and with OpenSSL 3's EVP interface (baselines;
//     product code reaches both only through core/src), and through core's VerifyingKey;
//   - Ed25519 sign (the result JWS), HMAC-SHA256 (the QR code, API-key hashes);
//   - the login QR code (e-service side) and its checks (issuer side);
//   - the signed data of docs/protocol.md §5, serialised and parsed;
//   - the whole device-response verification as the server does it: the respond body
//     parsed as the route parses it, then OrderService::CheckResponse on a real order in a
//     real store (order binding, challenge, fields, signedAt, signature, credential status
//     read from SQLite), plus the QR checks of the same flow;
//   - SQLite one-row commits through the storage library, synchronous=NORMAL (kFast) vs
//     FULL (kDurable), and completion writes one by one vs in a group commit;
//   - identifier allocation in core (keyed permutation + formatting).
// State lives in a temporary directory removed at exit. Run with
// --benchmark_min_time=... as usual; tools/bench/run-all.sh picks the options.
#include <benchmark/benchmark.h>
#include <openssl/evp.h>
#include <sodium.h>
#include <pthread.h>
#include <sched.h>
#include <unistd.h>

#include <atomic>
#include <barrier>
#include <cstdlib>
#include <filesystem>
#include <memory>
#include <string>
#include <thread>
#include <vector>

#include "completion_writer.h"
#include "http_client.h"
#include "tillit/bytes.h"
#include "tillit/crypto/ed25519.h"
#include "tillit/crypto/hash.h"
#include "tillit/crypto/random.h"
#include "tillit/identifier/scheme.h"
#include "tillit/ports.h"
#include "tillit/protocol/login_qr.h"
#include "tillit/protocol/signed_data.h"
#include "tillit/server/api/http.h"
#include "tillit/server/api/http_server.h"
#include "tillit/server/api/json.h"
#include "tillit/service/accounts.h"
#include "tillit/service/activation_service.h"
#include "tillit/service/enrolment_service.h"
#include "tillit/service/issuer_keys.h"
#include "tillit/service/order_service.h"
#include "tillit/storage/sqlite_store.h"

namespace {

using namespace tillit;
using server::storage::Durability;
using server::storage::Transaction;

[[noreturn]] void Die(const std::string& what, const Error& error) {
  std::fprintf(stderr, "tillit-microbench: %s: %s: %s\n", what.c_str(), error.code.c_str(),
               error.message.c_str());
  std::exit(1);
}

template <typename R>
auto Must(R&& result, const std::string& what) {
  if (!result.ok()) Die(what, result.error());
  if constexpr (std::is_same_v<std::decay_t<R>, Status>) {
    return 0;
  } else {
    return std::move(*result);
  }
}

// A signed-data payload of the size a real login signs (the QR text as start, a typical
// e-service name).
protocol::SignedData SampleSignedData() {
  protocol::SignedData data;
  data.action = protocol::OrderAction::kAuth;
  data.order_ref = protocol::GenerateUuidV4();
  data.challenge = crypto::RandomBytes(32);
  data.rp_id = "rp_0123456789abcdef";
  data.rp_name = "Exempelkommun";
  data.credential_serial = "0123456789abcdef0123456789abcdef";
  data.start = protocol::FormatLoginQr(protocol::GenerateUuidV4(), protocol::GenerateUuidV4(), 0);
  data.signed_at = 1'800'000'000;
  return data;
}

struct SignedSample {
  crypto::SigningKey key = crypto::SigningKey::Generate();
  Bytes message = Must(protocol::SerializeSignedData(SampleSignedData()), "serialize");
  crypto::Signature signature = key.Sign(message);
};

const SignedSample& Sample() {
  static const SignedSample sample;
  return sample;
}

// --- crypto ---

void BM_Ed25519Verify_Libsodium(benchmark::State& state) {
  const auto& s = Sample();
  for (auto _ : state) {
    int rc = crypto_sign_verify_detached(s.signature.bytes().data(), s.message.data(),
                                         s.message.size(), s.key.verifying_key().bytes().data());
    benchmark::DoNotOptimize(rc);
    if (rc != 0) state.SkipWithError("verify failed");
  }
  state.SetItemsProcessed(state.iterations());
}
BENCHMARK(BM_Ed25519Verify_Libsodium);

void BM_Ed25519Verify_OpenSslEvp(benchmark::State& state) {
  const auto& s = Sample();
  EVP_PKEY* pkey = EVP_PKEY_new_raw_public_key(EVP_PKEY_ED25519, nullptr,
                                               s.key.verifying_key().bytes().data(), 32);
  EVP_MD_CTX* ctx = EVP_MD_CTX_new();
  for (auto _ : state) {
    // The key object is made once; per call only what a verify needs (RFC 8032 pure
    // Ed25519 takes no digest, so the context is re-initialised for every message).
    int ok = EVP_DigestVerifyInit(ctx, nullptr, nullptr, nullptr, pkey) == 1 &&
             EVP_DigestVerify(ctx, s.signature.bytes().data(), 64, s.message.data(),
                              s.message.size()) == 1;
    benchmark::DoNotOptimize(ok);
    if (!ok) state.SkipWithError("verify failed");
  }
  EVP_MD_CTX_free(ctx);
  EVP_PKEY_free(pkey);
  state.SetItemsProcessed(state.iterations());
}
BENCHMARK(BM_Ed25519Verify_OpenSslEvp);

// As OrderService does it: key and signature objects from bytes, then Verify.
void BM_Ed25519Verify_Core(benchmark::State& state) {
  const auto& s = Sample();
  const Bytes key_bytes(s.key.verifying_key().bytes().begin(), s.key.verifying_key().bytes().end());
  const Bytes sig_bytes(s.signature.bytes().begin(), s.signature.bytes().end());
  for (auto _ : state) {
    auto key = crypto::VerifyingKey::Create(key_bytes);
    auto sig = crypto::Signature::Parse(sig_bytes);
    bool ok = key.ok() && sig.ok() && key->Verify(s.message, *sig).ok();
    benchmark::DoNotOptimize(ok);
    if (!ok) state.SkipWithError("verify failed");
  }
  state.SetItemsProcessed(state.iterations());
}
BENCHMARK(BM_Ed25519Verify_Core);

// The key validated once (OrderService keeps validated holder keys per credential): what a
// login of a device seen before costs.
void BM_Ed25519Verify_CoreKeyKept(benchmark::State& state) {
  const auto& s = Sample();
  const crypto::VerifyingKey& key = s.key.verifying_key();
  const Bytes sig_bytes(s.signature.bytes().begin(), s.signature.bytes().end());
  for (auto _ : state) {
    auto sig = crypto::Signature::Parse(sig_bytes);
    bool ok = sig.ok() && key.Verify(s.message, *sig).ok();
    benchmark::DoNotOptimize(ok);
    if (!ok) state.SkipWithError("verify failed");
  }
  state.SetItemsProcessed(state.iterations());
}
BENCHMARK(BM_Ed25519Verify_CoreKeyKept);

void BM_Ed25519Sign(benchmark::State& state) {
  const auto& s = Sample();
  for (auto _ : state) benchmark::DoNotOptimize(s.key.Sign(s.message));
  state.SetItemsProcessed(state.iterations());
}
BENCHMARK(BM_Ed25519Sign);

void BM_HmacSha256(benchmark::State& state) {
  const std::string secret = protocol::GenerateUuidV4();
  const std::string message = "17";
  for (auto _ : state)
    benchmark::DoNotOptimize(crypto::HmacSha256(AsBytes(secret), AsBytes(message)));
  state.SetItemsProcessed(state.iterations());
}
BENCHMARK(BM_HmacSha256);

// --- protocol ---

// What an e-service computes every second per order it shows.
void BM_LoginQr_Format(benchmark::State& state) {
  const std::string token = protocol::GenerateUuidV4(), secret = protocol::GenerateUuidV4();
  int64_t t = 0;
  for (auto _ : state) benchmark::DoNotOptimize(protocol::FormatLoginQr(token, secret, t++ % 180));
  state.SetItemsProcessed(state.iterations());
}
BENCHMARK(BM_LoginQr_Format);

// What the issuer does with a scanned code (docs/protocol.md §2 steps 1, 3 and 4).
void BM_LoginQr_Check(benchmark::State& state) {
  const std::string token = protocol::GenerateUuidV4(), secret = protocol::GenerateUuidV4();
  const std::string qr = protocol::FormatLoginQr(token, secret, 2);
  for (auto _ : state) {
    auto parsed = protocol::ParseLoginQr(qr);
    bool ok = parsed.ok() && protocol::CheckLoginQrCode(*parsed, secret).ok() &&
              protocol::CheckLoginQrFresh(parsed->t, 2500).ok();
    benchmark::DoNotOptimize(ok);
    if (!ok) state.SkipWithError("QR refused");
  }
  state.SetItemsProcessed(state.iterations());
}
BENCHMARK(BM_LoginQr_Check);

void BM_SignedData_Serialize(benchmark::State& state) {
  const protocol::SignedData data = SampleSignedData();
  for (auto _ : state) benchmark::DoNotOptimize(protocol::SerializeSignedData(data));
  state.SetItemsProcessed(state.iterations());
}
BENCHMARK(BM_SignedData_Serialize);

void BM_SignedData_Parse(benchmark::State& state) {
  const auto& s = Sample();
  for (auto _ : state) benchmark::DoNotOptimize(protocol::ParseSignedData(s.message));
  state.SetItemsProcessed(state.iterations());
}
BENCHMARK(BM_SignedData_Parse);

void BM_IdentifierAllocate(benchmark::State& state) {
  const auto scheme = Must(identifier::IdentifierScheme::Create(crypto::RandomBytes(32)), "scheme");
  uint64_t serial = 0;
  for (auto _ : state) {
    auto id = scheme.FromSerial(serial++);
    benchmark::DoNotOptimize(id);
  }
  state.SetItemsProcessed(state.iterations());
}
BENCHMARK(BM_IdentifierAllocate);

// FromSerials over consecutive blocks of range(0) serials, as for a desk's lease; the
// rate is per identifier. The vector each call returns is part of the cost.
void BM_IdentifierAllocateBatch(benchmark::State& state) {
  const auto scheme = Must(identifier::IdentifierScheme::Create(crypto::RandomBytes(32)), "scheme");
  std::vector<uint64_t> serials(static_cast<size_t>(state.range(0)));
  uint64_t next = 0;
  for (auto _ : state) {
    for (auto& serial : serials) serial = next++;
    auto ids = scheme.FromSerials(serials);
    benchmark::DoNotOptimize(ids);
  }
  state.SetItemsProcessed(state.iterations() * state.range(0));
}
BENCHMARK(BM_IdentifierAllocateBatch)->Arg(64)->Arg(4096);

// The permutation alone, over blocks of 4096 consecutive serials: range(0) = 0 is one
// Permute call per value, 1 PermuteBatch's portable kernel, 2 its AVX2 kernel (skipped on
// a CPU without AVX2). The rate is per value.
void BM_IdentifierPermute(benchmark::State& state) {
  using Lanes = identifier::FeistelPermutation::Lanes;
  const auto permutation = Must(
      identifier::FeistelPermutation::Create(crypto::RandomBytes(32), identifier::kPayloadCount),
      "permutation");
  const Lanes lanes = state.range(0) == 2 ? Lanes::kAvx2 : Lanes::kPortable;
  if (!identifier::FeistelPermutation::Supported(lanes)) {
    state.SkipWithError("this CPU has no AVX2");
    return;
  }
  std::vector<uint64_t> xs(4096), ys(xs.size());
  uint64_t next = 0;
  for (auto _ : state) {
    for (auto& x : xs) x = next++;
    if (state.range(0) == 0) {
      for (size_t i = 0; i < xs.size(); ++i) ys[i] = permutation.Permute(xs[i]);
    } else {
      permutation.PermuteBatch(xs, ys, lanes);
    }
    benchmark::DoNotOptimize(ys.data());
    benchmark::ClobberMemory();
  }
  state.SetItemsProcessed(state.iterations() * static_cast<int64_t>(xs.size()));
}
BENCHMARK(BM_IdentifierPermute)->Arg(0)->Arg(1)->Arg(2);

// --- an issuer with one enrolled, activated person and a scanned order ---

class Issuer {
 public:
  Issuer() {
    std::string tmpl =
        (std::filesystem::temp_directory_path() / "tillit-microbench-XXXXXX").string();
    if (::mkdtemp(tmpl.data()) == nullptr) std::abort();
    root_ = tmpl;
    const std::string dir = root_ + "/data";
    keys_ = std::make_unique<service::IssuerKeys>(
        Must(service::IssuerKeys::LoadOrCreate(dir, clock_), "keys"));
    store_ = Must(server::storage::OpenSqliteStore({.path = service::DatabasePath(dir)}), "store");
    accounts_ = std::make_unique<service::AccountService>(*store_, clock_, *keys_);
    auto officer_token =
        Must(accounts_->AddOfficer("Bench", "Bench", "supervisor"), "officer").token;
    officer_ = Must(accounts_->AuthenticateOfficer(officer_token), "officer auth");
    rp_key_ = Must(accounts_->AddRelyingParty("Exempelkommun"), "rp").api_key;
    rp_ = Must(accounts_->AuthenticateRelyingParty(rp_key_), "rp auth");
    orders_ = std::make_unique<service::OrderService>(*store_, clock_, *keys_,
                                                      "https://id.tillit.example");
    service::EnrolmentService enrolments(*store_, clock_, *keys_);
    service::ActivationService activations(*store_, clock_, *keys_);
    service::EnrolmentRequest request;
    request.person.given_name = "Amal";
    request.person.surname = "Hassan";
    request.person.birth_date = "1990-04-01";
    request.person.nationality = "SYR";
    request.evidence.push_back(
        {.type = "passport", .number = "P1234567", .country = "SYR", .expiry = "2035-01-01"});
    request.checks = {"chip-read", "face-to-photo"};
    auto created = Must(enrolments.Create(officer_, request), "enrol");
    auto issued = Must(enrolments.Issue(officer_, created.enrolment_id), "issue");
    auto challenge = Must(activations.Challenge(issued.activation_code), "challenge");
    auto code = Must(service::CanonicalActivationCode(issued.activation_code), "code");
    const Bytes message = service::ActivationSignedMessage(challenge.nonce, code,
                                                           device_key_.verifying_key().bytes());
    credential_ = Must(activations.Complete(issued.activation_code, challenge.nonce,
                                            device_key_.verifying_key().bytes(),
                                            device_key_.Sign(message).bytes()),
                       "activate");
  }
  ~Issuer() {
    orders_.reset();
    accounts_.reset();
    store_.reset();
    std::error_code ignored;
    std::filesystem::remove_all(root_, ignored);
  }

  // A started order and the respond body the device would send for it.
  struct Prepared {
    std::string order_ref;
    std::string qr;
    std::string qr_secret;
    std::string respond_body;
  };
  Prepared PrepareOrder() {
    service::OrderRequest request;
    request.end_user_ip = "192.0.2.7";
    auto started = Must(orders_->Start(rp_, request), "start");
    const std::string qr =
        protocol::FormatLoginQr(started.qr_start_token, started.qr_start_secret, 0);
    auto scanned = Must(orders_->ScanQr(qr, credential_.credential_serial), "scan");
    protocol::SignedData data;
    data.action = scanned.action;
    data.order_ref = scanned.order_ref;
    data.challenge = scanned.challenge;
    data.rp_id = scanned.rp_id;
    data.rp_name = scanned.rp_name;
    data.credential_serial = credential_.credential_serial;
    data.start = qr;
    data.signed_at = clock_.NowUnixSeconds();
    const Bytes bytes = Must(protocol::SerializeSignedData(data), "serialize");
    const crypto::Signature signature = device_key_.Sign(bytes);
    return {started.order_ref, qr, started.qr_start_secret,
            "{\"orderRef\":\"" + started.order_ref + "\",\"signedData\":\"" +
                Base64UrlEncode(bytes) + "\",\"signature\":\"" +
                Base64UrlEncode(signature.bytes()) + "\"}"};
  }

  server::storage::Store& store() { return *store_; }
  service::OrderService& orders() { return *orders_; }
  service::AccountService& accounts() { return *accounts_; }
  const std::string& rp_key() const { return rp_key_; }
  const service::RelyingParty& rp() const { return rp_; }
  const service::ActivatedCredential& credential() const { return credential_; }

 private:
  SystemClock clock_;
  std::string root_;
  std::unique_ptr<service::IssuerKeys> keys_;
  std::unique_ptr<server::storage::Store> store_;
  std::unique_ptr<service::AccountService> accounts_;
  std::unique_ptr<service::OrderService> orders_;
  service::Officer officer_;
  std::string rp_key_;
  service::RelyingParty rp_;
  crypto::SigningKey device_key_ = crypto::SigningKey::Generate();
  service::ActivatedCredential credential_;
};

Issuer& TheIssuer() {
  static Issuer* issuer = new Issuer();  // lives until exit; its directory is removed then
  static const bool cleanup = [] {
    std::atexit([] { delete issuer; });
    return true;
  }();
  (void)cleanup;
  return *issuer;
}

// The device-response verification path as the server runs it for POST
// /device/v1/orders/respond, short of completing the order: the body parsed as the route
// parses it (cpprestsdk JSON, strict reader, base64url), then OrderService::CheckResponse
// (order, challenge, state, every signed field, signedAt, Ed25519 under the bound key,
// the credential's status read from SQLite), plus the scan's QR checks (parse, HMAC,
// freshness) so that every per-flow verification the issuer does is counted once.
void BM_DeviceResponseVerify(benchmark::State& state) {
  Issuer& issuer = TheIssuer();
  const Issuer::Prepared prepared = issuer.PrepareOrder();
  server::api::HttpRequest request;
  request.method = "POST";
  request.path = "/device/v1/orders/respond";
  request.headers["content-type"] = "application/json";
  request.body = prepared.respond_body;
  for (auto _ : state) {
    auto qr = protocol::ParseLoginQr(prepared.qr);
    bool ok = qr.ok() && protocol::CheckLoginQrCode(*qr, prepared.qr_secret).ok() &&
              protocol::CheckLoginQrFresh(qr->t, 0).ok();
    auto body = server::api::ParseJsonBody(request);
    if (!ok || !body.ok()) {
      state.SkipWithError("QR or body refused");
      break;
    }
    server::api::JsonObjectReader reader(*body);
    auto order_ref = reader.RequiredString("orderRef", 64);
    auto signed_text = reader.RequiredString("signedData", 4096);
    auto signature_text = reader.RequiredString("signature", 128);
    if (!order_ref.ok() || !signed_text.ok() || !signature_text.ok() ||
        !reader.RejectUnknownFields().ok()) {
      state.SkipWithError("body refused");
      break;
    }
    auto signed_data = Base64UrlDecode(*signed_text);
    auto signature = Base64UrlDecode(*signature_text);
    if (!signed_data.ok() || !signature.ok()) {
      state.SkipWithError("base64");
      break;
    }
    Status checked = issuer.orders().CheckResponse(*order_ref, *signed_data, *signature);
    if (!checked.ok()) {
      state.SkipWithError(("CheckResponse: " + checked.error().code).c_str());
      break;
    }
  }
  state.SetItemsProcessed(state.iterations());
}
BENCHMARK(BM_DeviceResponseVerify);

// An RP API call's authentication: HMAC of the key, then the in-memory cache.
void BM_AuthenticateRelyingParty(benchmark::State& state) {
  Issuer& issuer = TheIssuer();
  for (auto _ : state) {
    auto rp = issuer.accounts().AuthenticateRelyingParty(issuer.rp_key());
    if (!rp.ok()) {
      state.SkipWithError("unauthorized");
      break;
    }
  }
  state.SetItemsProcessed(state.iterations());
}
BENCHMARK(BM_AuthenticateRelyingParty);

// --- HTTP: the transport floor ---

// The issuer's Beast server on a loopback port with `threads` workers and a handler that
// answers every request with its own body: HTTP and nothing else.
std::unique_ptr<server::api::HttpServer> StartEchoServer(unsigned threads) {
  server::api::HttpServerOptions options;
  options.host = "127.0.0.1";
  options.port = 0;
  options.threads = threads;
  return Must(server::api::HttpServer::Start(options,
                                             [](server::api::HttpRequest& req) {
                                               server::api::HttpResponse response;
                                               response.status = 200;
                                               response.content_type = "application/json";
                                               response.body = req.body;
                                               return response;
                                             }),
              "http server");
}

// A request body the size of a typical request of the flow (a respond body is larger, an
// auth body smaller).
std::string FloorRequestBody() {
  return "{\"orderRef\":\"" + protocol::GenerateUuidV4() + "\",\"padding\":\"" +
         std::string(300, 'x') + "\"}";
}

std::vector<std::unique_ptr<bench::BenchConnection>> EchoConnections(
    const server::api::HttpServer& server, int count) {
  std::vector<std::unique_ptr<bench::BenchConnection>> connections;
  for (int i = 0; i < count; ++i) {
    connections.push_back(
        std::make_unique<bench::BenchConnection>(bench::ServerAddress{"127.0.0.1", server.port()}));
  }
  return connections;
}

// Pins the calling thread to one CPU; threads it starts afterwards inherit the pin.
bool PinToCpu(int cpu) {
  cpu_set_t set;
  CPU_ZERO(&set);
  CPU_SET(cpu, &set);
  return pthread_setaffinity_np(pthread_self(), sizeof set, &set) == 0;
}

// One round of the floor benchmarks: a thread per connection posts `requests` requests back
// to back, pinned to `client_cpu` unless it is negative. False if any request failed.
bool PostRound(const std::vector<std::unique_ptr<bench::BenchConnection>>& connections,
               const std::string& body, int requests, int client_cpu) {
  std::atomic<bool> failed{false};
  std::vector<std::thread> clients;
  clients.reserve(connections.size());
  for (const auto& connection : connections) {
    clients.emplace_back([&, conn = connection.get()] {
      if (client_cpu >= 0 && !PinToCpu(client_cpu)) {
        failed = true;
        return;
      }
      for (int r = 0; r < requests; ++r) {
        auto answer = conn->Post("/echo", body);
        if (!answer.ok() || answer->status != 200) {
          failed = true;
          return;
        }
      }
    });
  }
  for (std::thread& client : clients) client.join();
  return !failed;
}

// The measured loop of both floor benchmarks: one round of `sessions` connections per
// iteration, kRequestsPerThread requests each, so starting the client threads costs well
// under 1 % of the time measured. Stops `server` at the end.
void RunEchoRounds(benchmark::State& state, server::api::HttpServer& server, int sessions,
                   int client_cpu) {
  constexpr int kRequestsPerThread = 400;
  const std::string body = FloorRequestBody();
  const auto connections = EchoConnections(server, sessions);
  for (auto _ : state) {
    if (!PostRound(connections, body, kRequestsPerThread, client_cpu)) {
      state.SkipWithError("request failed");
      break;
    }
  }
  state.SetItemsProcessed(state.iterations() * sessions * kRequestsPerThread);
  server.Stop();
}

// One keep-alive POST with a small JSON body and its JSON answer, through the issuer's own
// Beast server (one worker thread, a handler that echoes) and the bench's client, on
// loopback. Process CPU time is measured, so the figure is client and server together:
// what one request costs on a box that runs both, as tillit-bench does.
void BM_HttpRoundTrip(benchmark::State& state) {
  auto server = StartEchoServer(1);
  bench::BenchConnection conn({"127.0.0.1", server->port()});
  const std::string body = "{\"orderRef\":\"" + protocol::GenerateUuidV4() + "\"}";
  for (auto _ : state) {
    auto answer = conn.Post("/echo", body);
    if (!answer.ok() || answer->status != 200) {
      state.SkipWithError("request failed");
      break;
    }
  }
  state.SetItemsProcessed(state.iterations());
  server->Stop();
}
BENCHMARK(BM_HttpRoundTrip)->MeasureProcessCPUTime()->UseRealTime();

// The transport floor under load, shaped like a tillit-bench run: the issuer's Beast server
// with `workers` threads (16 is serve's default) and an echo handler, and `sessions` client
// threads, each with its own keep-alive connection, posting one request after another
// (arguments: sessions, workers). Nothing is pinned, so client, server and kernel share the
// machine's cores as in a real run. Real time: the items/s figure is requests per second
// for the whole machine, and a fifth of it is the most login flows per second (five
// requests each) a server could reach here if it did nothing but answer HTTP.
void BM_HttpConcurrentFloor(benchmark::State& state) {
  const int sessions = static_cast<int>(state.range(0));
  auto server = StartEchoServer(static_cast<unsigned>(state.range(1)));
  RunEchoRounds(state, *server, sessions, /*client_cpu=*/-1);
}
BENCHMARK(BM_HttpConcurrentFloor)->Args({16, 16})->Args({32, 16})->Args({64, 16})->Args({32, 2})->UseRealTime()->Unit(benchmark::kMillisecond);

// The issue's "HTTP JSON echo, keep-alive, server on one core" figure, re-measured: the
// echo server's workers (serve's default 16) on CPU 0 only, `sessions` client threads on
// CPU 1 only. items/s is the requests/s one core of server gives. Skipped on a machine with
// fewer than two CPUs.
void BM_HttpEchoServerOneCore(benchmark::State& state) {
  const int sessions = static_cast<int>(state.range(0));
  cpu_set_t original;
  if (std::thread::hardware_concurrency() < 2 ||
      pthread_getaffinity_np(pthread_self(), sizeof original, &original) != 0 ||
      !CPU_ISSET(0, &original) || !CPU_ISSET(1, &original)) {
    state.SkipWithError("needs CPUs 0 and 1");
    return;
  }
  if (!PinToCpu(0)) {
    state.SkipWithError("cannot pin to CPU 0");
    return;
  }
  auto server = StartEchoServer(16);  // its workers inherit the pin to CPU 0
  pthread_setaffinity_np(pthread_self(), sizeof original, &original);
  RunEchoRounds(state, *server, sessions, /*client_cpu=*/1);
}
BENCHMARK(BM_HttpEchoServerOneCore)->Arg(64)->UseRealTime()->Unit(benchmark::kMillisecond);

// --- SQLite through the storage library ---

// One single-row update committed per iteration.
void CommitOneRow(benchmark::State& state, Durability durability) {
  Issuer& issuer = TheIssuer();
  auto& store = issuer.store();
  for (auto _ : state) {
    auto written = store.Write(durability, [&](Transaction& tx) -> Result<uint64_t> {
      return store.counters().Allocate(tx, "identifier_serial", 1);
    });
    if (!written.ok()) {
      state.SkipWithError(written.error().code.c_str());
      break;
    }
  }
  state.SetItemsProcessed(state.iterations());
}
void BM_SqliteCommit_Normal(benchmark::State& state) { CommitOneRow(state, Durability::kFast); }
void BM_SqliteCommit_Full(benchmark::State& state) { CommitOneRow(state, Durability::kDurable); }
BENCHMARK(BM_SqliteCommit_Normal)->UseRealTime();
BENCHMARK(BM_SqliteCommit_Full)->UseRealTime();

// Completed results (a result row of a realistic size plus its audit entry) written
// durably by `threads` concurrent callers through the CompletionWriter: with one thread
// every completion is its own commit; with more, batches form and share the fsync.
void BM_CompletionWrite(benchmark::State& state) {
  Issuer& issuer = TheIssuer();
  const int threads = static_cast<int>(state.range(0));
  const std::string json(4000, 'x');  // about what completionData weighs with the JWS
  service::internal::CompletionWriter writer(issuer.store());
  const size_t commits_before = writer.commits();
  // The writers are started once and meet at a barrier for every round: starting threads
  // per round made this benchmark mostly measure pthread_create and munmap.
  std::barrier round_start(threads + 1);
  std::barrier round_end(threads + 1);
  std::atomic<bool> stopping{false};
  std::atomic<bool> failed{false};
  std::vector<std::thread> workers;
  for (int t = 0; t < threads; ++t) {
    workers.emplace_back([&] {
      for (;;) {
        round_start.arrive_and_wait();
        if (stopping) return;
        server::storage::OrderResultRow row{
            .order_ref = protocol::GenerateUuidV4(),
            .rp_id = issuer.rp().id,
            .identifier = issuer.credential().identifier,
            .credential_serial = issuer.credential().credential_serial,
            .action = "auth",
            .completed_at = 1'800'000'000,
            .completion_json = json};
        server::storage::AuditEntry audit{.at = 1'800'000'000,
                                          .actor = "rp:bench",
                                          .action = "loginCompleted",
                                          .subject = issuer.credential().identifier,
                                          .detail_json = "{}"};
        if (!writer.Write(row, audit).ok()) failed = true;
        round_end.arrive_and_wait();
      }
    });
  }
  size_t written = 0;
  for (auto _ : state) {
    // One round: `threads` completions in flight at once.
    round_start.arrive_and_wait();
    round_end.arrive_and_wait();
    if (failed) {
      state.SkipWithError("write failed");
      break;
    }
    written += static_cast<size_t>(threads);
  }
  stopping = true;
  round_start.arrive_and_wait();
  for (std::thread& worker : workers) worker.join();
  state.SetItemsProcessed(static_cast<int64_t>(written));
  state.counters["commits"] = static_cast<double>(writer.commits() - commits_before);
}
BENCHMARK(BM_CompletionWrite)->Arg(1)->Arg(16)->Arg(64)->UseRealTime();

}  // namespace

BENCHMARK_MAIN();
