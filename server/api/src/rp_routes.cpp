// E-service routes: /rp/v1/* (docs/protocol.md §4).
#include "tillit/server/api/rp_routes.h"

#include <functional>
#include <optional>
#include <string>
#include <utility>

#include "route_util.h"
#include "tillit/bytes.h"
#include "tillit/server/api/json.h"

namespace tillit::server::api {
namespace {

using internal::JsonString;
using web::json::value;

// Field limits, in code points; the service applies the real rules (an IP literal, an
// identifier, a UUID) and these only bound the work before it does.
constexpr size_t kMaxIp = 64;
constexpr size_t kMaxIdentifier = 64;
constexpr size_t kMaxOrderRef = 64;
// Base64 text of a user data field: the body cap (64 KiB) bounds it anyway; the decoded
// size is checked against service::kMaxUserDataBytes.
constexpr size_t kMaxBase64Chars = 64 * 1024;

using RpHandler = std::function<HttpResponse(HttpRequest&, const service::RelyingParty&)>;

// Wraps a handler with e-service authentication: nothing else (not even the body) is
// looked at for a bad credential. An Authorization header means the API key, and a bad one
// is 401 even beside a good client certificate: a request never falls back from a
// credential that failed. Without the header, the verified TLS client certificate's
// subject (docs/http.md §TLS); with neither, 401.
Handler Authenticated(service::AccountService* accounts, RpHandler handler) {
  return [accounts, handler = std::move(handler)](HttpRequest& request) {
    auto rp = request.headers.count("authorization") == 0 && !request.client_subject.empty()
                  ? accounts->AuthenticateRelyingPartyByClientSubject(request.client_subject)
                  : accounts->AuthenticateRelyingParty(internal::BearerToken(request));
    if (!rp.ok()) return internal::AuthFailure(rp.error());
    return handler(request, *rp);
  };
}

// An optional field of standard base64 (RFC 4648 §4, strict) holding at most
// kMaxUserDataBytes once decoded.
Result<std::optional<Bytes>> ReadUserData(JsonObjectReader& reader, std::string_view name) {
  TILLIT_TRY_ASSIGN(auto text, reader.OptionalString(name, kMaxBase64Chars));
  if (!text) return std::optional<Bytes>();
  auto bytes = Base64Decode(*text);
  if (!bytes.ok()) {
    return MakeError("invalidParameters", reader.FieldPath(name) + ": not standard base64");
  }
  if (bytes->size() > service::kMaxUserDataBytes) {
    return MakeError("invalidParameters",
                     reader.FieldPath(name) + ": more than " +
                         std::to_string(service::kMaxUserDataBytes) + " bytes");
  }
  return std::optional<Bytes>(std::move(*bytes));
}

Result<service::OrderRequest> ReadOrderRequest(const HttpRequest& request,
                                               service::OrderAction action) {
  TILLIT_TRY_ASSIGN(value body, ParseJsonBody(request));
  JsonObjectReader reader(body);
  service::OrderRequest out;
  out.action = action;
  TILLIT_TRY_ASSIGN(out.end_user_ip, reader.RequiredString("endUserIp", kMaxIp));
  TILLIT_TRY_ASSIGN(auto requirement, reader.OptionalObject("requirement"));
  TILLIT_TRY_ASSIGN(out.user_visible_data, ReadUserData(reader, "userVisibleData"));
  TILLIT_TRY_ASSIGN(out.user_non_visible_data, ReadUserData(reader, "userNonVisibleData"));
  TILLIT_TRY(reader.RejectUnknownFields());
  if (requirement) {
    JsonObjectReader r(*requirement, "requirement.");
    TILLIT_TRY_ASSIGN(out.min_assurance_level, r.OptionalInt("minAssuranceLevel", 1, 3));
    TILLIT_TRY_ASSIGN(out.required_identifier, r.OptionalString("identifier", kMaxIdentifier));
    TILLIT_TRY(r.RejectUnknownFields());
  }
  if (action == service::OrderAction::kSign && !out.user_visible_data) {
    return MakeError("invalidParameters", "userVisibleData: is required for sign");
  }
  return out;
}

// {"orderRef": "..."}, the body of collect and cancel.
Result<std::string> ReadOrderRef(const HttpRequest& request) {
  TILLIT_TRY_ASSIGN(value body, ParseJsonBody(request));
  JsonObjectReader reader(body);
  TILLIT_TRY_ASSIGN(auto order_ref, reader.RequiredString("orderRef", kMaxOrderRef));
  TILLIT_TRY(reader.RejectUnknownFields());
  return order_ref;
}

Handler StartRoute(service::AccountService* accounts, service::OrderService* orders,
                   service::OrderAction action) {
  return Authenticated(accounts, [orders, action](HttpRequest& req,
                                                  const service::RelyingParty& rp) {
    auto run = [&]() -> Result<service::StartedOrder> {
      TILLIT_TRY_ASSIGN(auto request, ReadOrderRequest(req, action));
      return orders->Start(rp, request);
    };
    auto started = run();
    if (!started.ok()) return internal::AuthFailure(started.error());
    value v = value::object(/*keep_order=*/true);
    v["orderRef"] = JsonString(started->order_ref);
    v["autoStartToken"] = JsonString(started->auto_start_token);
    v["qrStartToken"] = JsonString(started->qr_start_token);
    v["qrStartSecret"] = JsonString(started->qr_start_secret);
    return JsonResponse(200, v);
  });
}

// The collect answer. A complete one splices the service's already serialized
// completionData in as is: collect is polled every couple of seconds per login, and parsing
// and re-serializing a result of up to ~110 KB each time would be the API's largest cost.
HttpResponse CollectResponse(const service::CollectAnswer& answer) {
  if (answer.status != service::OrderStatus::kComplete) {
    value v = value::object(/*keep_order=*/true);
    v["orderRef"] = JsonString(answer.order_ref);
    v["status"] = JsonString(service::OrderStatusName(answer.status));
    v["hintCode"] = JsonString(answer.hint_code);
    return JsonResponse(200, v);
  }
  HttpResponse response;
  response.status = 200;
  response.content_type = "application/json";
  response.body = "{\"orderRef\":" + JsonString(answer.order_ref).serialize() +
                  ",\"status\":\"complete\",\"completionData\":" +
                  answer.completion_data_json + "}";
  return response;
}

}  // namespace

void AddRpRoutes(Router& router, const IssuerServices& services) {
  service::AccountService* accounts = services.accounts;
  service::OrderService* orders = services.orders;
  TILLIT_CHECK(accounts != nullptr && orders != nullptr);

  router.Add("POST", "/rp/v1/auth", StartRoute(accounts, orders, service::OrderAction::kAuth));
  router.Add("POST", "/rp/v1/sign", StartRoute(accounts, orders, service::OrderAction::kSign));

  router.Add("POST", "/rp/v1/collect",
             Authenticated(accounts, [orders](HttpRequest& req, const service::RelyingParty& rp) {
               auto run = [&]() -> Result<service::CollectAnswer> {
                 TILLIT_TRY_ASSIGN(auto order_ref, ReadOrderRef(req));
                 return orders->Collect(rp, order_ref);
               };
               auto answer = run();
               if (!answer.ok()) return internal::AuthFailure(answer.error());
               return CollectResponse(*answer);
             }));

  router.Add("POST", "/rp/v1/cancel",
             Authenticated(accounts, [orders](HttpRequest& req, const service::RelyingParty& rp) {
               auto run = [&]() -> Status {
                 TILLIT_TRY_ASSIGN(auto order_ref, ReadOrderRef(req));
                 return orders->Cancel(rp, order_ref);
               };
               Status cancelled = run();
               if (!cancelled.ok()) return internal::AuthFailure(cancelled.error());
               return JsonResponse(200, value::object());
             }));
}

}  // namespace tillit::server::api
