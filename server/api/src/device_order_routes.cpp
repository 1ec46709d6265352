// Device order routes: /device/v1/orders/scan, shown, decline, respond (docs/protocol.md
// §7), and the issuer's result keys at /.well-known/jwks.json (§6). No bearer token: the
// device names its credential at scan, holds the challenge afterwards and proves the key at
// respond.
#include <optional>
#include <string>
#include <utility>

#include "route_util.h"
#include "tillit/bytes.h"
#include "tillit/protocol/jws.h"
#include "tillit/server/api/device_routes.h"
#include "tillit/server/api/json.h"

namespace tillit::server::api {
namespace {

using internal::JsonString;
using web::json::value;

constexpr size_t kMaxQrText = 512;  // the service looks at 256 bytes at most
constexpr size_t kMaxToken = 64;    // UUIDs, orderRef
constexpr size_t kMaxSerial = 64;
constexpr size_t kMaxChallenge = 128;  // 32 bytes: 43 characters
constexpr size_t kMaxSignature = 128;  // 64 bytes: 86 characters
// signedData is at most ~800 bytes (docs/protocol.md §5): ~1,070 characters.
constexpr size_t kMaxSignedData = 4096;

Result<Bytes> ReadBase64Url(JsonObjectReader& reader, std::string_view name, size_t max_chars) {
  TILLIT_TRY_ASSIGN(auto text, reader.RequiredString(name, max_chars));
  auto bytes = Base64UrlDecode(text);
  if (!bytes.ok()) {
    return MakeError("invalidParameters", reader.FieldPath(name) + ": not base64url");
  }
  return std::move(*bytes);
}

// {"orderRef", "challenge"}: what shown and decline name the order by. The caller reads
// any further fields and then rejects unknown ones.
struct OrderAndChallenge {
  std::string order_ref;
  Bytes challenge;
};

Result<OrderAndChallenge> ReadOrderAndChallenge(JsonObjectReader& reader) {
  OrderAndChallenge out;
  TILLIT_TRY_ASSIGN(out.order_ref, reader.RequiredString("orderRef", kMaxToken));
  TILLIT_TRY_ASSIGN(out.challenge, ReadBase64Url(reader, "challenge", kMaxChallenge));
  return out;
}

value ScannedJson(const service::ScannedOrder& order) {
  value v = value::object(/*keep_order=*/true);
  v["orderRef"] = JsonString(order.order_ref);
  v["challenge"] = JsonString(Base64UrlEncode(order.challenge));
  v["action"] = JsonString(protocol::OrderActionName(order.action));
  v["rpId"] = JsonString(order.rp_id);
  v["rpName"] = JsonString(order.rp_name);
  // Standard base64 here (docs/protocol.md §7.1): the same encoding as in the RP's request
  // and the result, so all three can be compared as text.
  if (order.user_visible_data) {
    v["userVisibleData"] = JsonString(Base64Encode(*order.user_visible_data));
  }
  if (order.user_non_visible_data_hash) {
    v["userNonVisibleDataHash"] = JsonString(Base64UrlEncode(*order.user_non_visible_data_hash));
  }
  v["expiresAt"] = JsonString(FormatTime(order.expires_at));
  return v;
}

}  // namespace

void AddDeviceOrderRoutes(Router& router, const IssuerServices& services) {
  // The published result key (docs/protocol.md §6). Fixed for the process's life, so the
  // body is made once; public and cacheable (the server otherwise adds no-store).
  std::string jwks = "{\"keys\":[" +
                     protocol::SerializePublicJwk(services.keys->result_key().verifying_key()) +
                     "]}";
  router.Add("GET", "/.well-known/jwks.json", [jwks](HttpRequest&) {
    HttpResponse response;
    response.status = 200;
    response.content_type = "application/json";
    response.body = jwks;
    response.headers.emplace_back("Cache-Control", "public, max-age=300");
    return response;
  });

  service::OrderService* orders = services.orders;
  if (orders == nullptr) return;

  router.Add("POST", "/device/v1/orders/scan", [orders](HttpRequest& req) {
    auto run = [&]() -> Result<service::ScannedOrder> {
      TILLIT_TRY_ASSIGN(value body, ParseJsonBody(req));
      JsonObjectReader reader(body);
      TILLIT_TRY_ASSIGN(auto qr_text, reader.OptionalString("qrText", kMaxQrText));
      TILLIT_TRY_ASSIGN(auto auto_start, reader.OptionalString("autoStartToken", kMaxToken));
      TILLIT_TRY_ASSIGN(auto serial, reader.RequiredString("credentialSerial", kMaxSerial));
      TILLIT_TRY(reader.RejectUnknownFields());
      if (qr_text.has_value() == auto_start.has_value()) {
        return MakeError("invalidParameters",
                         "qrText: exactly one of qrText and autoStartToken is required");
      }
      if (qr_text) return orders->ScanQr(*qr_text, serial);
      return orders->ScanAutoStart(*auto_start, serial);
    };
    auto scanned = run();
    if (!scanned.ok()) return ErrorResponse(scanned.error());
    return JsonResponse(200, ScannedJson(*scanned));
  });

  router.Add("POST", "/device/v1/orders/shown", [orders](HttpRequest& req) {
    auto run = [&]() -> Status {
      TILLIT_TRY_ASSIGN(value body, ParseJsonBody(req));
      JsonObjectReader reader(body);
      TILLIT_TRY_ASSIGN(auto order, ReadOrderAndChallenge(reader));
      TILLIT_TRY(reader.RejectUnknownFields());
      return orders->MarkShown(order.order_ref, order.challenge);
    };
    Status shown = run();
    if (!shown.ok()) return ErrorResponse(shown.error());
    return JsonResponse(200, value::object());
  });

  router.Add("POST", "/device/v1/orders/decline", [orders](HttpRequest& req) {
    auto run = [&]() -> Status {
      TILLIT_TRY_ASSIGN(value body, ParseJsonBody(req));
      JsonObjectReader reader(body);
      TILLIT_TRY_ASSIGN(auto order, ReadOrderAndChallenge(reader));
      TILLIT_TRY_ASSIGN(auto reason_text, reader.RequiredString("reason", kMaxToken));
      TILLIT_TRY(reader.RejectUnknownFields());
      service::DeclineReason reason;
      if (reason_text == "userCancel") {
        reason = service::DeclineReason::kUserCancel;
      } else if (reason_text == "pinLocked") {
        reason = service::DeclineReason::kPinLocked;
      } else {
        return MakeError("invalidParameters", "reason: must be userCancel or pinLocked");
      }
      return orders->Decline(order.order_ref, order.challenge, reason);
    };
    Status declined = run();
    if (!declined.ok()) return ErrorResponse(declined.error());
    return JsonResponse(200, value::object());
  });

  router.Add("POST", "/device/v1/orders/respond", [orders](HttpRequest& req) {
    auto run = [&]() -> Status {
      TILLIT_TRY_ASSIGN(value body, ParseJsonBody(req));
      JsonObjectReader reader(body);
      TILLIT_TRY_ASSIGN(auto order_ref, reader.RequiredString("orderRef", kMaxToken));
      TILLIT_TRY_ASSIGN(auto signed_data, ReadBase64Url(reader, "signedData", kMaxSignedData));
      TILLIT_TRY_ASSIGN(auto signature, ReadBase64Url(reader, "signature", kMaxSignature));
      TILLIT_TRY(reader.RejectUnknownFields());
      // The address the device's response came from goes into the result
      // (completionData.device.ipAddress). Behind a reverse proxy this is the proxy's.
      return orders->Respond(order_ref, signed_data, signature, req.remote_address);
    };
    Status responded = run();
    if (!responded.ok()) return ErrorResponse(responded.error());
    value v = value::object();
    v["status"] = JsonString("complete");
    return JsonResponse(200, v);
  });
}

}  // namespace tillit::server::api
