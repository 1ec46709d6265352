// completionData and the result JWS (see order_completion.h).
#include "order_completion.h"

#include <string>
#include <string_view>

#include "tillit/credential/certificate.h"
#include "tillit/identifier/identifier.h"
#include "tillit/protocol/jws.h"
#include "tillit/rfc3339.h"

namespace tillit::service::internal {
namespace {

// The result is built as text, not as a cpprestsdk value tree: a completion is the largest
// answer of a login (certificate, signed data and the JWS over both, a few kilobytes), and
// the tree's allocations and copies cost more than the rest of the JSON handling of the
// flow together (docs/performance.md §4.7). The output is byte for byte what
// web::json::value::serialize() gave (order_completion_test compares the two).
void AppendString(std::string& out, std::string_view text) {
  static constexpr char kHex[] = "0123456789ABCDEF";
  out += '"';
  size_t run = 0;  // start of the characters not yet written, which need no escape
  for (size_t i = 0; i < text.size(); ++i) {
    const auto c = static_cast<unsigned char>(text[i]);
    if (c >= 0x20 && c != '"' && c != '\\') continue;
    out.append(text, run, i - run);
    run = i + 1;
    switch (c) {
      case '"': out += "\\\""; break;
      case '\\': out += "\\\\"; break;
      case '\b': out += "\\b"; break;
      case '\f': out += "\\f"; break;
      case '\n': out += "\\n"; break;
      case '\r': out += "\\r"; break;
      case '\t': out += "\\t"; break;
      default:
        out += "\\u00";
        out += kHex[c >> 4];
        out += kHex[c & 15];
    }
  }
  out.append(text, run, text.size() - run);
  out += '"';
}

// Members of one JSON object, written in order; Close() gives the object's text.
class ObjectWriter {
 public:
  ObjectWriter& String(std::string_view name, std::string_view value) {
    Name(name);
    AppendString(text_, value);
    return *this;
  }
  // A value that needs no escape by construction (base64, RFC 3339 time, a compact JWS):
  // copied without looking at each character.
  ObjectWriter& Plain(std::string_view name, std::string_view value) {
    Name(name);
    text_ += '"';
    text_ += value;
    text_ += '"';
    return *this;
  }
  ObjectWriter& Number(std::string_view name, int64_t value) {
    Name(name);
    text_ += std::to_string(value);
    return *this;
  }
  ObjectWriter& Raw(std::string_view name, std::string_view json) {
    Name(name);
    text_ += json;
    return *this;
  }
  // The members so far, as an object; the writer can go on adding members afterwards.
  std::string Close() const { return text_ + "}"; }

 private:
  void Name(std::string_view name) {
    text_ += text_.size() == 1 ? "" : ",";
    AppendString(text_, name);
    text_ += ':';
  }
  std::string text_ = "{";
};

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

  ObjectWriter user;
  user.String("identifier", canonical)
      .String("givenName", names.given_name)
      .String("surname", names.surname)
      .String("name", names.given_name + " " + names.surname)
      .Number("assuranceLevel", credential.assurance_level);
  if (person.personnummer) user.String("personalNumber", *person.personnummer);

  ObjectWriter device;
  device.String("credentialSerial", credential.serial).String("ipAddress", input.device_ip);

  ObjectWriter completion;
  completion.Raw("user", user.Close())
      .Raw("device", device.Close())
      .Plain("certificate", Base64Encode(credential.certificate_der))
      .Plain("signedData", Base64Encode(input.signed_data))
      .Plain("signature", Base64Encode(input.signature))
      .Plain("completedAt", FormatRfc3339(input.completed_at));
  if (*input.user_visible_data) {
    completion.Plain("userVisibleData", Base64Encode(**input.user_visible_data));
  }
  if (*input.user_non_visible_data) {
    completion.Plain("userNonVisibleData", Base64Encode(**input.user_non_visible_data));
  }

  ObjectWriter payload;
  payload.String("iss", input.issuer_url)
      .String("aud", input.rp_id)
      .String("sub", canonical)
      .Number("iat", input.completed_at)
      .String("orderRef", input.order_ref)
      .String("action", protocol::OrderActionName(input.action))
      .Raw("completionData", completion.Close());
  const std::string payload_text = payload.Close();

  completion.Plain("resultJws", protocol::SignCompactJws(result_key, AsBytes(payload_text)));
  return completion.Close();
}

}  // namespace tillit::service::internal
