// Plain HTTP request/response values and the Handler type: the only HTTP types the rest
// of the issuer sees. No Beast or Asio type appears here (they stay in server/api/src/).
//
// Values only; no shared state. A request is handed to one handler call on one thread.
#pragma once

#include <functional>
#include <map>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace tillit::server::api {

struct HttpRequest {
  std::string method;  // as sent, e.g. "GET"; methods are case-sensitive (RFC 9110 §9.1)
  std::string path;    // request target up to '?', raw (not percent-decoded); starts with '/'
  std::string query;   // after '?', raw; empty if none. Never put secrets here (ASVS 4.0.3).
  // Header names in lower case. Repeated fields are joined with ", " (RFC 9110 §5.3).
  std::map<std::string, std::string> headers;
  std::string body;            // at most HttpServerOptions::max_body_bytes
  std::string remote_address;  // peer IP address, e.g. "127.0.0.1"
  // The subject (RFC 2253, as OpenSSL's XN_FLAG_RFC2253 prints it, e.g.
  // "CN=e-tjanst,O=Exempelkommun,C=SE") of the client certificate the TLS handshake
  // verified against TlsServerOptions::client_ca_file; empty when there was none.
  std::string client_subject;
  // Filled by Router::Dispatch from `{name}` segments; raw (not percent-decoded).
  std::map<std::string, std::string> path_params;

  // The value of header `name` (any case), or "" if absent. The view is valid while the
  // request is alive and its headers are not modified.
  std::string_view Header(std::string_view name) const;
};

struct HttpResponse {
  int status = 200;          // 200..599; the server turns anything else into a 500
  std::string content_type;  // sent as Content-Type unless empty
  std::string body;
  // Extra headers. The server owns framing: Content-Length, Transfer-Encoding and
  // Connection given here are ignored, and a name or value with CR, LF or NUL is dropped.
  std::vector<std::pair<std::string, std::string>> headers;
};

// Called once per request, on one of the server's worker threads, possibly on several
// threads at once: a handler must be thread-safe. It may throw; the server then answers
// 500 internalError and logs the exception text (the client never sees it).
using Handler = std::function<HttpResponse(HttpRequest&)>;

}  // namespace tillit::server::api
