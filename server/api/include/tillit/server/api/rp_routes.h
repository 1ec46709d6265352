// The e-service API (/rp/v1/auth, sign, collect, cancel; docs/protocol.md §4): HTTP and JSON
// mapped to tillit::service::OrderService. Every route authenticates the e-service's API key
// first (Authorization: Bearer <apiKey>; 401 unauthorized when missing, wrong or revoked),
// then reads the body strictly (JsonObjectReader with RejectUnknownFields), then calls one
// service method. No error changes state: every refusal happens before the service call,
// or is the service's own (which changes nothing either).
//
// Thread safety: the handlers are thread-safe; the services must outlive the router.
#pragma once

#include "tillit/server/api/desk_routes.h"
#include "tillit/server/api/router.h"

namespace tillit::server::api {

// Adds every /rp/v1/ route to `router`. services.accounts and services.orders must be set.
void AddRpRoutes(Router& router, const IssuerServices& services);

}  // namespace tillit::server::api
