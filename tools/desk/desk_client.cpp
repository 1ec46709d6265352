// DeskClient over cpprestsdk's http_client (desk_client.h). cpprestsdk's exceptions stop
// here and become Errors.
#include "desk_client.h"

#include <cpprest/http_client.h>
#include <cpprest/uri.h>

#include <chrono>
#include <exception>
#include <utility>

namespace tillit::desk {

struct DeskClient::Impl {
  Impl(const web::uri& base, const web::http::client::http_client_config& config,
       std::string bearer_token)
      : client(base, config), token(std::move(bearer_token)) {}
  web::http::client::http_client client;
  std::string token;
};

DeskClient::DeskClient(std::unique_ptr<Impl> impl) : impl_(std::move(impl)) {}
DeskClient::DeskClient(DeskClient&&) noexcept = default;
DeskClient& DeskClient::operator=(DeskClient&&) noexcept = default;
DeskClient::~DeskClient() = default;

Result<DeskClient> DeskClient::Create(std::string_view base_url, std::string token) {
  const std::string url(base_url);
  if (!web::uri::validate(url)) {
    return MakeError("invalidParameters", "--server is not a valid URL: " + url);
  }
  web::uri base(url);
  if ((base.scheme() != "http" && base.scheme() != "https") || base.host().empty()) {
    return MakeError("invalidParameters",
                     "--server must be an http:// or https:// URL with a host: " + url);
  }
  if (!base.query().empty() || !base.fragment().empty()) {
    return MakeError("invalidParameters", "--server must not have a query or fragment");
  }
  if (token.empty()) return MakeError("invalidParameters", "the officer token is empty");
  for (unsigned char c : token) {
    // RFC 9110 §5.5 field values; a CR or LF would let the token inject headers.
    if (c < 0x21 || c == 0x7F) {
      return MakeError("invalidParameters",
                       "the officer token holds spaces or control characters");
    }
  }
  web::http::client::http_client_config config;
  config.set_timeout(std::chrono::seconds(kTimeoutSeconds));
  try {
    return DeskClient(std::make_unique<Impl>(base, config, std::move(token)));
  } catch (const std::exception& e) {
    return MakeError("invalidParameters", std::string("--server: ") + e.what());
  }
}

Result<DeskResponse> DeskClient::Call(std::string_view method, std::string_view path,
                                      const std::optional<web::json::value>& body) {
  web::http::http_request request(std::string{method});
  request.set_request_uri(web::uri(std::string(path)));
  request.headers().add("Authorization", "Bearer " + impl_->token);
  request.headers().add("Accept", "application/json");
  if (body.has_value()) request.set_body(*body);  // sets application/json

  web::http::http_response response;
  std::string text;
  try {
    response = impl_->client.request(request).get();
    text = response.extract_utf8string(true).get();
  } catch (const web::http::http_exception& e) {
    return MakeError("networkError", std::string("cannot reach the server: ") + e.what());
  } catch (const std::exception& e) {
    return MakeError("networkError", std::string("request failed: ") + e.what());
  }

  DeskResponse out;
  out.status = response.status_code();
  if (text.empty()) {
    out.body = web::json::value::null();
    return out;
  }
  try {
    out.body = web::json::value::parse(text);
  } catch (const std::exception&) {
    // An error page from a proxy is still an HTTP error; only a success must be JSON.
    if (out.status < 200 || out.status > 299) {
      out.body = web::json::value::null();
      return out;
    }
    return MakeError("badResponse", "HTTP " + std::to_string(out.status) +
                                        " with a body that is not JSON (" +
                                        std::to_string(text.size()) + " bytes)");
  }
  return out;
}

}  // namespace tillit::desk
