// HttpServer over real loopback sockets: normal and keep-alive exchanges, body and header
// caps (the handler must not run), malformed requests, the three timeouts, the connection
// cap, handler exceptions, Stop(), bind failures and many concurrent clients.
#include "tillit/server/api/http_server.h"

#include <arpa/inet.h>
#include <doctest/doctest.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <poll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <atomic>
#include <cerrno>
#include <chrono>
#include <map>
#include <optional>
#include <stdexcept>
#include <string>
#include <thread>
#include <vector>

#include "tillit/server/api/json.h"

namespace tillit::server::api {
namespace {

using namespace std::chrono_literals;
using Clock = std::chrono::steady_clock;

struct RawResponse {
  int status = 0;
  std::map<std::string, std::string> headers;  // lower-case names
  std::string body;
  std::string Header(const std::string& name) const {
    auto it = headers.find(name);
    return it == headers.end() ? "" : it->second;
  }
};

// A deliberately dumb HTTP/1.1 client on a POSIX socket, so the tests control every byte.
class Client {
 public:
  explicit Client(uint16_t port) {
    fd_ = ::socket(AF_INET, SOCK_STREAM, 0);
    REQUIRE(fd_ >= 0);
    sockaddr_in address{};
    address.sin_family = AF_INET;
    address.sin_port = htons(port);
    address.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    connected_ = ::connect(fd_, reinterpret_cast<sockaddr*>(&address), sizeof(address)) == 0;
    int one = 1;
    ::setsockopt(fd_, IPPROTO_TCP, TCP_NODELAY, &one, sizeof(one));
  }
  ~Client() { Close(); }
  Client(const Client&) = delete;
  Client& operator=(const Client&) = delete;

  bool connected() const { return connected_; }

  void Close() {
    if (fd_ >= 0) ::close(fd_);
    fd_ = -1;
  }

  bool Send(std::string_view data) {
    while (!data.empty()) {
      ssize_t n = ::send(fd_, data.data(), data.size(), MSG_NOSIGNAL);
      if (n <= 0) return false;
      data.remove_prefix(static_cast<size_t>(n));
    }
    return true;
  }

  // One response, or nullopt if the connection ends or `timeout` passes first.
  std::optional<RawResponse> Read(std::chrono::milliseconds timeout = 5000ms) {
    const auto deadline = Clock::now() + timeout;
    size_t head_end;
    while ((head_end = buffer_.find("\r\n\r\n")) == std::string::npos) {
      if (!Fill(deadline)) return std::nullopt;
    }
    RawResponse response;
    const std::string head = buffer_.substr(0, head_end);
    buffer_.erase(0, head_end + 4);
    size_t line_end = head.find("\r\n");
    const std::string status_line = head.substr(0, line_end);
    if (status_line.rfind("HTTP/1.", 0) != 0 || status_line.size() < 12) return std::nullopt;
    response.status = std::stoi(status_line.substr(9, 3));
    while (line_end != std::string::npos) {
      const size_t start = line_end + 2;
      line_end = head.find("\r\n", start);
      const std::string line = head.substr(start, line_end == std::string::npos ? std::string::npos : line_end - start);
      const size_t colon = line.find(':');
      if (colon == std::string::npos) continue;
      std::string name = line.substr(0, colon);
      for (char& c : name) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
      std::string value = line.substr(colon + 1);
      while (!value.empty() && value.front() == ' ') value.erase(0, 1);
      response.headers[name] = value;
    }
    const size_t length = response.headers.count("content-length") ? std::stoul(response.headers["content-length"]) : 0;
    while (buffer_.size() < length) {
      if (!Fill(deadline)) return std::nullopt;
    }
    response.body = buffer_.substr(0, length);
    buffer_.erase(0, length);
    return response;
  }

  // True once the server has closed the connection (EOF or reset) within `timeout`;
  // whatever else arrives is discarded.
  bool WaitClosed(std::chrono::milliseconds timeout) {
    const auto deadline = Clock::now() + timeout;
    while (true) {
      const auto left = std::chrono::duration_cast<std::chrono::milliseconds>(deadline - Clock::now());
      if (left.count() <= 0) return false;
      pollfd p{fd_, POLLIN, 0};
      if (::poll(&p, 1, static_cast<int>(left.count())) <= 0) continue;
      char scratch[4096];
      ssize_t n = ::recv(fd_, scratch, sizeof(scratch), 0);
      if (n <= 0) return true;
    }
  }

 private:
  bool Fill(Clock::time_point deadline) {
    const auto left = std::chrono::duration_cast<std::chrono::milliseconds>(deadline - Clock::now());
    if (left.count() <= 0) return false;
    pollfd p{fd_, POLLIN, 0};
    if (::poll(&p, 1, static_cast<int>(left.count())) <= 0) return false;
    char chunk[8192];
    ssize_t n = ::recv(fd_, chunk, sizeof(chunk), 0);
    if (n <= 0) return false;
    buffer_.append(chunk, static_cast<size_t>(n));
    return true;
  }

  int fd_ = -1;
  bool connected_ = false;
  std::string buffer_;
};

std::string Get(const std::string& path, const std::string& extra_headers = "") {
  return "GET " + path + " HTTP/1.1\r\nHost: test\r\n" + extra_headers + "\r\n";
}

std::string Post(const std::string& path, const std::string& body, const std::string& extra_headers = "") {
  return "POST " + path + " HTTP/1.1\r\nHost: test\r\nContent-Type: application/json\r\nContent-Length: " +
         std::to_string(body.size()) + "\r\n" + extra_headers + "\r\n" + body;
}

// Echoes what it saw as JSON and counts calls.
struct EchoHandler {
  std::atomic<int>* calls;
  HttpResponse operator()(HttpRequest& request) const {
    calls->fetch_add(1);
    web::json::value echo = web::json::value::object();
    echo["method"] = web::json::value::string(request.method);
    echo["path"] = web::json::value::string(request.path);
    echo["query"] = web::json::value::string(request.query);
    echo["bodySize"] = web::json::value::number(static_cast<int64_t>(request.body.size()));
    echo["body"] = web::json::value::string(request.body.size() <= 256 ? request.body : "");
    echo["xTest"] = web::json::value::string(std::string(request.Header("X-Test")));
    echo["remote"] = web::json::value::string(request.remote_address);
    return JsonResponse(200, echo);
  }
};

std::unique_ptr<HttpServer> StartServer(HttpServerOptions options, Handler handler) {
  auto server = HttpServer::Start(std::move(options), std::move(handler));
  REQUIRE_MESSAGE(server.ok(), (server.ok() ? "" : server.error().message));
  return std::move(server).value();
}

web::json::value ParseJson(const std::string& text) { return web::json::value::parse(text); }

std::string ErrorCodeOf(const RawResponse& response) {
  return ParseJson(response.body).at("errorCode").as_string();
}

TEST_CASE("a request gets its response with the standard headers") {
  std::atomic<int> calls{0};
  auto server = StartServer({}, EchoHandler{&calls});
  CHECK(server->host() == "127.0.0.1");
  REQUIRE(server->port() != 0);

  Client client(server->port());
  REQUIRE(client.connected());
  REQUIRE(client.Send(Post("/rp/v1/auth?x=1", R"({"a":1})", "X-Test: hello\r\n")));
  auto response = client.Read();
  REQUIRE(response);
  CHECK(response->status == 200);
  CHECK(response->Header("content-type") == "application/json");
  CHECK(response->Header("cache-control") == "no-store");
  CHECK(response->Header("x-content-type-options") == "nosniff");
  CHECK(response->Header("content-length") == std::to_string(response->body.size()));
  const auto echo = ParseJson(response->body);
  CHECK(echo.at("method").as_string() == "POST");
  CHECK(echo.at("path").as_string() == "/rp/v1/auth");
  CHECK(echo.at("query").as_string() == "x=1");
  CHECK(echo.at("body").as_string() == R"({"a":1})");
  CHECK(echo.at("xTest").as_string() == "hello");
  CHECK(echo.at("remote").as_string() == "127.0.0.1");
  CHECK(calls == 1);
}

TEST_CASE("keep-alive: two requests on one connection, and pipelined requests") {
  std::atomic<int> calls{0};
  auto server = StartServer({}, EchoHandler{&calls});
  Client client(server->port());
  REQUIRE(client.Send(Get("/one")));
  auto first = client.Read();
  REQUIRE(first);
  CHECK(ParseJson(first->body).at("path").as_string() == "/one");
  CHECK(first->Header("connection") != "close");
  REQUIRE(client.Send(Get("/two")));
  auto second = client.Read();
  REQUIRE(second);
  CHECK(ParseJson(second->body).at("path").as_string() == "/two");

  REQUIRE(client.Send(Get("/three") + Get("/four")));
  auto third = client.Read();
  auto fourth = client.Read();
  REQUIRE(third);
  REQUIRE(fourth);
  CHECK(ParseJson(third->body).at("path").as_string() == "/three");
  CHECK(ParseJson(fourth->body).at("path").as_string() == "/four");
  CHECK(calls == 4);
}

TEST_CASE("Connection: close and HTTP/1.0 end the connection after the response") {
  std::atomic<int> calls{0};
  auto server = StartServer({}, EchoHandler{&calls});
  {
    Client client(server->port());
    REQUIRE(client.Send(Get("/", "Connection: close\r\n")));
    auto response = client.Read();
    REQUIRE(response);
    CHECK(response->Header("connection") == "close");
    CHECK(client.WaitClosed(2000ms));
  }
  {
    Client client(server->port());
    REQUIRE(client.Send("GET / HTTP/1.0\r\n\r\n"));
    auto response = client.Read();
    REQUIRE(response);
    CHECK(response->status == 200);
    CHECK(client.WaitClosed(2000ms));
  }
}

TEST_CASE("a declared body over the cap is refused with 413 before the handler runs") {
  std::atomic<int> calls{0};
  auto server = StartServer({}, EchoHandler{&calls});

  SUBCASE("head only: the server does not wait for the body") {
    Client client(server->port());
    REQUIRE(client.Send("POST /x HTTP/1.1\r\nHost: t\r\nContent-Type: application/json\r\nContent-Length: 70000\r\n\r\n"));
    auto response = client.Read(2000ms);
    REQUIRE(response);
    CHECK(response->status == 413);
    CHECK(ErrorCodeOf(*response) == "requestTooLarge");
    CHECK(response->Header("connection") == "close");
    CHECK(client.WaitClosed(3000ms));
  }
  SUBCASE("head and body sent at once: the response still arrives intact") {
    Client client(server->port());
    REQUIRE(client.Send(Post("/x", std::string(70000, 'a'))));
    auto response = client.Read(2000ms);
    REQUIRE(response);
    CHECK(response->status == 413);
    CHECK(ErrorCodeOf(*response) == "requestTooLarge");
  }
  SUBCASE("one byte over") {
    Client client(server->port());
    REQUIRE(client.Send(Post("/x", std::string(64 * 1024 + 1, 'a'))));
    auto response = client.Read(2000ms);
    REQUIRE(response);
    CHECK(response->status == 413);
  }
  SUBCASE("a chunked body that grows over the cap") {
    Client client(server->port());
    std::string request = "POST /x HTTP/1.1\r\nHost: t\r\nTransfer-Encoding: chunked\r\n\r\n";
    for (int i = 0; i < 5; ++i) request += "4000\r\n" + std::string(0x4000, 'b') + "\r\n";
    request += "0\r\n\r\n";
    REQUIRE(client.Send(request));
    auto response = client.Read(2000ms);
    REQUIRE(response);
    CHECK(response->status == 413);
  }
  CHECK(calls == 0);
}

TEST_CASE("a body of exactly the cap is accepted") {
  std::atomic<int> calls{0};
  auto server = StartServer({}, EchoHandler{&calls});
  Client client(server->port());
  REQUIRE(client.Send(Post("/x", std::string(64 * 1024, 'a'))));
  auto response = client.Read();
  REQUIRE(response);
  CHECK(response->status == 200);
  CHECK(ParseJson(response->body).at("bodySize").as_integer() == 64 * 1024);
  CHECK(calls == 1);
}

TEST_CASE("Expect: 100-continue gets an interim response, then the real one") {
  std::atomic<int> calls{0};
  auto server = StartServer({}, EchoHandler{&calls});
  Client client(server->port());
  REQUIRE(client.Send("POST /x HTTP/1.1\r\nHost: t\r\nContent-Length: 5\r\nExpect: 100-continue\r\n\r\n"));
  auto interim = client.Read();
  REQUIRE(interim);
  CHECK(interim->status == 100);
  REQUIRE(client.Send("hello"));
  auto response = client.Read();
  REQUIRE(response);
  CHECK(response->status == 200);
  CHECK(ParseJson(response->body).at("body").as_string() == "hello");
}

TEST_CASE("a header over the cap gets 413") {
  std::atomic<int> calls{0};
  auto server = StartServer({}, EchoHandler{&calls});
  Client client(server->port());
  REQUIRE(client.Send(Get("/", "X-Big: " + std::string(20000, 'h') + "\r\n")));
  auto response = client.Read();
  REQUIRE(response);
  CHECK(response->status == 413);
  CHECK(ErrorCodeOf(*response) == "requestTooLarge");
  CHECK(calls == 0);
}

TEST_CASE("malformed requests get 400 invalidParameters and are closed") {
  std::atomic<int> calls{0};
  auto server = StartServer({}, EchoHandler{&calls});
  const std::vector<std::string> bad = {
      "GARBAGE\r\n\r\n",
      "GET /\r\n\r\n",
      "GET / HTTP/1.1\r\nBad Header Name: x\r\n\r\n",
      "POST / HTTP/1.1\r\nContent-Length: abc\r\n\r\n",
      // Both framings at once is the request-smuggling shape.
      "POST / HTTP/1.1\r\nContent-Length: 3\r\nTransfer-Encoding: chunked\r\n\r\n0\r\n\r\n",
      "GET http://evil.example/ HTTP/1.1\r\nHost: t\r\n\r\n",
  };
  for (const std::string& request : bad) {
    CAPTURE(request);
    Client client(server->port());
    REQUIRE(client.Send(request));
    auto response = client.Read();
    REQUIRE(response);
    CHECK(response->status == 400);
    CHECK(ErrorCodeOf(*response) == "invalidParameters");
    CHECK(client.WaitClosed(3000ms));
  }
  CHECK(calls == 0);
}

TEST_CASE("timeouts: a stalled head, a trickled head and an idle keep-alive connection are closed") {
  std::atomic<int> calls{0};
  HttpServerOptions options;
  options.header_timeout = 300ms;
  options.idle_timeout = 300ms;
  options.request_timeout = 300ms;
  auto server = StartServer(options, EchoHandler{&calls});

  SUBCASE("half a header, then silence") {
    Client client(server->port());
    const auto start = Clock::now();
    REQUIRE(client.Send("GET / HTTP/1.1\r\nHost: t\r\n"));
    CHECK(client.WaitClosed(3000ms));
    CHECK(Clock::now() - start >= 250ms);
  }
  SUBCASE("a connection that never sends anything") {
    Client client(server->port());
    const auto start = Clock::now();
    CHECK(client.WaitClosed(3000ms));
    CHECK(Clock::now() - start >= 250ms);
  }
  SUBCASE("a header trickled a byte at a time does not extend the deadline") {
    Client client(server->port());
    const auto start = Clock::now();
    const std::string head = "GET / HTTP/1.1\r\nHost: t\r\nX-Slow: " + std::string(100, 'x');
    bool still_open = true;
    for (char c : head) {
      if (!client.Send(std::string(1, c))) {
        still_open = false;
        break;
      }
      std::this_thread::sleep_for(20ms);
      if (Clock::now() - start > 1000ms) break;
    }
    if (still_open) CHECK(client.WaitClosed(1000ms));
    CHECK(Clock::now() - start < 1500ms);
  }
  SUBCASE("a body that stops halfway") {
    Client client(server->port());
    const auto start = Clock::now();
    REQUIRE(client.Send("POST / HTTP/1.1\r\nHost: t\r\nContent-Length: 10\r\n\r\nabc"));
    CHECK(client.WaitClosed(3000ms));
    CHECK(Clock::now() - start >= 250ms);
  }
  SUBCASE("idle between keep-alive requests") {
    Client client(server->port());
    REQUIRE(client.Send(Get("/")));
    REQUIRE(client.Read());
    const auto start = Clock::now();
    CHECK(client.WaitClosed(3000ms));
    CHECK(Clock::now() - start >= 250ms);
  }
  CHECK(calls <= 1);
}

TEST_CASE("connections over max_connections are refused while the first ones are served") {
  std::atomic<int> calls{0};
  HttpServerOptions options;
  options.max_connections = 4;
  auto server = StartServer(options, EchoHandler{&calls});

  std::vector<std::unique_ptr<Client>> clients;
  for (int i = 0; i < 4; ++i) {
    clients.push_back(std::make_unique<Client>(server->port()));
    REQUIRE(clients.back()->connected());
  }
  // The acceptor takes connections in order, so the fifth meets a full house.
  Client extra(server->port());
  CHECK(extra.WaitClosed(2000ms));

  for (auto& client : clients) {
    REQUIRE(client->Send(Get("/")));
    auto response = client->Read();
    REQUIRE(response);
    CHECK(response->status == 200);
  }

  // Once one leaves, a newcomer gets in (after the server notices the close).
  clients.front().reset();
  bool served = false;
  for (int attempt = 0; attempt < 50 && !served; ++attempt) {
    Client late(server->port());
    if (late.Send(Get("/"))) {
      auto response = late.Read(1000ms);
      served = response && response->status == 200;
    }
    if (!served) std::this_thread::sleep_for(20ms);
  }
  CHECK(served);
}

TEST_CASE("a throwing handler gives 500 internalError without the exception text") {
  auto server = StartServer({}, [](HttpRequest&) -> HttpResponse {
    throw std::runtime_error("secret database path /var/lib/tillit");
  });
  Client client(server->port());
  REQUIRE(client.Send(Get("/")));
  auto response = client.Read();
  REQUIRE(response);
  CHECK(response->status == 500);
  CHECK(ErrorCodeOf(*response) == "internalError");
  CHECK(ParseJson(response->body).at("details").as_string() == "internal error");
  CHECK(response->body.find("secret") == std::string::npos);
  // The connection survives a handler failure.
  REQUIRE(client.Send(Get("/")));
  auto again = client.Read();
  REQUIRE(again);
  CHECK(again->status == 500);
}

TEST_CASE("handler headers cannot break framing or inject lines") {
  auto server = StartServer({}, [](HttpRequest&) {
    HttpResponse response;
    response.content_type = "text/plain";
    response.body = "ok";
    response.headers = {{"X-Good", "yes"},
                        {"X-Bad", "a\r\nSet-Cookie: evil=1"},
                        {"Content-Length", "999"},
                        {"Cache-Control", "max-age=60"}};
    return response;
  });
  Client client(server->port());
  REQUIRE(client.Send(Get("/")));
  auto response = client.Read();
  REQUIRE(response);
  CHECK(response->body == "ok");
  CHECK(response->Header("content-length") == "2");
  CHECK(response->Header("x-good") == "yes");
  CHECK(response->Header("x-bad").empty());
  CHECK(response->Header("set-cookie").empty());
  CHECK(response->Header("cache-control") == "max-age=60");
  // And the connection is still in sync.
  REQUIRE(client.Send(Get("/")));
  CHECK(client.Read());
}

TEST_CASE("Stop returns promptly with idle connections open and is idempotent") {
  std::atomic<int> calls{0};
  HttpServerOptions options;
  options.idle_timeout = 60000ms;
  options.header_timeout = 60000ms;
  auto server = StartServer(options, EchoHandler{&calls});
  const uint16_t port = server->port();
  Client idle_after_request(port);
  REQUIRE(idle_after_request.Send(Get("/")));
  REQUIRE(idle_after_request.Read());
  Client silent(port);
  REQUIRE(silent.connected());
  std::this_thread::sleep_for(50ms);  // let the server accept `silent`

  const auto start = Clock::now();
  server->Stop();
  CHECK(Clock::now() - start < 1000ms);
  CHECK(idle_after_request.WaitClosed(1000ms));
  CHECK(silent.WaitClosed(1000ms));
  server->Stop();
  CHECK(server->port() == port);

  Client refused(port);
  CHECK((!refused.connected() || refused.WaitClosed(1000ms)));
}

TEST_CASE("Stop lets an in-flight request finish") {
  std::atomic<bool> entered{false};
  auto server = StartServer({}, [&entered](HttpRequest&) {
    entered = true;
    std::this_thread::sleep_for(300ms);
    HttpResponse response;
    response.content_type = "text/plain";
    response.body = "done";
    return response;
  });
  Client client(server->port());
  REQUIRE(client.Send(Get("/")));
  while (!entered) std::this_thread::sleep_for(1ms);
  server->Stop();
  auto response = client.Read();
  REQUIRE(response);
  CHECK(response->status == 200);
  CHECK(response->body == "done");
  CHECK(response->Header("connection") == "close");
}

TEST_CASE("bind failures are listenFailed") {
  std::atomic<int> calls{0};
  auto first = StartServer({}, EchoHandler{&calls});
  HttpServerOptions same_port;
  same_port.port = first->port();
  auto second = HttpServer::Start(same_port, EchoHandler{&calls});
  REQUIRE_FALSE(second.ok());
  CHECK(second.error().code == "listenFailed");

  HttpServerOptions bad_host;
  bad_host.host = "not-an-address";
  auto third = HttpServer::Start(bad_host, EchoHandler{&calls});
  REQUIRE_FALSE(third.ok());
  CHECK(third.error().code == "listenFailed");

  HttpServerOptions zero_cap;
  zero_cap.max_body_bytes = 0;
  auto fourth = HttpServer::Start(zero_cap, EchoHandler{&calls});
  REQUIRE_FALSE(fourth.ok());
  CHECK(fourth.error().code == "invalidParameters");
}

TEST_CASE("50 concurrent clients x 20 requests are all answered correctly") {
  std::atomic<int> calls{0};
  HttpServerOptions options;
  options.threads = 4;
  auto server = StartServer(options, EchoHandler{&calls});
  constexpr int kClients = 50;
  constexpr int kRequests = 20;
  std::atomic<int> good{0};
  std::vector<std::thread> threads;
  for (int c = 0; c < kClients; ++c) {
    threads.emplace_back([&, c] {
      Client client(server->port());
      if (!client.connected()) return;
      for (int r = 0; r < kRequests; ++r) {
        const std::string body = "client-" + std::to_string(c) + "-request-" + std::to_string(r);
        if (!client.Send(Post("/echo", body))) return;
        auto response = client.Read(10000ms);
        if (!response || response->status != 200) return;
        if (ParseJson(response->body).at("body").as_string() != body) return;
        good.fetch_add(1);
      }
    });
  }
  for (auto& thread : threads) thread.join();
  CHECK(good == kClients * kRequests);
  CHECK(calls == kClients * kRequests);
}

}  // namespace
}  // namespace tillit::server::api
