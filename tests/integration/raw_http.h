// Test support for tests/integration/: one HTTP/1.1 request on a fresh loopback connection,
// written by hand so tests control every header and byte (wrong content types, huge or
// truncated bodies) and see the answer exactly as sent.
#pragma once

#include <arpa/inet.h>
#include <doctest/doctest.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cpprest/json.h>

#include <cstdio>
#include <string>
#include <vector>

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

// The real tillit-server binary (`program`) serving `data` on an ephemeral loopback port,
// with `extra` arguments for `serve`; stopped with SIGTERM when destroyed.
class ServerProcess {
 public:
  ServerProcess(const std::string& program, const std::string& data,
                std::vector<std::string> extra = {}) {
    int fds[2];
    REQUIRE(::pipe(fds) == 0);
    std::vector<std::string> args = {program, "serve", "--data", data, "--listen", "127.0.0.1:0"};
    args.insert(args.end(), extra.begin(), extra.end());
    std::vector<char*> argv;
    for (auto& a : args) argv.push_back(a.data());
    argv.push_back(nullptr);
    pid_ = ::fork();
    REQUIRE(pid_ >= 0);
    if (pid_ == 0) {
      ::dup2(fds[1], 1);
      ::close(fds[0]);
      ::close(fds[1]);
      ::execv(program.c_str(), argv.data());
      ::_exit(127);
    }
    ::close(fds[1]);
    out_ = ::fdopen(fds[0], "r");
    char line[256];
    REQUIRE(std::fgets(line, sizeof line, out_) != nullptr);
    std::string text(line);
    const std::string prefix = "listening on http://127.0.0.1:";
    REQUIRE(text.rfind(prefix, 0) == 0);
    port_ = std::stoi(text.substr(prefix.size()));
  }
  ~ServerProcess() {
    if (pid_ > 0) Stop();
    if (out_) std::fclose(out_);
  }
  ServerProcess(const ServerProcess&) = delete;
  ServerProcess& operator=(const ServerProcess&) = delete;
  // SIGTERM, then the exit status (-1 if it did not exit normally).
  int Stop() {
    ::kill(pid_, SIGTERM);
    int status = 0;
    ::waitpid(pid_, &status, 0);
    pid_ = -1;
    return WIFEXITED(status) ? WEXITSTATUS(status) : -1;
  }
  int port() const { return port_; }

 private:
  pid_t pid_ = -1;
  FILE* out_ = nullptr;
  int port_ = 0;
};

}  // namespace tillit::testing
