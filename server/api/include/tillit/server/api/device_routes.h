// The device API (/device/v1/activation/*, docs/desk-api.md §Device) and the public
// endpoints (/.well-known/tillit-ca.pem, /healthz). No bearer token: the activation code
// is the device's credential.
//
// Thread safety: the handlers are thread-safe; the services must outlive the router.
#pragma once

#include "tillit/server/api/desk_routes.h"
#include "tillit/server/api/router.h"

namespace tillit::server::api {

// Adds the device, well-known and health routes to `router`.
void AddDeviceRoutes(Router& router, const IssuerServices& services);

}  // namespace tillit::server::api
