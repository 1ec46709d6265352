// Helpers shared by the route files; see route_util.h.
#include "route_util.h"

#include "tillit/server/api/json.h"

namespace tillit::server::api::internal {

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
