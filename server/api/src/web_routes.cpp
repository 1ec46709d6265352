// Static pages: /desk/ and /demo/ (docs/web.md).
#include "tillit/server/api/web_routes.h"

#include <string>

#include "tillit/server/api/json.h"
#include "tillit/server/web/assets.h"

namespace tillit::server::api {
namespace {

HttpResponse Serve(std::string_view path) {
  for (const web::Asset& asset : web::Assets()) {
    if (asset.path != path) continue;
    HttpResponse response;
    response.status = 200;
    response.content_type = std::string(asset.content_type);
    response.body = std::string(asset.body);
    AddPageSecurityHeaders(response);
    return response;
  }
  return ErrorResponse(404, "notFound", "no such page");
}

void AddFolder(Router& router, const std::string& folder) {
  router.Add("GET", "/" + folder, [folder](HttpRequest&) {
    HttpResponse response;
    response.status = 301;
    response.headers.emplace_back("Location", "/" + folder + "/");
    return response;
  });
  router.Add("GET", "/" + folder + "/",
             [folder](HttpRequest&) { return Serve("/" + folder + "/index.html"); });
  // One segment only (the router never matches '/'), looked up in the built-in table:
  // there is no file system path to escape from.
  router.Add("GET", "/" + folder + "/{file}", [folder](HttpRequest& request) {
    return Serve("/" + folder + "/" + request.path_params["file"]);
  });
}

}  // namespace

void AddPageSecurityHeaders(HttpResponse& response) {
  response.headers.emplace_back(
      "Content-Security-Policy",
      "default-src 'none'; script-src 'self'; style-src 'self'; img-src 'self' data: blob:; "
      "connect-src 'self'; form-action 'self'; base-uri 'none'; frame-ancestors 'none'");
  response.headers.emplace_back("X-Content-Type-Options", "nosniff");
  response.headers.emplace_back("Referrer-Policy", "no-referrer");
  response.headers.emplace_back("Cache-Control", "no-cache");
}

void AddWebRoutes(Router& router) {
  AddFolder(router, "desk");
  AddFolder(router, "demo");
}

}  // namespace tillit::server::api
