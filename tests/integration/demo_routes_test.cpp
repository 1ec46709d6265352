// The sample e-service's server side (/demo/api/*, docs/demo.md), dispatched in-process:
// the guards (demo disabled, CSRF header, unknown session, bad bodies — none of which may
// create a session or an order), the animated QR it draws (parsed and checked with the
// secret the e-service was given), and whole logins and signatures against the real issuer
// (OrderService behind the real /rp/v1/ routes, a device played in-process) and against a
// scripted /rp/v1/ that checks what the demo sends. The page itself is tested in
// tests/browser/demo_test.mjs.
#include <doctest/doctest.h>

#include <cpprest/json.h>

#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <memory>
#include <string>
#include <vector>

#include "server/service/service_fixture.h"
#include "tillit/bytes.h"
#include "tillit/crypto/hash.h"
#include "tillit/protocol/login_qr.h"
#include "tillit/protocol/signed_data.h"
#include "tillit/server/api/demo_routes.h"
#include "tillit/server/api/desk_routes.h"
#include "tillit/server/api/json.h"
#include "tillit/server/api/router.h"
#include "tillit/server/api/rp_routes.h"
#include "tillit/service/order_service.h"

namespace {

using namespace tillit;
using server::api::HttpRequest;
using server::api::HttpResponse;
using server::api::Router;
using service::testing::kNow;
using web::json::value;

crypto::SecretBytes Secret(std::string_view text) {
  return crypto::SecretBytes::CopyFrom(AsBytes(text), crypto::InsecureSecretAccess::Get());
}

std::string HeaderOf(const HttpResponse& r, const std::string& name) {
  for (const auto& [k, v] : r.headers) {
    if (k == name) return v;
  }
  return "";
}

value Json(const HttpResponse& r) { return value::parse(r.body); }

void ExpectError(const HttpResponse& r, int status, const std::string& code) {
  CAPTURE(r.body);
  CHECK(r.status == status);
  CHECK(Json(r).at("errorCode").as_string() == code);
}

// A browser on the demo page: keeps the session cookie, sends X-Tillit-Demo: 1.
struct Browser {
  Router& router;
  std::string cookie;  // "tillit_demo=..." or ""
  bool csrf_header = true;

  HttpResponse Post(const std::string& path, const std::string& body = "{}",
                    const std::string& content_type = "application/json") {
    HttpRequest request;
    request.method = "POST";
    request.path = "/demo/api/" + path;
    if (!content_type.empty()) request.headers["content-type"] = content_type;
    if (csrf_header) request.headers["x-tillit-demo"] = "1";
    if (!cookie.empty()) request.headers["cookie"] = "other=1; " + cookie;
    request.body = body;
    request.remote_address = "192.0.2.7";
    HttpResponse response = router.Dispatch(request);
    std::string set = HeaderOf(response, "Set-Cookie");
    if (!set.empty()) {
      std::string pair = set.substr(0, set.find(';'));
      cookie = pair == "tillit_demo=" ? "" : pair;
    }
    return response;
  }
};

// The real issuer's /rp/v1/ and the demo on one Router, as tillit-server serve builds it.
class Issuer : public service::testing::ServiceFixture {
 public:
  explicit Issuer(bool enabled = true, size_t max_sessions = 1000) {
    orders_ = std::make_unique<service::OrderService>(*store_, clock_, *keys_,
                                                      "https://id.example");
    server::api::IssuerServices services{.accounts = accounts_.get(),
                                         .enrolments = enrolments_.get(),
                                         .activations = activations_.get(),
                                         .keys = keys_.get(),
                                         .public_url = "https://id.example",
                                         .orders = orders_.get()};
    server::api::AddRpRoutes(router_, services);
    auto rp = accounts_->AddRelyingParty("Exempelkommun");
    REQUIRE(rp.ok());
    api_key_ = rp->api_key;
    server::api::DemoOptions options{.clock = &clock_, .max_sessions = max_sessions};
    if (enabled) options.rp = {rp->rp_id, Secret(api_key_)};
    server::api::AddDemoRoutes(router_, router_, std::move(options));
  }
  ~Issuer() { orders_.reset(); }

  Browser NewBrowser() { return Browser{router_, ""}; }

  struct Resident {
    crypto::SigningKey key;
    service::ActivatedCredential credential;
  };
  Resident AddResident() {
    auto issued = EnrolAndIssue("Amal", "Hassan", "N1234567");
    crypto::SigningKey key = crypto::SigningKey::Generate();
    auto activated = Activate(issued.activation_code, key);
    REQUIRE(activated.ok());
    return {std::move(key), std::move(*activated)};
  }

  // The device's part of an order: scan the QR text, show, sign and respond.
  Status Approve(const Resident& resident, const std::string& qr_text) {
    TILLIT_TRY_ASSIGN(auto scanned,
                      orders_->ScanQr(qr_text, resident.credential.credential_serial));
    TILLIT_TRY(orders_->MarkShown(scanned.order_ref, scanned.challenge));
    protocol::SignedData sd;
    sd.action = scanned.action;
    sd.order_ref = scanned.order_ref;
    sd.challenge = scanned.challenge;
    sd.rp_id = scanned.rp_id;
    sd.rp_name = scanned.rp_name;
    sd.credential_serial = resident.credential.credential_serial;
    sd.start = qr_text;
    if (scanned.user_visible_data) {
      sd.visible_data_hash = crypto::Sha256(*scanned.user_visible_data);
    }
    sd.signed_at = clock_.NowUnixSeconds();
    TILLIT_TRY_ASSIGN(Bytes bytes, protocol::SerializeSignedData(sd));
    return orders_->Respond(scanned.order_ref, bytes, resident.key.Sign(bytes).bytes(),
                            "198.51.100.4");
  }

  Router router_;
  std::string api_key_;
  std::unique_ptr<service::OrderService> orders_;
};

// No response the browser gets may carry the e-service's secrets.
void ExpectNoSecrets(const HttpResponse& r, const std::vector<std::string>& secrets) {
  for (const std::string& s : secrets) {
    CHECK(r.body.find(s) == std::string::npos);
    for (const auto& [k, v] : r.headers) CHECK(v.find(s) == std::string::npos);
  }
}

TEST_CASE("demo: disabled without --demo-rp, on every route") {
  Issuer issuer(/*enabled=*/false);
  Browser browser = issuer.NewBrowser();
  for (const char* path : {"login", "sign", "poll", "cancel", "logout"}) {
    CAPTURE(path);
    ExpectError(browser.Post(path), 404, "demoDisabled");
  }
  browser.csrf_header = false;
  ExpectError(browser.Post("login"), 404, "demoDisabled");
  CHECK(issuer.orders_->OrdersInMemory() == 0);
}

TEST_CASE("demo: the guards refuse before anything changes") {
  Issuer issuer;
  Browser browser = issuer.NewBrowser();

  SUBCASE("no X-Tillit-Demo header: 403 csrfCheckFailed") {
    browser.csrf_header = false;
    for (const char* path : {"login", "sign", "poll", "cancel", "logout"}) {
      CAPTURE(path);
      HttpResponse r = browser.Post(path, R"({"text": "x"})");
      ExpectError(r, 403, "csrfCheckFailed");
      CHECK(HeaderOf(r, "Set-Cookie").empty());
    }
    HttpRequest wrong;
    wrong.method = "POST";
    wrong.path = "/demo/api/login";
    wrong.headers = {{"content-type", "application/json"}, {"x-tillit-demo", "0"}};
    wrong.body = "{}";
    ExpectError(issuer.router_.Dispatch(wrong), 403, "csrfCheckFailed");
  }
  SUBCASE("unknown session: 404 noSession, and the stale cookie is cleared") {
    ExpectError(browser.Post("poll"), 404, "noSession");
    ExpectError(browser.Post("cancel"), 404, "noSession");
    browser.cookie = "tillit_demo=" + std::string(43, 'A');
    HttpResponse r = browser.Post("poll");
    ExpectError(r, 404, "noSession");
    CHECK(HeaderOf(r, "Set-Cookie").find("Max-Age=0") != std::string::npos);
    browser.cookie = "tillit_demo=short";
    ExpectError(browser.Post("poll"), 404, "noSession");
  }
  SUBCASE("bad bodies: 400 invalidParameters / 415, no session, no order") {
    ExpectError(browser.Post("login", "{"), 400, "invalidParameters");
    ExpectError(browser.Post("login", "[]"), 400, "invalidParameters");
    ExpectError(browser.Post("login", R"({"x": 1})"), 400, "invalidParameters");
    ExpectError(browser.Post("login", "{}", "text/plain"), 415, "unsupportedMediaType");
    ExpectError(browser.Post("sign", "{}"), 400, "invalidParameters");
    ExpectError(browser.Post("sign", R"({"text": 5})"), 400, "invalidParameters");
    ExpectError(browser.Post("sign", R"({"text": "  \n"})"), 400, "invalidParameters");
    ExpectError(browser.Post("sign", R"({"text": "a", "b": 1})"), 400, "invalidParameters");
    ExpectError(browser.Post("sign", R"({"text": "a", "text": "b"})"), 400, "invalidParameters");
    ExpectError(browser.Post("sign", R"({"text": ")" + std::string(2001, 'a') + "\"}"), 400,
                "invalidParameters");
    CHECK(browser.cookie.empty());
    CHECK(issuer.orders_->OrdersInMemory() == 0);
    ExpectError(browser.Post("poll", "{"), 400, "invalidParameters");
  }
  SUBCASE("GET is not a route") {
    HttpRequest get;
    get.method = "GET";
    get.path = "/demo/api/poll";
    CHECK(issuer.router_.Dispatch(get).status == 405);
  }
}

TEST_CASE("demo: login against the real issuer; the QR verifies and the device logs in") {
  Issuer issuer;
  Issuer::Resident amal = issuer.AddResident();
  Browser browser = issuer.NewBrowser();

  HttpResponse r = browser.Post("login");
  CAPTURE(r.body);
  REQUIRE(r.status == 200);
  std::string set_cookie = HeaderOf(r, "Set-Cookie");
  CHECK(set_cookie.find("HttpOnly") != std::string::npos);
  CHECK(set_cookie.find("SameSite=Strict") != std::string::npos);
  CHECK(set_cookie.find("Path=/demo") != std::string::npos);
  CHECK(browser.cookie.size() == std::string("tillit_demo=").size() + 43);
  value v = Json(r);
  CHECK(v.at("status").as_string() == "pending");
  CHECK(v.at("hintCode").as_string() == "outstandingTransaction");
  CHECK(v.at("message").as_string() == "Skanna QR-koden med Tillit-appen");
  CHECK(v.at("qrSvg").as_string().find("<svg") != std::string::npos);
  CHECK(issuer.orders_->OrdersInMemory() == 1);
  ExpectNoSecrets(r, {issuer.api_key_});

  // Three seconds later the code is for t = 3, and the issuer accepts it.
  issuer.clock_.Advance(3);
  r = browser.Post("poll");
  REQUIRE(r.status == 200);
  std::string qr_text = Json(r).at("qrText").as_string();
  auto qr = protocol::ParseLoginQr(qr_text);
  REQUIRE(qr.ok());
  CHECK(qr->t == 3);
  CHECK(r.body.find(qr->qr_start_token) != std::string::npos);
  REQUIRE(issuer.Approve(amal, qr_text).ok());

  // Logging in gives the session a new id; the one from before the login stops working.
  const std::string before_login = browser.cookie;
  r = browser.Post("poll");
  CAPTURE(r.body);
  CHECK(HeaderOf(r, "Set-Cookie").find("HttpOnly") != std::string::npos);
  CHECK(browser.cookie.size() == before_login.size());
  CHECK(browser.cookie != before_login);
  {
    Browser stale{issuer.router_, before_login};
    ExpectError(stale.Post("poll"), 404, "noSession");
  }
  v = Json(r);
  CHECK(v.at("status").as_string() == "complete");
  CHECK(v.at("message").as_string() == "Du är inloggad");
  CHECK_FALSE(v.has_field("qrSvg"));
  value user = v.at("user");
  CHECK(user.at("identifier").as_string() == amal.credential.identifier);
  CHECK(user.at("identifierGrouped").as_string().size() == 14);
  CHECK(user.at("name").as_string() == "Amal Hassan");
  CHECK(user.at("assuranceLevel").as_integer() == amal.credential.assurance_level);
  ExpectNoSecrets(r, {issuer.api_key_});

  // A reload sees the same login; logout forgets it and clears the cookie.
  v = Json(browser.Post("poll"));
  CHECK(v.at("status").as_string() == "idle");
  CHECK(v.at("user").at("identifier").as_string() == amal.credential.identifier);
  std::string old_cookie = browser.cookie;
  r = browser.Post("logout");
  CHECK(r.status == 200);
  CHECK(browser.cookie.empty());
  browser.cookie = old_cookie;
  ExpectError(browser.Post("poll"), 404, "noSession");
}

TEST_CASE("demo: status messages for every way an order ends") {
  Issuer issuer;
  Issuer::Resident amal = issuer.AddResident();
  Browser browser = issuer.NewBrowser();

  SUBCASE("scanned, then declined: userSign, then userCancel") {
    REQUIRE(browser.Post("login").status == 200);
    std::string qr_text = Json(browser.Post("poll")).at("qrText").as_string();
    auto scanned = issuer.orders_->ScanQr(qr_text, amal.credential.credential_serial);
    REQUIRE(scanned.ok());
    REQUIRE(issuer.orders_->MarkShown(scanned->order_ref, scanned->challenge).ok());
    value v = Json(browser.Post("poll"));
    CHECK(v.at("hintCode").as_string() == "userSign");
    CHECK(v.at("message").as_string() == "Skriv din PIN-kod i appen");
    CHECK_FALSE(v.has_field("qrSvg"));  // a scanned code is not shown on
    REQUIRE(issuer.orders_
                ->Decline(scanned->order_ref, scanned->challenge,
                          service::DeclineReason::kUserCancel)
                .ok());
    v = Json(browser.Post("poll"));
    CHECK(v.at("status").as_string() == "failed");
    CHECK(v.at("hintCode").as_string() == "userCancel");
    CHECK(v.at("message").as_string() == "Inloggningen avbröts");
    CHECK(Json(browser.Post("poll")).at("status").as_string() == "idle");
  }
  SUBCASE("left alone: expiredTransaction after 30 s") {
    REQUIRE(browser.Post("login").status == 200);
    issuer.clock_.Advance(31);
    value v = Json(browser.Post("poll"));
    CHECK(v.at("status").as_string() == "failed");
    CHECK(v.at("hintCode").as_string() == "expiredTransaction");
    CHECK(v.at("message").as_string() == "Tiden gick ut, försök igen");
  }
  SUBCASE("cancel from the page cancels the order at the issuer") {
    value v = Json(browser.Post("login"));
    std::string qr_text = v.at("qrText").as_string();
    v = Json(browser.Post("cancel"));
    CHECK(v.at("status").as_string() == "idle");
    // The issuer refuses the code shown a moment ago: the order is no longer outstanding.
    auto scanned = issuer.orders_->ScanQr(qr_text, amal.credential.credential_serial);
    REQUIRE_FALSE(scanned.ok());
    CHECK(scanned.error().code == "orderNotActive");
  }
  SUBCASE("a second login replaces the pending one, which fails cancelled") {
    REQUIRE(browser.Post("login").status == 200);
    REQUIRE(browser.Post("login").status == 200);
    CHECK(issuer.orders_->OrdersInMemory() == 2);
    value v = Json(browser.Post("poll"));
    CHECK(v.at("hintCode").as_string() == "outstandingTransaction");
  }
}

TEST_CASE("demo: signing non-ASCII text, bound to the person logged in") {
  Issuer issuer;
  Issuer::Resident amal = issuer.AddResident();
  Browser browser = issuer.NewBrowser();
  const std::string text = "Jag godkänner avtalet. أوافق على الشروط. ✓";

  value body = value::object();
  body["text"] = value::string(text);
  HttpResponse r = browser.Post("sign", body.serialize());
  CAPTURE(r.body);
  REQUIRE(r.status == 200);
  CHECK(Json(r).at("action").as_string() == "sign");
  REQUIRE(issuer.Approve(amal, Json(r).at("qrText").as_string()).ok());
  value v = Json(browser.Post("poll"));
  CHECK(v.at("status").as_string() == "complete");
  CHECK(v.at("message").as_string() == "Texten är signerad");
  CHECK(v.at("signed").at("text").as_string() == text);
  CHECK(v.at("signed").at("signer").at("identifier").as_string() == amal.credential.identifier);
  CHECK_FALSE(v.has_field("user"));  // signing is not logging in

  // Logged in, a signature may only be made by that person: another resident's device is
  // refused (identifierMismatch) and the order stays outstanding.
  REQUIRE(issuer.Approve(amal, Json(browser.Post("login")).at("qrText").as_string()).ok());
  REQUIRE(Json(browser.Post("poll")).at("status").as_string() == "complete");
  auto other_issued = issuer.EnrolAndIssue("Yusuf", "Ali", "P7654321");
  crypto::SigningKey other_key = crypto::SigningKey::Generate();
  auto other = issuer.Activate(other_issued.activation_code, other_key);
  REQUIRE(other.ok());
  Issuer::Resident yusuf{std::move(other_key), std::move(*other)};
  r = browser.Post("sign", body.serialize());
  REQUIRE(r.status == 200);
  Status refused = issuer.Approve(yusuf, Json(r).at("qrText").as_string());
  REQUIRE_FALSE(refused.ok());
  CHECK(refused.error().code == "identifierMismatch");
  CHECK(Json(browser.Post("poll")).at("hintCode").as_string() == "outstandingTransaction");
}

TEST_CASE("demo: a refused API key is the operator's problem: 503, not 401") {
  Issuer issuer(/*enabled=*/false);
  Router router;
  server::api::AddDemoRoutes(router, issuer.router_,
                             {.rp = {"rp_x", Secret("not-the-key")}, .clock = &issuer.clock_});
  Browser browser{router, ""};
  HttpResponse r = browser.Post("login");
  ExpectError(r, 503, "serviceUnavailable");
  ExpectNoSecrets(r, {"not-the-key"});
}

TEST_CASE("demo: live sessions are capped and expire") {
  Issuer issuer(/*enabled=*/true, /*max_sessions=*/2);
  Browser a = issuer.NewBrowser(), b = issuer.NewBrowser(), c = issuer.NewBrowser();
  REQUIRE(a.Post("login").status == 200);
  REQUIRE(b.Post("login").status == 200);
  ExpectError(c.Post("login"), 429, "tooManyRequests");
  CHECK(c.cookie.empty());
  issuer.clock_.Advance(16 * 60);  // idle longer than 15 minutes: forgotten
  REQUIRE(c.Post("login").status == 200);
  ExpectError(a.Post("poll"), 404, "noSession");
}

// A scripted /rp/v1/ that records what the demo sent, so the exact request shape and a
// secret known to the test can be checked.
TEST_CASE("demo: calls /rp/v1/ as a real e-service does; the QR verifies with its secret") {
  const std::string kSecret = "0b1e2a3c-4d5e-4f60-8a7b-8c9d0e1f2a3b";
  const std::string kToken = "67df3917-fa0d-44e5-b327-edcc928297f8";
  const std::string kKey = "test-api-key-4711";
  std::vector<HttpRequest> seen;
  Router api;
  for (const char* call : {"auth", "sign", "collect", "cancel"}) {
    api.Add("POST", std::string("/rp/v1/") + call, [&, call](HttpRequest& request) {
      seen.push_back(request);
      value v = value::object();
      if (std::string(call) == "auth") {
        v["orderRef"] = value::string("8e0a5c1e-2f3b-4c5d-9e6f-7a8b9c0d1e2f");
        v["autoStartToken"] = value::string("11111111-2222-4333-8444-555555555555");
        v["qrStartToken"] = value::string(kToken);
        v["qrStartSecret"] = value::string(kSecret);
      } else if (std::string(call) == "collect") {
        v["status"] = value::string("pending");
        v["hintCode"] = value::string("outstandingTransaction");
      }
      return server::api::JsonResponse(200, v);
    });
  }
  FixedClock clock(kNow);
  Router router;
  server::api::AddDemoRoutes(router, api, {.rp = {"rp_1", Secret(kKey)}, .clock = &clock});
  Browser browser{router, ""};

  HttpResponse r = browser.Post("login");
  REQUIRE(r.status == 200);
  REQUIRE(seen.size() == 1);
  CHECK(seen[0].method == "POST");
  CHECK(seen[0].path == "/rp/v1/auth");
  CHECK(seen[0].Header("authorization") == "Bearer " + kKey);
  CHECK(seen[0].Header("content-type") == "application/json");
  CHECK(value::parse(seen[0].body) == value::parse(R"({"endUserIp": "192.0.2.7"})"));
  ExpectNoSecrets(r, {kSecret, kKey});

  for (int64_t t : {0, 1, 7}) {
    clock.Set(kNow + t);
    r = browser.Post("poll");
    CAPTURE(r.body);
    REQUIRE(r.status == 200);
    ExpectNoSecrets(r, {kSecret, kKey});
    auto qr = protocol::ParseLoginQr(Json(r).at("qrText").as_string());
    REQUIRE(qr.ok());
    CHECK(qr->qr_start_token == kToken);
    CHECK(qr->t == t);
    CHECK(protocol::CheckLoginQrCode(*qr, kSecret).ok());
    CHECK_FALSE(protocol::CheckLoginQrCode(*qr, kToken).ok());
    CHECK(seen.back().path == "/rp/v1/collect");
  }
  CHECK(value::parse(seen.back().body).at("orderRef").as_string() ==
        "8e0a5c1e-2f3b-4c5d-9e6f-7a8b9c0d1e2f");

  r = browser.Post("logout");
  CHECK(r.status == 200);
  CHECK(seen.back().path == "/rp/v1/cancel");
}

TEST_CASE("demo: ReadDemoRpFile") {
  char tmpl[] = "/tmp/tillit-demo-rp-XXXXXX";
  REQUIRE(::mkdtemp(tmpl) != nullptr);
  const std::string dir = tmpl;
  auto write = [&](const std::string& name, const std::string& text) {
    std::ofstream(dir + "/" + name) << text;
    return dir + "/" + name;
  };
  auto good = server::api::ReadDemoRpFile(
      write("good.json", R"({"rpId": "rp_1", "apiKey": "sekret-key"})" "\n"));
  REQUIRE(good.ok());
  CHECK(good->rp_id == "rp_1");
  CHECK(good->api_key == Secret("sekret-key"));

  for (const std::string& bad :
       {std::string(R"({"rpId": "rp_1"})"), std::string(R"({"rpId": "rp_1", "apiKey": ""})"),
        std::string(R"({"rpId": 5, "apiKey": "sekret-key"})"), std::string("[]"),
        std::string("not json sekret-key")}) {
    CAPTURE(bad);
    auto read = server::api::ReadDemoRpFile(write("bad.json", bad));
    REQUIRE_FALSE(read.ok());
    CHECK(read.error().code == "invalidParameters");
    CHECK(read.error().message.find("sekret-key") == std::string::npos);
  }
  CHECK_FALSE(server::api::ReadDemoRpFile(dir + "/missing.json").ok());
  std::filesystem::remove_all(dir);
}

}  // namespace
