// Status routes: GET /status/v1/credentials/{serial} and GET /status/v1/crl (docs/status.md).
#include "tillit/server/api/status_routes.h"

#include <string>

#include "route_util.h"
#include "tillit/server/api/desk_routes.h"
#include "tillit/server/api/json.h"

namespace tillit::server::api {
namespace {

using internal::JsonString;
using web::json::value;

// Matches StatusService's CRL refresh period: a cache never holds an answer longer than the
// issuer itself does. Not longer, because a suspension or revocation should reach
// e-services within a minute.
constexpr const char* kCacheControl = "public, max-age=60";

}  // namespace

void AddStatusRoutes(Router& router, service::StatusService& status) {
  router.Add("GET", "/status/v1/credentials/{serial}", [&status](HttpRequest& req) {
    // The raw path segment: anything but 32 lower-case hex characters (percent-encoding
    // included) is refused by the service as invalidParameters.
    auto answer = status.Status(req.path_params.at("serial"));
    if (!answer.ok()) return ErrorResponse(answer.error());
    value v = value::object(/*keep_order=*/true);
    v["status"] = JsonString(answer->status);
    if (answer->since) v["since"] = JsonString(FormatTime(*answer->since));
    HttpResponse response = JsonResponse(200, v);
    response.headers.emplace_back("Cache-Control", kCacheControl);
    return response;
  });

  router.Add("GET", "/status/v1/crl", [&status](HttpRequest&) {
    auto crl = status.Crl();
    if (!crl.ok()) return ErrorResponse(crl.error());
    HttpResponse response;
    response.status = 200;
    response.content_type = "application/pkix-crl";  // RFC 5280 §4.2.1.13, RFC 2585 §4.2
    response.body.assign((*crl)->der.begin(), (*crl)->der.end());
    response.headers.emplace_back("Cache-Control", kCacheControl);
    return response;
  });
}

}  // namespace tillit::server::api
