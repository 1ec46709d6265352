// HttpServer: the issuer's HTTP/1.1 listener on Boost.Beast, with the limits an
// internet-facing eID issuer needs: body and header caps enforced before the body is read,
// per-phase timeouts against slow clients, a connection cap, keep-alive, and stable JSON
// error bodies. docs/http.md lists the limits and the error bodies.
//
// Thread safety: Start, port, host and Stop may be called from any thread except one of the
// server's own workers (that is, not from inside a Handler). The Handler runs concurrently on
// up to `threads` worker threads.
#pragma once

#include <chrono>
#include <cstddef>
#include <cstdint>
#include <memory>
#include <optional>
#include <string>

#include "tillit/result.h"
#include "tillit/server/api/http.h"

namespace tillit::server::api {

// HTTPS (docs/http.md §TLS). With it the listener speaks TLS only: TLS 1.2 or 1.3, AEAD
// ciphers with forward secrecy, no compression, no renegotiation, no plain-HTTP fallback.
struct TlsServerOptions {
  std::string certificate_file;  // PEM: the server certificate, then any intermediates
  std::string private_key_file;  // PEM private key, unencrypted (file mode 0600 or 0400)
  // PEM CA certificates for client certificates. When set, the server asks for (but does
  // not require) a client certificate; one that verifies against exactly these CAs is
  // passed to handlers as HttpRequest::client_subject, and one that does not verify ends
  // the handshake. Empty: no client certificates.
  std::string client_ca_file;
};

struct HttpServerOptions {
  // An IP address literal (IPv4 or IPv6) or "localhost"; no DNS lookup is made.
  std::string host = "127.0.0.1";
  uint16_t port = 0;  // 0 = an ephemeral port; read it back with HttpServer::port()
  // A request whose declared Content-Length exceeds this is answered 413 without reading
  // the body; a chunked body is cut off at this size (also 413).
  size_t max_body_bytes = 64 * 1024;
  // Request line plus header fields; more is answered 413 requestTooLarge.
  size_t max_header_bytes = 16 * 1024;
  // From the first byte of a request (or from accept, for the first request) until its
  // header is complete. Counted as one deadline, so trickling bytes does not extend it.
  std::chrono::milliseconds header_timeout{10000};
  // From the end of the header until the body is read; also bounds writing the response.
  std::chrono::milliseconds request_timeout{30000};
  // How long a keep-alive connection may sit between requests.
  std::chrono::milliseconds idle_timeout{60000};
  // Open connections (idle ones included). A connection accepted above this is closed at
  // once without a response: shedding load must cost less than serving it.
  size_t max_connections = 1024;
  // Open connections from one peer address, over which a new one is closed the same way:
  // one address opening idle or half-sent connections cannot starve everyone else. An
  // e-service's servers behind one address keep fewer keep-alive connections than this.
  size_t max_connections_per_address = 256;
  unsigned threads = 0;  // 0 = std::thread::hardware_concurrency() (at least 1)
  // Stop() waits at most this long for in-flight requests before cutting connections.
  std::chrono::milliseconds stop_grace{5000};
  // Unset: plain HTTP. The TLS handshake counts against header_timeout.
  std::optional<TlsServerOptions> tls;
};

class HttpServer {
 public:
  // Binds, listens and starts the worker threads; the server is serving when this returns.
  // Errors: "listenFailed" (host not an IP literal or "localhost", port in use, no
  // permission), "invalidParameters" (a zero limit, timeout or connection cap),
  // "invalidTlsConfig" (a TLS file missing, unreadable or not what it should hold, or a key
  // that does not match the certificate; the message names the file).
  static Result<std::unique_ptr<HttpServer>> Start(HttpServerOptions options, Handler handler);

  HttpServer(const HttpServer&) = delete;
  HttpServer& operator=(const HttpServer&) = delete;
  // Calls Stop().
  ~HttpServer();

  // The bound port (the ephemeral one if options.port was 0). Still valid after Stop().
  uint16_t port() const;
  // The bound address, e.g. "127.0.0.1".
  std::string host() const;

  // Graceful stop: stops accepting, closes idle connections, lets requests already being
  // read or handled finish (their responses carry Connection: close) for up to
  // options.stop_grace, then closes whatever is left and joins the worker threads.
  // Idempotent. Must not be called from a Handler (it would wait for itself); doing so aborts.
  void Stop();

  struct Impl;  // in src/http_server.cpp; public only so the implementation can name it

 private:
  explicit HttpServer(std::unique_ptr<Impl> impl);
  std::unique_ptr<Impl> impl_;
};

}  // namespace tillit::server::api
