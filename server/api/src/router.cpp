// Router: segment-by-segment matching of request paths against registered patterns.
#include "tillit/server/api/router.h"

#include <algorithm>
#include <set>
#include <string_view>
#include <utility>

#include "tillit/check.h"
#include "tillit/server/api/json.h"

namespace tillit::server::api {
namespace {

// "/a/b" -> {"a", "b"}; "/" -> {""}; "/a/" -> {"a", ""}. Keeping empty segments makes
// "/a/" and "/a" different paths, as the patterns say.
std::vector<std::string_view> SplitPath(std::string_view path) {
  std::vector<std::string_view> segments;
  if (path.empty() || path.front() != '/') return segments;
  size_t start = 1;
  while (true) {
    size_t slash = path.find('/', start);
    if (slash == std::string_view::npos) {
      segments.push_back(path.substr(start));
      return segments;
    }
    segments.push_back(path.substr(start, slash - start));
    start = slash + 1;
  }
}

}  // namespace

void Router::Add(std::string method, std::string pattern, Handler handler) {
  TILLIT_CHECK(!method.empty());
  TILLIT_CHECK(!pattern.empty() && pattern.front() == '/');
  TILLIT_CHECK(handler != nullptr);
  Route route{std::move(method), {}, std::move(handler)};
  std::set<std::string, std::less<>> names;
  for (std::string_view part : SplitPath(pattern)) {
    Segment segment;
    if (part.size() >= 2 && part.front() == '{' && part.back() == '}') {
      segment.capture = true;
      segment.text = std::string(part.substr(1, part.size() - 2));
      TILLIT_CHECK(!segment.text.empty());
      TILLIT_CHECK(names.insert(segment.text).second);
    } else {
      segment.text = std::string(part);
    }
    TILLIT_CHECK(segment.text.find_first_of("{}") == std::string::npos);
    route.segments.push_back(std::move(segment));
  }
  routes_.push_back(std::move(route));
}

HttpResponse Router::Dispatch(HttpRequest& request) const {
  const std::vector<std::string_view> parts = SplitPath(request.path);
  std::set<std::string> allowed;
  for (const Route& route : routes_) {
    if (route.segments.size() != parts.size()) continue;
    bool match = true;
    for (size_t i = 0; i < parts.size() && match; ++i) {
      const Segment& segment = route.segments[i];
      match = segment.capture ? !parts[i].empty() : parts[i] == segment.text;
    }
    if (!match) continue;
    if (route.method != request.method) {
      allowed.insert(route.method);
      continue;
    }
    request.path_params.clear();
    for (size_t i = 0; i < parts.size(); ++i) {
      if (route.segments[i].capture) {
        request.path_params[route.segments[i].text] = std::string(parts[i]);
      }
    }
    return route.handler(request);
  }
  if (allowed.empty()) return ErrorResponse(404, "notFound", "no such resource");
  std::string allow;
  for (const std::string& method : allowed) {
    if (!allow.empty()) allow += ", ";
    allow += method;
  }
  HttpResponse response = ErrorResponse(405, "methodNotAllowed", "allowed: " + allow);
  response.headers.emplace_back("Allow", allow);
  return response;
}

}  // namespace tillit::server::api
