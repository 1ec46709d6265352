// Internal: helpers shared by the route files (desk, device, device orders, RP).
#pragma once

#include <cpprest/json.h>

#include <optional>
#include <string>
#include <string_view>

#include "tillit/result.h"
#include "tillit/server/api/http.h"

namespace tillit::server::api::internal {

inline web::json::value JsonString(std::string_view s) {
  return web::json::value::string(std::string(s));
}

// The request body as a JSON object; an empty body counts as {} (for action endpoints
// whose body is "{}"), anything else must pass ParseJsonBody.
Result<web::json::value> ParseOptionalJsonBody(const HttpRequest& request);

// The token of `Authorization: Bearer <token>` (scheme case-insensitive, RFC 6750 §2.1,
// surrounding spaces trimmed), or "" when there is none. Officers and e-services use it.
std::string_view BearerToken(const HttpRequest& request);

// The value of the one cookie called `name` in the request's Cookie header (RFC 6265 §5.4;
// pairs separated by ';' or ','). nullopt when there is none or more than one: a second one
// could only have been planted (e.g. by a sibling domain), so refuse rather than guess
// which to trust. The desk and demo session cookies use it.
std::optional<std::string_view> CookieValue(const HttpRequest& request, std::string_view name);

// ErrorResponse(error), plus `WWW-Authenticate: Bearer` on a 401 (RFC 6750 §3).
HttpResponse AuthFailure(const Error& error);

}  // namespace tillit::server::api::internal
