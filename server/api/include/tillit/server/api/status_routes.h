// Credential status for e-services (docs/status.md): GET /status/v1/credentials/{serial}
// (JSON, live) and GET /status/v1/crl (the signed CRL, DER), mapped to
// tillit::service::StatusService. Public, like OCSP and CRL distribution points: no
// authentication, since a serial is 126 random bits that only the holder and the e-services
// it logged in to have seen, and the answer holds no personal data. Both answers may be
// cached for at most 60 seconds (Cache-Control: public, max-age=60); errors are no-store.
//
// Thread safety: the handlers are thread-safe; the service must outlive the router.
#pragma once

#include "tillit/server/api/router.h"
#include "tillit/service/status_service.h"

namespace tillit::server::api {

// Adds the /status/v1/ routes to `router`.
void AddStatusRoutes(Router& router, service::StatusService& status);

}  // namespace tillit::server::api
