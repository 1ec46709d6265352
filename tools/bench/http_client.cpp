// BenchConnection: Boost.Beast over a blocking Asio socket (see http_client.h).
#include "http_client.h"

#include <boost/asio/connect.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/beast/core/flat_buffer.hpp>
#include <boost/beast/http.hpp>
#include <charconv>

namespace tillit::bench {
namespace {

namespace asio = boost::asio;
namespace beast = boost::beast;
namespace http = beast::http;
using tcp = asio::ip::tcp;

}  // namespace

Result<ServerAddress> ParseServerUrl(std::string_view url) {
  constexpr std::string_view kScheme = "http://";
  if (url.substr(0, kScheme.size()) != kScheme) {
    return MakeError("invalidParameters", "--server must start with http://");
  }
  std::string_view rest = url.substr(kScheme.size());
  if (!rest.empty() && rest.back() == '/') rest.remove_suffix(1);
  const size_t colon = rest.rfind(':');
  if (colon == std::string_view::npos || colon == 0 || colon + 1 == rest.size()) {
    return MakeError("invalidParameters", "--server must be http://HOST:PORT");
  }
  std::string_view host = rest.substr(0, colon);
  if (host.size() >= 2 && host.front() == '[' && host.back() == ']') {
    host = host.substr(1, host.size() - 2);
  }
  std::string_view digits = rest.substr(colon + 1);
  unsigned port = 0;
  auto [end, ec] = std::from_chars(digits.data(), digits.data() + digits.size(), port);
  if (ec != std::errc() || end != digits.data() + digits.size() || port == 0 || port > 65535) {
    return MakeError("invalidParameters", "--server: bad port");
  }
  return ServerAddress{std::string(host), static_cast<uint16_t>(port)};
}

struct BenchConnection::Impl {
  explicit Impl(ServerAddress address) : address(std::move(address)), socket(io) {}

  ServerAddress address;
  asio::io_context io;
  tcp::socket socket;
  beast::flat_buffer buffer;
  bool connected = false;

  Status Connect() {
    beast::error_code ec;
    tcp::resolver resolver(io);
    auto endpoints = resolver.resolve(address.host, std::to_string(address.port), ec);
    if (ec) return MakeError("transport", "resolve: " + ec.message());
    asio::connect(socket, endpoints, ec);
    if (ec) return MakeError("transport", "connect: " + ec.message());
    // Requests are small and answered one at a time: Nagle would only add delay.
    socket.set_option(tcp::no_delay(true), ec);
    buffer.clear();
    connected = true;
    return {};
  }

  void Close() {
    beast::error_code ignored;
    socket.shutdown(tcp::socket::shutdown_both, ignored);
    socket.close(ignored);
    connected = false;
  }

  Result<HttpAnswer> Send(http::verb verb, std::string_view path, std::string_view body,
                          std::string_view bearer) {
    if (!connected) TILLIT_TRY(Connect());
    http::request<http::string_body> request{verb, beast::string_view(path.data(), path.size()),
                                             11};
    request.set(http::field::host, address.host);
    request.keep_alive(true);
    if (!bearer.empty()) {
      request.set(http::field::authorization, "Bearer " + std::string(bearer));
    }
    if (verb == http::verb::post) {
      request.set(http::field::content_type, "application/json");
      request.body() = std::string(body);
      request.prepare_payload();
    }
    beast::error_code ec;
    http::write(socket, request, ec);
    if (ec) {
      Close();
      return MakeError("transport", "write: " + ec.message());
    }
    http::response_parser<http::string_body> parser;
    parser.body_limit(16 * 1024 * 1024);
    http::read(socket, buffer, parser, ec);
    if (ec) {
      Close();
      return MakeError("transport", "read: " + ec.message());
    }
    auto response = parser.release();
    HttpAnswer answer{static_cast<int>(response.result_int()), std::move(response.body())};
    if (!response.keep_alive()) Close();
    return answer;
  }
};

BenchConnection::BenchConnection(ServerAddress address)
    : impl_(std::make_unique<Impl>(std::move(address))) {}

BenchConnection::~BenchConnection() { impl_->Close(); }

Result<HttpAnswer> BenchConnection::Post(std::string_view path, std::string_view body,
                                         std::string_view bearer) {
  return impl_->Send(http::verb::post, path, body, bearer);
}

Result<HttpAnswer> BenchConnection::Get(std::string_view path) {
  return impl_->Send(http::verb::get, path, {}, {});
}

}  // namespace tillit::bench
