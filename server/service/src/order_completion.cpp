// completionData and the result JWS (see order_completion.h).
#include "order_completion.h"

#include <cpprest/json.h>

#include "tillit/credential/certificate.h"
#include "tillit/identifier/identifier.h"
#include "tillit/protocol/jws.h"
#include "tillit/rfc3339.h"

namespace tillit::service::internal {
namespace {

using web::json::value;

value Str(const std::string& text) {
  return value::string(utility::conversions::to_string_t(text));
}

utility::string_t Key(const char* name) { return utility::conversions::to_string_t(name); }

std::string Serialize(const value& v) { return utility::conversions::to_utf8string(v.serialize()); }

}  // namespace

Result<CertificateNames> NamesOfCertificate(ByteView certificate_der) {
  auto certificate = credential::ParseCertificate(certificate_der);
  if (!certificate.ok() || !certificate->given_name || !certificate->surname) {
    return MakeError("internalError", "completing an order: stored certificate does not parse");
  }
  return CertificateNames{*certificate->given_name, *certificate->surname};
}

Result<std::string> BuildCompletionData(const CompletionInput& input,
                                        const crypto::SigningKey& result_key) {
  TILLIT_CHECK(input.credential != nullptr && input.person != nullptr);
  TILLIT_CHECK(input.user_visible_data != nullptr && input.user_non_visible_data != nullptr);
  const server::storage::CredentialRow& credential = *input.credential;
  const server::storage::PersonRow& person = *input.person;

  auto identifier = identifier::Identifier::Parse(credential.identifier);
  if (!identifier.ok()) {
    return MakeError("internalError", "completing an order: stored identifier does not parse");
  }
  CertificateNames parsed;
  if (input.names == nullptr) {
    TILLIT_TRY_ASSIGN(parsed, NamesOfCertificate(credential.certificate_der));
  }
  const CertificateNames& names = input.names != nullptr ? *input.names : parsed;
  const std::string canonical = identifier->ToString();

  value user = value::object(/*keep_order=*/true);
  user[Key("identifier")] = Str(canonical);
  user[Key("givenName")] = Str(names.given_name);
  user[Key("surname")] = Str(names.surname);
  user[Key("name")] = Str(names.given_name + " " + names.surname);
  user[Key("assuranceLevel")] = value::number(credential.assurance_level);
  if (person.personnummer) user[Key("personalNumber")] = Str(*person.personnummer);

  value device = value::object(/*keep_order=*/true);
  device[Key("credentialSerial")] = Str(credential.serial);
  device[Key("ipAddress")] = Str(input.device_ip);

  value completion = value::object(/*keep_order=*/true);
  completion[Key("user")] = user;
  completion[Key("device")] = device;
  completion[Key("certificate")] = Str(Base64Encode(credential.certificate_der));
  completion[Key("signedData")] = Str(Base64Encode(input.signed_data));
  completion[Key("signature")] = Str(Base64Encode(input.signature));
  completion[Key("completedAt")] = Str(FormatRfc3339(input.completed_at));
  if (*input.user_visible_data) {
    completion[Key("userVisibleData")] = Str(Base64Encode(**input.user_visible_data));
  }
  if (*input.user_non_visible_data) {
    completion[Key("userNonVisibleData")] = Str(Base64Encode(**input.user_non_visible_data));
  }

  value payload = value::object(/*keep_order=*/true);
  payload[Key("iss")] = Str(input.issuer_url);
  payload[Key("aud")] = Str(input.rp_id);
  payload[Key("sub")] = Str(canonical);
  payload[Key("iat")] = value::number(input.completed_at);
  payload[Key("orderRef")] = Str(input.order_ref);
  payload[Key("action")] = Str(std::string(protocol::OrderActionName(input.action)));
  payload[Key("completionData")] = completion;
  const std::string payload_text = Serialize(payload);

  completion[Key("resultJws")] = Str(protocol::SignCompactJws(result_key, AsBytes(payload_text)));
  return Serialize(completion);
}

}  // namespace tillit::service::internal
