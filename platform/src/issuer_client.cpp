// cpprestsdk client for the device API (tillit/platform/issuer_client.h). cpprestsdk's
// exceptions stop here and become Errors.
#include "tillit/platform/issuer_client.h"

#include <chrono>

#include <cpprest/http_client.h>
#include <cpprest/json.h>

namespace tillit::platform {
namespace {

using web::json::value;

constexpr std::chrono::seconds kTimeout{20};

Error BadResponse(const std::string& what) {
  return MakeError("badResponse", "the issuer's answer is not what the protocol says: " + what);
}

Result<std::string> StringField(const value& json, const char* name) {
  if (!json.is_object() || !json.has_field(name) || !json.at(name).is_string()) {
    return BadResponse(std::string(name) + " missing");
  }
  return json.at(name).as_string();
}

}  // namespace

struct IssuerClient::Impl {
  explicit Impl(const std::string& server, web::http::client::http_client_config config)
      : client(server, config) {}
  web::http::client::http_client client;

  Result<value> Post(const std::string& path, const value& body) {
    try {
      web::http::http_request request(web::http::methods::POST);
      request.set_request_uri(path);
      request.set_body(body.serialize(), "application/json");
      web::http::http_response response = client.request(request).get();
      const std::string text = response.extract_string(true).get();
      value json;
      try {
        json = value::parse(text);
      } catch (const std::exception&) {
        return BadResponse("HTTP " + std::to_string(response.status_code()) + " without JSON");
      }
      if (response.status_code() >= 400) {
        if (json.is_object() && json.has_field("errorCode") && json.at("errorCode").is_string()) {
          std::string details = json.has_field("details") && json.at("details").is_string()
                                    ? json.at("details").as_string()
                                    : "the issuer refused the request";
          return MakeError(json.at("errorCode").as_string(), details);
        }
        return BadResponse("HTTP " + std::to_string(response.status_code()));
      }
      return json;
    } catch (const web::http::http_exception& e) {
      return MakeError("networkError", std::string("cannot reach the issuer: ") + e.what());
    } catch (const std::exception& e) {
      return MakeError("networkError", std::string("cannot reach the issuer: ") + e.what());
    }
  }
};

IssuerClient::IssuerClient(std::unique_ptr<Impl> impl) : impl_(std::move(impl)) {}
IssuerClient::~IssuerClient() = default;

Result<std::unique_ptr<IssuerClient>> IssuerClient::Create(const std::string& server) {
  if (server.rfind("http://", 0) != 0 && server.rfind("https://", 0) != 0) {
    return MakeError("invalidParameters", "server must be an http:// or https:// URL");
  }
  try {
    web::http::client::http_client_config config;
    config.set_timeout(kTimeout);
    return std::unique_ptr<IssuerClient>(
        new IssuerClient(std::make_unique<Impl>(server, config)));
  } catch (const std::exception&) {
    return MakeError("invalidParameters", "server is not a valid URL");
  }
}

Result<ActivationChallenge> IssuerClient::Challenge(const std::string& code) {
  value body = value::object();
  body["activationCode"] = value::string(code);
  TILLIT_TRY_ASSIGN(auto json, impl_->Post("/device/v1/activation/challenge", body));
  ActivationChallenge out;
  TILLIT_TRY_ASSIGN(auto nonce, StringField(json, "nonce"));
  auto nonce_bytes = Base64UrlDecode(nonce);
  if (!nonce_bytes.ok() || nonce_bytes->size() != 32) return BadResponse("nonce");
  out.nonce = std::move(*nonce_bytes);
  TILLIT_TRY_ASSIGN(out.identifier, StringField(json, "identifier"));
  TILLIT_TRY_ASSIGN(out.expires_at, StringField(json, "expiresAt"));
  return out;
}

Result<ActivationResult> IssuerClient::Complete(const std::string& code, ByteView nonce,
                                                ByteView public_key, ByteView signature) {
  value body = value::object();
  body["activationCode"] = value::string(code);
  body["nonce"] = value::string(Base64UrlEncode(nonce));
  body["publicKey"] = value::string(Base64UrlEncode(public_key));
  body["signature"] = value::string(Base64UrlEncode(signature));
  TILLIT_TRY_ASSIGN(auto json, impl_->Post("/device/v1/activation/complete", body));
  ActivationResult out;
  TILLIT_TRY_ASSIGN(out.identifier, StringField(json, "identifier"));
  TILLIT_TRY_ASSIGN(out.credential_serial, StringField(json, "credentialSerial"));
  TILLIT_TRY_ASSIGN(auto cert, StringField(json, "certificate"));
  TILLIT_TRY_ASSIGN(auto ca, StringField(json, "caCertificate"));
  auto cert_der = Base64Decode(cert);
  auto ca_der = Base64Decode(ca);
  if (!cert_der.ok() || !ca_der.ok()) return BadResponse("certificate is not base64");
  out.certificate_der = std::move(*cert_der);
  out.ca_certificate_der = std::move(*ca_der);
  return out;
}

}  // namespace tillit::platform
