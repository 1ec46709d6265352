// The e-service API (/rp/v1/*, docs/protocol.md §4) and the device order API
// (/device/v1/orders/*, §7) over real HTTP: an HttpServer on a loopback port with the
// issuer's routes, an e-service played with raw HTTP/1.1 and a device played in-process
// (its key, the QR text it "scans", the SignedData it signs). Covers every /rp/v1 error row
// of §4, checks that no error changes an order, and runs logins and signatures to a
// complete result that the published JWKS and tillit-verify accept.
#include <arpa/inet.h>
#include <doctest/doctest.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cpprest/json.h>

#include <cstdio>
#include <fstream>
#include <memory>
#include <string>

#include "raw_http.h"
#include "server/service/service_fixture.h"
#include "tillit/bytes.h"
#include "tillit/credential/certificate.h"
#include "tillit/crypto/hash.h"
#include "tillit/protocol/jws.h"
#include "tillit/protocol/login_qr.h"
#include "tillit/protocol/signed_data.h"
#include "tillit/rfc3339.h"
#include "tillit/server/api/desk_routes.h"
#include "tillit/server/api/device_routes.h"
#include "tillit/server/api/http_server.h"
#include "tillit/server/api/json.h"
#include "tillit/server/api/router.h"
#include "tillit/server/api/rp_routes.h"
#include "tillit/service/order_service.h"

namespace {

using namespace tillit;
using service::testing::kNow;
using web::json::value;

const std::string kVerifyBin = std::string(TILLIT_BIN_DIR) + "/tillit-verify";
const char* kIp = R"("endUserIp": "192.0.2.7")";

using testing::Reply;

Reply Http(int port, const std::string& method, const std::string& path,
              const std::string& body, const std::string& token = "",
              const std::string& content_type = "application/json") {
  return testing::RawHttp(port, method, path, body, token, content_type);
}

void ExpectError(const Reply& r, int status, const std::string& code) {
  CAPTURE(r.body);
  CHECK(r.status == status);
  CHECK(r.json().at("errorCode").as_string() == code);
}

std::string B64(std::string_view text) { return Base64Encode(AsBytes(text)); }

// The issuer (ServiceFixture's services plus OrderService) behind a real HttpServer.
class Issuer : public service::testing::ServiceFixture {
 public:
  Issuer() {
    orders_ = std::make_unique<service::OrderService>(*store_, clock_, *keys_,
                                                      "https://id.example");
    server::api::IssuerServices services{.accounts = accounts_.get(),
                                         .enrolments = enrolments_.get(),
                                         .activations = activations_.get(),
                                         .keys = keys_.get(),
                                         .public_url = "https://id.example",
                                         .orders = orders_.get()};
    server::api::Router router;
    server::api::AddDeskRoutes(router, services);
    server::api::AddDeviceRoutes(router, services);
    server::api::AddRpRoutes(router, services);
    server::api::HttpServerOptions options;
    options.threads = 2;
    auto started = server::api::HttpServer::Start(options, router);
    REQUIRE(started.ok());
    server_ = std::move(*started);
    port_ = server_->port();
  }
  ~Issuer() {
    server_->Stop();
    server_.reset();
    orders_.reset();
  }

  struct RpAccount {
    std::string id;
    std::string key;
  };
  RpAccount AddRp(const std::string& name) {
    auto created = accounts_->AddRelyingParty(name);
    REQUIRE(created.ok());
    return {created->rp_id, created->api_key};
  }

  // A resident with an activated credential (level 3).
  struct Resident {
    crypto::SigningKey key;
    service::ActivatedCredential credential;
  };
  Resident AddResident(const std::string& given, const std::string& surname,
                       const std::string& passport) {
    auto issued = EnrolAndIssue(given, surname, passport);
    crypto::SigningKey key = crypto::SigningKey::Generate();
    auto activated = Activate(issued.activation_code, key);
    REQUIRE(activated.ok());
    return {std::move(key), std::move(*activated)};
  }

  Reply Rp(const std::string& key, const std::string& path, const std::string& body) {
    return Http(port_, "POST", path, body, key);
  }
  Reply Device(const std::string& path, const std::string& body) {
    return Http(port_, "POST", path, body);
  }

  // {"status": ..., "hintCode": ...} of an order, asserting the call succeeds.
  std::string Collect(const std::string& key, const std::string& order_ref) {
    Reply r = Rp(key, "/rp/v1/collect", R"({"orderRef": ")" + order_ref + "\"}");
    CAPTURE(r.body);
    REQUIRE(r.status == 200);
    value v = r.json();
    std::string out = v.at("status").as_string();
    if (v.has_field("hintCode")) out += "/" + v.at("hintCode").as_string();
    return out;
  }

  int port_ = 0;
  std::unique_ptr<service::OrderService> orders_;
  std::unique_ptr<server::api::HttpServer> server_;
};

struct Started {
  std::string order_ref;
  std::string auto_start_token;
  std::string qr_start_token;
  std::string qr_start_secret;
};

Started Start(Issuer& issuer, const std::string& key, const std::string& path,
              const std::string& body) {
  Reply r = issuer.Rp(key, path, body);
  CAPTURE(r.body);
  REQUIRE(r.status == 200);
  value v = r.json();
  CHECK(v.size() == 4);
  Started s{v.at("orderRef").as_string(), v.at("autoStartToken").as_string(),
            v.at("qrStartToken").as_string(), v.at("qrStartSecret").as_string()};
  CHECK(protocol::IsUuidV4(s.order_ref));
  CHECK(protocol::IsUuidV4(s.auto_start_token));
  CHECK(protocol::IsUuidV4(s.qr_start_token));
  CHECK(protocol::IsUuidV4(s.qr_start_secret));
  return s;
}

// The device's side of one order over HTTP, up to the response.
struct DeviceRun {
  Issuer& issuer;
  const Issuer::Resident& resident;
  std::string start;  // the QR text or "autostart.<token>"
  value scanned;

  Reply Scan(const std::string& field, const std::string& value_text) {
    value body = value::object();
    body[field] = value::string(value_text);
    body["credentialSerial"] = value::string(resident.credential.credential_serial);
    Reply r = issuer.Device("/device/v1/orders/scan", body.serialize());
    if (r.status == 200) scanned = r.json();
    return r;
  }
  std::string OrderAndChallenge(const std::string& extra = "") const {
    return R"({"orderRef": ")" + scanned.at("orderRef").as_string() + R"(", "challenge": ")" +
           scanned.at("challenge").as_string() + "\"" + extra + "}";
  }
  Reply Shown() { return issuer.Device("/device/v1/orders/shown", OrderAndChallenge()); }

  // The SignedData the device makes from what it was shown.
  protocol::SignedData Signed() const {
    protocol::SignedData sd;
    auto action = protocol::ParseOrderAction(scanned.at("action").as_string());
    REQUIRE(action.ok());
    sd.action = *action;
    sd.order_ref = scanned.at("orderRef").as_string();
    auto challenge = Base64UrlDecode(scanned.at("challenge").as_string());
    REQUIRE(challenge.ok());
    sd.challenge = *challenge;
    sd.rp_id = scanned.at("rpId").as_string();
    sd.rp_name = scanned.at("rpName").as_string();
    sd.credential_serial = resident.credential.credential_serial;
    sd.start = start;
    if (scanned.has_field("userVisibleData")) {
      auto text = Base64Decode(scanned.at("userVisibleData").as_string());
      REQUIRE(text.ok());
      sd.visible_data_hash = crypto::Sha256(*text);
    }
    if (scanned.has_field("userNonVisibleDataHash")) {
      auto hash = Base64UrlDecode(scanned.at("userNonVisibleDataHash").as_string());
      REQUIRE(hash.ok());
      REQUIRE(hash->size() == 32);
      crypto::Sha256Digest digest{};
      std::copy(hash->begin(), hash->end(), digest.begin());
      sd.non_visible_data_hash = digest;
    }
    sd.signed_at = kNow;
    return sd;
  }

  Reply Respond(const protocol::SignedData& sd, const crypto::SigningKey* key = nullptr) {
    auto bytes = protocol::SerializeSignedData(sd);
    REQUIRE(bytes.ok());
    crypto::Signature sig = (key ? *key : resident.key).Sign(*bytes);
    value body = value::object();
    body["orderRef"] = value::string(sd.order_ref);
    body["signedData"] = value::string(Base64UrlEncode(*bytes));
    body["signature"] = value::string(Base64UrlEncode(sig.bytes()));
    return issuer.Device("/device/v1/orders/respond", body.serialize());
  }
};

// Checks resultJws with the key published at /.well-known/jwks.json; returns its payload.
value VerifyResultJws(Issuer& issuer, const value& completion) {
  Reply jwks = Http(issuer.port_, "GET", "/.well-known/jwks.json", "");
  CAPTURE(jwks.body);
  REQUIRE(jwks.status == 200);
  CHECK(jwks.HasHeader("Content-Type: application/json"));
  CHECK(jwks.HasHeader("Cache-Control: public, max-age=300"));
  value keys = jwks.json().at("keys");
  REQUIRE(keys.size() == 1);
  value jwk = keys.at(0);
  CHECK(jwk.at("use").as_string() == "sig");
  CHECK(jwk.at("alg").as_string() == "EdDSA");
  auto key = protocol::ParsePublicJwk(jwk.at("kty").as_string(), jwk.at("crv").as_string(),
                                      jwk.at("x").as_string());
  REQUIRE(key.ok());
  CHECK(*key == issuer.keys_->result_key().verifying_key());
  auto jws = protocol::ParseCompactJws(completion.at("resultJws").as_string());
  REQUIRE(jws.ok());
  CHECK(jws->kid == jwk.at("kid").as_string());
  auto payload = protocol::VerifyCompactJws(*jws, *key);
  REQUIRE(payload.ok());
  return value::parse(std::string(AsString(*payload)));
}

// Runs tillit-verify on a collect answer; returns its JSON answer and exit code.
std::pair<int, value> RunVerify(Issuer& issuer, const std::string& collect_body) {
  const std::string dir = issuer.root_;
  std::ofstream(dir + "/ca.pem") << credential::CertificateToPem(issuer.keys_->ca_certificate_der());
  std::ofstream(dir + "/result.json") << collect_body;
  std::ofstream(dir + "/jwks.json")
      << Http(issuer.port_, "GET", "/.well-known/jwks.json", "").body;
  std::string command = kVerifyBin + " --ca " + dir + "/ca.pem --jwks " + dir + "/jwks.json " +
                        dir + "/result.json";
  FILE* p = ::popen(command.c_str(), "r");
  REQUIRE(p != nullptr);
  std::string out;
  char buf[4096];
  while (size_t n = std::fread(buf, 1, sizeof buf, p)) out.append(buf, n);
  int status = ::pclose(p);
  CAPTURE(out);
  return {WIFEXITED(status) ? WEXITSTATUS(status) : -1, value::parse(out)};
}

TEST_CASE("the new error codes have their statuses") {
  using server::api::HttpStatusFor;
  CHECK(HttpStatusFor(MakeError("qrInvalid", "")) == 400);
  CHECK(HttpStatusFor(MakeError("qrExpired", "")) == 400);
  CHECK(HttpStatusFor(MakeError("invalidSignature", "")) == 400);
  CHECK(HttpStatusFor(MakeError("certificateErr", "")) == 403);
  CHECK(HttpStatusFor(MakeError("identifierMismatch", "")) == 403);
  CHECK(HttpStatusFor(MakeError("orderNotActive", "")) == 409);
  CHECK(HttpStatusFor(MakeError("alreadyInProgress", "")) == 409);
  CHECK(HttpStatusFor(MakeError("tooManyRequests", "")) == 429);
}

TEST_CASE("every /rp/v1 error of docs/protocol.md §4, and none changes an order") {
  Issuer issuer;
  auto rp = issuer.AddRp("Exempelkommun");
  auto other = issuer.AddRp("Annan tjänst");
  auto amal = issuer.AddResident("Amal", "Hassan", "N1234567");
  const std::string identifier = amal.credential.identifier;

  Started probe = Start(issuer, rp.key, "/rp/v1/auth", std::string("{") + kIp + "}");
  const std::string probe_body = R"({"orderRef": ")" + probe.order_ref + "\"}";
  const std::string before = issuer.Collect(rp.key, probe.order_ref);
  CHECK(before == "pending/outstandingTransaction");
  size_t orders_before = issuer.orders_->OrdersInMemory();
  auto unchanged = [&] {
    CHECK(issuer.Collect(rp.key, probe.order_ref) == before);
    CHECK(issuer.orders_->OrdersInMemory() == orders_before);
  };

  SUBCASE("401: API key missing, wrong, or malformed header") {
    for (const char* path : {"/rp/v1/auth", "/rp/v1/sign", "/rp/v1/collect", "/rp/v1/cancel"}) {
      CAPTURE(path);
      Reply missing = issuer.Rp("", path, probe_body);
      ExpectError(missing, 401, "unauthorized");
      CHECK(missing.HasHeader("WWW-Authenticate: Bearer"));
      ExpectError(issuer.Rp("wrong", path, probe_body), 401, "unauthorized");
      ExpectError(issuer.Rp(rp.key + "x", path, probe_body), 401, "unauthorized");
      // Authentication comes first: a bad key with a bad body is still 401.
      ExpectError(Http(issuer.port_, "POST", path, "{", "wrong", "text/plain"), 401,
                  "unauthorized");
      unchanged();
    }
    ExpectError(Http(issuer.port_, "POST", "/rp/v1/cancel", probe_body, "",
                        "application/json"),
                401, "unauthorized");
    unchanged();
  }
  SUBCASE("415: not application/json") {
    ExpectError(Http(issuer.port_, "POST", "/rp/v1/auth", std::string("{") + kIp + "}",
                        rp.key, "text/plain"),
                415, "unsupportedMediaType");
    ExpectError(Http(issuer.port_, "POST", "/rp/v1/cancel", probe_body, rp.key, ""), 415,
                "unsupportedMediaType");
    ExpectError(Http(issuer.port_, "POST", "/rp/v1/cancel", probe_body, rp.key,
                        "application/json; charset=latin1"),
                415, "unsupportedMediaType");
    unchanged();
  }
  SUBCASE("413: body over 64 KiB") {
    std::string huge = std::string("{") + kIp + R"(, "userNonVisibleData": ")" +
                       std::string(70 * 1024, 'A') + "\"}";
    ExpectError(issuer.Rp(rp.key, "/rp/v1/auth", huge), 413, "requestTooLarge");
    unchanged();
  }
  SUBCASE("400: malformed, missing, wrong-typed, unknown and out-of-range fields") {
    const std::string ip = kIp;
    const std::pair<const char*, std::string> cases[] = {
        {"/rp/v1/auth", "{\"endUserIp\": "},
        {"/rp/v1/auth", "[]"},
        {"/rp/v1/auth", ""},
        {"/rp/v1/auth", "{}"},
        {"/rp/v1/auth", R"({"endUserIp": 7})"},
        {"/rp/v1/auth", R"({"endUserIp": "not-an-ip"})"},
        {"/rp/v1/auth", R"({"endUserIp": "192.0.2.7", "endUserIp": "192.0.2.8"})"},
        {"/rp/v1/auth", "{" + ip + R"(, "unknown": 1})"},
        {"/rp/v1/auth", "{" + ip + R"(, "requirement": 3})"},
        {"/rp/v1/auth", "{" + ip + R"(, "requirement": {"minAssuranceLevel": 4}})"},
        {"/rp/v1/auth", "{" + ip + R"(, "requirement": {"minAssuranceLevel": 0}})"},
        {"/rp/v1/auth", "{" + ip + R"(, "requirement": {"minAssuranceLevel": 2.5}})"},
        {"/rp/v1/auth", "{" + ip + R"(, "requirement": {"colour": "red"}})"},
        {"/rp/v1/auth", "{" + ip + R"(, "requirement": {"identifier": "12345"}})"},
        {"/rp/v1/auth", "{" + ip + R"(, "userVisibleData": "***"})"},
        {"/rp/v1/auth", "{" + ip + R"(, "userVisibleData": "aGVsbG8"})"},   // no padding
        {"/rp/v1/auth", "{" + ip + R"(, "userVisibleData": "aGVsbG8_"})"},  // base64url
        {"/rp/v1/auth", "{" + ip + R"(, "userNonVisibleData": 5})"},
        {"/rp/v1/auth", "{" + ip + R"(, "userNonVisibleData": "a b="})"},
        {"/rp/v1/sign", "{" + ip + "}"},
        {"/rp/v1/sign", "{" + ip + R"(, "userVisibleData": null})"},
        {"/rp/v1/sign", "{" + ip + R"(, "userVisibleData": ")" + B64(std::string(40001, 'a')) +
                            "\"}"},
        {"/rp/v1/sign", "{" + ip + R"(, "userVisibleData": ")" + B64("a") +
                            R"(", "userNonVisibleData": ")" + B64(std::string(40001, 'b')) +
                            "\"}"},
        {"/rp/v1/collect", R"({"orderRef": "not-a-uuid"})"},
        {"/rp/v1/collect", R"({"orderRef": 42})"},
        {"/rp/v1/collect", "{}"},
        {"/rp/v1/collect", R"({"orderRef": ")" + probe.order_ref + R"(", "extra": true})"},
        {"/rp/v1/collect", R"({"orderRef": "3B9C6F0E-1C2D-4E5F-8A9B-0C1D2E3F4A5B"})"},
        {"/rp/v1/cancel", R"({"orderRef": "not-a-uuid"})"},
        {"/rp/v1/cancel", R"({"orderRef": ")" + probe.order_ref + R"(", "extra": true})"},
    };
    for (const auto& [path, body] : cases) {
      CAPTURE(path);
      CAPTURE(body.substr(0, 200));
      ExpectError(issuer.Rp(rp.key, path, body), 400, "invalidParameters");
      unchanged();
    }
  }
  SUBCASE("userVisibleData of exactly 40,000 bytes is fine") {
    Started s = Start(issuer, rp.key, "/rp/v1/sign",
                      "{" + std::string(kIp) + R"(, "userVisibleData": ")" +
                          B64(std::string(40000, 'a')) + "\"}");
    CHECK(issuer.Collect(rp.key, s.order_ref) == "pending/outstandingTransaction");
  }
  SUBCASE("404: unknown order, another e-service's order") {
    const std::string unknown = R"({"orderRef": ")" + protocol::GenerateUuidV4() + "\"}";
    ExpectError(issuer.Rp(rp.key, "/rp/v1/collect", unknown), 404, "notFound");
    ExpectError(issuer.Rp(rp.key, "/rp/v1/cancel", unknown), 404, "notFound");
    ExpectError(issuer.Rp(other.key, "/rp/v1/collect", probe_body), 404, "notFound");
    ExpectError(issuer.Rp(other.key, "/rp/v1/cancel", probe_body), 404, "notFound");
    unchanged();
  }
  SUBCASE("409: a pending order for the same identifier; the first one is cancelled") {
    const std::string body = "{" + std::string(kIp) + R"(, "requirement": {"identifier": ")" +
                             identifier + "\"}}";
    Started first = Start(issuer, rp.key, "/rp/v1/auth", body);
    orders_before = issuer.orders_->OrdersInMemory();
    ExpectError(issuer.Rp(other.key, "/rp/v1/auth", body), 409, "alreadyInProgress");
    CHECK(issuer.Collect(rp.key, first.order_ref) == "failed/cancelled");
    unchanged();
  }
  SUBCASE("cancel: {} for a pending order, 400 for a finished one") {
    Reply cancelled = issuer.Rp(rp.key, "/rp/v1/cancel", probe_body);
    CHECK(cancelled.status == 200);
    CHECK(cancelled.body == "{}");
    CHECK(issuer.Collect(rp.key, probe.order_ref) == "failed/cancelled");
    ExpectError(issuer.Rp(rp.key, "/rp/v1/cancel", probe_body), 400, "invalidParameters");
    CHECK(issuer.Collect(rp.key, probe.order_ref) == "failed/cancelled");
  }
  SUBCASE("wrong methods and paths") {
    ExpectError(Http(issuer.port_, "GET", "/rp/v1/collect", "", rp.key), 405,
                "methodNotAllowed");
    ExpectError(issuer.Rp(rp.key, "/rp/v1/collect/", probe_body), 404, "notFound");
    unchanged();
  }
}

TEST_CASE("login and signing over HTTP, to a result the JWKS and tillit-verify accept") {
  Issuer issuer;
  auto rp = issuer.AddRp("Exempelkommun");
  auto amal = issuer.AddResident("Amal", "Hassan", "N1234567");

  SUBCASE("auth with the animated QR") {
    Started s = Start(issuer, rp.key, "/rp/v1/auth", std::string("{") + kIp + "}");
    DeviceRun device{issuer, amal, protocol::FormatLoginQr(s.qr_start_token, s.qr_start_secret, 0),
                     value()};
    Reply scan = device.Scan("qrText", device.start);
    CAPTURE(scan.body);
    REQUIRE(scan.status == 200);
    value scanned = scan.json();
    CHECK(scanned.at("orderRef").as_string() == s.order_ref);
    CHECK(scanned.at("action").as_string() == "auth");
    CHECK(scanned.at("rpId").as_string() == rp.id);
    CHECK(scanned.at("rpName").as_string() == "Exempelkommun");
    CHECK_FALSE(scanned.has_field("userVisibleData"));
    CHECK_FALSE(scanned.has_field("userNonVisibleDataHash"));
    CHECK(scanned.at("expiresAt").as_string() == FormatRfc3339(kNow + 180));
    CHECK(Base64UrlDecode(scanned.at("challenge").as_string())->size() == 32);
    CHECK(issuer.Collect(rp.key, s.order_ref) == "pending/started");

    Reply shown = device.Shown();
    CHECK(shown.status == 200);
    CHECK(shown.body == "{}");
    CHECK(device.Shown().status == 200);  // repeating it is harmless
    CHECK(issuer.Collect(rp.key, s.order_ref) == "pending/userSign");

    // A signature by another key is refused and changes nothing.
    crypto::SigningKey thief = crypto::SigningKey::Generate();
    ExpectError(device.Respond(device.Signed(), &thief), 400, "invalidSignature");
    CHECK(issuer.Collect(rp.key, s.order_ref) == "pending/userSign");

    Reply respond = device.Respond(device.Signed());
    CAPTURE(respond.body);
    REQUIRE(respond.status == 200);
    CHECK(respond.json().at("status").as_string() == "complete");
    // A replay is refused.
    ExpectError(device.Respond(device.Signed()), 409, "orderNotActive");

    Reply collect = issuer.Rp(rp.key, "/rp/v1/collect", R"({"orderRef": ")" + s.order_ref + "\"}");
    CAPTURE(collect.body);
    REQUIRE(collect.status == 200);
    CHECK(collect.HasHeader("Content-Type: application/json"));
    CHECK(collect.HasHeader("Cache-Control: no-store"));
    value result = collect.json();
    CHECK(result.size() == 3);
    CHECK(result.at("orderRef").as_string() == s.order_ref);
    CHECK(result.at("status").as_string() == "complete");
    value completion = result.at("completionData");
    CHECK(completion.at("user").at("givenName").as_string() == "Amal");
    CHECK(completion.at("device").at("credentialSerial").as_string() ==
          amal.credential.credential_serial);
    CHECK(completion.at("device").at("ipAddress").as_string() == "127.0.0.1");
    CHECK_FALSE(completion.has_field("userVisibleData"));

    value payload = VerifyResultJws(issuer, completion);
    CHECK(payload.at("orderRef").as_string() == s.order_ref);
    CHECK(payload.at("action").as_string() == "auth");
    CHECK(payload.at("aud").as_string() == rp.id);
    CHECK(payload.at("iss").as_string() == "https://id.example");
    value without_jws = completion;
    without_jws.erase("resultJws");
    CHECK(payload.at("completionData") == without_jws);

    auto [code, verdict] = RunVerify(issuer, collect.body);
    CHECK(code == 0);
    CHECK(verdict.at("valid").as_bool());
    CHECK(verdict.at("action").as_string() == "auth");
    auto parsed = identifier::Identifier::Parse(amal.credential.identifier);
    REQUIRE(parsed.ok());
    CHECK(verdict.at("identifier").as_string() == parsed->ToString());
  }

  SUBCASE("sign with the same-device start; the text comes back byte for byte") {
    const std::string text = "Jag godkänner avtalet. أوافق على الشروط. 我同意 ✓";
    Started s = Start(issuer, rp.key, "/rp/v1/sign",
                      "{" + std::string(kIp) + R"(, "userVisibleData": ")" + B64(text) +
                          R"(", "userNonVisibleData": ")" + B64("ref:4711") + "\"}");
    DeviceRun device{issuer, amal, "autostart." + s.auto_start_token, value()};
    Reply scan = device.Scan("autoStartToken", s.auto_start_token);
    CAPTURE(scan.body);
    REQUIRE(scan.status == 200);
    CHECK(device.scanned.at("action").as_string() == "sign");
    CHECK(device.scanned.at("userVisibleData").as_string() == B64(text));
    CHECK(device.scanned.at("userNonVisibleDataHash").as_string() ==
          Base64UrlEncode(crypto::Sha256(AsBytes("ref:4711"))));
    REQUIRE(device.Shown().status == 200);
    Reply respond = device.Respond(device.Signed());
    CAPTURE(respond.body);
    REQUIRE(respond.status == 200);

    Reply collect = issuer.Rp(rp.key, "/rp/v1/collect", R"({"orderRef": ")" + s.order_ref + "\"}");
    REQUIRE(collect.status == 200);
    value completion = collect.json().at("completionData");
    CHECK(completion.at("userVisibleData").as_string() == B64(text));
    CHECK(completion.at("userNonVisibleData").as_string() == B64("ref:4711"));
    value payload = VerifyResultJws(issuer, completion);
    CHECK(payload.at("action").as_string() == "sign");

    auto [code, verdict] = RunVerify(issuer, collect.body);
    CHECK(code == 0);
    CHECK(verdict.at("text").as_string() == text);
  }

  SUBCASE("device refusals over HTTP") {
    Started s = Start(issuer, rp.key, "/rp/v1/auth", std::string("{") + kIp + "}");
    const std::string qr = protocol::FormatLoginQr(s.qr_start_token, s.qr_start_secret, 0);
    DeviceRun device{issuer, amal, qr, value()};
    const std::string serial = amal.credential.credential_serial;
    const std::string scan_path = "/device/v1/orders/scan";
    auto body = [&](const std::string& fields) { return "{" + fields + "}"; };
    auto str = [](const std::string& name, const std::string& v) {
      return "\"" + name + "\": \"" + v + "\"";
    };
    // Malformed bodies.
    ExpectError(issuer.Device(scan_path, body(str("credentialSerial", serial))), 400,
                "invalidParameters");
    ExpectError(issuer.Device(scan_path, body(str("qrText", qr) + ", " +
                                              str("autoStartToken", s.auto_start_token) + ", " +
                                              str("credentialSerial", serial))),
                400, "invalidParameters");
    ExpectError(issuer.Device(scan_path, body(str("qrText", qr))), 400, "invalidParameters");
    ExpectError(issuer.Device(scan_path, body(str("qrText", qr) + ", " +
                                              str("credentialSerial", serial) + ", \"x\": 1")),
                400, "invalidParameters");
    // QR codes the issuer refuses.
    std::string bad = qr;
    bad.back() = bad.back() == '0' ? '1' : '0';
    ExpectError(device.Scan("qrText", bad), 400, "qrInvalid");
    ExpectError(device.Scan("qrText", "not a tillit code"), 400, "qrInvalid");
    ExpectError(device.Scan("qrText",
                            protocol::FormatLoginQr(s.qr_start_token, s.qr_start_secret, 40)),
                400, "qrExpired");
    ExpectError(device.Scan("autoStartToken", protocol::GenerateUuidV4()), 400, "qrInvalid");
    // An unknown credential.
    ExpectError(issuer.Device(scan_path, body(str("qrText", qr) + ", " +
                                              str("credentialSerial", std::string(32, 'a')))),
                404, "notFound");
    CHECK(issuer.Collect(rp.key, s.order_ref) == "pending/outstandingTransaction");

    // Another person may not take an order for Amal.
    auto karim = issuer.AddResident("Karim", "Nasser", "K7654321");
    Started only_amal = Start(issuer, rp.key, "/rp/v1/auth",
                              "{" + std::string(kIp) + R"(, "requirement": {"identifier": ")" +
                                  amal.credential.identifier + "\"}}");
    DeviceRun wrong_person{
        issuer, karim,
        protocol::FormatLoginQr(only_amal.qr_start_token, only_amal.qr_start_secret, 0), value()};
    ExpectError(wrong_person.Scan("qrText", wrong_person.start), 403, "identifierMismatch");
    CHECK(issuer.Collect(rp.key, only_amal.order_ref) == "pending/outstandingTransaction");

    // One order, one device.
    REQUIRE(device.Scan("qrText", qr).status == 200);
    DeviceRun second{issuer, karim, qr, value()};
    ExpectError(second.Scan("qrText", qr), 409, "orderNotActive");
    // shown/decline with a wrong challenge: notFound; bad reason: invalidParameters.
    std::string wrong_challenge = R"({"orderRef": ")" + s.order_ref + R"(", "challenge": ")" +
                                  Base64UrlEncode(Bytes(32, 7)) + "\"}";
    ExpectError(issuer.Device("/device/v1/orders/shown", wrong_challenge), 404, "notFound");
    ExpectError(issuer.Device("/device/v1/orders/decline",
                              device.OrderAndChallenge(R"(, "reason": "bored")")),
                400, "invalidParameters");
    ExpectError(issuer.Device("/device/v1/orders/shown", device.OrderAndChallenge(R"(, "x": 1)")),
                400, "invalidParameters");
    // signedData that does not match the order.
    protocol::SignedData sd = device.Signed();
    sd.rp_name = "Someone else";
    ExpectError(device.Respond(sd), 400, "invalidParameters");
    ExpectError(issuer.Device("/device/v1/orders/respond",
                              R"({"orderRef": ")" + s.order_ref +
                                  R"(", "signedData": "***", "signature": "AA"})"),
                400, "invalidParameters");
    CHECK(issuer.Collect(rp.key, s.order_ref) == "pending/started");

    Reply declined = issuer.Device("/device/v1/orders/decline",
                                   device.OrderAndChallenge(R"(, "reason": "userCancel")"));
    CHECK(declined.status == 200);
    CHECK(declined.body == "{}");
    CHECK(issuer.Collect(rp.key, s.order_ref) == "failed/userCancel");
    ExpectError(device.Shown(), 409, "orderNotActive");
  }
}

}  // namespace
