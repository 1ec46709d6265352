// The desk API (/desk/v1/*, docs/desk-api.md §Desk): HTTP and JSON mapped to
// tillit::service::EnrolmentService. Every route authenticates the officer first, by the
// bearer token or by the desk web page's session cookie plus `X-Tillit-Desk: 1`
// (docs/desk-api.md §Web sessions; 401 unauthorized when missing, wrong or revoked, 403
// csrfCheckFailed for a cookie without the header), then reads the body strictly
// (JsonObjectReader with RejectUnknownFields), then calls one service method.
//
// Thread safety: the handlers are thread-safe; the services must outlive the router.
#pragma once

#include <string>

#include "tillit/server/api/router.h"
#include "tillit/service/accounts.h"
#include "tillit/service/activation_service.h"
#include "tillit/service/enrolment_service.h"
#include "tillit/service/issuer_keys.h"
#include "tillit/service/lifecycle_service.h"
#include "tillit/service/order_service.h"

namespace tillit::server::api {

class DeskSessions;  // server/api/src/desk_sessions.h

// What the desk, device and e-service routes call. Not owned.
struct IssuerServices {
  service::AccountService* accounts = nullptr;
  service::EnrolmentService* enrolments = nullptr;
  service::ActivationService* activations = nullptr;
  // Suspend, resume, replace and link (docs/desk-api.md §After issue): those routes are
  // added only when set.
  service::LifecycleService* lifecycle = nullptr;
  const service::IssuerKeys* keys = nullptr;
  // The server's address as devices reach it, e.g. "http://127.0.0.1:8080"; written into
  // the activation QR text (tillit-activate:v1:<CODE>:<URL>).
  std::string public_url;
  // The pin of the server's TLS key (credential::FormatTlsPin, 43 characters), or empty.
  // With an https:// public_url the activation QR carries it as
  // tillit-activate:v1:<CODE>:<URL>#pin-sha256=<PIN>, and the device accepts the issuer's
  // certificate only with that key from its first contact on (docs/desk-api.md, docs/http.md
  // §TLS).
  std::string tls_pin{};
  // Login and signing orders (docs/protocol.md): the /rp/v1/ and /device/v1/orders/ routes
  // are added only when set.
  service::OrderService* orders = nullptr;
  // The desk web page's cookie sessions (/desk/v1/session). When null, AddDeskRoutes makes
  // its own (system clock, default limits), kept alive by the routes; tests pass one with a
  // FixedClock.
  DeskSessions* desk_sessions = nullptr;
};

// Adds every /desk/v1/ route to `router`.
void AddDeskRoutes(Router& router, const IssuerServices& services);

// RFC 3339 UTC with a 'Z', e.g. "2025-06-01T10:15:00Z": how the API writes times.
std::string FormatTime(int64_t unix_seconds);

}  // namespace tillit::server::api
