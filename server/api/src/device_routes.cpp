// Device routes: /device/v1/activation/* (docs/desk-api.md §Device), the CA certificate
// and the health check; the order routes are in device_order_routes.cpp.
#include "tillit/server/api/device_routes.h"

#include "route_util.h"
#include "tillit/credential/certificate.h"
#include "tillit/server/api/json.h"

namespace tillit::server::api {
namespace {

using internal::JsonString;
using web::json::value;

constexpr size_t kMaxCode = 64;
constexpr size_t kMaxBase64 = 128;

Result<Bytes> ReadBase64Url(JsonObjectReader& reader, std::string_view name) {
  TILLIT_TRY_ASSIGN(auto text, reader.RequiredString(name, kMaxBase64));
  auto bytes = Base64UrlDecode(text);
  if (!bytes.ok()) return MakeError("invalidParameters", reader.FieldPath(name) + ": not base64url");
  return std::move(*bytes);
}

}  // namespace

void AddDeviceRoutes(Router& router, const IssuerServices& services) {
  service::ActivationService* activations = services.activations;

  router.Add("POST", "/device/v1/activation/challenge", [activations](HttpRequest& req) {
    auto run = [&]() -> Result<service::ActivationChallenge> {
      TILLIT_TRY_ASSIGN(value body, ParseJsonBody(req));
      JsonObjectReader reader(body);
      TILLIT_TRY_ASSIGN(auto code, reader.RequiredString("activationCode", kMaxCode));
      TILLIT_TRY(reader.RejectUnknownFields());
      return activations->Challenge(code);
    };
    auto challenge = run();
    if (!challenge.ok()) return ErrorResponse(challenge.error());
    value v = value::object();
    v["nonce"] = JsonString(Base64UrlEncode(challenge->nonce));
    v["expiresAt"] = JsonString(FormatTime(challenge->expires_at));
    v["identifier"] = JsonString(challenge->identifier);
    return JsonResponse(200, v);
  });

  router.Add("POST", "/device/v1/activation/complete", [activations](HttpRequest& req) {
    auto run = [&]() -> Result<service::ActivatedCredential> {
      TILLIT_TRY_ASSIGN(value body, ParseJsonBody(req));
      JsonObjectReader reader(body);
      TILLIT_TRY_ASSIGN(auto code, reader.RequiredString("activationCode", kMaxCode));
      TILLIT_TRY_ASSIGN(auto nonce, ReadBase64Url(reader, "nonce"));
      TILLIT_TRY_ASSIGN(auto key, ReadBase64Url(reader, "publicKey"));
      TILLIT_TRY_ASSIGN(auto signature, ReadBase64Url(reader, "signature"));
      TILLIT_TRY(reader.RejectUnknownFields());
      return activations->Complete(code, nonce, key, signature);
    };
    auto done = run();
    if (!done.ok()) return ErrorResponse(done.error());
    value v = value::object();
    v["identifier"] = JsonString(done->identifier);
    v["credentialSerial"] = JsonString(done->credential_serial);
    v["certificate"] = JsonString(Base64Encode(done->certificate_der));
    v["caCertificate"] = JsonString(Base64Encode(done->ca_certificate_der));
    v["givenName"] = JsonString(done->given_name);
    v["surname"] = JsonString(done->surname);
    v["assuranceLevel"] = value::number(done->assurance_level);
    v["notAfter"] = JsonString(FormatTime(done->not_after));
    return JsonResponse(201, v);
  });

  std::string pem = credential::CertificateToPem(services.keys->ca_certificate_der());
  router.Add("GET", "/.well-known/tillit-ca.pem", [pem](HttpRequest&) {
    HttpResponse response;
    response.status = 200;
    response.content_type = "application/x-pem-file";
    response.body = pem;
    // Public and long-lived; caching is fine (the server otherwise adds no-store).
    response.headers.emplace_back("Cache-Control", "public, max-age=3600");
    return response;
  });

  AddDeviceOrderRoutes(router, services);

  router.Add("GET", "/healthz", [](HttpRequest&) {
    value v = value::object();
    v["status"] = JsonString("ok");
    return JsonResponse(200, v);
  });
}

}  // namespace tillit::server::api
