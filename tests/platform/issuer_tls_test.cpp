// IssuerClient over https:// (tillit/platform/issuer_client.h, docs/device.md "Trusting the
// issuer"): the pin accepts exactly one key and nothing else; without a pin the chain and the
// host name are checked; the errors say which. The issuer here is a small TLS responder in
// this file (plain OpenSSL on a loopback socket) whose key and certificate a test can swap,
// so these cases need nothing of the server tree.
#include <arpa/inet.h>
#include <doctest/doctest.h>
#include <netinet/in.h>
#include <openssl/err.h>
#include <openssl/ssl.h>
#include <poll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <atomic>
#include <cctype>
#include <chrono>
#include <cstdlib>
#include <mutex>
#include <set>
#include <string>
#include <thread>
#include <vector>

#include "integration/test_tls.h"
#include "temp_dir.h"
#include "tillit/credential/tls_pin.h"
#include "tillit/crypto/hash.h"
#include "tillit/platform/issuer_client.h"

using namespace tillit;

namespace {

using testing::TempDir;
using testing::TlsKeyPair;

Bytes PinOf(const TlsKeyPair& pair) {
  auto pin = credential::TlsPinOfPemCertificate(testing::CertificatePem(pair));
  REQUIRE(pin.ok());
  return *pin;
}

// A self-signed certificate for `key` that names no host this test connects to.
TlsKeyPair SelfSigned(const std::shared_ptr<EVP_PKEY>& key, long valid_from = -3600,
                      long valid_for = 86400) {
  return testing::tls_internal::MakeCert(key, {{"CN", "issuer.invalid"}}, nullptr,
                                         {{NID_subject_alt_name, "DNS:issuer.invalid"}}, valid_from,
                                         valid_for);
}

// The device API's answer to POST /device/v1/activation/challenge, enough for Challenge().
const std::string kChallengeBody =
    R"({"nonce":")" + Base64UrlEncode(Bytes(32, 7)) +
    R"(","identifier":"ABCDEFGHJKLM","expiresAt":"2030-01-01T00:00:00Z"})";

// Answers every request with kChallengeBody (or what set_reply chooses), over TLS with the
// current key pair (set_pair swaps it for the next connection) or, with tls=false, over
// plain TCP. A thread per connection: cpprestsdk may open a second connection before it
// pools the first.
class TestIssuer {
 public:
  enum class Reply {
    kChallenge,  // 200 with kChallengeBody
    kTruncated,  // 200 announcing kChallengeBody's length, then the connection ends halfway
    kNotJson,    // 200 with a body that is not JSON
    kRefusal,    // 400 with a JSON error body
  };

  TestIssuer(const TlsKeyPair& pair, bool keep_alive = false, bool tls = true)
      : keep_alive_(keep_alive), tls_(tls) {
    set_pair(pair);
    listen_fd_ = ::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
    REQUIRE(listen_fd_ >= 0);
    sockaddr_in addr{};
    addr.sin_family = AF_INET;
    addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    REQUIRE(::bind(listen_fd_, reinterpret_cast<sockaddr*>(&addr), sizeof addr) == 0);
    REQUIRE(::listen(listen_fd_, 8) == 0);
    socklen_t len = sizeof addr;
    REQUIRE(::getsockname(listen_fd_, reinterpret_cast<sockaddr*>(&addr), &len) == 0);
    port_ = ntohs(addr.sin_port);
    thread_ = std::thread([this] { Serve(); });
  }
  ~TestIssuer() {
    stop_ = true;
    thread_.join();
    {
      std::lock_guard lock(mutex_);
      for (int fd : active_fds_) ::shutdown(fd, SHUT_RDWR);
    }
    for (auto& t : connections_) t.join();
    ::close(listen_fd_);
  }

  void set_pair(const TlsKeyPair& pair) {
    std::shared_ptr<SSL_CTX> ctx(SSL_CTX_new(TLS_server_method()), SSL_CTX_free);
    REQUIRE(ctx);
    REQUIRE(SSL_CTX_use_certificate(ctx.get(), pair.cert.get()) == 1);
    REQUIRE(SSL_CTX_use_PrivateKey(ctx.get(), pair.key.get()) == 1);
    std::lock_guard lock(mutex_);
    ctx_ = std::move(ctx);
  }
  std::string url(const std::string& host = "127.0.0.1") const {
    return "https://" + host + ":" + std::to_string(port_);
  }
  int handshakes() const { return handshakes_; }
  void set_reply(Reply reply) { reply_ = reply; }

 private:
  void Serve() {
    while (!stop_) {
      pollfd p{listen_fd_, POLLIN, 0};
      if (::poll(&p, 1, 50) <= 0) continue;
      const int fd = ::accept4(listen_fd_, nullptr, nullptr, SOCK_CLOEXEC);
      if (fd < 0) continue;
      timeval timeout{10, 0};
      ::setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &timeout, sizeof timeout);
      std::lock_guard lock(mutex_);
      active_fds_.insert(fd);
      connections_.emplace_back([this, fd] { ServeConnection(fd); });
    }
  }

  void ServeConnection(int fd) {
    if (tls_) {
      ServeTls(fd);
    } else {
      char buf[4096];
      (void)!::read(fd, buf, sizeof buf);
      const std::string reply = "HTTP/1.1 400 Bad Request\r\nContent-Length: 0\r\n\r\n";
      (void)!::write(fd, reply.data(), reply.size());
    }
    std::lock_guard lock(mutex_);
    active_fds_.erase(fd);
    ::close(fd);
  }

  void ServeTls(int fd) {
    std::shared_ptr<SSL_CTX> ctx;
    {
      std::lock_guard lock(mutex_);
      ctx = ctx_;
    }
    SSL* ssl = SSL_new(ctx.get());
    SSL_set_fd(ssl, fd);
    if (SSL_accept(ssl) == 1) {
      ++handshakes_;
      while (!stop_ && ServeOneRequest(ssl) && keep_alive_) {
      }
      SSL_shutdown(ssl);
    }
    SSL_free(ssl);
    ERR_clear_error();
  }

  // Reads one request (header, then Content-Length bytes) and answers it.
  bool ServeOneRequest(SSL* ssl) {
    std::string in;
    char buf[4096];
    size_t header_end;
    while ((header_end = in.find("\r\n\r\n")) == std::string::npos) {
      const int n = SSL_read(ssl, buf, sizeof buf);
      if (n <= 0) return false;
      in.append(buf, static_cast<size_t>(n));
    }
    size_t length = 0;
    std::string header = in.substr(0, header_end);
    for (char& c : header) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
    if (auto at = header.find("\r\ncontent-length:"); at != std::string::npos) {
      length = std::stoul(header.substr(at + 17));
    }
    while (in.size() < header_end + 4 + length) {
      const int n = SSL_read(ssl, buf, sizeof buf);
      if (n <= 0) return false;
      in.append(buf, static_cast<size_t>(n));
    }
    const Reply kind = reply_;
    std::string body = kChallengeBody;
    std::string status = "200 OK";
    if (kind == Reply::kNotJson) body = "<html>not the issuer</html>";
    if (kind == Reply::kRefusal) {
      status = "400 Bad Request";
      body = R"({"errorCode":"invalidCode","details":"no such code"})";
    }
    std::string reply = "HTTP/1.1 " + status + "\r\nContent-Type: application/json\r\n"
                        "Content-Length: " + std::to_string(body.size()) +
                        (keep_alive_ ? "\r\n\r\n" : "\r\nConnection: close\r\n\r\n") + body;
    if (kind == Reply::kTruncated) {
      reply.resize(reply.size() - body.size() / 2);
      SSL_write(ssl, reply.data(), static_cast<int>(reply.size()));
      return false;  // and the connection ends
    }
    return SSL_write(ssl, reply.data(), static_cast<int>(reply.size())) > 0;
  }

  const bool keep_alive_;
  const bool tls_;
  int listen_fd_ = -1;
  uint16_t port_ = 0;
  std::atomic<bool> stop_{false};
  std::atomic<int> handshakes_{0};
  std::atomic<Reply> reply_{Reply::kChallenge};
  std::mutex mutex_;
  std::shared_ptr<SSL_CTX> ctx_;
  std::set<int> active_fds_;
  std::vector<std::thread> connections_;
  std::thread thread_;
};

std::string WriteCa(const TempDir& dir, const std::string& name, const TlsKeyPair& ca) {
  return testing::WriteTlsPair(dir.path(), name, ca).first;
}

std::unique_ptr<platform::IssuerClient> MustCreate(const std::string& url,
                                                   platform::TlsTrust trust) {
  auto client = platform::IssuerClient::Create(url, std::move(trust));
  REQUIRE(client.ok());
  return std::move(*client);
}

std::string ErrorCode(const Result<platform::ActivationChallenge>& r) {
  return r.ok() ? "ok" : r.error().code;
}

}  // namespace

TEST_CASE("pinned: the right key is accepted whatever its certificate says") {
  // (d) self-signed, a name that is not the URL's host, and even expired: the pin is the trust.
  const auto key = testing::tls_internal::NewKey();
  const TlsKeyPair cert = SelfSigned(key);
  TestIssuer issuer(cert);
  auto client = MustCreate(issuer.url(), {PinOf(cert), ""});
  CHECK_FALSE(client->server_pin().has_value());
  auto r = client->Challenge("ABCDEFGHJKLMNPRS");
  REQUIRE_MESSAGE(r.ok(), r.error().code, ": ", r.error().message);
  CHECK(r->identifier == "ABCDEFGHJKLM");
  REQUIRE(client->server_pin().has_value());
  CHECK(*client->server_pin() == PinOf(cert));

  issuer.set_pair(SelfSigned(key, -7200, 3600));  // expired an hour ago, same key
  auto again = MustCreate(issuer.url(), {PinOf(cert), ""});
  CHECK(ErrorCode(again->Challenge("ABCDEFGHJKLMNPRS")) == "ok");
}

TEST_CASE("pinned: another key is tlsPinMismatch, even with a certificate the CAs trust") {
  // (a) The wrong key fails although its chain and host name are valid for a CA the device
  // would otherwise trust: with a pin, CAs do not count.
  TempDir dir("tillit-issuer-tls-test");
  const TlsKeyPair ca = testing::MakeTlsCa("Test CA");
  const TlsKeyPair good = testing::MakeTlsServerCert(ca);
  const std::string ca_file = WriteCa(dir, "ca", ca);
  TestIssuer issuer(good);
  const Bytes other_pin = PinOf(SelfSigned(testing::tls_internal::NewKey()));
  auto client = MustCreate(issuer.url(), {other_pin, ""});
  auto r = client->Challenge("ABCDEFGHJKLMNPRS");
  REQUIRE_FALSE(r.ok());
  CHECK(r.error().code == "tlsPinMismatch");
  // The message names both pins (public values) so an operator can tell what changed.
  CHECK(r.error().message.find(credential::FormatTlsPin(PinOf(good))) != std::string::npos);
  CHECK_FALSE(client->server_pin().has_value());
  // The same server is fine for a client that trusts the CA instead.
  CHECK(ErrorCode(MustCreate(issuer.url(), {std::nullopt, ca_file})->Challenge("X")) == "ok");
}

TEST_CASE("pinned: a new key is caught; a renewed certificate for the same key is not") {
  const auto key = testing::tls_internal::NewKey();
  const TlsKeyPair first = SelfSigned(key);
  TestIssuer issuer(first);  // Connection: close, so every call makes a new handshake
  auto client = MustCreate(issuer.url(), {PinOf(first), ""});
  CHECK(ErrorCode(client->Challenge("X")) == "ok");

  issuer.set_pair(SelfSigned(testing::tls_internal::NewKey()));
  CHECK(ErrorCode(client->Challenge("X")) == "tlsPinMismatch");
  CHECK(*client->server_pin() == PinOf(first));  // the last good connection's key

  issuer.set_pair(SelfSigned(key, -60));  // renewed: new certificate, same key
  CHECK(ErrorCode(client->Challenge("X")) == "ok");
  CHECK(issuer.handshakes() == 2);
}

TEST_CASE("server_pin is set only by a call that succeeded, never by a cut or foreign answer") {
  // A handshake with an accepted key is not enough: the answer must be read in full and be
  // the protocol's. Before the fix the pin was kept as soon as the response head arrived.
  const TlsKeyPair cert = SelfSigned(testing::tls_internal::NewKey());
  TestIssuer issuer(cert);
  TempDir dir("tillit-issuer-tls-test");
  const TlsKeyPair ca = testing::MakeTlsCa("Test CA");
  const std::string ca_file = WriteCa(dir, "ca", ca);
  TestIssuer trusted(testing::MakeTlsServerCert(ca, "IP:127.0.0.1"));
  for (auto reply : {TestIssuer::Reply::kTruncated, TestIssuer::Reply::kNotJson,
                     TestIssuer::Reply::kRefusal}) {
    CAPTURE(static_cast<int>(reply));
    issuer.set_reply(reply);
    trusted.set_reply(reply);
    auto pinned = MustCreate(issuer.url(), {PinOf(cert), ""});
    CHECK(ErrorCode(pinned->Challenge("X")) != "ok");
    CHECK_FALSE(pinned->server_pin().has_value());
    // CA mode: what activation with a bare code would store (trust on first use).
    auto first_use = MustCreate(trusted.url(), {std::nullopt, ca_file});
    CHECK(ErrorCode(first_use->Challenge("X")) != "ok");
    CHECK_FALSE(first_use->server_pin().has_value());
  }
  issuer.set_reply(TestIssuer::Reply::kChallenge);
  auto client = MustCreate(issuer.url(), {PinOf(cert), ""});
  CHECK(ErrorCode(client->Challenge("X")) == "ok");
  CHECK(client->server_pin().has_value());
}

TEST_CASE("kept-alive connections: one handshake, the pin stays known") {
  const TlsKeyPair cert = SelfSigned(testing::tls_internal::NewKey());
  TestIssuer issuer(cert, /*keep_alive=*/true);
  auto client = MustCreate(issuer.url(), {PinOf(cert), ""});
  for (int i = 0; i < 3; ++i) {
    CHECK(ErrorCode(client->Challenge("X")) == "ok");
    REQUIRE(client->server_pin().has_value());
    CHECK(*client->server_pin() == PinOf(cert));
    // cpprestsdk pools a connection only after the call returns: give it the time.
    std::this_thread::sleep_for(std::chrono::milliseconds(100));
  }
  CHECK(issuer.handshakes() == 1);
}

TEST_CASE("CA mode: a trusted chain for the URL's host passes and its key is observed") {
  TempDir dir("tillit-issuer-tls-test");
  const TlsKeyPair ca = testing::MakeTlsCa("Test CA");
  const TlsKeyPair cert = testing::MakeTlsServerCert(ca, "IP:127.0.0.1");
  TestIssuer issuer(cert);
  auto client = MustCreate(issuer.url(), {std::nullopt, WriteCa(dir, "ca", ca)});
  CHECK_FALSE(client->server_pin().has_value());
  CHECK(ErrorCode(client->Challenge("X")) == "ok");
  // What activation with a bare code stores (trust on first use).
  REQUIRE(client->server_pin().has_value());
  CHECK(*client->server_pin() == PinOf(cert));
}

TEST_CASE("CA mode: a certificate for another host is tlsError") {
  // (b) A valid chain from the trusted CA, but for other names than the URL's host.
  TempDir dir("tillit-issuer-tls-test");
  const TlsKeyPair ca = testing::MakeTlsCa("Test CA");
  const std::string ca_file = WriteCa(dir, "ca", ca);
  for (const char* names : {"DNS:issuer.example", "IP:127.0.0.2", "DNS:127.0.0.1"}) {
    INFO(names);
    TestIssuer issuer(testing::MakeTlsServerCert(ca, names));
    auto client = MustCreate(issuer.url(), {std::nullopt, ca_file});
    auto r = client->Challenge("X");
    REQUIRE_FALSE(r.ok());
    CHECK(r.error().code == "tlsError");
    CHECK(r.error().message.find("mismatch") != std::string::npos);
    CHECK_FALSE(client->server_pin().has_value());
  }
}

TEST_CASE("CA mode: an untrusted CA, a self-signed or an expired certificate is tlsError") {
  // (c) The chain must lead to the given CAs, or (no CA file) to the system's.
  TempDir dir("tillit-issuer-tls-test");
  const TlsKeyPair ca = testing::MakeTlsCa("Test CA");
  const TlsKeyPair other_ca = testing::MakeTlsCa("Other CA");
  const std::string other_file = WriteCa(dir, "other", other_ca);
  const std::string ca_file = WriteCa(dir, "ca", ca);
  {
    TestIssuer issuer(testing::MakeTlsServerCert(ca));
    CHECK(ErrorCode(MustCreate(issuer.url(), {std::nullopt, other_file})->Challenge("X")) ==
          "tlsError");
    // The system's store does not hold a test CA.
    CHECK(ErrorCode(MustCreate(issuer.url(), {})->Challenge("X")) == "tlsError");
  }
  {
    TestIssuer issuer(SelfSigned(testing::tls_internal::NewKey()));
    CHECK(ErrorCode(MustCreate(issuer.url(), {std::nullopt, ca_file})->Challenge("X")) ==
          "tlsError");
  }
  {
    TestIssuer issuer(testing::MakeTlsServerCert(ca, "IP:127.0.0.1", -7200, 3600));
    auto r = MustCreate(issuer.url(), {std::nullopt, ca_file})->Challenge("X");
    REQUIRE_FALSE(r.ok());
    CHECK(r.error().code == "tlsError");
    CHECK(r.error().message.find("expired") != std::string::npos);
  }
}

TEST_CASE("CA mode: the system store follows SSL_CERT_FILE") {
  TempDir dir("tillit-issuer-tls-test");
  const TlsKeyPair ca = testing::MakeTlsCa("Test CA");
  const std::string ca_file = WriteCa(dir, "ca", ca);
  TestIssuer issuer(testing::MakeTlsServerCert(ca));
  const char* before = std::getenv("SSL_CERT_FILE");
  const std::string saved = before ? before : "";
  ::setenv("SSL_CERT_FILE", ca_file.c_str(), 1);
  auto client = platform::IssuerClient::Create(issuer.url(), {});
  if (before) {
    ::setenv("SSL_CERT_FILE", saved.c_str(), 1);
  } else {
    ::unsetenv("SSL_CERT_FILE");
  }
  REQUIRE(client.ok());
  CHECK(ErrorCode((*client)->Challenge("X")) == "ok");
}

TEST_CASE("a server that does not speak TLS is tlsError; no server is networkError") {
  const TlsKeyPair cert = SelfSigned(testing::tls_internal::NewKey());
  TestIssuer plain(cert, /*keep_alive=*/false, /*tls=*/false);
  CHECK(ErrorCode(MustCreate(plain.url(), {PinOf(cert), ""})->Challenge("X")) == "tlsError");
  CHECK(ErrorCode(MustCreate(plain.url(), {})->Challenge("X")) == "tlsError");

  // A port nobody listens on: bind one, note it, close it.
  const int fd = ::socket(AF_INET, SOCK_STREAM, 0);
  sockaddr_in addr{};
  addr.sin_family = AF_INET;
  addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  REQUIRE(::bind(fd, reinterpret_cast<sockaddr*>(&addr), sizeof addr) == 0);
  socklen_t len = sizeof addr;
  REQUIRE(::getsockname(fd, reinterpret_cast<sockaddr*>(&addr), &len) == 0);
  ::close(fd);
  const std::string closed = "https://127.0.0.1:" + std::to_string(ntohs(addr.sin_port));
  CHECK(ErrorCode(MustCreate(closed, {PinOf(cert), ""})->Challenge("X")) == "networkError");
}

TEST_CASE("Create refuses trust settings that cannot apply") {
  TempDir dir("tillit-issuer-tls-test");
  const Bytes pin(32, 1);
  const std::string ca_file = WriteCa(dir, "ca", testing::MakeTlsCa("Test CA"));
  auto code = [](const Result<std::unique_ptr<platform::IssuerClient>>& r) {
    return r.ok() ? std::string("ok") : r.error().code;
  };
  using platform::IssuerClient;
  CHECK(code(IssuerClient::Create("http://127.0.0.1:9", {pin, ""})) == "invalidParameters");
  CHECK(code(IssuerClient::Create("http://127.0.0.1:9", {std::nullopt, ca_file})) ==
        "invalidParameters");
  CHECK(code(IssuerClient::Create("https://127.0.0.1:9", {Bytes(31, 1), ""})) ==
        "invalidParameters");
  CHECK(code(IssuerClient::Create("https://127.0.0.1:9", {pin, ca_file})) == "invalidParameters");
  CHECK(code(IssuerClient::Create("https://127.0.0.1:9", {std::nullopt, dir.file("none.pem")})) ==
        "ioError");
  const std::string not_a_certificate = dir.Write("empty.pem", "not a certificate\n");
  CHECK(code(IssuerClient::Create("https://127.0.0.1:9", {std::nullopt, not_a_certificate})) ==
        "invalidParameters");
  // What stays allowed: http:// without TLS settings, https:// with either.
  CHECK(code(IssuerClient::Create("http://127.0.0.1:9")) == "ok");
  CHECK(code(IssuerClient::Create("https://127.0.0.1:9", {pin, ""})) == "ok");
  CHECK(code(IssuerClient::Create("https://127.0.0.1:9", {std::nullopt, ca_file})) == "ok");
  auto http = IssuerClient::Create("http://127.0.0.1:9");
  REQUIRE(http.ok());
  CHECK_FALSE((*http)->server_pin().has_value());
}
