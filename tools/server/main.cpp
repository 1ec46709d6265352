// tillit-server: runs the issuer (`serve`) and the operator's commands (`admin`) on a data
// directory. The interface is tested from outside (docs/operations.md); keep it exact:
//   tillit-server serve --data DIR [--listen HOST:PORT] [--public-url URL] [--demo-rp FILE]
//   tillit-server admin --data DIR add-officer --name NAME --organisation ORG --role ROLE
//   tillit-server admin --data DIR add-rp --name NAME
//   tillit-server admin --data DIR audit-verify | backup FILE   (audit_commands.h)
// Usage errors exit 2 with a message on stderr; runtime errors exit 1.
#include <cpprest/json.h>
#include <signal.h>
#include <sys/stat.h>

#include <atomic>
#include <cstdio>
#include <cstdlib>
#include <iostream>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "cli_options.h"
#include "tillit/ports.h"
#include "tillit/server/api/demo_routes.h"
#include "tillit/server/api/desk_routes.h"
#include "tillit/server/api/device_routes.h"
#include "tillit/server/api/history_routes.h"
#include "tillit/server/api/http_server.h"
#include "tillit/server/api/json.h"
#include "tillit/server/api/rate_limit.h"
#include "tillit/server/api/router.h"
#include "tillit/server/api/web_routes.h"
#include "tillit/server/api/rp_routes.h"
#include "tillit/server/api/status_routes.h"
#include "tillit/service/accounts.h"
#include "tillit/service/activation_service.h"
#include "tillit/service/audit_service.h"
#include "tillit/service/enrolment_service.h"
#include "tillit/service/history_service.h"
#include "tillit/service/issuer_keys.h"
#include "tillit/service/lifecycle_service.h"
#include "tillit/service/order_service.h"
#include "tillit/service/status_service.h"
#include "tillit/storage/sqlite_store.h"
#include "audit_commands.h"
#include "offline_desk.h"

namespace {

using namespace tillit;

constexpr const char* kUsage =
    "usage: tillit-server serve --data DIR [--listen HOST:PORT] [--public-url URL] "
    "[--checkpoint-interval SECONDS] [--demo-rp FILE]\n"
    "       tillit-server admin --data DIR audit-verify\n"
    "       tillit-server admin --data DIR backup FILE\n"
    "       tillit-server admin --data DIR add-officer --name NAME --organisation ORG "
    "--role officer|supervisor\n"
    "       tillit-server admin --data DIR add-rp --name NAME\n"
    "       tillit-server admin --data DIR revoke-officer --officer-id ID\n"
    "       tillit-server admin --data DIR lease-block|load-lease|export-sync|import-sync|leases "
    "... (offline desks: docs/offline-desk.md)\n";
constexpr const char* kServeUsage =
    "usage: tillit-server serve --data DIR [--listen HOST:PORT] [--public-url URL] "
    "[--checkpoint-interval SECONDS] [--demo-rp FILE]\n"
    "  Runs the issuer. Creates DIR, its database and the issuer CA on first start.\n"
    "  --listen      address to listen on (default $TILLIT_LISTEN or 127.0.0.1:8080);\n"
    "                port 0 picks a free port. Prints 'listening on http://HOST:PORT'.\n"
    "  --public-url  the URL devices use to reach the server (default http://HOST:PORT);\n"
    "                also the \"iss\" of result JWSs (docs/protocol.md §6)\n"
    "  --checkpoint-interval  sign an audit checkpoint every SECONDS when the log has grown,\n"
    "                and at shutdown (default 300; 0: never) (docs/storage.md §7.1)\n"
    "  --demo-rp     serve the sample e-service at /demo/ as the e-service in FILE (the\n"
    "                JSON `admin add-rp` prints); without it the demo is off (docs/demo.md)\n"
    "  --rate-limit-address RATE[:BURST]|off  requests per second from one address without\n"
    "                a bearer credential (default 50:200)\n"
    "  --rate-limit-credential RATE[:BURST]|off  requests per second with one API key or\n"
    "                officer token (default 5000:10000); over either: 429 with Retry-After\n"
    "                (docs/http.md §Abuse limits)\n"
    "  --threads N   worker threads (default 16; handlers wait on disk, so more than cores)\n"
    "  Stops cleanly on SIGINT or SIGTERM.\n";
constexpr const char* kAdminUsage =
    "usage: tillit-server admin --data DIR add-officer --name NAME --organisation ORG "
    "--role officer|supervisor\n"
    "       tillit-server admin --data DIR add-rp --name NAME\n"
    "       tillit-server admin --data DIR revoke-officer --officer-id ID\n"
    "       tillit-server admin --data DIR lease-block|load-lease|export-sync|import-sync|leases "
    "... (offline desks: docs/offline-desk.md)\n"
    "       tillit-server admin --data DIR audit-verify\n"
    "       tillit-server admin --data DIR backup FILE\n"
    "  Prints one JSON object; a token or API key is shown only this once.\n";
constexpr const char* kAddOfficerUsage =
    "usage: tillit-server admin --data DIR add-officer --name NAME --organisation ORG "
    "--role officer|supervisor\n"
    "  Prints {\"officerId\": ..., \"token\": ...}.\n";
constexpr const char* kRevokeOfficerUsage =
    "usage: tillit-server admin --data DIR revoke-officer --officer-id ID\n"
    "  The officer's token stops working at once. Prints {\"officerId\": ..., \"status\": \"revoked\"}.\n";
constexpr const char* kAddRpUsage =
    "usage: tillit-server admin --data DIR add-rp --name NAME\n"
    "  Prints {\"rpId\": ..., \"apiKey\": ...}.\n";

using server_cli::Options;
using server_cli::ParseOptions;

int UsageError(const std::string& message, const char* usage) {
  std::cerr << "tillit-server: " << message << "\n" << usage;
  return 2;
}

int RuntimeError(const Error& error) {
  std::cerr << "tillit-server: " << error.code << ": " << error.message << "\n";
  return 1;
}

struct Issuer {
  SystemClock clock;
  std::unique_ptr<service::IssuerKeys> keys;
  std::unique_ptr<server::storage::Store> store;
};

Result<std::unique_ptr<Issuer>> OpenIssuer(const std::string& data_dir) {
  auto issuer = std::make_unique<Issuer>();
  TILLIT_TRY_ASSIGN(auto keys, service::IssuerKeys::LoadOrCreate(data_dir, issuer->clock));
  issuer->keys = std::make_unique<service::IssuerKeys>(std::move(keys));
  TILLIT_TRY_ASSIGN(issuer->store, server::storage::OpenSqliteStore(
                                       {.path = service::DatabasePath(data_dir),
                                        .clock = &issuer->clock}));
  return issuer;
}

// "HOST:PORT" or "[IPv6]:PORT".
bool ParseListen(const std::string& text, std::string& host, uint16_t& port) {
  size_t colon = text.rfind(':');
  if (colon == std::string::npos || colon == 0 || colon + 1 == text.size()) return false;
  host = text.substr(0, colon);
  if (host.size() >= 2 && host.front() == '[' && host.back() == ']') {
    host = host.substr(1, host.size() - 2);
  }
  std::string digits = text.substr(colon + 1);
  if (digits.size() > 5 || digits.find_first_not_of("0123456789") != std::string::npos) {
    return false;
  }
  unsigned long value = std::stoul(digits);
  if (value > 65535) return false;
  port = static_cast<uint16_t>(value);
  return true;
}

int Serve(const std::vector<std::string>& args) {
  Options options;
  if (auto error = ParseOptions(args, 2,
                                {"--data", "--listen", "--public-url", "--checkpoint-interval",
                                 "--demo-rp", "--rate-limit-address", "--rate-limit-credential",
                                 "--threads"},
                                0,
                                options)) {
    return UsageError(*error, kServeUsage);
  }
  if (options.help) {
    std::cout << kServeUsage;
    return 0;
  }
  if (!options.values.count("--data")) return UsageError("--data is required", kServeUsage);
  std::string listen = "127.0.0.1:8080";
  if (const char* env = std::getenv("TILLIT_LISTEN"); env && *env) listen = env;
  if (options.values.count("--listen")) listen = options.values["--listen"];
  server::api::HttpServerOptions http;
  if (!ParseListen(listen, http.host, http.port)) {
    return UsageError("--listen must be HOST:PORT", kServeUsage);
  }
  std::chrono::seconds checkpoint_interval{300};
  if (options.values.count("--checkpoint-interval")) {
    auto parsed = tools::ParseCheckpointInterval(options.values["--checkpoint-interval"]);
    if (!parsed) {
      return UsageError("--checkpoint-interval must be whole seconds, 0 to 31536000", kServeUsage);
    }
    checkpoint_interval = *parsed;
  }
  unsigned threads = 16;
  if (options.values.count("--threads")) {
    const std::string& text = options.values["--threads"];
    char* end = nullptr;
    unsigned long n = std::strtoul(text.c_str(), &end, 10);
    if (text.empty() || *end != '\0' || text[0] == '-' || n < 1 || n > 256) {
      return UsageError("--threads must be a whole number from 1 to 256", kServeUsage);
    }
    threads = static_cast<unsigned>(n);
  }
  server::api::RateLimitOptions limits;
  for (auto [flag, limit] : {std::pair{"--rate-limit-address", &limits.per_address},
                             std::pair{"--rate-limit-credential", &limits.per_credential}}) {
    if (!options.values.count(flag)) continue;
    auto parsed = server::api::ParseRateLimit(options.values[flag]);
    if (!parsed.ok()) return UsageError(std::string(flag) + ": " + parsed.error().message, kServeUsage);
    *limit = *parsed;
  }
  // Read before anything starts, so a bad file is a usage error and nothing runs.
  server::api::DemoRp demo_rp;
  if (options.values.count("--demo-rp")) {
    auto read = server::api::ReadDemoRpFile(options.values["--demo-rp"]);
    if (!read.ok()) return UsageError("--demo-rp: " + read.error().message, kServeUsage);
    demo_rp = std::move(*read);
  }

  // Block the stop signals before any thread starts, so every thread inherits the mask
  // and only sigwait below sees them.
  sigset_t stop_signals;
  sigemptyset(&stop_signals);
  sigaddset(&stop_signals, SIGINT);
  sigaddset(&stop_signals, SIGTERM);
  pthread_sigmask(SIG_BLOCK, &stop_signals, nullptr);
  signal(SIGPIPE, SIG_IGN);

  auto issuer = OpenIssuer(options.values["--data"]);
  if (!issuer.ok()) return RuntimeError(issuer.error());
  Issuer& is = **issuer;
  service::AccountService accounts(*is.store, is.clock, *is.keys);
  service::EnrolmentService enrolments(*is.store, is.clock, *is.keys);
  service::ActivationService activations(*is.store, is.clock, *is.keys);
  service::LifecycleService lifecycle(*is.store, is.clock, *is.keys);
  service::HistoryService history(*is.store, is.clock);
  service::AuditService audit(*is.store, is.clock, *is.keys);
  // Started after the stop signals are blocked (above), so its thread inherits the mask.
  tools::PeriodicCheckpoints checkpoints(audit, checkpoint_interval);
  service::StatusService status(*is.store, is.clock, *is.keys);
  server::api::IssuerServices services{.accounts = &accounts,
                                       .enrolments = &enrolments,
                                       .activations = &activations,
                                       .lifecycle = &lifecycle,
                                       .keys = is.keys.get(),
                                       .public_url = ""};

  // Made once the public URL is known (the "iss" of result JWSs); declared before the
  // server so that it outlives every handler.
  std::unique_ptr<service::OrderService> orders;

  // The activation QR and the result JWS carry the server's URL, which needs the bound port
  // (--listen may say port 0). A Router must be complete before it serves, so the server
  // starts with a gate that answers 503 until the routes are added and then published.
  auto router = std::make_shared<server::api::Router>();
  // Handlers block (a completion waits for its durable group commit, an fsync of
  // milliseconds), so one worker per core leaves the CPU idle while they wait: on 2 cores
  // 2 workers gave 911 flows/s with 28 % idle, 16 gave 1,500 with the CPU saturated
  // (docs/performance.md §5.10).
  http.threads = threads;
  http.max_body_bytes = 64 * 1024;
  std::atomic<bool> ready{false};
  server::api::Handler gate = [router, &ready](server::api::HttpRequest& request) {
    if (!ready.load(std::memory_order_acquire)) {
      return server::api::ErrorResponse(503, "serviceUnavailable", "starting");
    }
    return router->Dispatch(request);
  };
  // Declared before the server, which holds its handler, so that it outlives it.
  server::api::RateLimiter limiter(limits);
  auto started = server::api::HttpServer::Start(http, limiter.Wrap(gate));
  if (!started.ok()) return RuntimeError(started.error());
  auto& server = *started;
  std::string host = server->host();
  std::string shown_host = host.find(':') != std::string::npos ? "[" + host + "]" : host;
  std::string url = "http://" + shown_host + ":" + std::to_string(server->port());
  services.public_url =
      options.values.count("--public-url") ? options.values["--public-url"] : url;
  orders = std::make_unique<service::OrderService>(*is.store, is.clock, *is.keys,
                                                   services.public_url);
  services.orders = orders.get();
  server::api::AddDeskRoutes(*router, services);
  server::api::AddDeviceRoutes(*router, services);
  server::api::AddRpRoutes(*router, services);
  server::api::AddHistoryRoutes(*router, history);
  server::api::AddStatusRoutes(*router, status);
  server::api::AddWebRoutes(*router);
  // The demo calls /rp/v1/ through this same router (docs/demo.md §2).
  server::api::AddDemoRoutes(
      *router, *router,
      {.rp = std::move(demo_rp),
       .clock = &is.clock,
       .secure_cookie = services.public_url.rfind("https://", 0) == 0});
  ready.store(true, std::memory_order_release);

  std::printf("listening on %s\n", url.c_str());
  std::fflush(stdout);

  int received = 0;
  sigwait(&stop_signals, &received);
  std::fprintf(stderr, "tillit-server: signal %d, stopping\n", received);
  server->Stop();
  // After the last request: the final checkpoint pins every entry this run wrote.
  checkpoints.Stop();
  return 0;
}

void PrintJson(std::initializer_list<std::pair<const char*, std::string>> fields) {
  web::json::value v = web::json::value::object();
  for (const auto& [k, s] : fields) v[k] = web::json::value::string(s);
  std::cout << v.serialize() << "\n";
  std::cout.flush();
}

int Admin(const std::vector<std::string>& args) {
  Options options;
  if (auto error = ParseOptions(args, 2,
                               {"--data", "--name", "--organisation", "--role", "--officer-id"}, 1,
                                options)) {
    return UsageError(*error, kAdminUsage);
  }
  std::string command = options.positional.empty() ? "" : options.positional[0];
  const char* usage = command == "add-officer"      ? kAddOfficerUsage
                      : command == "add-rp"         ? kAddRpUsage
                      : command == "revoke-officer" ? kRevokeOfficerUsage
                                                    : kAdminUsage;
  if (options.help) {
    std::cout << usage;
    return 0;
  }
  if (command.empty()) return UsageError("missing command", kAdminUsage);
  if (command != "add-officer" && command != "add-rp" && command != "revoke-officer") {
    return UsageError("unknown command " + command, kAdminUsage);
  }
  if (!options.values.count("--data")) return UsageError("--data is required", usage);
  if (command == "revoke-officer") {
    if (!options.values.count("--officer-id") || options.values.size() != 2) {
      return UsageError("revoke-officer takes --officer-id ID", usage);
    }
    auto issuer = OpenIssuer(options.values["--data"]);
    if (!issuer.ok()) return RuntimeError(issuer.error());
    service::AccountService accounts(*(*issuer)->store, (*issuer)->clock, *(*issuer)->keys);
    if (auto revoked = accounts.RevokeOfficer(options.values["--officer-id"]); !revoked.ok()) {
      return RuntimeError(revoked.error());
    }
    PrintJson({{"officerId", options.values["--officer-id"]}, {"status", "revoked"}});
    return 0;
  }
  if (options.values.count("--officer-id")) return UsageError("--officer-id applies to revoke-officer", usage);
  if (!options.values.count("--name")) return UsageError("--name is required", usage);
  if (command == "add-officer") {
    if (!options.values.count("--organisation")) {
      return UsageError("--organisation is required", usage);
    }
    if (!options.values.count("--role")) return UsageError("--role is required", usage);
    const std::string& role = options.values["--role"];
    if (role != "officer" && role != "supervisor") {
      return UsageError("--role must be officer or supervisor", usage);
    }
  } else if (options.values.count("--organisation") || options.values.count("--role")) {
    return UsageError("add-rp takes only --name", usage);
  }

  auto issuer = OpenIssuer(options.values["--data"]);
  if (!issuer.ok()) return RuntimeError(issuer.error());
  Issuer& is = **issuer;
  service::AccountService accounts(*is.store, is.clock, *is.keys);
  if (command == "add-officer") {
    auto created = accounts.AddOfficer(options.values["--name"], options.values["--organisation"],
                                       options.values["--role"]);
    if (!created.ok()) {
      if (created.error().code == "invalidParameters") {
        return UsageError(created.error().message, usage);
      }
      return RuntimeError(created.error());
    }
    PrintJson({{"officerId", created->officer_id}, {"token", created->token}});
    return 0;
  }
  auto created = accounts.AddRelyingParty(options.values["--name"]);
  if (!created.ok()) {
    if (created.error().code == "invalidParameters") return UsageError(created.error().message, usage);
    return RuntimeError(created.error());
  }
  PrintJson({{"rpId", created->rp_id}, {"apiKey", created->api_key}});
  return 0;
}

}  // namespace

int main(int argc, char** argv) {
  // Everything this process creates (the database, its WAL, key files) is the issuer's
  // alone.
  umask(077);
  std::vector<std::string> args(argv, argv + argc);
  if (args.size() < 2) return UsageError("missing command", kUsage);
  if (args[1] == "--help" || args[1] == "-h" || args[1] == "help") {
    std::cout << kUsage;
    return 0;
  }
  if (args[1] == "serve") return Serve(args);
  if (auto offline_desk = tools::RunOfflineDeskCommand(args)) return *offline_desk;
  if (auto audit = tools::RunAuditCommand(args)) return *audit;
  if (args[1] == "admin") return Admin(args);
  return UsageError("unknown command " + args[1], kUsage);
}
