// The sample e-service "Exempelkommun" (/demo/, docs/demo.md): the server-side half of a
// relying party that logs residents in and has them sign a text through the public
// /rp/v1/ API, exactly as a real e-service does. The page (server/web/demo/) only talks to
// /demo/api/*; the API key and every order's qrStartSecret stay in this process.
//
// The demo reaches /rp/v1/ by building the HttpRequest a real e-service would send
// (POST, Authorization: Bearer <apiKey>, Content-Type: application/json, JSON body) and
// dispatching it through the same Router the public API is served from: same
// authentication, validation and errors; only the socket is skipped. A loopback HTTP call
// from a handler to its own server could deadlock: every worker thread may be inside a demo
// handler waiting for a worker to answer its own call.
//
// Thread safety: the handlers are thread-safe (one lock for the session table, one per
// session while its order is polled). `api` and `options.clock` must outlive the router.
#pragma once

#include <cstddef>
#include <cstdint>
#include <string>

#include "tillit/crypto/secret.h"
#include "tillit/ports.h"
#include "tillit/result.h"
#include "tillit/server/api/router.h"

namespace tillit::server::api {

// The demo's e-service account: what `tillit-server admin add-rp` prints.
struct DemoRp {
  std::string rp_id{};
  crypto::SecretBytes api_key{};  // never logged, never sent to a browser
};

// Reads the JSON object printed by `tillit-server admin add-rp` ({"rpId", "apiKey"}, other
// members ignored). Errors: "invalidParameters" when the file cannot be read, is not a JSON
// object, or lacks a non-empty string rpId or apiKey. Messages name the file and the member,
// never the key.
Result<DemoRp> ReadDemoRpFile(const std::string& path);

struct DemoOptions {
  // The account the demo calls /rp/v1/ with. Empty api_key: the demo is disabled and every
  // /demo/api/ route answers 404 demoDisabled (the page says so).
  DemoRp rp{};
  // Session expiry and the animated QR's seconds (docs/protocol.md §2). Must be set.
  const Clock* clock = nullptr;
  // Live sessions at most; a new one beyond this is 429 tooManyRequests until others expire.
  size_t max_sessions = 1000;
  // A session unused for this long is forgotten (its pending order is left to expire).
  int64_t session_idle_seconds = 15 * 60;
  // Adds `Secure` to the session cookie; set when the public URL is https.
  bool secure_cookie = false;
};

// Adds POST /demo/api/{login,sign,poll,cancel,logout} to `router`; `api` must hold the
// /rp/v1/ routes (it may be `router` itself, complete before it serves). Errors
// (docs/demo.md §3): 404 demoDisabled, 403 csrfCheckFailed (no `X-Tillit-Demo: 1`),
// 404 noSession, 400 invalidParameters, 415 unsupportedMediaType, 429 tooManyRequests, and
// the /rp/v1/ errors passed on (a refused API key becomes 503 serviceUnavailable).
void AddDemoRoutes(Router& router, const Router& api, DemoOptions options);

}  // namespace tillit::server::api
