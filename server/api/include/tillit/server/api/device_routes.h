// The device API (/device/v1/activation/*, docs/desk-api.md §Device; /device/v1/orders/*,
// docs/protocol.md §7) and the public endpoints (/.well-known/tillit-ca.pem,
// /.well-known/jwks.json, /healthz). No bearer token: the activation code is the device's
// credential for activation; for orders, the QR code and then the challenge are.
//
// Thread safety: the handlers are thread-safe; the services must outlive the router.
#pragma once

#include "tillit/server/api/desk_routes.h"
#include "tillit/server/api/router.h"

namespace tillit::server::api {

// Adds the device, well-known and health routes to `router`, including those of
// AddDeviceOrderRoutes.
void AddDeviceRoutes(Router& router, const IssuerServices& services);

// Adds GET /.well-known/jwks.json (the result key, docs/protocol.md §6) and, when
// services.orders is set, POST /device/v1/orders/{scan,shown,decline,respond} (§7).
// Called by AddDeviceRoutes.
void AddDeviceOrderRoutes(Router& router, const IssuerServices& services);

}  // namespace tillit::server::api
