// BuildCompletionData writes the result JSON as text. These tests hold it to what the
// cpprestsdk value tree it replaced produced, byte for byte (clients and tillit-verify read
// the text, and the JWS signs it), for names that need every kind of JSON escape.
#include <cpprest/json.h>
#include <doctest/doctest.h>

#include <optional>
#include <string>

#include "../../../server/service/src/order_completion.h"
#include "tillit/bytes.h"
#include "tillit/crypto/ed25519.h"
#include "tillit/identifier/identifier.h"
#include "tillit/protocol/jws.h"
#include "tillit/rfc3339.h"

namespace tillit::service::internal {
namespace {

using web::json::value;

// The implementation before docs/performance.md §4.7, kept as the reference.
std::string ReferenceCompletionData(const CompletionInput& input, const CertificateNames& names,
                                    const crypto::SigningKey& key) {
  const auto& credential = *input.credential;
  const std::string canonical = identifier::Identifier::Parse(credential.identifier)->ToString();
  value user = value::object(true);
  user["identifier"] = value::string(canonical);
  user["givenName"] = value::string(names.given_name);
  user["surname"] = value::string(names.surname);
  user["name"] = value::string(names.given_name + " " + names.surname);
  user["assuranceLevel"] = value::number(credential.assurance_level);
  if (input.person->personnummer) user["personalNumber"] = value::string(*input.person->personnummer);
  value device = value::object(true);
  device["credentialSerial"] = value::string(credential.serial);
  device["ipAddress"] = value::string(input.device_ip);
  value completion = value::object(true);
  completion["user"] = user;
  completion["device"] = device;
  completion["certificate"] = value::string(Base64Encode(credential.certificate_der));
  completion["signedData"] = value::string(Base64Encode(input.signed_data));
  completion["signature"] = value::string(Base64Encode(input.signature));
  completion["completedAt"] = value::string(FormatRfc3339(input.completed_at));
  if (*input.user_visible_data) {
    completion["userVisibleData"] = value::string(Base64Encode(**input.user_visible_data));
  }
  if (*input.user_non_visible_data) {
    completion["userNonVisibleData"] = value::string(Base64Encode(**input.user_non_visible_data));
  }
  value payload = value::object(true);
  payload["iss"] = value::string(input.issuer_url);
  payload["aud"] = value::string(input.rp_id);
  payload["sub"] = value::string(canonical);
  payload["iat"] = value::number(input.completed_at);
  payload["orderRef"] = value::string(input.order_ref);
  payload["action"] = value::string(std::string(protocol::OrderActionName(input.action)));
  payload["completionData"] = completion;
  const std::string payload_text = payload.serialize();
  completion["resultJws"] = value::string(protocol::SignCompactJws(key, AsBytes(payload_text)));
  return completion.serialize();
}

struct Fixture {
  server::storage::CredentialRow credential;
  server::storage::PersonRow person;
  Bytes signed_data = Bytes(700, 0x5a);
  Bytes signature = Bytes(64, 0xa5);
  std::optional<Bytes> visible;
  std::optional<Bytes> non_visible;
  crypto::SigningKey key = crypto::SigningKey::Generate();

  Fixture() {
    credential.serial = std::string(32, 'c');
    credential.identifier = identifier::Identifier::FromPayload(4242).value().ToString();
    credential.certificate_der = Bytes(520, 0x30);
    credential.assurance_level = 2;
  }

  CompletionInput Input(const CertificateNames& names) const {
    return {.issuer_url = "https://issuer.example",
            .order_ref = "0b5f3f35-9a51-4a55-8a0e-0f5b6a7c8d9e",
            .rp_id = "rp-1",
            .action = protocol::OrderAction::kSign,
            .credential = &credential,
            .person = &person,
            .signed_data = signed_data,
            .signature = signature,
            .device_ip = "127.0.0.1",
            .completed_at = 1764000000,
            .user_visible_data = &visible,
            .user_non_visible_data = &non_visible,
            .names = &names};
  }
};

TEST_CASE("the completion text is what the JSON tree serialised, for every escape") {
  Fixture f;
  std::string controls;
  for (char c = 1; c < 0x20; ++c) controls += c;
  const CertificateNames cases[] = {
      {"Amal", "Hassan"},
      {"Åsa \"Q\" \\ /", "Ödegaard-محمد 我"},
      {controls, "tab\there\nnew\rline\bback\fform"},
      {"\xe2\x80\xa8 line separator", "\x7f delete"},
      {"", ""},
  };
  for (const CertificateNames& names : cases) {
    INFO(names.given_name);
    for (int variant = 0; variant < 2; ++variant) {
      f.person.personnummer = variant == 0 ? std::nullopt : std::optional<std::string>("199001011234");
      f.visible = variant == 0 ? std::nullopt : std::optional<Bytes>(Bytes{0x50, 0x61, 0x79, 0x21});
      f.non_visible = variant == 0 ? std::nullopt : std::optional<Bytes>(Bytes(40, 7));
      const CompletionInput input = f.Input(names);
      auto built = BuildCompletionData(input, f.key);
      REQUIRE(built.ok());
      CHECK(*built == ReferenceCompletionData(input, names, f.key));
      // And it is JSON that reads back to the names.
      value parsed = value::parse(*built);
      CHECK(parsed["user"]["givenName"].as_string() == names.given_name);
      CHECK(parsed["user"]["surname"].as_string() == names.surname);
    }
  }
}

TEST_CASE("a stored identifier that does not parse is an internal error") {
  Fixture f;
  f.credential.identifier = "not an identifier";
  const CertificateNames names{"A", "B"};
  auto built = BuildCompletionData(f.Input(names), f.key);
  REQUIRE_FALSE(built.ok());
  CHECK(built.error().code == "internalError");
}

}  // namespace
}  // namespace tillit::service::internal
