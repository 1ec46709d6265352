// Test support for the HTTPS tests (docs/http.md §TLS): a blocking HTTP/1.1 client over
// TLS on Boost.Beast, for one connection to 127.0.0.1. The test chooses the TLS versions,
// the CA that must vouch for the server (and the name it must carry), and an optional
// client certificate, and sees handshake errors and the connection's end as they are.
// Header-only; Beast stays in tests that include it. Include it before any cpprestsdk
// header: cpprest defines a macro U(x) that breaks Boost's headers.
#pragma once

#ifdef U
#error "include tls_client.h before cpprestsdk headers (their U(x) macro breaks Boost)"
#endif

#include <doctest/doctest.h>
#include <openssl/ssl.h>
#include <sys/socket.h>
#include <sys/time.h>

#include <boost/asio/connect.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/ssl.hpp>
#include <boost/beast/core.hpp>
#include <boost/beast/http.hpp>

#include <chrono>
#include <optional>
#include <string>
#include <utility>
#include <vector>

namespace tillit::testing {

struct TlsClientOptions {
  std::string ca_file;             // the server must chain to this CA ("" = no check)
  std::string host = "127.0.0.1";  // ...and be issued for this name or address
  std::string cert_file{};         // a client certificate (PEM), with its key
  std::string key_file{};
  int min_version = TLS1_2_VERSION;
  int max_version = 0;  // 0 = the newest
  // OpenSSL security level 0, so that the client really offers what it is allowed to
  // (TLS 1.1 is off at the default level whatever the version range says).
  bool legacy = false;
  std::string tls12_ciphers{};  // OpenSSL cipher list for TLS 1.2 and below; "" = default
  std::chrono::milliseconds timeout{5000};  // for every read and write
};

struct TlsReply {
  int status = 0;
  std::string body;
  std::string connection;  // the Connection header, lower case
};

class TlsClient {
 public:
  TlsClient(uint16_t port, TlsClientOptions options)
      : options_(std::move(options)), context_(boost::asio::ssl::context::tls_client) {
    SSL_CTX* ctx = context_.native_handle();
    if (options_.legacy) {
      SSL_CTX_set_security_level(ctx, 0);
      SSL_CTX_set_cipher_list(ctx, "DEFAULT:@SECLEVEL=0");
    }
    if (!options_.tls12_ciphers.empty()) {
      REQUIRE(SSL_CTX_set_cipher_list(ctx, options_.tls12_ciphers.c_str()) == 1);
    }
    SSL_CTX_set_min_proto_version(ctx, options_.min_version);
    SSL_CTX_set_max_proto_version(ctx, options_.max_version);
    if (!options_.ca_file.empty()) {
      context_.load_verify_file(options_.ca_file);
      context_.set_verify_mode(boost::asio::ssl::verify_peer);
    } else {
      context_.set_verify_mode(boost::asio::ssl::verify_none);
    }
    if (!options_.cert_file.empty()) {
      context_.use_certificate_chain_file(options_.cert_file);
      context_.use_private_key_file(options_.key_file, boost::asio::ssl::context::pem);
    }
    stream_.emplace(ioc_, context_);
    if (!options_.ca_file.empty()) {
      stream_->set_verify_callback(boost::asio::ssl::host_name_verification(options_.host));
    }
    boost::asio::ip::tcp::endpoint endpoint(boost::asio::ip::make_address("127.0.0.1"), port);
    stream_->next_layer().connect(endpoint, connect_error_);
    if (!connect_error_) {
      // Blocking calls with a deadline: a server that never answers fails the test quickly.
      timeval tv{};
      tv.tv_sec = static_cast<long>(options_.timeout.count() / 1000);
      tv.tv_usec = static_cast<long>(options_.timeout.count() % 1000) * 1000;
      const int fd = stream_->next_layer().native_handle();
      ::setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof tv);
      ::setsockopt(fd, SOL_SOCKET, SO_SNDTIMEO, &tv, sizeof tv);
    }
  }

  TlsClient(const TlsClient&) = delete;
  TlsClient& operator=(const TlsClient&) = delete;

  bool connected() const { return !connect_error_; }

  // The handshake's error, or success.
  boost::system::error_code Handshake() {
    if (connect_error_) return connect_error_;
    boost::system::error_code ec;
    stream_->handshake(boost::asio::ssl::stream_base::client, ec);
    return ec;
  }

  // "TLSv1.3", "TLSv1.2", ... and the negotiated cipher, after a handshake.
  std::string version() { return SSL_get_version(stream_->native_handle()); }
  std::string cipher() { return SSL_get_cipher_name(stream_->native_handle()); }

  // One request on the connection; nullopt (and `error()` says why) when no complete
  // response came. `token` non-empty adds Authorization: Bearer.
  std::optional<TlsReply> Request(const std::string& method, const std::string& target,
                                  const std::string& body = "", const std::string& token = "",
                                  bool keep_alive = true) {
    namespace http = boost::beast::http;
    http::request<http::string_body> request(http::string_to_verb(method), target, 11);
    request.set(http::field::host, "127.0.0.1");
    if (!token.empty()) request.set(http::field::authorization, "Bearer " + token);
    if (!body.empty() || method == "POST") {
      request.set(http::field::content_type, "application/json");
      request.body() = body;
    }
    request.keep_alive(keep_alive);
    request.prepare_payload();
    http::write(*stream_, request, error_);
    if (error_) return std::nullopt;
    http::response<http::string_body> response;
    http::read(*stream_, buffer_, response, error_);
    if (error_) return std::nullopt;
    TlsReply reply;
    reply.status = static_cast<int>(response.result_int());
    reply.body = response.body();
    std::string connection(response[http::field::connection]);
    for (char& c : connection) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
    reply.connection = connection;
    return reply;
  }

  // Reads until the connection ends; the error that ended it. boost::asio::error::eof
  // means the server sent close_notify first (a clean TLS close); a bare TCP close shows as
  // ssl::error::stream_truncated.
  boost::system::error_code ReadToEnd() {
    boost::system::error_code ec;
    char scratch[1024];
    while (!ec) stream_->read_some(boost::asio::buffer(scratch), ec);
    return ec;
  }

  boost::system::error_code error() const { return error_; }

 private:
  TlsClientOptions options_;
  boost::asio::io_context ioc_;
  boost::asio::ssl::context context_;
  std::optional<boost::asio::ssl::stream<boost::asio::ip::tcp::socket>> stream_;
  boost::beast::flat_buffer buffer_;
  boost::system::error_code connect_error_;
  boost::system::error_code error_;
};

}  // namespace tillit::testing
