// tillit-server: runs the issuer (`serve`) and the operator's commands (`admin`) on a data
// directory. The interface is tested from outside (docs/operations.md); keep it exact:
//   tillit-server serve --data DIR [--listen HOST:PORT] [--public-url URL] [--demo-rp FILE]
//                       [--tls-cert FILE --tls-key FILE [--rp-client-ca FILE]]
//                       [--public-tls-pin PIN]
//   tillit-server admin --data DIR add-officer --name NAME --organisation ORG --role ROLE
//   tillit-server admin --data DIR add-rp --name NAME [--client-subject SUBJECT]
//   tillit-server admin --data DIR set-rp-client-subject --rp-id ID (--client-subject S | --clear)
//   tillit-server admin --data DIR revoke-officer --officer-id ID | revoke-rp --rp-id ID
//   tillit-server admin --data DIR rotate-rp-key --rp-id ID
//   tillit-server admin --data DIR list-officers | list-rps     (list_commands.h)
//   tillit-server admin --data DIR audit-verify | backup FILE   (audit_commands.h)
//   tillit-server admin --data DIR protect-ca-key ...           (ca_key_options.h)
// serve and the admin commands that open the keys take the CA key flags (ca_key_options.h).
// Usage errors exit 2 with a message on stderr; runtime errors exit 1.
#include <cpprest/json.h>
#include <signal.h>
#include <sys/stat.h>

#include <atomic>
#include <cstdio>
#include <cstdlib>
#include <fstream>
#include <iostream>
#include <iterator>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "ca_key_options.h"
#include "cli_options.h"
#include "tillit/credential/tls_pin.h"
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
#include "tillit/service/data_dir_lock.h"
#include "tillit/service/enrolment_service.h"
#include "tillit/service/history_service.h"
#include "tillit/service/issuer_keys.h"
#include "tillit/service/lifecycle_service.h"
#include "tillit/service/order_service.h"
#include "tillit/service/status_service.h"
#include "tillit/storage/sqlite_store.h"
#include "audit_commands.h"
#include "list_commands.h"
#include "offline_desk.h"

namespace {

using namespace tillit;

constexpr const char* kUsage =
    "usage: tillit-server serve --data DIR [--listen HOST:PORT] [--public-url URL] "
    "[--checkpoint-interval SECONDS] [--demo-rp FILE] "
    "[--tls-cert FILE --tls-key FILE [--rp-client-ca FILE]] [--public-tls-pin PIN]\n"
    "       tillit-server admin --data DIR audit-verify\n"
    "       tillit-server admin --data DIR backup FILE\n"
    "       tillit-server admin --data DIR add-officer --name NAME --organisation ORG "
    "--role officer|supervisor\n"
    "       tillit-server admin --data DIR add-rp --name NAME [--client-subject SUBJECT]\n"
    "       tillit-server admin --data DIR set-rp-client-subject --rp-id ID "
    "(--client-subject SUBJECT | --clear)\n"
    "       tillit-server admin --data DIR revoke-officer --officer-id ID\n"
    "       tillit-server admin --data DIR revoke-rp --rp-id ID\n"
    "       tillit-server admin --data DIR rotate-rp-key --rp-id ID\n"
    "       tillit-server admin --data DIR list-officers|list-rps\n"
    "       tillit-server admin --data DIR lease-block|load-lease|export-sync|import-sync|leases "
    "... (offline desks: docs/offline-desk.md)\n"
    "       tillit-server admin --data DIR protect-ca-key "
    "(--ca-key-passphrase-file FILE | --ca-key-passphrase-env NAME)\n"
    "  serve and the admin commands that open the keys take the CA key flags "
    "(tillit-server admin --help).\n";
constexpr const char* kServeUsage =
    "usage: tillit-server serve --data DIR [--listen HOST:PORT] [--public-url URL] "
    "[--checkpoint-interval SECONDS] [--demo-rp FILE] "
    "[--tls-cert FILE --tls-key FILE [--rp-client-ca FILE]] [--public-tls-pin PIN]\n"
    "  Runs the issuer. Creates DIR, its database and the issuer CA on first start.\n"
    "  One serve per data directory: a second one on DIR exits with dataDirectoryBusy.\n"
    "  --listen      address to listen on (default $TILLIT_LISTEN or 127.0.0.1:8080);\n"
    "                port 0 picks a free port. Prints 'listening on http://HOST:PORT'\n"
    "                (https:// with --tls-cert).\n"
    "  --public-url  the URL devices use to reach the server (default http://HOST:PORT, or\n"
    "                https://HOST:PORT with --tls-cert); also the \"iss\" of result JWSs\n"
    "                (docs/protocol.md §6)\n"
    "  --tls-cert FILE --tls-key FILE  serve HTTPS only (TLS 1.2 or 1.3, no plain-HTTP\n"
    "                fallback): FILE is PEM, the certificate then any intermediates, and its\n"
    "                unencrypted private key. The activation QR then carries the pin of the\n"
    "                certificate's key (docs/http.md §TLS)\n"
    "  --rp-client-ca FILE  with --tls-cert: e-services may authenticate with a client\n"
    "                certificate issued by a CA in FILE (PEM) instead of their API key; the\n"
    "                certificate's subject names the e-service (admin set-rp-client-subject)\n"
    "  --public-tls-pin PIN  behind a TLS-terminating proxy: the pin of the proxy's key\n"
    "                (43 base64url characters, docs/http.md §TLS) for the activation QR;\n"
    "                needs an https:// --public-url, not with --tls-cert\n"
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
    TILLIT_CA_KEY_USAGE
    "  Stops cleanly on SIGINT or SIGTERM.\n";
constexpr const char* kAdminUsage =
    "usage: tillit-server admin --data DIR add-officer --name NAME --organisation ORG "
    "--role officer|supervisor\n"
    "       tillit-server admin --data DIR add-rp --name NAME [--client-subject SUBJECT]\n"
    "       tillit-server admin --data DIR set-rp-client-subject --rp-id ID "
    "(--client-subject SUBJECT | --clear)\n"
    "       tillit-server admin --data DIR revoke-officer --officer-id ID\n"
    "       tillit-server admin --data DIR revoke-rp --rp-id ID\n"
    "       tillit-server admin --data DIR rotate-rp-key --rp-id ID\n"
    "       tillit-server admin --data DIR list-officers|list-rps\n"
    "       tillit-server admin --data DIR lease-block|load-lease|export-sync|import-sync|leases "
    "... (offline desks: docs/offline-desk.md)\n"
    "       tillit-server admin --data DIR audit-verify\n"
    "       tillit-server admin --data DIR backup FILE\n"
    "       tillit-server admin --data DIR protect-ca-key "
    "(--ca-key-passphrase-file FILE | --ca-key-passphrase-env NAME)\n"
    "  Prints one JSON object; a token or API key is shown only this once.\n"
    "  Every command but backup, list-officers and list-rps opens the issuer's keys and takes\n"
    "  the CA key flags:\n"
    TILLIT_CA_KEY_USAGE;
constexpr const char* kAddOfficerUsage =
    "usage: tillit-server admin --data DIR add-officer --name NAME --organisation ORG "
    "--role officer|supervisor\n"
    "  Prints {\"officerId\": ..., \"token\": ...}.\n"
    TILLIT_CA_KEY_USAGE_REFERENCE;
constexpr const char* kRevokeOfficerUsage =
    "usage: tillit-server admin --data DIR revoke-officer --officer-id ID\n"
    "  The officer's token stops working at once. Prints {\"officerId\": ..., \"status\": \"revoked\"}.\n"
    TILLIT_CA_KEY_USAGE_REFERENCE;
constexpr const char* kRevokeRpUsage =
    "usage: tillit-server admin --data DIR revoke-rp --rp-id ID\n"
    "  The e-service's API key and client certificate subject stop working at once in this\n"
    "  process and within a second in a running server: its calls, collect of orders it\n"
    "  started included, get 401 unauthorized. Results it already holds stay verifiable.\n"
    "  Revoking twice keeps the first time. Prints {\"rpId\": ..., \"status\": \"revoked\"}.\n"
    TILLIT_CA_KEY_USAGE_REFERENCE;
constexpr const char* kRotateRpKeyUsage =
    "usage: tillit-server admin --data DIR rotate-rp-key --rp-id ID\n"
    "  Gives an active e-service a new API key, shown only this once; the old key stops\n"
    "  working at once in this process and within a second in a running server. Its id, name\n"
    "  and client certificate subject stay. Prints {\"rpId\": ..., \"apiKey\": ...}.\n"
    "  A revoked e-service is a conflict (exit 1): add a new one.\n"
    TILLIT_CA_KEY_USAGE_REFERENCE;
constexpr const char* kAddRpUsage =
    "usage: tillit-server admin --data DIR add-rp --name NAME [--client-subject SUBJECT]\n"
    "  Prints {\"rpId\": ..., \"apiKey\": ...} (and \"clientSubject\" when given).\n"
    "  --client-subject  the e-service may also authenticate with a TLS client certificate\n"
    "                with exactly this subject, issued by a CA in serve's --rp-client-ca. Give\n"
    "                it in RFC 2253 form, e.g. CN=e-tjanst,O=Exempelkommun,C=SE, exactly as\n"
    "                `openssl x509 -noout -subject -nameopt RFC2253 -in CERT` prints it\n"
    "                (without its \"subject=\"). Unique among e-services.\n"
    TILLIT_CA_KEY_USAGE_REFERENCE;
constexpr const char* kSetRpClientSubjectUsage =
    "usage: tillit-server admin --data DIR set-rp-client-subject --rp-id ID "
    "(--client-subject SUBJECT | --clear)\n"
    "  Sets (or with --clear removes) the TLS client certificate subject an e-service may\n"
    "  authenticate with instead of its API key; the old subject stops working at once in\n"
    "  this process and within a second in a running server. SUBJECT is RFC 2253 text, e.g.\n"
    "  CN=e-tjanst,O=Exempelkommun,C=SE, exactly as\n"
    "  `openssl x509 -noout -subject -nameopt RFC2253 -in CERT` prints it (without its\n"
    "  \"subject=\"). Prints {\"rpId\": ..., \"clientSubject\": SUBJECT or null}.\n"
    TILLIT_CA_KEY_USAGE_REFERENCE;

using server_cli::Options;
using server_cli::ParseOptions;
using server_cli::UsageError;

int RuntimeError(const Error& error) {
  std::cerr << "tillit-server: " << error.code << ": " << error.message << "\n";
  return 1;
}

struct Issuer {
  SystemClock clock;
  std::unique_ptr<service::IssuerKeys> keys;
  std::unique_ptr<server::storage::Store> store;
};

Result<std::unique_ptr<Issuer>> OpenIssuer(const std::string& data_dir,
                                           const service::CaKeyOptions& ca_key) {
  auto issuer = std::make_unique<Issuer>();
  TILLIT_TRY_ASSIGN(auto keys, service::IssuerKeys::LoadOrCreate(data_dir, issuer->clock, ca_key));
  issuer->keys = std::make_unique<service::IssuerKeys>(std::move(keys));
  TILLIT_TRY_ASSIGN(issuer->store, server::storage::OpenSqliteStore(
                                       {.path = service::DatabasePath(data_dir),
                                        .clock = &issuer->clock}));
  return issuer;
}

// OpenIssuer for the commands that change an existing deployment: "notFound" when DIR has
// no database, so that a mistyped DIR does not become a new issuer (CA and keys) first.
Result<std::unique_ptr<Issuer>> OpenExistingIssuer(const std::string& data_dir,
                                                   const service::CaKeyOptions& ca_key) {
  TILLIT_TRY(server_cli::RequireDatabase(data_dir));
  return OpenIssuer(data_dir, ca_key);
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

// The formatted pin of the first certificate in a PEM file (the leaf of a chain file).
Result<std::string> TlsPinOfCertificateFile(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  if (!in) return MakeError("invalidTlsConfig", "cannot read " + path);
  std::string pem((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
  TILLIT_TRY_ASSIGN(Bytes pin, credential::TlsPinOfPemCertificate(pem));
  return credential::FormatTlsPin(pin);
}

int Serve(const std::vector<std::string>& args) {
  Options options;
  if (auto error = ParseOptions(args, 2,
                                server_cli::WithCaKeyFlags(
                                {"--data", "--listen", "--public-url", "--checkpoint-interval",
                                 "--demo-rp", "--rate-limit-address", "--rate-limit-credential",
                                 "--threads", "--tls-cert", "--tls-key", "--rp-client-ca",
                                 "--public-tls-pin"}),
                                0,
                                options)) {
    return UsageError(*error, kServeUsage);
  }
  if (options.help) {
    std::cout << kServeUsage;
    return 0;
  }
  if (!options.values.count("--data")) return UsageError("--data is required", kServeUsage);
  auto ca_key = server_cli::TakeCaKeyOptions(options);
  if (!ca_key.ok()) return UsageError(ca_key.error().message, kServeUsage);
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
  // HTTPS (docs/http.md §TLS). The files themselves are checked by HttpServer::Start.
  if (options.values.count("--tls-cert") != options.values.count("--tls-key")) {
    return UsageError("--tls-cert and --tls-key go together", kServeUsage);
  }
  if (options.values.count("--tls-cert")) {
    http.tls = server::api::TlsServerOptions{
        .certificate_file = options.values["--tls-cert"],
        .private_key_file = options.values["--tls-key"],
        .client_ca_file = options.values.count("--rp-client-ca") ? options.values["--rp-client-ca"]
                                                                 : std::string()};
  } else if (options.values.count("--rp-client-ca")) {
    return UsageError("--rp-client-ca needs --tls-cert and --tls-key (client certificates are TLS)",
                      kServeUsage);
  }
  std::string tls_pin;
  if (options.values.count("--public-tls-pin")) {
    if (http.tls) {
      return UsageError("--public-tls-pin is for a TLS proxy in front; with --tls-cert the pin "
                        "comes from the certificate",
                        kServeUsage);
    }
    if (!options.values.count("--public-url") ||
        options.values["--public-url"].rfind("https://", 0) != 0) {
      return UsageError("--public-tls-pin needs an https:// --public-url", kServeUsage);
    }
    auto pin = credential::ParseTlsPin(options.values["--public-tls-pin"]);
    if (!pin.ok()) {
      return UsageError("--public-tls-pin: " + pin.error().message, kServeUsage);
    }
    tls_pin = credential::FormatTlsPin(*pin);
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

  // One serve per data directory: the server caches persons and credentials rows, so no
  // other process may write them while this one runs (data_dir_lock.h). Declared first so
  // that it is released last, after the store is closed.
  auto serve_lock = service::ServeLock::Take(options.values["--data"]);
  if (!serve_lock.ok()) return RuntimeError(serve_lock.error());
  auto issuer = OpenIssuer(options.values["--data"], *ca_key);
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
  std::string url = (http.tls ? "https://" : "http://") + shown_host + ":" +
                    std::to_string(server->port());
  services.public_url =
      options.values.count("--public-url") ? options.values["--public-url"] : url;
  if (http.tls) {
    // The leaf's key, as the server presents it: the device pins it from activation on.
    // Start has just loaded this file, so a failure here means it changed under us.
    auto pin = TlsPinOfCertificateFile(http.tls->certificate_file);
    if (!pin.ok()) return RuntimeError(pin.error());
    tls_pin = *pin;
  }
  services.tls_pin = tls_pin;
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

// admin revoke-officer and revoke-rp: `flag` gives the id (printed back as `field`), the
// only flag besides --data; `revoke` is the AccountService call that revokes it.
int Revoke(Options& options, const char* flag, const char* field,
           Status (service::AccountService::*revoke)(std::string_view), const char* usage,
           const service::CaKeyOptions& ca_key) {
  if (!options.values.count(flag) || options.values.size() != 2) {
    return UsageError(options.positional[0] + " takes " + flag + " ID", usage);
  }
  const std::string& id = options.values[flag];
  auto opened = OpenExistingIssuer(options.values["--data"], ca_key);
  if (!opened.ok()) return RuntimeError(opened.error());
  service::AccountService accounts(*(*opened)->store, (*opened)->clock, *(*opened)->keys);
  if (Status revoked = (accounts.*revoke)(id); !revoked.ok()) return RuntimeError(revoked.error());
  PrintJson({{field, id}, {"status", "revoked"}});
  return 0;
}

// admin rotate-rp-key: a new API key for the e-service --rp-id.
int RotateRpKey(Options& options, const char* usage, const service::CaKeyOptions& ca_key) {
  if (!options.values.count("--rp-id") || options.values.size() != 2) {
    return UsageError("rotate-rp-key takes --rp-id ID", usage);
  }
  const std::string& id = options.values["--rp-id"];
  auto opened = OpenExistingIssuer(options.values["--data"], ca_key);
  if (!opened.ok()) return RuntimeError(opened.error());
  service::AccountService accounts(*(*opened)->store, (*opened)->clock, *(*opened)->keys);
  auto key = accounts.RotateRelyingPartyKey(id);
  if (!key.ok()) return RuntimeError(key.error());
  PrintJson({{"rpId", id}, {"apiKey", *key}});
  return 0;
}

// admin set-rp-client-subject: `clear` is --clear (the subject then goes).
int SetRpClientSubject(Options& options, bool clear, const char* usage,
                       const service::CaKeyOptions& ca_key) {
  if (!options.values.count("--rp-id")) return UsageError("--rp-id is required", usage);
  const bool has_subject = options.values.count("--client-subject") > 0;
  if (clear == has_subject) return UsageError("give --client-subject SUBJECT or --clear", usage);
  if (options.values.size() != (clear ? 2u : 3u)) {
    return UsageError("set-rp-client-subject takes --rp-id ID and --client-subject SUBJECT or --clear",
                      usage);
  }
  const std::string subject = clear ? std::string() : options.values["--client-subject"];
  if (!clear) {
    if (Status checked = service::CheckClientSubject(subject); !checked.ok()) {
      return UsageError(checked.error().message, usage);
    }
  }
  auto opened = OpenExistingIssuer(options.values["--data"], ca_key);
  if (!opened.ok()) return RuntimeError(opened.error());
  service::AccountService accounts(*(*opened)->store, (*opened)->clock, *(*opened)->keys);
  if (Status set = accounts.SetRelyingPartyClientSubject(options.values["--rp-id"], subject);
      !set.ok()) {
    return RuntimeError(set.error());
  }
  web::json::value v = web::json::value::object();
  v["rpId"] = web::json::value::string(options.values["--rp-id"]);
  v["clientSubject"] = clear ? web::json::value::null() : web::json::value::string(subject);
  std::cout << v.serialize() << "\n";
  std::cout.flush();
  return 0;
}

int Admin(const std::vector<std::string>& args) {
  // --clear (set-rp-client-subject) is the one admin flag without a value; it is taken out
  // before ParseOptions, which reads a value after every flag.
  std::vector<std::string> rest;
  bool clear = false;
  for (size_t i = 0; i < args.size(); ++i) {
    if (i < 2 || args[i] != "--clear") {
      rest.push_back(args[i]);
    } else if (clear) {
      return UsageError("--clear given twice", kAdminUsage);
    } else {
      clear = true;
    }
  }
  Options options;
  if (auto error = ParseOptions(rest, 2,
                               server_cli::WithCaKeyFlags(
                               {"--data", "--name", "--organisation", "--role", "--officer-id",
                                "--client-subject", "--rp-id"}),
                                1, options)) {
    return UsageError(*error, kAdminUsage);
  }
  std::string command = options.positional.empty() ? "" : options.positional[0];
  const char* usage = command == "add-officer"             ? kAddOfficerUsage
                      : command == "add-rp"                ? kAddRpUsage
                      : command == "revoke-officer"        ? kRevokeOfficerUsage
                      : command == "revoke-rp"             ? kRevokeRpUsage
                      : command == "rotate-rp-key"         ? kRotateRpKeyUsage
                      : command == "set-rp-client-subject" ? kSetRpClientSubjectUsage
                                                           : kAdminUsage;
  if (options.help) {
    std::cout << usage;
    return 0;
  }
  if (command.empty()) return UsageError("missing command", kAdminUsage);
  if (command != "add-officer" && command != "add-rp" && command != "revoke-officer" &&
      command != "revoke-rp" && command != "rotate-rp-key" &&
      command != "set-rp-client-subject") {
    return UsageError("unknown command " + command, kAdminUsage);
  }
  if (!options.values.count("--data")) return UsageError("--data is required", usage);
  // Taken out of options.values before the commands count their flags.
  auto ca_key = server_cli::TakeCaKeyOptions(options);
  if (!ca_key.ok()) return UsageError(ca_key.error().message, usage);
  if (command == "set-rp-client-subject") {
    return SetRpClientSubject(options, clear, usage, *ca_key);
  }
  if (clear) return UsageError("--clear applies to set-rp-client-subject", usage);
  if (command == "revoke-officer") {
    return Revoke(options, "--officer-id", "officerId", &service::AccountService::RevokeOfficer,
                  usage, *ca_key);
  }
  if (command == "revoke-rp") {
    return Revoke(options, "--rp-id", "rpId", &service::AccountService::RevokeRelyingParty, usage,
                  *ca_key);
  }
  if (command == "rotate-rp-key") return RotateRpKey(options, usage, *ca_key);
  if (options.values.count("--rp-id")) {
    return UsageError("--rp-id applies to set-rp-client-subject, revoke-rp and rotate-rp-key",
                      usage);
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
    if (options.values.count("--client-subject")) {
      return UsageError("--client-subject applies to add-rp and set-rp-client-subject", usage);
    }
  } else if (options.values.count("--organisation") || options.values.count("--role")) {
    return UsageError("add-rp takes only --name and --client-subject", usage);
  }

  auto issuer = OpenIssuer(options.values["--data"], *ca_key);
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
  std::optional<std::string> subject;
  if (options.values.count("--client-subject")) subject = options.values["--client-subject"];
  auto created = accounts.AddRelyingParty(options.values["--name"], subject);
  if (!created.ok()) {
    if (created.error().code == "invalidParameters") return UsageError(created.error().message, usage);
    return RuntimeError(created.error());
  }
  if (subject) {
    PrintJson({{"rpId", created->rp_id}, {"apiKey", created->api_key}, {"clientSubject", *subject}});
  } else {
    PrintJson({{"rpId", created->rp_id}, {"apiKey", created->api_key}});
  }
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
  if (auto list = tools::RunListCommand(args)) return *list;
  if (auto ca_key = tools::RunCaKeyCommand(args)) return *ca_key;
  if (args[1] == "admin") return Admin(args);
  return UsageError("unknown command " + args[1], kUsage);
}
