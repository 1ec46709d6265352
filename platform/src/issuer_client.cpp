// cpprestsdk client for the device API (tillit/platform/issuer_client.h). cpprestsdk's
// exceptions stop here and become Errors.
#include "tillit/platform/issuer_client.h"

#include <chrono>
#include <cstddef>
#include <string_view>

#include <cpprest/http_client.h>
#include <cpprest/json.h>

#include "tillit/protocol/history.h"
#include "tillit/protocol/login_qr.h"
#include "tillit/protocol/signed_data.h"
#include "tillit/utf8.h"

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

// An optional string member: absent (or JSON null) gives nullopt, any other type is refused.
Result<std::optional<std::string>> OptionalStringField(const value& json, const char* name) {
  if (!json.has_field(name) || json.at(name).is_null()) return std::optional<std::string>();
  if (!json.at(name).is_string()) return BadResponse(std::string(name) + " is not a string");
  return std::optional<std::string>(json.at(name).as_string());
}

// docs/protocol.md §4.1: userVisibleData is at most 40,000 bytes of UTF-8 without NUL.
constexpr size_t kMaxUserVisibleDataBytes = 40'000;

// "YYYY-MM-DDTHH:MM:SS" followed by an optional fraction and "Z" or an offset: the shape of
// RFC 3339 §5.6, checked loosely (the device only shows it).
bool LooksLikeRfc3339(std::string_view s) {
  if (s.size() < 20 || s.size() > 40) return false;
  static constexpr std::string_view kShape = "dddd-dd-ddTdd:dd:dd";
  for (size_t i = 0; i < kShape.size(); ++i) {
    const bool digit = s[i] >= '0' && s[i] <= '9';
    if (kShape[i] == 'd' ? !digit : s[i] != kShape[i]) return false;
  }
  for (char c : s.substr(kShape.size())) {
    if (!((c >= '0' && c <= '9') || c == '.' || c == 'Z' || c == '+' || c == '-' || c == ':')) {
      return false;
    }
  }
  return true;
}

Status ExpectEmptyObject(const value& json) {
  if (!json.is_object()) return BadResponse("not a JSON object");
  return {};
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

Result<DeviceOrder> IssuerClient::ScanOrder(const std::string& qr_text,
                                            const std::string& credential_serial) {
  value body = value::object();
  body["qrText"] = value::string(qr_text);
  body["credentialSerial"] = value::string(credential_serial);
  TILLIT_TRY_ASSIGN(auto json, impl_->Post("/device/v1/orders/scan", body));
  if (!json.is_object()) return BadResponse("not a JSON object");
  DeviceOrder out;
  // Every field is checked here so that the caller can show and sign what it holds; the
  // bounds are those of the signed data (docs/protocol.md §5).
  TILLIT_TRY_ASSIGN(out.order_ref, StringField(json, "orderRef"));
  if (!protocol::IsUuidV4(out.order_ref)) return BadResponse("orderRef is not a lower-case UUID");
  TILLIT_TRY_ASSIGN(auto challenge, StringField(json, "challenge"));
  auto challenge_bytes = Base64UrlDecode(challenge);
  if (!challenge_bytes.ok() || challenge_bytes->size() != protocol::kChallengeSize) {
    return BadResponse("challenge is not 32 bytes of base64url");
  }
  out.challenge = std::move(*challenge_bytes);
  TILLIT_TRY_ASSIGN(out.action, StringField(json, "action"));
  if (out.action != "auth" && out.action != "sign") return BadResponse("action");
  TILLIT_TRY_ASSIGN(out.rp_id, StringField(json, "rpId"));
  if (out.rp_id.empty() || out.rp_id.size() > protocol::kMaxRpIdBytes) {
    return BadResponse("rpId length");
  }
  TILLIT_TRY_ASSIGN(out.rp_name, StringField(json, "rpName"));
  if (out.rp_name.empty() || out.rp_name.size() > protocol::kMaxRpNameBytes ||
      !IsValidUtf8(out.rp_name)) {
    return BadResponse("rpName");
  }
  TILLIT_TRY_ASSIGN(auto visible, OptionalStringField(json, "userVisibleData"));
  if (visible) {
    auto decoded = Base64Decode(*visible);
    if (!decoded.ok() || decoded->empty() || decoded->size() > kMaxUserVisibleDataBytes) {
      return BadResponse("userVisibleData is not 1 to 40000 bytes of base64");
    }
    const std::string_view text = AsString(*decoded);
    if (!IsUtf8Text(text)) {
      return BadResponse("userVisibleData is not UTF-8 text");
    }
    out.user_visible_data = std::move(*decoded);
  }
  if (out.action == "sign" && !out.user_visible_data) {
    return BadResponse("a sign order without userVisibleData");
  }
  TILLIT_TRY_ASSIGN(auto hash, OptionalStringField(json, "userNonVisibleDataHash"));
  if (hash) {
    auto decoded = Base64UrlDecode(*hash);
    if (!decoded.ok() || decoded->size() != 32) {
      return BadResponse("userNonVisibleDataHash is not 32 bytes of base64url");
    }
    out.user_non_visible_data_hash = std::move(*decoded);
  }
  TILLIT_TRY_ASSIGN(out.expires_at, StringField(json, "expiresAt"));
  if (!LooksLikeRfc3339(out.expires_at)) return BadResponse("expiresAt is not RFC 3339");
  return out;
}

Status IssuerClient::MarkShown(const std::string& order_ref, ByteView challenge) {
  value body = value::object();
  body["orderRef"] = value::string(order_ref);
  body["challenge"] = value::string(Base64UrlEncode(challenge));
  TILLIT_TRY_ASSIGN(auto json, impl_->Post("/device/v1/orders/shown", body));
  return ExpectEmptyObject(json);
}

Status IssuerClient::Decline(const std::string& order_ref, ByteView challenge,
                             const std::string& reason) {
  if (reason != "userCancel" && reason != "pinLocked") {
    return MakeError("invalidParameters", "reason must be userCancel or pinLocked");
  }
  value body = value::object();
  body["orderRef"] = value::string(order_ref);
  body["challenge"] = value::string(Base64UrlEncode(challenge));
  body["reason"] = value::string(reason);
  TILLIT_TRY_ASSIGN(auto json, impl_->Post("/device/v1/orders/decline", body));
  return ExpectEmptyObject(json);
}

Status IssuerClient::Respond(const std::string& order_ref, ByteView signed_data,
                             ByteView signature) {
  value body = value::object();
  body["orderRef"] = value::string(order_ref);
  body["signedData"] = value::string(Base64UrlEncode(signed_data));
  body["signature"] = value::string(Base64UrlEncode(signature));
  TILLIT_TRY_ASSIGN(auto json, impl_->Post("/device/v1/orders/respond", body));
  TILLIT_TRY_ASSIGN(auto status, StringField(json, "status"));
  if (status != "complete") return BadResponse("status is not complete");
  return {};
}

Result<Bytes> IssuerClient::HistoryChallenge(const std::string& credential_serial) {
  value body = value::object();
  body["credentialSerial"] = value::string(credential_serial);
  TILLIT_TRY_ASSIGN(auto json, impl_->Post("/device/v1/history/challenge", body));
  TILLIT_TRY_ASSIGN(auto nonce, StringField(json, "nonce"));
  auto bytes = Base64UrlDecode(nonce);
  if (!bytes.ok() || bytes->size() != protocol::kHistoryNonceSize) {
    return BadResponse("nonce is not 32 bytes of base64url");
  }
  return std::move(*bytes);
}

Result<DeviceHistoryPage> IssuerClient::History(const std::string& credential_serial,
                                                ByteView nonce, ByteView signature, size_t limit,
                                                uint64_t offset) {
  value body = value::object();
  body["credentialSerial"] = value::string(credential_serial);
  body["nonce"] = value::string(Base64UrlEncode(nonce));
  body["signature"] = value::string(Base64UrlEncode(signature));
  body["limit"] = value::number(static_cast<uint64_t>(limit));
  body["offset"] = value::number(offset);
  TILLIT_TRY_ASSIGN(auto json, impl_->Post("/device/v1/history", body));
  if (!json.is_object() || !json.has_field("entries") || !json.at("entries").is_array()) {
    return BadResponse("entries missing");
  }
  DeviceHistoryPage page;
  for (const value& item : json.at("entries").as_array()) {
    if (!item.is_object()) return BadResponse("an entry is not an object");
    DeviceHistoryEntry entry;
    TILLIT_TRY_ASSIGN(entry.rp, StringField(item, "rp"));
    TILLIT_TRY_ASSIGN(entry.rp_id, StringField(item, "rpId"));
    TILLIT_TRY_ASSIGN(entry.action, StringField(item, "action"));
    TILLIT_TRY_ASSIGN(entry.completed_at, StringField(item, "completedAt"));
    TILLIT_TRY_ASSIGN(entry.text, OptionalStringField(item, "text"));
    TILLIT_TRY_ASSIGN(entry.credential_serial, StringField(item, "credentialSerial"));
    if (entry.action != "auth" && entry.action != "sign") return BadResponse("action");
    if (!IsValidUtf8(entry.rp) || (entry.text && !IsValidUtf8(*entry.text))) {
      return BadResponse("rp or text is not UTF-8");
    }
    if (!LooksLikeRfc3339(entry.completed_at)) return BadResponse("completedAt is not RFC 3339");
    page.entries.push_back(std::move(entry));
  }
  if (json.has_field("nextOffset")) {
    const value& next = json.at("nextOffset");
    if (!next.is_number() || !next.as_number().is_uint64() || next.as_number().to_uint64() <= offset) {
      return BadResponse("nextOffset");
    }
    page.next_offset = next.as_number().to_uint64();
  }
  return page;
}

}  // namespace tillit::platform
