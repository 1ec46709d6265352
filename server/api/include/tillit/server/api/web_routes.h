// Static pages: /desk/ (the officers' enrolment desk) and /demo/ (the sample e-service),
// served from the files built into the binary (tillit/server/web/assets.h).
#pragma once

#include "tillit/server/api/router.h"

namespace tillit::server::api {

// GET /desk and /demo redirect to the folder; GET /desk/ and /demo/ serve index.html;
// GET /desk/{file} and /demo/{file} serve a built-in file or answer 404 notFound. Every page
// carries a strict Content-Security-Policy (scripts and styles from the server only, no
// inline script, no framing) and is not cached without revalidation.
void AddWebRoutes(Router& router);

// The headers every page response carries (docs/web.md); exposed so that dynamic pages
// (the demo's) send the same policy.
void AddPageSecurityHeaders(HttpResponse& response);

}  // namespace tillit::server::api
