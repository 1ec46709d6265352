// Helpers shared by the route files; see route_util.h.
#include "route_util.h"

#include "tillit/server/api/json.h"

namespace tillit::server::api::internal {

std::optional<std::string_view> CookieValue(const HttpRequest& request, std::string_view name) {
  std::string_view header = request.Header("cookie");
  std::optional<std::string_view> found;
  while (!header.empty()) {
    size_t end = header.find_first_of(";,");
    std::string_view pair = header.substr(0, end);
    header = end == std::string_view::npos ? std::string_view{} : header.substr(end + 1);
    while (!pair.empty() && pair.front() == ' ') pair.remove_prefix(1);
    while (!pair.empty() && pair.back() == ' ') pair.remove_suffix(1);
    size_t eq = pair.find('=');
    if (eq == std::string_view::npos || pair.substr(0, eq) != name) continue;
    if (found) return std::nullopt;
    found = pair.substr(eq + 1);
  }
  return found;
}

Result<web::json::value> ParseOptionalJsonBody(const HttpRequest& request) {
  if (request.body.empty()) {
    std::string_view type = request.Header("content-type");
    if (type.empty()) return web::json::value::object();
  }
  return ParseJsonBody(request);
}

std::string_view BearerToken(const HttpRequest& request) {
  std::string_view header = request.Header("authorization");
  constexpr std::string_view kScheme = "bearer ";
  if (header.size() <= kScheme.size()) return {};
  for (size_t i = 0; i < kScheme.size(); ++i) {
    char c = header[i];
    if (c >= 'A' && c <= 'Z') c = static_cast<char>(c - 'A' + 'a');
    if (c != kScheme[i]) return {};
  }
  std::string_view token = header.substr(kScheme.size());
  while (!token.empty() && token.front() == ' ') token.remove_prefix(1);
  while (!token.empty() && token.back() == ' ') token.remove_suffix(1);
  return token;
}

HttpResponse AuthFailure(const Error& error) {
  HttpResponse response = ErrorResponse(error);
  if (response.status == 401) response.headers.emplace_back("WWW-Authenticate", "Bearer");
  return response;
}

}  // namespace tillit::server::api::internal
