// A small blocking HTTP/1.1 client for the load generator: one keep-alive TCP connection
// to the issuer, requests written and answers read with Boost.Beast. Deliberately not the
// platform's cpprestsdk client (platform/include/tillit/platform/issuer_client.h): that
// one is built for a phone making a handful of calls, with a task scheduler and a thread
// pool per client, and would make the bench measure itself instead of the issuer.
//
// Thread safety: one BenchConnection per thread; distinct connections are independent.
#pragma once

#include <cstdint>
#include <memory>
#include <string>
#include <string_view>

#include "tillit/result.h"

namespace tillit::bench {

// "http://HOST:PORT" split up. Only plain http: TLS is terminated in front of the issuer
// (docs/http.md), and the bench talks to the issuer itself.
struct ServerAddress {
  std::string host;
  uint16_t port = 0;
};

// Parses "http://HOST:PORT" (an optional trailing "/"). Errors: "invalidParameters".
Result<ServerAddress> ParseServerUrl(std::string_view url);

struct HttpAnswer {
  int status = 0;
  std::string body;
};

class BenchConnection {
 public:
  explicit BenchConnection(ServerAddress address);
  ~BenchConnection();
  BenchConnection(const BenchConnection&) = delete;
  BenchConnection& operator=(const BenchConnection&) = delete;

  // POSTs a JSON body, with `Authorization: Bearer <bearer>` unless bearer is empty.
  // Connects (or reconnects after the server closed the connection) as needed. A
  // transport failure closes the connection, so the next call starts afresh.
  // Errors: "transport" (connect, write or read failed; the message says which).
  Result<HttpAnswer> Post(std::string_view path, std::string_view body,
                          std::string_view bearer = {});

  // GET, as Post.
  Result<HttpAnswer> Get(std::string_view path);

 private:
  struct Impl;
  std::unique_ptr<Impl> impl_;
};

}  // namespace tillit::bench
