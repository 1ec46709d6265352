// HttpServer on Boost.Beast: accept loop, per-connection sessions, limits and timeouts,
// over plain TCP or TLS (docs/http.md §TLS). This is the only file that includes Beast or
// Asio (style.md: HTTP types stay in server/api/, and Beast headers are costly to compile).
//
// Threading: one io_context run by `threads` workers. The acceptor and each session live on
// their own strand, so a session's state is touched by one thread at a time without locks.
// The Impl's mutex guards only the session registry and the connection count, which the
// accept loop, session destructors and Stop() share.
//
// A session goes through these phases for each request (timeouts from HttpServerOptions):
//   kNew     registered, Start() not yet run     (Stop() closes it at once)
//   kHandshake  TLS only: the handshake          header_timeout from accept
//   kIdle    waiting for the first byte        header_timeout (first request) / idle_timeout
//   kHeader  reading the request head          header_timeout, one deadline for the head
//   kBusy    reading the body, handler, write  request_timeout for the body and for the write
//   kClosing TLS close_notify and/or lingering close after Connection: close, then close
// The first request's deadline runs from accept, so the TLS handshake and the first head
// share it: a client that connects and never speaks is cut like a slow header.
// The header and body limits are set on the parser before the head is read, so a declared
// Content-Length above the cap fails at the end of the head and the body is never read.
//
// Session is a template on its stream (beast::tcp_stream, or beast::ssl_stream over one):
// the TLS-only steps are `if constexpr`, so the plain session compiles to what it was.
#include "tillit/server/api/http_server.h"

#include <boost/asio/dispatch.hpp>
#include <boost/asio/executor_work_guard.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/post.hpp>
#include <boost/asio/ssl/context.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/strand.hpp>
#include <boost/beast/core.hpp>
#include <boost/beast/http.hpp>
#include <boost/beast/ssl/ssl_stream.hpp>
#include <openssl/err.h>
#include <openssl/pem.h>
#include <openssl/ssl.h>
#include <openssl/x509.h>

#include <algorithm>
#include <atomic>
#include <cerrno>
#include <condition_variable>
#include <cstdio>
#include <cstring>
#include <exception>
#include <limits>
#include <memory>
#include <mutex>
#include <optional>
#include <thread>
#include <type_traits>
#include <unordered_map>
#include <utility>
#include <vector>

#include "log.h"
#include "tillit/check.h"
#include "tillit/server/api/json.h"

namespace tillit::server::api {
namespace {

namespace beast = boost::beast;
namespace http = beast::http;
namespace net = boost::asio;
using tcp = net::ip::tcp;
using PlainStream = beast::tcp_stream;
using TlsStream = beast::ssl_stream<beast::tcp_stream>;

// Bytes asked for when waiting for the start of a request; the parser takes what it needs
// from the buffer and keeps the rest (pipelined requests).
constexpr size_t kReadChunk = 4096;
// After a response with Connection: close we half-close and read (and discard) what the
// client still sends, for at most this long and this many bytes, before closing. Closing
// with unread data makes the kernel send RST, which can destroy the response (a 413 or 400
// in particular) before the client reads it (RFC 9112 §9.6).
constexpr std::chrono::milliseconds kLingerTimeout{2000};
constexpr size_t kMaxLingerBytes = 1024 * 1024;
// Back-off after a failed accept (e.g. EMFILE), so the loop does not spin.
constexpr std::chrono::milliseconds kAcceptRetryDelay{50};
// Writing our TLS close_notify before closing; a client that does not read gets cut.
constexpr std::chrono::milliseconds kCloseNotifyTimeout{2000};

// docs/http.md §TLS. TLS 1.2 suites: ECDHE (forward secrecy) with an AEAD only, ECDSA and
// RSA certificates alike, in the server's order of preference. TLS 1.3 suites are all AEAD
// with forward secrecy; they are named anyway so the list does not depend on OpenSSL's
// defaults.
constexpr const char* kTls12Ciphers =
    "ECDHE-ECDSA-AES128-GCM-SHA256:ECDHE-RSA-AES128-GCM-SHA256:"
    "ECDHE-ECDSA-AES256-GCM-SHA384:ECDHE-RSA-AES256-GCM-SHA384:"
    "ECDHE-ECDSA-CHACHA20-POLY1305:ECDHE-RSA-CHACHA20-POLY1305";
constexpr const char* kTls13Suites =
    "TLS_AES_128_GCM_SHA256:TLS_AES_256_GCM_SHA384:TLS_CHACHA20_POLY1305_SHA256";

char AsciiLower(char c) { return (c >= 'A' && c <= 'Z') ? static_cast<char>(c - 'A' + 'a') : c; }

std::string ToLower(std::string_view s) {
  std::string out(s);
  for (char& c : out) c = AsciiLower(c);
  return out;
}

// RFC 9110 §5.6.2 token characters.
bool IsToken(std::string_view s) {
  if (s.empty()) return false;
  for (char c : s) {
    const auto u = static_cast<unsigned char>(c);
    if (u >= 0x80 || u <= 0x20 || std::string_view("\"(),/:;<=>?@[\\]{}").find(c) != std::string_view::npos) {
      return false;
    }
  }
  return true;
}

// A header value must not let a handler inject header lines (response splitting).
bool IsSafeHeaderValue(std::string_view s) {
  return s.find_first_of(std::string_view("\r\n\0", 3)) == std::string_view::npos;
}

std::string AddressString(const net::ip::address& address) {
  if (address.is_v6() && address.to_v6().is_v4_mapped()) {
    return net::ip::make_address_v4(net::ip::v4_mapped, address.to_v6()).to_string();
  }
  return address.to_string();
}

// What Stop() needs of a session, whatever its stream.
class SessionBase {
 public:
  virtual ~SessionBase() = default;
  virtual void Start() = 0;
  // Stop(): close now if no request is in flight, else close after its response.
  virtual void Shutdown() = 0;
  // Only once the workers have been joined (no strand is running).
  virtual void ForceClose() = 0;

  // Called by OnAccept, under the Impl's mutex, once the session holds a connection slot
  // and is in the registry. Only then does its destructor give the slot back: a session
  // whose registration failed never took one.
  void MarkCounted() { counted_ = true; }

 protected:
  bool counted_ = false;
};

// OpenSSL's reason for the last failure (never data from the file), and an empty queue.
std::string OpenSslReason() {
  const unsigned long code = ERR_peek_last_error();
  const char* reason = code != 0 ? ERR_reason_error_string(code) : nullptr;
  ERR_clear_error();
  return reason != nullptr ? reason : "unknown reason";
}

Error TlsConfigError(std::string message) {
  return MakeError("invalidTlsConfig", std::move(message));
}

// Opens `path` to tell "missing or unreadable" apart from "not what it should hold".
Status CheckReadable(const char* what, const std::string& path) {
  if (path.empty()) return TlsConfigError(std::string(what) + ": no file given");
  FILE* f = std::fopen(path.c_str(), "rb");
  if (f == nullptr) {
    return TlsConfigError(std::string(what) + " " + path + ": cannot read (" +
                          std::strerror(errno) + ")");
  }
  std::fclose(f);
  return {};
}

// Refuses an encrypted key instead of letting OpenSSL prompt on the terminal.
int NoPassword(char*, int, int, void*) { return 0; }

// Loads TlsServerOptions into `context` (docs/http.md §TLS). Messages name the file and
// the reason; OpenSSL's reasons never quote key material.
Status ConfigureTls(net::ssl::context& context, const TlsServerOptions& tls) {
  SSL_CTX* ctx = context.native_handle();
  ERR_clear_error();
  if (SSL_CTX_set_min_proto_version(ctx, TLS1_2_VERSION) != 1 ||
      SSL_CTX_set_cipher_list(ctx, kTls12Ciphers) != 1 ||
      SSL_CTX_set_ciphersuites(ctx, kTls13Suites) != 1) {
    return TlsConfigError("cannot set TLS versions and ciphers: " + OpenSslReason());
  }
  // No compression (CRIME), no renegotiation (a client could make the server do handshake
  // work at will, and TLS 1.3 has none), our cipher order rather than the client's.
  SSL_CTX_set_options(ctx, SSL_OP_NO_COMPRESSION | SSL_OP_NO_RENEGOTIATION |
                               SSL_OP_CIPHER_SERVER_PREFERENCE);
  // The chain sent is exactly the certificate file's, never one built from the client CAs.
  SSL_CTX_set_mode(ctx, SSL_MODE_NO_AUTO_CHAIN);
  SSL_CTX_set_default_passwd_cb(ctx, NoPassword);

  TILLIT_TRY(CheckReadable("certificate file", tls.certificate_file));
  if (SSL_CTX_use_certificate_chain_file(ctx, tls.certificate_file.c_str()) != 1) {
    return TlsConfigError("certificate file " + tls.certificate_file +
                          ": not a PEM certificate chain (" + OpenSslReason() + ")");
  }
  TILLIT_TRY(CheckReadable("private key file", tls.private_key_file));
  {
    std::unique_ptr<BIO, decltype(&BIO_free)> bio(BIO_new_file(tls.private_key_file.c_str(), "r"),
                                                  BIO_free);
    std::unique_ptr<EVP_PKEY, decltype(&EVP_PKEY_free)> key(
        bio ? PEM_read_bio_PrivateKey(bio.get(), nullptr, NoPassword, nullptr) : nullptr,
        EVP_PKEY_free);
    if (key == nullptr) {
      return TlsConfigError("private key file " + tls.private_key_file +
                            ": not an unencrypted PEM private key (" + OpenSslReason() + ")");
    }
    if (SSL_CTX_use_PrivateKey(ctx, key.get()) != 1 || SSL_CTX_check_private_key(ctx) != 1) {
      ERR_clear_error();
      return TlsConfigError("private key file " + tls.private_key_file +
                            ": the key does not match the certificate in " +
                            tls.certificate_file);
    }
  }

  if (!tls.client_ca_file.empty()) {
    TILLIT_TRY(CheckReadable("client CA file", tls.client_ca_file));
    // Only these CAs vouch for clients: the system store is never added.
    if (SSL_CTX_load_verify_locations(ctx, tls.client_ca_file.c_str(), nullptr) != 1) {
      return TlsConfigError("client CA file " + tls.client_ca_file +
                            ": not PEM CA certificates (" + OpenSslReason() + ")");
    }
    // Their names go into the CertificateRequest, so a client with several certificates
    // picks one these CAs issued. The list is owned by the context from here.
    STACK_OF(X509_NAME)* names = SSL_load_client_CA_file(tls.client_ca_file.c_str());
    if (names == nullptr || sk_X509_NAME_num(names) == 0) {
      if (names != nullptr) sk_X509_NAME_pop_free(names, X509_NAME_free);
      return TlsConfigError("client CA file " + tls.client_ca_file + ": no certificate in it (" +
                            OpenSslReason() + ")");
    }
    SSL_CTX_set_client_CA_list(ctx, names);
    // Asked for, not required: devices, the desk and API-key e-services have none. One that
    // is sent and does not verify fails the handshake.
    SSL_CTX_set_verify(ctx, SSL_VERIFY_PEER | SSL_VERIFY_CLIENT_ONCE, nullptr);
    // Resumed sessions carry the verified certificate; OpenSSL refuses to resume (and fails
    // the handshake) without a context id when it verifies peers.
    static const unsigned char kSessionContext[] = "tillit-https";
    SSL_CTX_set_session_id_context(ctx, kSessionContext, sizeof kSessionContext - 1);
  }
  ERR_clear_error();
  return {};
}

// The RFC 2253 subject of the client certificate the handshake verified, or "".
std::string VerifiedClientSubject(SSL* ssl) {
  X509* certificate = SSL_get0_peer_certificate(ssl);
  if (certificate == nullptr || SSL_get_verify_result(ssl) != X509_V_OK) return {};
  std::unique_ptr<BIO, decltype(&BIO_free)> bio(BIO_new(BIO_s_mem()), BIO_free);
  if (!bio || X509_NAME_print_ex(bio.get(), X509_get_subject_name(certificate), 0,
                                 XN_FLAG_RFC2253) < 0) {
    ERR_clear_error();
    return {};
  }
  char* data = nullptr;
  const long size = BIO_get_mem_data(bio.get(), &data);
  return size > 0 ? std::string(data, static_cast<size_t>(size)) : std::string();
}

}  // namespace

struct HttpServer::Impl {
  Impl(HttpServerOptions opts, Handler h)
      : options(std::move(opts)),
        handler(std::move(h)),
        work(net::make_work_guard(ioc)),
        acceptor(net::make_strand(ioc)),
        accept_retry(acceptor.get_executor()) {}

  void DoAccept();
  void OnAccept(beast::error_code ec, tcp::socket socket);
  // Makes, counts and starts the session for an accepted connection, or drops it (over a
  // cap, or stopping). May throw (SSL_new failing, memory running out); the counts then
  // stay as they were.
  void StartSession(tcp::socket socket);
  // Called by ~Session.
  void Release(uint64_t session_id, const std::string& remote_address);

  const HttpServerOptions options;
  const Handler handler;
  uint16_t port = 0;
  std::string host;
  std::atomic<bool> stopping{false};

  std::mutex mutex;
  std::condition_variable drained;  // notified when `active` drops to 0
  // Guarded by `mutex`.
  size_t active = 0;
  uint64_t next_session_id = 0;
  std::unordered_map<uint64_t, std::weak_ptr<SessionBase>> sessions;
  // Open connections per peer address, so that one address cannot take every slot.
  std::unordered_map<std::string, size_t> per_address;
  bool stopped = false;
  // Set when options.tls is: every accepted connection speaks TLS with it.
  std::optional<net::ssl::context> tls_context;

  // Declared after the state above: sessions still owned by pending handlers are destroyed
  // in ~io_context, and their destructors use `mutex`, `sessions` and `drained`.
  net::io_context ioc;
  net::executor_work_guard<net::io_context::executor_type> work;
  tcp::acceptor acceptor;
  net::steady_timer accept_retry;
  std::vector<std::thread> threads;
};

namespace {

template <class Stream>
class Session final : public SessionBase, public std::enable_shared_from_this<Session<Stream>> {
  static constexpr bool kTls = std::is_same_v<Stream, TlsStream>;

 public:
  // `stream_args` follow the socket into the stream's constructor (the TLS context).
  template <class... StreamArgs>
  Session(HttpServer::Impl& server, uint64_t id, std::string remote_address, tcp::socket socket,
          StreamArgs&... stream_args)
      : server_(server), id_(id), stream_(std::move(socket), stream_args...),
        remote_address_(std::move(remote_address)) {}

  ~Session() override {
    if (counted_) server_.Release(id_, remote_address_);
  }

  Session(const Session&) = delete;
  Session& operator=(const Session&) = delete;

  void Start() override {
    net::dispatch(stream_.get_executor(), [self = this->shared_from_this()] {
      // Stop() came first (see Shutdown) and closed the connection: nothing to start.
      if (self->phase_ != Phase::kNew) return;
      // One deadline from accept covers the TLS handshake and the first request's head.
      self->Lowest().expires_after(self->server_.options.header_timeout);
      if constexpr (kTls) {
        self->phase_ = Phase::kHandshake;
        self->stream_.async_handshake(net::ssl::stream_base::server,
                                      [self](beast::error_code ec) { self->OnHandshake(ec); });
      } else {
        self->WaitForRequest(true);
      }
    });
  }

  void Shutdown() override {
    net::post(stream_.get_executor(), [self = this->shared_from_this()] {
      // OnAccept registers a session before it calls Start(), so Stop() can get here
      // first. Close at once: a TLS handshake started later would hold Stop() up until
      // header_timeout.
      if (self->phase_ == Phase::kNew) return self->CloseNow();
      if (self->phase_ == Phase::kBusy) {
        self->close_after_response_ = true;
        return;
      }
      if constexpr (kTls) {
        if (self->phase_ == Phase::kIdle || self->phase_ == Phase::kHeader) {
          // close_notify cannot be written while the pending read owns the TLS stream:
          // cancel the read, and its handler says goodbye (EndAfterFailedRead).
          self->stop_requested_ = true;
          self->Lowest().cancel();
          return;
        }
      }
      self->CloseNow();
    });
  }

  void ForceClose() override { Lowest().close(); }

 private:
  enum class Phase { kNew, kHandshake, kIdle, kHeader, kBusy, kClosing };

  beast::tcp_stream& Lowest() { return beast::get_lowest_layer(stream_); }

  void OnHandshake(beast::error_code ec) {
    // A plain-HTTP request, no common version or cipher, a client certificate that does
    // not verify, a timeout: the client gets no HTTP answer, only the connection's end
    // (and whatever alert OpenSSL sent). No fallback to plain HTTP.
    if (ec) return CloseNow();
    client_subject_ = VerifiedClientSubject(stream_.native_handle());
    WaitForRequest(true);
  }

  void WaitForRequest(bool first) {
    phase_ = Phase::kIdle;
    parser_.reset();
    if (server_.stopping.load()) return EndConnection(false);
    if (buffer_.size() > 0) {  // a pipelined request is already buffered
      Lowest().expires_after(server_.options.header_timeout);
      return ReadHeader();
    }
    // The first request's deadline was set at accept and covers its whole head; later ones
    // get idle_timeout until their first byte, then a fresh header_timeout.
    if (!first) Lowest().expires_after(server_.options.idle_timeout);
    stream_.async_read_some(
        buffer_.prepare(kReadChunk),
        [self = this->shared_from_this(), first](beast::error_code ec, size_t n) {
          self->buffer_.commit(n);
          if (ec) return self->EndAfterFailedRead();
          if (!first) self->Lowest().expires_after(self->server_.options.header_timeout);
          self->ReadHeader();
        });
  }

  void ReadHeader() {
    phase_ = Phase::kHeader;
    parser_.emplace();
    parser_->header_limit(static_cast<std::uint32_t>(
        std::min<size_t>(server_.options.max_header_bytes, std::numeric_limits<std::uint32_t>::max())));
    parser_->body_limit(static_cast<std::uint64_t>(server_.options.max_body_bytes));
    http::async_read_header(stream_, buffer_, *parser_,
                            [self = this->shared_from_this()](beast::error_code ec, size_t) {
                              self->OnHeader(ec);
                            });
  }

  void OnHeader(beast::error_code ec) {
    if (ec) return OnReadError(ec);
    phase_ = Phase::kBusy;
    Lowest().expires_after(server_.options.request_timeout);
    const auto& head = parser_->get();
    const auto expect = head[http::field::expect];
    if (!parser_->is_done() && head.version() >= 11 && beast::iequals(expect, "100-continue")) {
      // Clients that sent Expect wait for this before sending the body (RFC 9110 §10.1.1).
      continue_.emplace(http::status::continue_, head.version());
      return http::async_write(stream_, *continue_,
                               [self = this->shared_from_this()](beast::error_code write_ec, size_t) {
                                 if (write_ec) return self->CloseNow();
                                 self->ReadBody();
                               });
    }
    ReadBody();
  }

  void ReadBody() {
    if (parser_->is_done()) return OnBody({});
    http::async_read(stream_, buffer_, *parser_,
                     [self = this->shared_from_this()](beast::error_code ec, size_t) {
                       self->OnBody(ec);
                     });
  }

  void OnReadError(beast::error_code ec) {
    if (ec == http::error::body_limit || ec == http::error::header_limit ||
        ec == http::error::buffer_overflow) {
      return SendError(413, "requestTooLarge",
                       ec == http::error::header_limit
                           ? "request header larger than " + std::to_string(server_.options.max_header_bytes) + " bytes"
                           : "request body larger than " + std::to_string(server_.options.max_body_bytes) + " bytes");
    }
    // A client that went away, timed out or sent half a message gets no answer.
    if (ec == http::error::end_of_stream || ec == http::error::partial_message ||
        ec.category() != http::make_error_code(http::error::bad_method).category()) {
      return EndAfterFailedRead();
    }
    SendError(400, "invalidParameters", "malformed HTTP request");
  }

  void OnBody(beast::error_code ec) {
    if (ec) return OnReadError(ec);
    http::request<http::string_body> message = parser_->release();
    parser_.reset();

    const std::string_view target(message.target().data(), message.target().size());
    if (target.empty() || target.front() != '/') {
      // Only origin-form targets (RFC 9112 §3.2.1); this is not a proxy.
      return SendError(400, "invalidParameters", "request target must be an absolute path");
    }
    HttpRequest request;
    request.method = std::string(message.method_string().data(), message.method_string().size());
    const size_t question = target.find('?');
    request.path = std::string(target.substr(0, question));
    if (question != std::string_view::npos) request.query = std::string(target.substr(question + 1));
    for (const auto& field : message) {
      std::string& value = request.headers[ToLower(std::string_view(field.name_string().data(), field.name_string().size()))];
      if (!value.empty()) value += ", ";
      value.append(field.value().data(), field.value().size());
    }
    request.body = std::move(message.body());
    request.remote_address = remote_address_;
    if constexpr (kTls) request.client_subject = client_subject_;

    HttpResponse response;
    try {
      response = server_.handler(request);
    } catch (const std::exception& e) {
      internal::LogError("handler threw for " + request.method + " " + request.path + ": " + e.what());
      response = ErrorResponse(500, "internalError", "internal error");
    } catch (...) {
      internal::LogError("handler threw a non-exception for " + request.method + " " + request.path);
      response = ErrorResponse(500, "internalError", "internal error");
    }
    const bool keep_alive = message.keep_alive() && !close_after_response_ && !server_.stopping.load();
    Respond(std::move(response), message.version(), keep_alive, message.method() == http::verb::head);
  }

  void SendError(int status, std::string_view code, std::string_view details) {
    phase_ = Phase::kBusy;
    parser_.reset();
    Respond(ErrorResponse(status, code, details), 11, false, false);
  }

  void Respond(HttpResponse response, unsigned version, bool keep_alive, bool head_request) {
    try {
      BuildResponse(std::move(response), version, keep_alive, head_request);
    } catch (const std::exception& e) {
      // Beast refuses some combinations (e.g. a body on a 204); never let that kill the session.
      internal::LogError(std::string("cannot send handler response: ") + e.what());
      BuildResponse(ErrorResponse(500, "internalError", "internal error"), version, keep_alive, false);
    }
    Lowest().expires_after(server_.options.request_timeout);
    http::async_write(stream_, response_,
                      [self = this->shared_from_this()](beast::error_code ec, size_t) {
                        self->OnWrite(ec);
                      });
  }

  void BuildResponse(HttpResponse response, unsigned version, bool keep_alive, bool head_request) {
    if (response.status < 200 || response.status > 599) {
      internal::LogError("handler returned status " + std::to_string(response.status));
      response = ErrorResponse(500, "internalError", "internal error");
    }
    response_ = {};
    response_.version(version);
    response_.result(static_cast<unsigned>(response.status));
    if (!response.content_type.empty()) {
      if (IsSafeHeaderValue(response.content_type)) {
        response_.set(http::field::content_type, response.content_type);
      } else {
        internal::LogError("dropped unsafe Content-Type from handler");
      }
    }
    bool has_cache_control = false;
    for (const auto& [name, value] : response.headers) {
      const std::string lower = ToLower(name);
      // Framing and these two are the server's; content-type comes from its own field.
      if (lower == "content-length" || lower == "transfer-encoding" || lower == "connection" ||
          lower == "x-content-type-options" || (lower == "content-type" && !response.content_type.empty())) {
        continue;
      }
      if (!IsToken(name) || !IsSafeHeaderValue(value)) {
        internal::LogError("dropped unsafe response header from handler: " + lower);
        continue;
      }
      has_cache_control = has_cache_control || lower == "cache-control";
      response_.insert(name, value);
    }
    // API responses carry personal data and one-time tokens: no caching anywhere unless a
    // handler opts in for something public.
    if (!has_cache_control) response_.set(http::field::cache_control, "no-store");
    response_.set("X-Content-Type-Options", "nosniff");
    response_.keep_alive(keep_alive);
    if (response.status == 204 || response.status == 304) {
      response_.prepare_payload();  // no body and no Content-Length (RFC 9110 §8.6)
    } else if (head_request) {
      response_.content_length(response.body.size());
    } else {
      response_.body() = std::move(response.body);
      response_.prepare_payload();
    }
  }

  void OnWrite(beast::error_code ec) {
    if (ec) return CloseNow();
    if (!response_.keep_alive()) return EndConnection(true);
    response_ = {};
    WaitForRequest(false);
  }

  // Ends a connection whose last exchange is complete. With TLS our close_notify goes
  // first, so the client can tell the end from a truncation. `linger`: after a response
  // with Connection: close, read what the client still sends before closing (see
  // kLingerTimeout).
  void EndConnection(bool linger) {
    if constexpr (kTls) {
      phase_ = Phase::kClosing;
      stop_requested_ = false;
      Lowest().expires_after(kCloseNotifyTimeout);
      // Ours only: the client's close_notify need not be awaited (RFC 8446 §6.1, RFC 5246
      // §7.2.1), and waiting would let an idle client hold up Stop(). Marking it as
      // received makes SSL_shutdown complete once ours is written.
      SSL_set_shutdown(stream_.native_handle(), SSL_RECEIVED_SHUTDOWN);
      stream_.async_shutdown([self = this->shared_from_this(), linger](beast::error_code ec) {
        if (ec || !linger) return self->CloseNow();
        self->LingeringClose();
      });
    } else {
      if (linger) return LingeringClose();
      CloseNow();
    }
  }

  // A read ended without a request: the client went away or timed out (close), or Stop()
  // cancelled an idle TLS read to say goodbye (Shutdown).
  void EndAfterFailedRead() {
    if constexpr (kTls) {
      if (stop_requested_) return EndConnection(false);
    }
    CloseNow();
  }

  void LingeringClose() {
    phase_ = Phase::kClosing;
    beast::error_code ec;
    Lowest().socket().shutdown(tcp::socket::shutdown_send, ec);
    if (ec || server_.stopping.load()) return CloseNow();
    Lowest().expires_after(kLingerTimeout);
    Drain();
  }

  // Reads below TLS (after close_notify nothing more is decrypted): bytes are only counted.
  void Drain() {
    buffer_.consume(buffer_.size());
    Lowest().async_read_some(buffer_.prepare(kReadChunk),
                             [self = this->shared_from_this()](beast::error_code ec, size_t n) {
                               self->linger_bytes_ += n;
                               if (ec || self->linger_bytes_ > kMaxLingerBytes) return self->CloseNow();
                               self->Drain();
                             });
  }

  void CloseNow() {
    phase_ = Phase::kClosing;
    Lowest().close();  // pending operations complete with operation_aborted and end here
  }

  HttpServer::Impl& server_;
  const uint64_t id_;
  Stream stream_;
  beast::flat_buffer buffer_;
  std::optional<http::request_parser<http::string_body>> parser_;
  std::optional<http::response<http::empty_body>> continue_;
  http::response<http::string_body> response_;  // alive until its write completes
  std::string remote_address_;
  // TLS: the verified client certificate's subject, given to every request (else empty).
  std::string client_subject_;
  Phase phase_ = Phase::kNew;
  bool close_after_response_ = false;
  // TLS: Stop() cancelled the pending read; its handler sends close_notify and closes.
  bool stop_requested_ = false;
  size_t linger_bytes_ = 0;
};

}  // namespace

void HttpServer::Impl::DoAccept() {
  acceptor.async_accept(net::make_strand(ioc), [this](beast::error_code ec, tcp::socket socket) {
    OnAccept(ec, std::move(socket));
  });
}

void HttpServer::Impl::OnAccept(beast::error_code ec, tcp::socket socket) {
  if (ec == net::error::operation_aborted || !acceptor.is_open()) return;
  if (ec) {
    internal::LogError("accept failed: " + ec.message());
    accept_retry.expires_after(kAcceptRetryDelay);
    accept_retry.async_wait([this](beast::error_code wait_ec) {
      if (!wait_ec && acceptor.is_open()) DoAccept();
    });
    return;
  }
  if (stopping.load()) return;  // `socket` closes as it goes out of scope
  try {
    StartSession(std::move(socket));
  } catch (const std::exception& e) {
    // SSL_new failing (Asio throws system_error) or memory running out: this connection is
    // dropped (its socket closes as the exception unwinds) and holds no slot. Letting the
    // exception out would end the accept loop for good, as DoAccept below would not run.
    internal::LogError(std::string("connection dropped, cannot make its session: ") + e.what());
  }
  DoAccept();
}

void HttpServer::Impl::StartSession(tcp::socket socket) {
  beast::error_code peer_ec;
  const tcp::endpoint peer = socket.remote_endpoint(peer_ec);
  // A peer that is already gone has no address; it shares one count ("") and closes soon.
  std::string address = peer_ec ? std::string() : AddressString(peer.address());
  std::shared_ptr<SessionBase> session;
  {
    std::lock_guard<std::mutex> lock(mutex);
    if (stopping.load()) return;
    // Over a cap the socket is simply closed (no 503): refusing must cost less than
    // serving, and writing a response would need a session anyway.
    const auto counted = per_address.find(address);
    const size_t from_address = counted == per_address.end() ? 0 : counted->second;
    if (active >= options.max_connections || from_address >= options.max_connections_per_address) {
      return;
    }
    // Everything that can throw comes before the counts change. If it throws, `session`
    // dies uncounted (its destructor leaves the counts, and so `mutex`, alone).
    const uint64_t id = next_session_id++;
    if (tls_context) {
      session = std::make_shared<Session<TlsStream>>(*this, id, address, std::move(socket),
                                                     *tls_context);
    } else {
      session = std::make_shared<Session<PlainStream>>(*this, id, address, std::move(socket));
    }
    const auto slot = per_address.try_emplace(std::move(address), 0).first;
    try {
      sessions.emplace(id, session);
    } catch (...) {
      if (slot->second == 0) per_address.erase(slot);
      throw;
    }
    ++slot->second;
    ++active;
    session->MarkCounted();
  }
  // If this throws, the session dies here and gives its slot back (Release).
  session->Start();
}

void HttpServer::Impl::Release(uint64_t session_id, const std::string& remote_address) {
  std::lock_guard<std::mutex> lock(mutex);
  sessions.erase(session_id);
  auto it = per_address.find(remote_address);
  if (it != per_address.end() && --it->second == 0) per_address.erase(it);
  if (--active == 0) drained.notify_all();
}

HttpServer::HttpServer(std::unique_ptr<Impl> impl) : impl_(std::move(impl)) {}

HttpServer::~HttpServer() { Stop(); }

uint16_t HttpServer::port() const { return impl_->port; }

std::string HttpServer::host() const { return impl_->host; }

Result<std::unique_ptr<HttpServer>> HttpServer::Start(HttpServerOptions options, Handler handler) {
  if (options.max_body_bytes == 0 || options.max_header_bytes == 0 || options.max_connections == 0 ||
      options.max_connections_per_address == 0 ||
      options.header_timeout.count() <= 0 || options.request_timeout.count() <= 0 ||
      options.idle_timeout.count() <= 0 || options.stop_grace.count() < 0 || !handler) {
    return MakeError("invalidParameters", "HttpServerOptions: limits and timeouts must be positive");
  }
  unsigned threads = options.threads != 0 ? options.threads : std::thread::hardware_concurrency();
  threads = std::max(threads, 1u);

  beast::error_code ec;
  const std::string host = options.host == "localhost" ? "127.0.0.1" : options.host;
  const net::ip::address address = net::ip::make_address(host, ec);
  if (ec) return MakeError("listenFailed", "host must be an IP address or localhost: " + options.host);
  const tcp::endpoint endpoint(address, options.port);

  auto impl = std::make_unique<Impl>(std::move(options), std::move(handler));
  // Before binding: a bad certificate or key fails the start without touching the port.
  if (impl->options.tls) {
    try {
      impl->tls_context.emplace(net::ssl::context::tls_server);
    } catch (const std::exception& e) {
      return MakeError("invalidTlsConfig", std::string("cannot make a TLS context: ") + e.what());
    }
    TILLIT_TRY(ConfigureTls(*impl->tls_context, *impl->options.tls));
  }
  auto fail = [&](const char* step) {
    return MakeError("listenFailed", std::string(step) + " " + host + ":" +
                                         std::to_string(endpoint.port()) + ": " + ec.message());
  };
  impl->acceptor.open(endpoint.protocol(), ec);
  if (ec) return fail("open");
  // SO_REUSEADDR only lets us rebind over TIME_WAIT after a restart; on Linux it does not
  // allow two listeners on one port, so "port in use" still fails below.
  impl->acceptor.set_option(net::socket_base::reuse_address(true), ec);
  if (ec) return fail("setsockopt");
  impl->acceptor.bind(endpoint, ec);
  if (ec) return fail("bind");
  impl->acceptor.listen(net::socket_base::max_listen_connections, ec);
  if (ec) return fail("listen");
  const tcp::endpoint bound = impl->acceptor.local_endpoint(ec);
  if (ec) return fail("getsockname");
  impl->port = bound.port();
  impl->host = bound.address().to_string();

  impl->DoAccept();
  Impl* raw = impl.get();
  for (unsigned i = 0; i < threads; ++i) {
    impl->threads.emplace_back([raw] {
      for (;;) {
        try {
          raw->ioc.run();
          return;
        } catch (const std::exception& e) {
          // Handler exceptions are caught in the session; this is a bug elsewhere. Keep serving.
          internal::LogError(std::string("worker caught: ") + e.what());
        }
      }
    });
  }
  return std::unique_ptr<HttpServer>(new HttpServer(std::move(impl)));
}

void HttpServer::Stop() {
  Impl& impl = *impl_;
  for (const std::thread& thread : impl.threads) {
    TILLIT_CHECK(thread.get_id() != std::this_thread::get_id());
  }
  std::vector<std::shared_ptr<SessionBase>> open;
  {
    std::lock_guard<std::mutex> lock(impl.mutex);
    if (impl.stopped) return;
    impl.stopped = true;
    impl.stopping.store(true);
    for (auto& [id, weak] : impl.sessions) {
      if (auto session = weak.lock()) open.push_back(std::move(session));
    }
  }
  net::post(impl.acceptor.get_executor(), [&impl] {
    beast::error_code ec;
    impl.acceptor.close(ec);
    impl.accept_retry.cancel();
  });
  for (const auto& session : open) session->Shutdown();
  open.clear();  // the sessions must be able to die while we wait
  {
    std::unique_lock<std::mutex> lock(impl.mutex);
    impl.drained.wait_for(lock, impl.options.stop_grace, [&impl] { return impl.active == 0; });
  }
  impl.ioc.stop();
  for (std::thread& thread : impl.threads) thread.join();
  impl.threads.clear();

  // No thread runs now, so sockets can be closed from here. Sessions still alive (past the
  // grace period) hang on in unrun handlers until ~io_context; close their sockets now so
  // peers see the end at once.
  beast::error_code ec;
  impl.acceptor.close(ec);
  {
    std::lock_guard<std::mutex> lock(impl.mutex);
    for (auto& [id, weak] : impl.sessions) {
      if (auto session = weak.lock()) open.push_back(std::move(session));
    }
  }
  for (const auto& session : open) session->ForceClose();
}

}  // namespace tillit::server::api
