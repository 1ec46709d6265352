// Internal: helpers shared by desk_routes.cpp and device_routes.cpp.
#pragma once

#include <cpprest/json.h>

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

}  // namespace tillit::server::api::internal
