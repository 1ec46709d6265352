// HttpServer over TLS (docs/http.md §TLS) with certificates this test makes: TLS 1.3 and
// 1.2 clients that verify the server, a TLS 1.1 client and a plain-HTTP client refused, a
// silent client cut after header_timeout, client certificates (subject passed to handlers,
// one from another CA refused), caps, keep-alive with close_notify, graceful Stop, a
// connection whose TLS session cannot be made (SSL_new failing) dropped without stopping
// the accept loop, and Start refusing bad files with invalidTlsConfig.
#include "tls_client.h"  // first: Boost before cpprest (see there)

#include <arpa/inet.h>
#include <dlfcn.h>
#include <doctest/doctest.h>
#include <netinet/in.h>
#include <openssl/err.h>
#include <poll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <atomic>
#include <chrono>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <memory>
#include <mutex>
#include <string>
#include <thread>

#include "test_tls.h"
#include "tillit/server/api/http_server.h"

// Fault injection for the accept loop: this definition of OpenSSL's SSL_new takes the place
// of libssl's in this executable (the server library is linked in statically, and the
// dynamic linker prefers the executable's symbol), and passes every call on to libssl's
// except those a test asks to fail: the next N for a server context, as if SSL_new had run
// out of memory. Client contexts (the tests' own TlsClients) are never failed.
namespace {
std::atomic<int> g_fail_server_ssl_new{0};
}  // namespace

extern "C" SSL* SSL_new(SSL_CTX* ctx) {
  using SslNew = SSL* (*)(SSL_CTX*);
  static const auto real = reinterpret_cast<SslNew>(::dlsym(RTLD_NEXT, "SSL_new"));
  if (real == nullptr) std::abort();  // runs on server threads: no doctest macros
  if (SSL_CTX_get_ssl_method(ctx) == TLS_server_method()) {
    int left = g_fail_server_ssl_new.load();
    while (left > 0) {
      if (g_fail_server_ssl_new.compare_exchange_weak(left, left - 1)) {
        // As libssl does when it fails: Asio throws only if the error queue says why.
        ERR_raise(ERR_LIB_SSL, ERR_R_MALLOC_FAILURE);
        return nullptr;
      }
    }
  }
  return real(ctx);
}

namespace {

using namespace std::chrono_literals;
using namespace tillit;
using server::api::HttpRequest;
using server::api::HttpResponse;
using server::api::HttpServer;
using server::api::HttpServerOptions;
using server::api::TlsServerOptions;
using testing::TlsClient;
using testing::TlsClientOptions;
using Clock = std::chrono::steady_clock;

// What the handler saw.
struct Seen {
  std::mutex mutex;
  int calls = 0;
  std::string client_subject;
};

// A CA, a server certificate from it, a second CA for clients, a client certificate from
// that and one from an unrelated CA, all as files in a fresh directory.
class Pki {
 public:
  Pki() {
    char tmpl[] = "/tmp/tillit-https-test-XXXXXX";
    REQUIRE(::mkdtemp(tmpl) != nullptr);
    dir_ = tmpl;
    auto server_ca = testing::MakeTlsCa("Tillit test server CA");
    server_ca_file = testing::WriteTlsPair(dir_, "server-ca", server_ca).first;
    std::tie(server_cert, server_key) =
        testing::WriteTlsPair(dir_, "server", testing::MakeTlsServerCert(server_ca));
    auto client_ca = testing::MakeTlsCa("Tillit test client CA");
    client_ca_file = testing::WriteTlsPair(dir_, "client-ca", client_ca).first;
    std::tie(client_cert, client_key) = testing::WriteTlsPair(
        dir_, "client",
        testing::MakeTlsClientCert(client_ca,
                                   {{"C", "SE"}, {"O", "Exempelkommun"}, {"CN", "e-tjanst"}}));
    auto stranger_ca = testing::MakeTlsCa("Someone else's CA");
    std::tie(stranger_cert, stranger_key) = testing::WriteTlsPair(
        dir_, "stranger",
        testing::MakeTlsClientCert(stranger_ca,
                                   {{"C", "SE"}, {"O", "Exempelkommun"}, {"CN", "e-tjanst"}}));
    // A second key pair whose key does not belong to server_cert.
    other_key = testing::WriteTlsPair(dir_, "other", testing::MakeTlsServerCert(server_ca)).second;
  }
  ~Pki() {
    std::error_code ignored;
    std::filesystem::remove_all(dir_, ignored);
  }

  std::string Write(const std::string& name, const std::string& text) const {
    const std::string path = (dir_ / name).string();
    std::ofstream(path) << text;
    return path;
  }

  std::filesystem::path dir_;
  std::string server_ca_file, server_cert, server_key;
  std::string client_ca_file, client_cert, client_key;
  std::string stranger_cert, stranger_key;
  std::string other_key;
};

const std::string kSubject = "CN=e-tjanst,O=Exempelkommun,C=SE";

class TlsServer {
 public:
  TlsServer(const Pki& pki, bool client_certificates, HttpServerOptions options = {}) {
    options.threads = 2;
    options.tls = TlsServerOptions{.certificate_file = pki.server_cert,
                                   .private_key_file = pki.server_key,
                                   .client_ca_file = client_certificates ? pki.client_ca_file : ""};
    auto started = HttpServer::Start(options, [this](HttpRequest& request) {
      {
        std::lock_guard lock(seen.mutex);
        ++seen.calls;
        seen.client_subject = request.client_subject;
      }
      HttpResponse response;
      response.content_type = "text/plain";
      response.body = request.path == "/subject" ? request.client_subject : "hello";
      return response;
    });
    REQUIRE(started.ok());
    server = std::move(*started);
  }
  uint16_t port() const { return server->port(); }
  int calls() {
    std::lock_guard lock(seen.mutex);
    return seen.calls;
  }

  Seen seen;
  std::unique_ptr<HttpServer> server;
};

TlsClientOptions Verifying(const Pki& pki) { return {.ca_file = pki.server_ca_file}; }

// A plain TCP connection to 127.0.0.1:port.
int Connect(uint16_t port) {
  int fd = ::socket(AF_INET, SOCK_STREAM, 0);
  REQUIRE(fd >= 0);
  sockaddr_in address{};
  address.sin_family = AF_INET;
  address.sin_port = htons(port);
  address.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  REQUIRE(::connect(fd, reinterpret_cast<sockaddr*>(&address), sizeof address) == 0);
  return fd;
}

// Everything the server sends until it closes, or until `timeout` (then timed_out is set).
std::string ReadUntilClosed(int fd, std::chrono::milliseconds timeout, bool& timed_out) {
  std::string received;
  const auto deadline = Clock::now() + timeout;
  timed_out = false;
  for (;;) {
    const auto left = std::chrono::duration_cast<std::chrono::milliseconds>(deadline - Clock::now());
    if (left.count() <= 0) {
      timed_out = true;
      return received;
    }
    pollfd p{fd, POLLIN, 0};
    if (::poll(&p, 1, static_cast<int>(left.count())) <= 0) continue;
    char buffer[4096];
    const ssize_t n = ::recv(fd, buffer, sizeof buffer, 0);
    if (n <= 0) return received;
    received.append(buffer, static_cast<size_t>(n));
  }
}

TEST_CASE("TLS 1.3 and TLS 1.2 clients that verify the server are served") {
  Pki pki;
  TlsServer server(pki, false);
  for (int version : {TLS1_3_VERSION, TLS1_2_VERSION}) {
    CAPTURE(version);
    TlsClientOptions options = Verifying(pki);
    options.min_version = version;
    options.max_version = version;
    TlsClient client(server.port(), options);
    auto handshake = client.Handshake();
    CAPTURE(handshake.message());
    REQUIRE_FALSE(handshake);
    CHECK(client.version() == (version == TLS1_3_VERSION ? "TLSv1.3" : "TLSv1.2"));
    if (version == TLS1_2_VERSION) {
      // Forward secrecy and an AEAD only.
      const std::string cipher = client.cipher();
      CAPTURE(cipher);
      CHECK(cipher.rfind("ECDHE-", 0) == 0);
      CHECK((cipher.find("GCM") != std::string::npos || cipher.find("CHACHA20") != std::string::npos));
    }
    auto reply = client.Request("GET", "/hello");
    REQUIRE(reply.has_value());
    CHECK(reply->status == 200);
    CHECK(reply->body == "hello");
    // Keep-alive: a second request on the same connection.
    auto again = client.Request("GET", "/hello");
    REQUIRE(again.has_value());
    CHECK(again->status == 200);
  }
  // The certificate is for 127.0.0.1 and localhost, not for another name.
  TlsClientOptions wrong_name = Verifying(pki);
  wrong_name.host = "id.example";
  TlsClient client(server.port(), wrong_name);
  CHECK(client.Handshake());
}

TEST_CASE("a TLS 1.1 client is refused, and so is TLS 1.2 without an AEAD cipher") {
  Pki pki;
  TlsServer server(pki, false);
  TlsClientOptions old = Verifying(pki);
  old.min_version = TLS1_1_VERSION;
  old.max_version = TLS1_1_VERSION;
  old.legacy = true;
  TlsClient client(server.port(), old);
  const auto refused = client.Handshake();
  CHECK(refused.message().find("protocol version") != std::string::npos);  // the server's alert

  // ECDHE but CBC with HMAC: nothing in common with the server's list.
  TlsClientOptions cbc = Verifying(pki);
  cbc.max_version = TLS1_2_VERSION;
  cbc.tls12_ciphers = "ECDHE-ECDSA-AES128-SHA256:ECDHE-ECDSA-AES128-SHA:ECDHE-ECDSA-AES256-SHA";
  TlsClient cbc_client(server.port(), cbc);
  CHECK(cbc_client.Handshake());
  CHECK(server.calls() == 0);
}

TEST_CASE("plain HTTP on the TLS port gets no HTTP answer") {
  Pki pki;
  TlsServer server(pki, false);
  int fd = Connect(server.port());
  const std::string request = "GET /hello HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n";
  REQUIRE(::send(fd, request.data(), request.size(), MSG_NOSIGNAL) ==
          static_cast<ssize_t>(request.size()));
  bool timed_out = false;
  const std::string received = ReadUntilClosed(fd, 5000ms, timed_out);
  ::close(fd);
  CHECK_FALSE(timed_out);  // closed at once, not left hanging
  CHECK(received.find("HTTP/") == std::string::npos);
  CHECK(server.calls() == 0);
}

TEST_CASE("a client that connects and never says hello is cut after header_timeout") {
  Pki pki;
  HttpServerOptions options;
  options.header_timeout = 400ms;
  TlsServer server(pki, false, options);
  int fd = Connect(server.port());
  const auto start = Clock::now();
  bool timed_out = false;
  const std::string received = ReadUntilClosed(fd, 5000ms, timed_out);
  const auto elapsed = Clock::now() - start;
  ::close(fd);
  CHECK_FALSE(timed_out);
  CHECK(received.empty());
  CHECK(elapsed >= 300ms);
  CHECK(elapsed < 3000ms);

  // The handshake and the first request's head share that deadline: a client that shakes
  // hands and then sends nothing is cut as fast.
  TlsClientOptions client_options = Verifying(pki);
  TlsClient client(server.port(), client_options);
  const auto handshake_start = Clock::now();
  REQUIRE_FALSE(client.Handshake());
  client.ReadToEnd();
  CHECK(Clock::now() - handshake_start < 3000ms);
}

TEST_CASE("a verified client certificate's subject reaches the handler on every request") {
  Pki pki;
  TlsServer server(pki, true);

  TlsClientOptions with_cert = Verifying(pki);
  with_cert.cert_file = pki.client_cert;
  with_cert.key_file = pki.client_key;
  TlsClient client(server.port(), with_cert);
  REQUIRE_FALSE(client.Handshake());
  for (int i = 0; i < 2; ++i) {
    auto reply = client.Request("GET", "/subject");
    REQUIRE(reply.has_value());
    CHECK(reply->status == 200);
    CHECK(reply->body == kSubject);
  }

  // No certificate: asked for, not required; the subject is empty.
  TlsClient anonymous(server.port(), Verifying(pki));
  REQUIRE_FALSE(anonymous.Handshake());
  auto reply = anonymous.Request("GET", "/subject");
  REQUIRE(reply.has_value());
  CHECK(reply->status == 200);
  CHECK(reply->body.empty());

  // The same subject from another CA: the handshake fails (with TLS 1.3 the client hears
  // of it at its first read), and the handler never runs.
  const int calls_before = server.calls();
  for (int version : {TLS1_3_VERSION, TLS1_2_VERSION}) {
    CAPTURE(version);
    TlsClientOptions stranger = Verifying(pki);
    stranger.cert_file = pki.stranger_cert;
    stranger.key_file = pki.stranger_key;
    stranger.min_version = version;
    stranger.max_version = version;
    TlsClient refused(server.port(), stranger);
    boost::system::error_code ec = refused.Handshake();
    if (!ec) {
      CHECK_FALSE(refused.Request("GET", "/subject").has_value());
      ec = refused.error();
    }
    CHECK(ec.message().find("unknown ca") != std::string::npos);  // the server's alert
  }
  CHECK(server.calls() == calls_before);
}

TEST_CASE("without client_ca_file no client certificate is asked for or passed on") {
  Pki pki;
  TlsServer server(pki, false);
  TlsClientOptions with_cert = Verifying(pki);
  with_cert.cert_file = pki.client_cert;
  with_cert.key_file = pki.client_key;
  TlsClient client(server.port(), with_cert);
  REQUIRE_FALSE(client.Handshake());
  auto reply = client.Request("GET", "/subject");
  REQUIRE(reply.has_value());
  CHECK(reply->body.empty());
}

TEST_CASE("the body cap and Connection: close work over TLS, ending with close_notify") {
  Pki pki;
  HttpServerOptions options;
  options.max_body_bytes = 100;
  TlsServer server(pki, false, options);

  TlsClient client(server.port(), Verifying(pki));
  REQUIRE_FALSE(client.Handshake());
  auto too_large = client.Request("POST", "/hello", std::string(200, 'x'));
  REQUIRE(too_large.has_value());
  CHECK(too_large->status == 413);
  CHECK(client.ReadToEnd() == boost::asio::error::eof);  // close_notify, then the end

  TlsClient other(server.port(), Verifying(pki));
  REQUIRE_FALSE(other.Handshake());
  auto last = other.Request("GET", "/hello", "", "", /*keep_alive=*/false);
  REQUIRE(last.has_value());
  CHECK(last->status == 200);
  CHECK(last->connection == "close");
  CHECK(other.ReadToEnd() == boost::asio::error::eof);
}

TEST_CASE("the per-address connection cap counts TLS connections") {
  Pki pki;
  HttpServerOptions options;
  options.max_connections_per_address = 2;
  TlsServer server(pki, false, options);
  TlsClient a(server.port(), Verifying(pki));
  TlsClient b(server.port(), Verifying(pki));
  REQUIRE_FALSE(a.Handshake());
  REQUIRE_FALSE(b.Handshake());
  TlsClient c(server.port(), Verifying(pki));  // a third from the same address: closed
  CHECK(c.Handshake());
  auto reply = a.Request("GET", "/hello");
  REQUIRE(reply.has_value());
  CHECK(reply->status == 200);
}

TEST_CASE("Stop ends an idle TLS keep-alive connection with close_notify, at once") {
  Pki pki;
  HttpServerOptions options;
  options.stop_grace = 5000ms;
  TlsServer server(pki, false, options);
  TlsClient client(server.port(), Verifying(pki));
  REQUIRE_FALSE(client.Handshake());
  auto reply = client.Request("GET", "/hello");
  REQUIRE(reply.has_value());
  CHECK(reply->status == 200);
  // Another connection still in its handshake's silence.
  int silent = Connect(server.port());

  const auto start = Clock::now();
  server.server->Stop();
  CHECK(Clock::now() - start < 2000ms);  // not the whole stop_grace
  CHECK(client.ReadToEnd() == boost::asio::error::eof);
  bool timed_out = false;
  ReadUntilClosed(silent, 2000ms, timed_out);
  ::close(silent);
  CHECK_FALSE(timed_out);
}

TEST_CASE("a connection whose TLS session cannot be made is dropped, and accepting goes on") {
  Pki pki;
  HttpServerOptions options;
  options.stop_grace = 5000ms;
  TlsServer server(pki, false, options);
  g_fail_server_ssl_new = 1;
  {
    TlsClient dropped(server.port(), Verifying(pki));
    CHECK(dropped.Handshake());  // closed without a word
  }
  CHECK(g_fail_server_ssl_new == 0);
  // Before the fix the exception left the accept handler and nothing accepted again: this
  // connection would wait in the listen queue (a TlsClient would block on it for good).
  // Accepted, its plain-HTTP request fails the handshake and the server closes it.
  const int probe = Connect(server.port());
  const std::string request = "GET / HTTP/1.1\r\nHost: x\r\n\r\n";
  REQUIRE(::send(probe, request.data(), request.size(), MSG_NOSIGNAL) ==
          static_cast<ssize_t>(request.size()));
  bool timed_out = false;
  ReadUntilClosed(probe, 3000ms, timed_out);
  ::close(probe);
  REQUIRE_FALSE(timed_out);

  TlsClient client(server.port(), Verifying(pki));
  REQUIRE_FALSE(client.Handshake());
  auto reply = client.Request("GET", "/hello");
  REQUIRE(reply.has_value());
  CHECK(reply->status == 200);
  CHECK(reply->body == "hello");
  // The dropped connection was never counted (before the fix it stayed counted, and Stop
  // waited the whole stop_grace for it).
  const auto start = Clock::now();
  server.server->Stop();
  CHECK(Clock::now() - start < 2000ms);
}

TEST_CASE("Start refuses missing and bad TLS files with invalidTlsConfig") {
  Pki pki;
  const std::string garbage = pki.Write("garbage.pem", "-----BEGIN CERTIFICATE-----\nnot base64\n");
  const std::string empty = pki.Write("empty.pem", "");
  const std::string missing = (pki.dir_ / "missing.pem").string();
  struct Case {
    const char* what;
    TlsServerOptions tls;
    std::string named;  // the file the message must name
  };
  const Case cases[] = {
      {"missing certificate", {missing, pki.server_key, ""}, missing},
      {"garbage certificate", {garbage, pki.server_key, ""}, garbage},
      {"a key as certificate", {pki.server_key, pki.server_key, ""}, pki.server_key},
      {"missing key", {pki.server_cert, missing, ""}, missing},
      {"garbage key", {pki.server_cert, garbage, ""}, garbage},
      {"a certificate as key", {pki.server_cert, pki.server_cert, ""}, pki.server_cert},
      {"key of another certificate", {pki.server_cert, pki.other_key, ""}, pki.other_key},
      {"missing client CA", {pki.server_cert, pki.server_key, missing}, missing},
      {"empty client CA", {pki.server_cert, pki.server_key, empty}, empty},
      {"garbage client CA", {pki.server_cert, pki.server_key, garbage}, garbage},
      {"no certificate given", {"", pki.server_key, ""}, ""},
  };
  for (const Case& c : cases) {
    CAPTURE(c.what);
    HttpServerOptions options;
    options.tls = c.tls;
    auto started = HttpServer::Start(options, [](HttpRequest&) { return HttpResponse{}; });
    REQUIRE_FALSE(started.ok());
    CHECK(started.error().code == "invalidTlsConfig");
    CAPTURE(started.error().message);
    CHECK(started.error().message.find(c.named) != std::string::npos);
    // Never key material in the message.
    CHECK(started.error().message.find("PRIVATE KEY") == std::string::npos);
  }
}

}  // namespace
