// DeskClient: one officer's HTTP connection to the issuer's desk API (docs/desk-api.md), over
// cpprestsdk. Sends JSON with `Authorization: Bearer <token>` and returns the status and the
// JSON body; what a status means is the caller's business.
//
// The token is kept only in the request header; it is never part of an error message.
// Thread safety: one call at a time per client.
#pragma once

#include <cpprest/json.h>

#include <memory>
#include <optional>
#include <string>
#include <string_view>

#include "tillit/result.h"

namespace tillit::desk {

// The server's answer: HTTP status and the body parsed as JSON (null for an empty body).
struct DeskResponse {
  int status = 0;
  web::json::value body;
};

class DeskClient {
 public:
  // A client for the server at base_url (http:// or https://, optionally with a path prefix
  // that every request path is appended to). No connection is made yet.
  // Errors: "invalidParameters" (not an absolute http(s) URL; a token that is empty or holds
  // characters not allowed in an HTTP header value).
  static Result<DeskClient> Create(std::string_view base_url, std::string token);

  DeskClient(DeskClient&&) noexcept;
  DeskClient& operator=(DeskClient&&) noexcept;
  ~DeskClient();

  // Sends method (GET or POST) to path (absolute, already percent-encoded) with body as
  // application/json (POST only) and waits for the answer (at most kTimeoutSeconds).
  // Any HTTP status is a success here.
  // Errors: "networkError" (connect, TLS, timeout, or the connection broke), "badResponse"
  // (a body that is not JSON).
  Result<DeskResponse> Call(std::string_view method, std::string_view path,
                            const std::optional<web::json::value>& body);

  static constexpr int kTimeoutSeconds = 30;

 private:
  struct Impl;
  explicit DeskClient(std::unique_ptr<Impl> impl);
  std::unique_ptr<Impl> impl_;
};

}  // namespace tillit::desk
