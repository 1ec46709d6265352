// E-services on mutual TLS (docs/http.md §TLS, docs/protocol.md §4): the issuer's real
// router and services behind an HttpServer with TLS and client certificates, an e-service
// calling /rp/v1/ with its certificate and no API key, through to a completed login.
// Unknown subjects and revoked e-services are 401 at once, a bad API key beside a good
// certificate is 401, and API keys keep working on the TLS listener.
#include "tls_client.h"  // first: Boost before cpprest (see there)

#include <doctest/doctest.h>

#include <cpprest/json.h>

#include <filesystem>
#include <memory>
#include <string>

#include "server/service/service_fixture.h"
#include "test_tls.h"
#include "tillit/bytes.h"
#include "tillit/protocol/signed_data.h"
#include "tillit/server/api/desk_routes.h"
#include "tillit/server/api/device_routes.h"
#include "tillit/server/api/http_server.h"
#include "tillit/server/api/rate_limit.h"
#include "tillit/server/api/router.h"
#include "tillit/server/api/rp_routes.h"
#include "tillit/service/order_service.h"

namespace {

using namespace tillit;
using service::testing::kNow;
using testing::TlsClient;
using testing::TlsClientOptions;
using testing::TlsReply;
using web::json::value;

const char* kAuthBody = R"({"endUserIp": "192.0.2.7"})";

// The issuer with TLS and client certificates, and the test's PKI.
class Issuer : public service::testing::ServiceFixture {
 public:
  Issuer() {
    const std::filesystem::path dir = root_;
    auto server_ca = testing::MakeTlsCa("Tillit test server CA");
    server_ca_file_ = testing::WriteTlsPair(dir, "server-ca", server_ca).first;
    auto [cert, key] = testing::WriteTlsPair(dir, "server", testing::MakeTlsServerCert(server_ca));
    auto client_ca = testing::MakeTlsCa("Tillit test client CA");
    const std::string client_ca_file = testing::WriteTlsPair(dir, "client-ca", client_ca).first;
    kommun_ = testing::WriteTlsPair(
        dir, "kommun",
        testing::MakeTlsClientCert(client_ca,
                                   {{"C", "SE"}, {"O", "Exempelkommun"}, {"CN", "e-tjanst"}}));
    region_ = testing::WriteTlsPair(
        dir, "region",
        testing::MakeTlsClientCert(client_ca, {{"C", "SE"}, {"O", "Region"}, {"CN", "vard"}}));
    unknown_ = testing::WriteTlsPair(
        dir, "unknown",
        testing::MakeTlsClientCert(client_ca, {{"C", "SE"}, {"O", "Okänd"}, {"CN", "x"}}));

    orders_ = std::make_unique<service::OrderService>(*store_, clock_, *keys_,
                                                      "https://id.example");
    server::api::IssuerServices services{.accounts = accounts_.get(),
                                         .enrolments = enrolments_.get(),
                                         .activations = activations_.get(),
                                         .keys = keys_.get(),
                                         .public_url = "https://id.example",
                                         .orders = orders_.get()};
    server::api::AddDeskRoutes(router_, services);
    server::api::AddDeviceRoutes(router_, services);
    server::api::AddRpRoutes(router_, services);
    server::api::HttpServerOptions options;
    options.threads = 2;
    options.tls = server::api::TlsServerOptions{
        .certificate_file = cert, .private_key_file = key, .client_ca_file = client_ca_file};
    auto started = server::api::HttpServer::Start(
        options, limiter_.Wrap([this](server::api::HttpRequest& r) { return router_.Dispatch(r); }));
    REQUIRE(started.ok());
    server_ = std::move(*started);
  }
  ~Issuer() {
    server_->Stop();
    server_.reset();
    orders_.reset();
  }

  // A TLS client verifying the issuer, presenting `pair` ({cert, key}) if not empty.
  std::unique_ptr<TlsClient> Client(const std::pair<std::string, std::string>& pair = {}) {
    TlsClientOptions options{.ca_file = server_ca_file_};
    options.cert_file = pair.first;
    options.key_file = pair.second;
    auto client = std::make_unique<TlsClient>(server_->port(), options);
    auto handshake = client->Handshake();
    CAPTURE(handshake.message());
    REQUIRE_FALSE(handshake);
    return client;
  }

  static TlsReply Post(TlsClient& client, const std::string& path, const std::string& body,
                       const std::string& token = "") {
    auto reply = client.Request("POST", path, body, token);
    CAPTURE(client.error().message());
    REQUIRE(reply.has_value());
    return *reply;
  }

  std::string server_ca_file_;
  std::pair<std::string, std::string> kommun_, region_, unknown_;
  std::unique_ptr<service::OrderService> orders_;
  server::api::Router router_;
  server::api::RateLimiter limiter_{server::api::RateLimitOptions{}};
  std::unique_ptr<server::api::HttpServer> server_;
};

std::string ErrorCode(const TlsReply& reply) {
  return value::parse(reply.body).at("errorCode").as_string();
}

std::string OrderBody(const std::string& order_ref) {
  return R"({"orderRef": ")" + order_ref + "\"}";
}

TEST_CASE("an e-service logs a resident in with its client certificate and no API key") {
  Issuer issuer;
  auto rp = issuer.accounts_->AddRelyingParty("Exempelkommun", "CN=e-tjanst,O=Exempelkommun,C=SE");
  REQUIRE(rp.ok());
  auto resident = issuer.EnrolAndActivate(issuer.Request("Amal", "Hassan", "N1234567"));

  auto kommun = issuer.Client(issuer.kommun_);
  TlsReply started = Issuer::Post(*kommun, "/rp/v1/auth", kAuthBody);
  CAPTURE(started.body);
  REQUIRE(started.status == 200);
  const value order = value::parse(started.body);
  const std::string order_ref = order.at("orderRef").as_string();
  TlsReply pending = Issuer::Post(*kommun, "/rp/v1/collect", OrderBody(order_ref));
  REQUIRE(pending.status == 200);
  CHECK(value::parse(pending.body).at("status").as_string() == "pending");

  // The device, over the same TLS listener without a certificate.
  auto device = issuer.Client();
  value scan = value::object();
  scan["autoStartToken"] = value::string(order.at("autoStartToken").as_string());
  scan["credentialSerial"] = value::string(resident.credential.credential_serial);
  TlsReply scanned_reply = Issuer::Post(*device, "/device/v1/orders/scan", scan.serialize());
  CAPTURE(scanned_reply.body);
  REQUIRE(scanned_reply.status == 200);
  const value scanned = value::parse(scanned_reply.body);
  // The device shows the name of the e-service the certificate belongs to.
  CHECK(scanned.at("rpName").as_string() == "Exempelkommun");
  CHECK(scanned.at("rpId").as_string() == rp->rp_id);
  const std::string challenge_body = R"({"orderRef": ")" + order_ref + R"(", "challenge": ")" +
                                     scanned.at("challenge").as_string() + "\"}";
  REQUIRE(Issuer::Post(*device, "/device/v1/orders/shown", challenge_body).status == 200);
  protocol::SignedData sd;
  sd.action = protocol::OrderAction::kAuth;
  sd.order_ref = order_ref;
  auto challenge = Base64UrlDecode(scanned.at("challenge").as_string());
  REQUIRE(challenge.ok());
  sd.challenge = *challenge;
  sd.rp_id = scanned.at("rpId").as_string();
  sd.rp_name = scanned.at("rpName").as_string();
  sd.credential_serial = resident.credential.credential_serial;
  sd.start = "autostart." + order.at("autoStartToken").as_string();
  sd.signed_at = kNow;
  auto bytes = protocol::SerializeSignedData(sd);
  REQUIRE(bytes.ok());
  value respond = value::object();
  respond["orderRef"] = value::string(order_ref);
  respond["signedData"] = value::string(Base64UrlEncode(*bytes));
  respond["signature"] = value::string(Base64UrlEncode(resident.key.Sign(*bytes).bytes()));
  TlsReply responded = Issuer::Post(*device, "/device/v1/orders/respond", respond.serialize());
  CAPTURE(responded.body);
  REQUIRE(responded.status == 200);

  TlsReply complete = Issuer::Post(*kommun, "/rp/v1/collect", OrderBody(order_ref));
  CAPTURE(complete.body);
  REQUIRE(complete.status == 200);
  const value result = value::parse(complete.body);
  CHECK(result.at("status").as_string() == "complete");
  CHECK(result.at("completionData").at("user").at("identifier").as_string() ==
        resident.credential.identifier);

  // Another e-service's certificate cannot see the order: it is another party's.
  auto region_rp = issuer.accounts_->AddRelyingParty("Region", "CN=vard,O=Region,C=SE");
  REQUIRE(region_rp.ok());
  auto region = issuer.Client(issuer.region_);
  TlsReply foreign = Issuer::Post(*region, "/rp/v1/collect", OrderBody(order_ref));
  CHECK(foreign.status != 200);
}

TEST_CASE("unknown subjects, revoked e-services and bad API keys are 401; API keys still work") {
  Issuer issuer;
  auto rp = issuer.accounts_->AddRelyingParty("Exempelkommun", "CN=e-tjanst,O=Exempelkommun,C=SE");
  REQUIRE(rp.ok());

  // A certificate from the trusted CA whose subject no e-service has.
  auto unknown = issuer.Client(issuer.unknown_);
  TlsReply refused = Issuer::Post(*unknown, "/rp/v1/auth", kAuthBody);
  CHECK(refused.status == 401);
  CHECK(ErrorCode(refused) == "unauthorized");
  // No certificate and no key.
  auto anonymous = issuer.Client();
  CHECK(Issuer::Post(*anonymous, "/rp/v1/auth", kAuthBody).status == 401);

  // The API key works on the TLS listener, with or without a certificate.
  TlsReply by_key = Issuer::Post(*anonymous, "/rp/v1/auth", kAuthBody, rp->api_key);
  CHECK(by_key.status == 200);
  auto kommun = issuer.Client(issuer.kommun_);
  CHECK(Issuer::Post(*kommun, "/rp/v1/auth", kAuthBody, rp->api_key).status == 200);
  // A wrong key is 401 even beside a good certificate: no fallback from a failed credential.
  TlsReply wrong_key = Issuer::Post(*kommun, "/rp/v1/auth", kAuthBody, "wrong-key");
  CHECK(wrong_key.status == 401);
  // The certificate alone, on the same keep-alive connection.
  CHECK(Issuer::Post(*kommun, "/rp/v1/auth", kAuthBody).status == 200);

  // Revoked: the very next request on the open connection is refused.
  REQUIRE(issuer.accounts_->RevokeRelyingParty(rp->rp_id).ok());
  TlsReply revoked = Issuer::Post(*kommun, "/rp/v1/auth", kAuthBody);
  CHECK(revoked.status == 401);
  CHECK(ErrorCode(revoked) == "unauthorized");
}

TEST_CASE("a subject set or moved by the operator takes effect at once") {
  Issuer issuer;
  auto rp = issuer.accounts_->AddRelyingParty("Exempelkommun");
  REQUIRE(rp.ok());
  auto kommun = issuer.Client(issuer.kommun_);
  CHECK(Issuer::Post(*kommun, "/rp/v1/auth", kAuthBody).status == 401);
  REQUIRE(issuer.accounts_
              ->SetRelyingPartyClientSubject(rp->rp_id, "CN=e-tjanst,O=Exempelkommun,C=SE")
              .ok());
  CHECK(Issuer::Post(*kommun, "/rp/v1/auth", kAuthBody).status == 200);
  REQUIRE(issuer.accounts_->SetRelyingPartyClientSubject(rp->rp_id, "").ok());
  CHECK(Issuer::Post(*kommun, "/rp/v1/auth", kAuthBody).status == 401);
}

}  // namespace
