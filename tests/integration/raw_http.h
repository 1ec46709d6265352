// Test support for tests/integration/: one HTTP/1.1 request on a fresh loopback connection,
// written by hand so tests control every header and byte (wrong content types, huge or
// truncated bodies) and see the answer exactly as sent.
#pragma once

#include <arpa/inet.h>
#include <doctest/doctest.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>

#include <cpprest/json.h>

#include <string>

namespace tillit::testing {

struct Reply {
  int status = 0;
  std::string head;  // status line and header fields
  std::string body;
  web::json::value json() const { return web::json::value::parse(body); }
  bool HasHeader(const std::string& line) const { return head.find(line) != std::string::npos; }
};

// Sends one request (Connection: close) to 127.0.0.1:port and reads the answer to EOF.
// `token` empty: no Authorization header. A POST always carries Content-Length (and the
// Content-Type unless empty); other methods only when there is a body.
inline Reply RawHttp(int port, const std::string& method, const std::string& path,
                     const std::string& body, const std::string& token = "",
                     const std::string& content_type = "application/json") {
  int fd = ::socket(AF_INET, SOCK_STREAM, 0);
  REQUIRE(fd >= 0);
  sockaddr_in addr{};
  addr.sin_family = AF_INET;
  addr.sin_port = htons(static_cast<uint16_t>(port));
  addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  REQUIRE(::connect(fd, reinterpret_cast<sockaddr*>(&addr), sizeof addr) == 0);
  std::string req = method + " " + path + " HTTP/1.1\r\nHost: 127.0.0.1\r\nConnection: close\r\n";
  if (!token.empty()) req += "Authorization: Bearer " + token + "\r\n";
  if (!body.empty() || method == "POST") {
    if (!content_type.empty()) req += "Content-Type: " + content_type + "\r\n";
    req += "Content-Length: " + std::to_string(body.size()) + "\r\n";
  }
  req += "\r\n" + body;
  size_t sent = 0;
  while (sent < req.size()) {
    ssize_t n = ::send(fd, req.data() + sent, req.size() - sent, MSG_NOSIGNAL);
    if (n <= 0) break;  // a 413 may close before the whole body is sent
    sent += static_cast<size_t>(n);
  }
  std::string raw;
  char buf[4096];
  for (;;) {
    ssize_t n = ::recv(fd, buf, sizeof buf, 0);
    if (n <= 0) break;
    raw.append(buf, static_cast<size_t>(n));
  }
  ::close(fd);
  Reply reply;
  size_t end = raw.find("\r\n\r\n");
  REQUIRE(end != std::string::npos);
  reply.head = raw.substr(0, end);
  reply.body = raw.substr(end + 4);
  reply.status = std::stoi(raw.substr(9, 3));
  return reply;
}

}  // namespace tillit::testing
