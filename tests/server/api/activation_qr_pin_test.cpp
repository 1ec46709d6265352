// The activation QR text with the issuer's TLS key pin (docs/desk-api.md, docs/http.md
// §TLS): tillit-activate:v1:<CODE>:<URL>#pin-sha256=<PIN> for an https:// public URL with a
// pin, and no fragment for http:// or without a pin. Requests go straight to the Router.
#include <doctest/doctest.h>

#include <cpprest/json.h>

#include <string>

#include "server/service/service_fixture.h"
#include "tillit/server/api/desk_routes.h"
#include "tillit/server/api/router.h"

namespace tillit::server::api {
namespace {

using service::testing::ServiceFixture;
using web::json::value;

// 43 base64url characters: the form credential::FormatTlsPin gives.
const std::string kPin = "47DEQpj8HBSa-_TImW-5JCeuQeRkm5NMpJWZG3hSuFU";

class QrFixture : public ServiceFixture {
 public:
  // The activation QR text of a fresh issue by a server with this URL and pin.
  std::string IssuedQr(const std::string& public_url, const std::string& tls_pin) {
    IssuerServices services{.accounts = accounts_.get(),
                            .enrolments = enrolments_.get(),
                            .activations = activations_.get(),
                            .lifecycle = nullptr,
                            .keys = keys_.get(),
                            .public_url = public_url,
                            .tls_pin = tls_pin};
    Router router;
    AddDeskRoutes(router, services);
    if (token_.empty()) {
      auto created = accounts_->AddOfficer("Anna Lind", "Migrationsverket", "officer");
      REQUIRE(created.ok());
      token_ = created->token;
    }
    // Different people each time, so that no duplicate check asks for a second officer.
    static const char* const kPeople[][2] = {{"Lina", "Haddad"}, {"Omar", "Khalil"},
                                             {"Sara", "Nilsson"}, {"Yusuf", "Demir"}};
    const auto& person = kPeople[n_++ % 4];
    auto enrolment = enrolments_->Create(
        anna_, Request(person[0], person[1], "A" + std::to_string(1000000 + n_)));
    REQUIRE(enrolment.ok());
    HttpRequest request;
    request.method = "POST";
    request.path = "/desk/v1/enrolments/" + enrolment->enrolment_id + "/issue";
    request.body = "{}";
    request.headers["content-type"] = "application/json";
    request.headers["authorization"] = "Bearer " + token_;
    request.remote_address = "127.0.0.1";
    HttpResponse response = router.Dispatch(request);
    CAPTURE(response.body);
    REQUIRE(response.status == 201);
    value v = value::parse(response.body);
    code_ = v.at("activationCode").as_string();
    CHECK(v.has_field("activationQrSvg"));
    return v.at("activationQr").as_string();
  }

  std::string token_;
  std::string code_;
  int n_ = 0;
};

TEST_CASE_FIXTURE(QrFixture, "an https:// URL with a pin puts the pin in the QR's fragment") {
  const std::string qr = IssuedQr("https://id.example:8443", kPin);
  CHECK(qr == "tillit-activate:v1:" + code_ + ":https://id.example:8443#pin-sha256=" + kPin);
}

TEST_CASE_FIXTURE(QrFixture, "no pin, or an http:// URL, gives the QR without a fragment") {
  const std::string no_pin = IssuedQr("https://id.example", "");
  CHECK(no_pin == "tillit-activate:v1:" + code_ + ":https://id.example");
  // A pin on plain HTTP would protect nothing; it is left out rather than implied.
  const std::string plain = IssuedQr("http://127.0.0.1:8080", kPin);
  CHECK(plain == "tillit-activate:v1:" + code_ + ":http://127.0.0.1:8080");
}

}  // namespace
}  // namespace tillit::server::api
