// Abuse limits of the real tillit-server (issue 8): rate limits per address and per
// credential answer 429 with Retry-After; repeated 401s shut an address out of bearer
// requests; hundreds of idle and half-sent connections from one address leave the server
// serving everyone else. The attackers use other loopback addresses (127.0.0.2 and up:
// all of 127.0.0.0/8 reaches the server) so that the normal client is a different peer.
#include <arpa/inet.h>
#include <doctest/doctest.h>
#include <netinet/in.h>
#include <poll.h>
#include <sys/socket.h>
#include <sys/time.h>
#include <unistd.h>

#include <cstdio>
#include <string>
#include <vector>

#include "raw_http.h"
#include "temp_dir.h"

namespace {

using tillit::testing::RawHttp;
using tillit::testing::Reply;
using tillit::testing::ServerProcess;
using tillit::testing::TempDir;

const std::string kBin = std::string(TILLIT_BIN_DIR) + "/tillit-server";

std::string Run(const std::string& command) {
  FILE* p = ::popen(command.c_str(), "r");
  REQUIRE(p != nullptr);
  std::string out;
  char buf[512];
  while (size_t n = std::fread(buf, 1, sizeof buf, p)) out.append(buf, n);
  REQUIRE(::pclose(p) == 0);
  return out;
}

// A TCP connection to 127.0.0.1:port from `source` (a loopback address), or -1.
int ConnectFrom(const char* source, int port) {
  int fd = ::socket(AF_INET, SOCK_STREAM, 0);
  if (fd < 0) return -1;
  sockaddr_in local{};
  local.sin_family = AF_INET;
  ::inet_pton(AF_INET, source, &local.sin_addr);
  sockaddr_in remote{};
  remote.sin_family = AF_INET;
  remote.sin_port = htons(static_cast<uint16_t>(port));
  remote.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  if (::bind(fd, reinterpret_cast<sockaddr*>(&local), sizeof local) != 0 ||
      ::connect(fd, reinterpret_cast<sockaddr*>(&remote), sizeof remote) != 0) {
    ::close(fd);
    return -1;
  }
  return fd;
}

// One GET from `source` on a fresh connection; the status code, or 0 if the connection was
// closed or no answer came within 5 s (a bound for a hang, not a speed check).
int GetFrom(const char* source, int port, const std::string& path, std::string* head = nullptr,
            const std::string& token = "") {
  int fd = ConnectFrom(source, port);
  if (fd < 0) return 0;
  timeval tv{5, 0};
  ::setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof tv);
  std::string req = "GET " + path + " HTTP/1.1\r\nHost: x\r\nConnection: close\r\n";
  if (!token.empty()) req += "Authorization: Bearer " + token + "\r\n";
  req += "\r\n";
  ::send(fd, req.data(), req.size(), MSG_NOSIGNAL);
  std::string answer;
  char buf[4096];
  ssize_t n;
  while ((n = ::recv(fd, buf, sizeof buf, 0)) > 0) answer.append(buf, static_cast<size_t>(n));
  ::close(fd);
  if (answer.rfind("HTTP/1.1 ", 0) != 0) return 0;
  if (head) *head = answer.substr(0, answer.find("\r\n\r\n"));
  return std::stoi(answer.substr(9, 3));
}

TEST_CASE("per-address limit: 429 with Retry-After, other addresses unaffected") {
  TempDir dir("tillit-abuse");
  ServerProcess server(kBin, dir.file("data"), {"--rate-limit-address", "2:10"});
  int ok = 0;
  for (int i = 0; i < 10; ++i) ok += GetFrom("127.0.0.2", server.port(), "/healthz") == 200;
  CHECK(ok >= 10);
  std::string head;
  CHECK(GetFrom("127.0.0.2", server.port(), "/healthz", &head) == 429);
  CHECK(head.find("Retry-After: 1") != std::string::npos);
  CHECK(GetFrom("127.0.0.3", server.port(), "/healthz") == 200);
  // The limit covers every route, pages and status included.
  int refused = 0;
  for (const char* path : {"/desk/", "/status/v1/crl", "/.well-known/jwks.json", "/nope"}) {
    refused += GetFrom("127.0.0.2", server.port(), path) == 429;
  }
  CHECK(refused >= 3);
}

TEST_CASE("repeated 401s shut an address out of bearer requests; the credential limit holds") {
  TempDir dir("tillit-abuse");
  std::string data = dir.file("data");
  std::string out = Run(kBin + " admin --data " + data +
                        " add-officer --name 'Anna Berg' --organisation Desk --role officer");
  auto token = web::json::value::parse(out).at("token").as_string();
  ServerProcess server(kBin, data, {"--rate-limit-credential", "3:5"});
  const std::string person = "/desk/v1/persons/AAAAAAAAAAAA";
  int unauthorized = 0;
  for (int i = 0; i < 30; ++i) {
    int status = GetFrom("127.0.0.4", server.port(), person, nullptr, "guess-" + std::to_string(i));
    if (status == 401) ++unauthorized;
    if (status == 429) break;
  }
  CHECK(unauthorized == 20);  // the failure bucket's burst
  std::string head;
  CHECK(GetFrom("127.0.0.4", server.port(), person, &head, token) == 429);
  CHECK(head.find("Retry-After: ") != std::string::npos);
  // The officer from elsewhere is served (404: no such person), five times, then limited.
  int served = 0, limited = 0;
  for (int i = 0; i < 8; ++i) {
    int status = GetFrom("127.0.0.5", server.port(), person, nullptr, token);
    served += status == 404;
    limited += status == 429;
  }
  CHECK(served >= 5);
  CHECK(limited >= 1);
}

TEST_CASE("hundreds of idle and half-sent connections leave normal clients served") {
  TempDir dir("tillit-abuse");
  ServerProcess server(kBin, dir.file("data"), {"--rate-limit-address", "off"});
  std::vector<int> held;
  // 300 idle connections and 200 that send half a request head, from two addresses.
  for (int i = 0; i < 300; ++i) {
    int fd = ConnectFrom("127.0.0.6", server.port());
    if (fd >= 0) held.push_back(fd);
  }
  const std::string half = "POST /rp/v1/auth HTTP/1.1\r\nHost: x\r\nContent-Le";
  for (int i = 0; i < 200; ++i) {
    int fd = ConnectFrom("127.0.0.7", server.port());
    if (fd < 0) continue;
    ::send(fd, half.data(), half.size(), MSG_NOSIGNAL);
    held.push_back(fd);
  }
  CHECK(held.size() >= 400);  // the kernel accepted them; the server decides what to keep
  // A normal client, many times over, while all of that is held open.
  int served = 0;
  for (int i = 0; i < 50; ++i) served += GetFrom("127.0.0.1", server.port(), "/healthz") == 200;
  CHECK(served == 50);
  Reply r = RawHttp(server.port(), "GET", "/.well-known/jwks.json", "");
  CHECK(r.status == 200);
  // The server kept at most its per-address cap (256) of the idle ones: the rest were closed.
  int closed = 0;
  for (int i = 0; i < 300 && i < static_cast<int>(held.size()); ++i) {
    pollfd p{held[static_cast<size_t>(i)], POLLIN, 0};
    char c;
    if (::poll(&p, 1, 0) == 1 && ::recv(held[static_cast<size_t>(i)], &c, 1, MSG_DONTWAIT) == 0) ++closed;
  }
  CHECK(closed >= 40);
  for (int fd : held) ::close(fd);
  CHECK(server.Stop() == 0);
}

}  // namespace
