// Router: maps (method, path pattern) to a Handler, filling HttpRequest::path_params.
//
// Thread safety: Add routes before serving; Dispatch (const) may then run on many threads
// at once. A Router is usable as a Handler (operator()); std::function copies it, so add
// every route before handing it to HttpServer::Start.
#pragma once

#include <string>
#include <vector>

#include "tillit/server/api/http.h"

namespace tillit::server::api {

class Router {
 public:
  // Registers `handler` for `method` (exact, case-sensitive) and `pattern`, an absolute path
  // whose segments are literals or `{name}` captures, e.g.
  // "/desk/v1/enrolments/{id}/approve". Matching is per segment and exact: no prefixes,
  // wildcards or trailing-slash folding; a capture matches one non-empty segment. When
  // several routes match, the first one added wins. A malformed pattern (not starting with
  // '/', empty or duplicate capture name, stray brace) is a programmer error and aborts.
  void Add(std::string method, std::string pattern, Handler handler);

  // Calls the matching handler with path_params set. No path match: 404 notFound. A path
  // match without a route for the method: 405 methodNotAllowed with an Allow header.
  // Exceptions from the handler propagate (the server turns them into 500).
  HttpResponse Dispatch(HttpRequest& request) const;

  HttpResponse operator()(HttpRequest& request) const { return Dispatch(request); }

 private:
  struct Segment {
    std::string text;  // the literal, or the capture name
    bool capture = false;
  };
  struct Route {
    std::string method;
    std::vector<Segment> segments;
    Handler handler;
  };
  std::vector<Route> routes_;
};

}  // namespace tillit::server::api
