// The desk routes added for the web page (docs/desk-api.md §Web sessions, §Approvals
// queue): cookie sessions (sign-in, CSRF header, timeouts, revocation, sign-out, caps), the
// pending-approval list and its query check, the activation QR SVG and the person history.
// Requests go straight to the Router over a real SQLite store, with a FixedClock.
#include "tillit/server/api/desk_routes.h"

#include <doctest/doctest.h>

#include <cpprest/json.h>

#include <string>

#include "../../../server/api/src/desk_sessions.h"
#include "server/service/service_fixture.h"
#include "tillit/server/api/json.h"

namespace tillit::server::api {
namespace {

using service::testing::ServiceFixture;
using web::json::value;

struct Officers {
  std::string id;
  std::string token;
};

class DeskFixture : public ServiceFixture {
 public:
  DeskFixture() : sessions_(clock_) {
    IssuerServices services{.accounts = accounts_.get(),
                            .enrolments = enrolments_.get(),
                            .activations = activations_.get(),
                            .lifecycle = nullptr,
                            .keys = keys_.get(),
                            .public_url = "http://127.0.0.1:8080",
                            .orders = nullptr,
                            .desk_sessions = &sessions_};
    AddDeskRoutes(router_, services);
    first_ = NewOfficer("Anna Lind");
    second_ = NewOfficer("Omar Berg");
  }

  Officers NewOfficer(const std::string& name) {
    auto created = accounts_->AddOfficer(name, "Migrationsverket", "officer");
    REQUIRE(created.ok());
    return {created->officer_id, created->token};
  }

  HttpResponse Send(const std::string& method, const std::string& target, const std::string& body,
                    std::vector<std::pair<std::string, std::string>> headers) {
    HttpRequest request;
    request.method = method;
    size_t q = target.find('?');
    request.path = target.substr(0, q);
    if (q != std::string::npos) request.query = target.substr(q + 1);
    request.body = body;
    if (!body.empty()) request.headers["content-type"] = "application/json";
    for (auto& [name, v] : headers) request.headers[name] = v;
    request.remote_address = "127.0.0.1";
    return router_.Dispatch(request);
  }

  // A cookie-authenticated request as the page sends it (with the CSRF header).
  HttpResponse Page(const std::string& method, const std::string& target, const std::string& body,
                    const std::string& cookie, bool csrf_header = true) {
    std::vector<std::pair<std::string, std::string>> headers{{"cookie", "tillit_desk=" + cookie}};
    if (csrf_header) headers.emplace_back("x-tillit-desk", "1");
    return Send(method, target, body, headers);
  }

  HttpResponse Bearer(const std::string& method, const std::string& target, const std::string& body,
                      const std::string& token) {
    return Send(method, target, body, {{"authorization", "Bearer " + token}});
  }

  // Signs in and returns the session id from Set-Cookie.
  std::string SignIn(const std::string& token) {
    HttpResponse r = Bearer("POST", "/desk/v1/session", "{}", token);
    REQUIRE(r.status == 201);
    std::string cookie = Header(r, "Set-Cookie");
    REQUIRE(cookie.rfind("tillit_desk=", 0) == 0);
    return cookie.substr(12, cookie.find(';') - 12);
  }

  static std::string Header(const HttpResponse& r, const std::string& name) {
    for (const auto& [n, v] : r.headers) {
      if (n == name) return v;
    }
    return "";
  }
  static std::string Code(const HttpResponse& r) {
    return value::parse(r.body).at("errorCode").as_string();
  }

  size_t PendingCount() {
    auto list = enrolments_->ListPendingApproval();
    REQUIRE(list.ok());
    return list->size();
  }

  DeskSessions sessions_;
  Router router_;
  Officers first_;
  Officers second_;
};

// Level 1 (no checks: the passport is unverified): four-eyes.
const char* kLevel1 =
    R"({"person": {"givenName": "Amal", "surname": "Hassan", "birthDate": "1990-04-01",
        "nationality": "SYR"},
        "evidence": [{"type": "passport", "number": "N1234567", "country": "SYR", "expiry": "2030-01-01"}],
        "checks": []})";
const char* kLevel3 =
    R"({"person": {"givenName": "Lina", "surname": "Haddad", "birthDate": "1985-02-03",
        "nationality": "IRQ"},
        "evidence": [{"type": "passport", "number": "A7654321", "country": "IRQ", "expiry": "2030-01-01"}],
        "checks": ["chip-read", "face-to-photo"]})";

TEST_CASE_FIXTURE(DeskFixture, "sign-in sets an HttpOnly SameSite=Strict cookie, not the token") {
  HttpResponse r = Bearer("POST", "/desk/v1/session", "{}", first_.token);
  CHECK(r.status == 201);
  value body = value::parse(r.body);
  CHECK(body.at("officerId").as_string() == first_.id);
  CHECK(body.at("name").as_string() == "Anna Lind");
  CHECK(body.at("organisation").as_string() == "Migrationsverket");
  CHECK(body.at("role").as_string() == "officer");
  CHECK(r.body.find(first_.token) == std::string::npos);
  std::string cookie = Header(r, "Set-Cookie");
  CHECK(cookie.find(first_.token) == std::string::npos);
  CHECK(cookie.find("; HttpOnly") != std::string::npos);
  CHECK(cookie.find("; SameSite=Strict") != std::string::npos);
  CHECK(cookie.find("; Path=/desk") != std::string::npos);
  CHECK(cookie.find("; Max-Age=43200") != std::string::npos);
  std::string id = cookie.substr(12, cookie.find(';') - 12);
  CHECK(id.size() == 43);  // 32 bytes, base64url
  CHECK(sessions_.size() == 1);

  // Each sign-in gets a fresh id; a cookie sent along is ended (no fixation).
  HttpResponse again = Send("POST", "/desk/v1/session", "{}",
                            {{"authorization", "Bearer " + first_.token},
                             {"cookie", "tillit_desk=" + id}});
  CHECK(again.status == 201);
  CHECK(Header(again, "Set-Cookie").find(id) == std::string::npos);
  CHECK(sessions_.size() == 1);
  CHECK(Page("GET", "/desk/v1/session", "", id).status == 401);
}

TEST_CASE_FIXTURE(DeskFixture, "a bad token signs nobody in and sets no cookie") {
  for (const std::string& token : {std::string("wrong"), std::string(""), second_.token + "x"}) {
    HttpResponse r = Bearer("POST", "/desk/v1/session", "{}", token);
    CHECK(r.status == 401);
    CHECK(Code(r) == "unauthorized");
    CHECK(Header(r, "Set-Cookie").empty());
  }
  // Without any Authorization header (a session cannot mint a session).
  CHECK(Send("POST", "/desk/v1/session", "{}", {}).status == 401);
  // A body other than {} is refused, after authentication, and starts nothing.
  HttpResponse extra = Bearer("POST", "/desk/v1/session", R"({"remember": true})", first_.token);
  CHECK(extra.status == 400);
  CHECK(Code(extra) == "invalidParameters");
  CHECK(sessions_.size() == 0);
}

TEST_CASE_FIXTURE(DeskFixture, "cookie requests need X-Tillit-Desk: 1") {
  std::string id = SignIn(first_.token);
  HttpResponse who = Page("GET", "/desk/v1/session", "", id);
  CHECK(who.status == 200);
  CHECK(value::parse(who.body).at("officerId").as_string() == first_.id);

  HttpResponse no_header = Page("GET", "/desk/v1/session", "", id, false);
  CHECK(no_header.status == 403);
  CHECK(Code(no_header) == "csrfCheckFailed");
  HttpResponse wrong = Send("GET", "/desk/v1/session", "",
                            {{"cookie", "tillit_desk=" + id}, {"x-tillit-desk", "0"}});
  CHECK(wrong.status == 403);

  // A cross-site form post with the cookie changes nothing.
  HttpResponse post = Page("POST", "/desk/v1/enrolments", kLevel1, id, false);
  CHECK(post.status == 403);
  CHECK(Code(post) == "csrfCheckFailed");
  CHECK(PendingCount() == 0);
  // With the header the same request works.
  CHECK(Page("POST", "/desk/v1/enrolments", kLevel1, id).status == 201);
  CHECK(PendingCount() == 1);

  // The bearer path is unchanged: no CSRF header needed, and it wins over a cookie.
  CHECK(Bearer("GET", "/desk/v1/session", "", second_.token).status == 200);
  HttpResponse both = Send("GET", "/desk/v1/session", "",
                           {{"authorization", "Bearer " + second_.token},
                            {"cookie", "tillit_desk=" + id}});
  CHECK(both.status == 200);
  CHECK(value::parse(both.body).at("officerId").as_string() == second_.id);
  // A wrong bearer token is not rescued by a good cookie.
  HttpResponse bad_bearer = Send("GET", "/desk/v1/session", "",
                                 {{"authorization", "Bearer nope"},
                                  {"cookie", "tillit_desk=" + id},
                                  {"x-tillit-desk", "1"}});
  CHECK(bad_bearer.status == 401);
}

TEST_CASE_FIXTURE(DeskFixture, "unknown, malformed and doubled cookies are refused") {
  std::string id = SignIn(first_.token);
  std::string other = id;
  other[0] = other[0] == 'A' ? 'B' : 'A';
  for (const std::string& cookie : {other, std::string("short"), id + "x", std::string("")}) {
    HttpResponse r = Page("GET", "/desk/v1/session", "", cookie);
    CHECK(r.status == 401);
    CHECK(Code(r) == "unauthorized");
    // The stale cookie is cleared.
    CHECK(Header(r, "Set-Cookie").find("Max-Age=0") != std::string::npos);
  }
  // Two tillit_desk cookies (one planted): neither is trusted.
  HttpResponse doubled = Send("GET", "/desk/v1/session", "",
                              {{"cookie", "tillit_desk=" + other + "; tillit_desk=" + id},
                               {"x-tillit-desk", "1"}});
  CHECK(doubled.status == 401);
  // Other cookies around it are fine.
  HttpResponse mixed = Send("GET", "/desk/v1/session", "",
                            {{"cookie", "theme=dark; tillit_desk=" + id + "; lang=sv"},
                             {"x-tillit-desk", "1"}});
  CHECK(mixed.status == 200);
}

TEST_CASE_FIXTURE(DeskFixture, "sessions end after 30 idle minutes and after 12 hours") {
  std::string idle = SignIn(first_.token);
  clock_.Advance(29 * 60);
  CHECK(Page("GET", "/desk/v1/session", "", idle).status == 200);
  clock_.Advance(29 * 60);  // 29 minutes since the last use: still alive
  CHECK(Page("GET", "/desk/v1/session", "", idle).status == 200);
  clock_.Advance(30 * 60);
  CHECK(Page("GET", "/desk/v1/session", "", idle).status == 401);
  CHECK(sessions_.size() == 0);

  std::string busy = SignIn(first_.token);
  for (int i = 0; i < 12 * 3 - 1; ++i) {  // used every 20 minutes for 11 h 40 min
    clock_.Advance(20 * 60);
    REQUIRE(Page("GET", "/desk/v1/session", "", busy).status == 200);
  }
  clock_.Advance(20 * 60);  // 12 h after sign-in
  CHECK(Page("GET", "/desk/v1/session", "", busy).status == 401);
}

TEST_CASE_FIXTURE(DeskFixture, "a revoked officer is out at once") {
  std::string id = SignIn(first_.token);
  REQUIRE(accounts_->RevokeOfficer(first_.id).ok());
  HttpResponse r = Page("GET", "/desk/v1/session", "", id);
  CHECK(r.status == 401);
  CHECK(Header(r, "Set-Cookie").find("Max-Age=0") != std::string::npos);
  CHECK(sessions_.size() == 0);
  CHECK(Page("POST", "/desk/v1/enrolments", kLevel1, id).status == 401);
  CHECK(PendingCount() == 0);
}

TEST_CASE_FIXTURE(DeskFixture, "sign-out ends the session and clears the cookie") {
  std::string id = SignIn(first_.token);
  // Without the CSRF header another site cannot sign the officer out.
  CHECK(Page("DELETE", "/desk/v1/session", "", id, false).status == 403);
  CHECK(Page("GET", "/desk/v1/session", "", id).status == 200);

  HttpResponse out = Page("DELETE", "/desk/v1/session", "", id);
  CHECK(out.status == 204);
  std::string cookie = Header(out, "Set-Cookie");
  CHECK(cookie.rfind("tillit_desk=;", 0) == 0);
  CHECK(cookie.find("Max-Age=0") != std::string::npos);
  CHECK(Page("GET", "/desk/v1/session", "", id).status == 401);
  // Idempotent.
  CHECK(Page("DELETE", "/desk/v1/session", "", id).status == 204);
  CHECK(Send("DELETE", "/desk/v1/session", "", {}).status == 204);
}

TEST_CASE("DeskSessions caps live sessions in all and per officer") {
  FixedClock clock(1748772000);
  DeskSessions sessions(clock, {.idle_seconds = 60, .absolute_seconds = 600, .max_sessions = 3,
                                .max_sessions_per_officer = 2});
  auto a1 = sessions.Create("off_a", "token-a");
  clock.Advance(1);
  auto a2 = sessions.Create("off_a", "token-a");
  clock.Advance(1);
  auto a3 = sessions.Create("off_a", "token-a");
  REQUIRE((a1.ok() && a2.ok() && a3.ok()));
  CHECK(sessions.size() == 2);
  CHECK_FALSE(sessions.Use(*a1).has_value());  // the oldest made room
  REQUIRE(sessions.Use(*a3).has_value());
  CHECK(AsString(sessions.Use(*a3)->Expose(crypto::InsecureSecretAccess::Get())) == "token-a");

  auto b1 = sessions.Create("off_b", "token-b");
  REQUIRE(b1.ok());
  auto c1 = sessions.Create("off_c", "token-c");
  CHECK_FALSE(c1.ok());
  CHECK(c1.error().code == "tooManyRequests");
  CHECK(sessions.size() == 3);
  // Once some expire, there is room again.
  clock.Advance(61);
  CHECK(sessions.Create("off_c", "token-c").ok());
  CHECK(sessions.size() == 1);
}

TEST_CASE_FIXTURE(DeskFixture, "GET /desk/v1/enrolments?status=pendingApproval lists the queue") {
  std::string id = SignIn(first_.token);
  HttpResponse a = Page("POST", "/desk/v1/enrolments", kLevel1, id);
  REQUIRE(a.status == 201);
  std::string first_id = value::parse(a.body).at("enrolmentId").as_string();
  HttpResponse ready = Page("POST", "/desk/v1/enrolments", kLevel3, id);
  REQUIRE(ready.status == 201);
  CHECK(value::parse(ready.body).at("status").as_string() == "ready");
  clock_.Advance(60);
  std::string second_body = kLevel1;
  second_body.replace(second_body.find("N1234567"), 8, "P7777777");
  second_body.replace(second_body.find("Amal"), 4, "Sara");
  second_body.replace(second_body.find("Hassan"), 6, "Nouri");
  HttpResponse b = Page("POST", "/desk/v1/enrolments", second_body, id);
  REQUIRE(b.status == 201);
  std::string second_id = value::parse(b.body).at("enrolmentId").as_string();

  HttpResponse list = Page("GET", "/desk/v1/enrolments?status=pendingApproval", "", id);
  REQUIRE(list.status == 200);
  auto items = value::parse(list.body).at("enrolments").as_array();
  REQUIRE(items.size() == 2);
  // Newest first; the ready (level 3) enrolment is not waiting for anyone.
  CHECK(items.at(0).at("enrolmentId").as_string() == second_id);
  CHECK(items.at(1).at("enrolmentId").as_string() == first_id);
  const value& item = items.at(1);
  CHECK(item.at("createdBy").as_string() == first_.id);
  CHECK(item.at("createdAt").as_string() == "2025-06-01T10:00:00Z");
  CHECK(item.at("assuranceLevel").as_integer() == 1);
  CHECK(item.at("givenName").as_string() == "Amal");
  CHECK(item.at("surname").as_string() == "Hassan");
  CHECK(item.at("birthDate").as_string() == "1990-04-01");
  CHECK_FALSE(item.has_field("existingIdentifier"));

  // The enrolment itself shows the recorded person (canonical: nationality upper case).
  HttpResponse one = Page("GET", "/desk/v1/enrolments/" + first_id, "", id);
  REQUIRE(one.status == 200);
  value person = value::parse(one.body).at("person");
  CHECK(person.at("givenName").as_string() == "Amal");
  CHECK(person.at("surname").as_string() == "Hassan");
  CHECK(person.at("birthDate").as_string() == "1990-04-01");
  CHECK(person.at("nationality").as_string() == "SYR");

  // Approved by the second officer (bearer): it leaves the queue.
  REQUIRE(Bearer("POST", "/desk/v1/enrolments/" + first_id + "/approve", "{}", second_.token)
              .status == 200);
  auto after = value::parse(Bearer("GET", "/desk/v1/enrolments?status=pendingApproval", "",
                                   second_.token).body)
                   .at("enrolments")
                   .as_array();
  REQUIRE(after.size() == 1);
  CHECK(after.at(0).at("enrolmentId").as_string() == second_id);
}

TEST_CASE_FIXTURE(DeskFixture, "the pending list refuses a missing, unknown or bad query") {
  std::string id = SignIn(first_.token);
  for (const std::string& target :
       {std::string("/desk/v1/enrolments"), std::string("/desk/v1/enrolments?"),
        std::string("/desk/v1/enrolments?status="), std::string("/desk/v1/enrolments?status=ready"),
        std::string("/desk/v1/enrolments?status=pendingapproval"),
        std::string("/desk/v1/enrolments?status=pendingApproval&limit=5"),
        std::string("/desk/v1/enrolments?status=pendingApproval&status=pendingApproval"),
        std::string("/desk/v1/enrolments?status"), std::string("/desk/v1/enrolments?&")}) {
    CAPTURE(target);
    HttpResponse r = Page("GET", target, "", id);
    CHECK(r.status == 400);
    CHECK(Code(r) == "invalidParameters");
  }
  // Authentication comes first: a bad query without a session is 401.
  CHECK(Send("GET", "/desk/v1/enrolments?status=nope", "", {}).status == 401);
}

TEST_CASE_FIXTURE(DeskFixture, "issue returns the activation QR as SVG; the person has a history") {
  std::string id = SignIn(first_.token);
  HttpResponse created = Page("POST", "/desk/v1/enrolments", kLevel3, id);
  REQUIRE(created.status == 201);
  std::string enrolment = value::parse(created.body).at("enrolmentId").as_string();
  HttpResponse issued = Page("POST", "/desk/v1/enrolments/" + enrolment + "/issue", "{}", id);
  REQUIRE(issued.status == 201);
  value v = value::parse(issued.body);
  std::string svg = v.at("activationQrSvg").as_string();
  CHECK(svg.find("<svg") != std::string::npos);
  CHECK(svg.find("</svg>") != std::string::npos);
  // The SVG draws modules; it does not carry the code as text.
  CHECK(svg.find(v.at("activationCode").as_string()) == std::string::npos);
  CHECK(v.at("activationQr").as_string() ==
        "tillit-activate:v1:" + v.at("activationCode").as_string() + ":http://127.0.0.1:8080");

  std::string identifier = v.at("identifier").as_string();
  HttpResponse person = Page("GET", "/desk/v1/persons/" + identifier, "", id);
  REQUIRE(person.status == 200);
  auto history = value::parse(person.body).at("history").as_array();
  REQUIRE(history.size() == 2);
  CHECK(history.at(0).at("event").as_string() == "enrolmentCreated");
  CHECK(history.at(0).at("actor").as_string() == first_.id);
  CHECK(history.at(0).at("reference").as_string() == enrolment);
  CHECK(history.at(1).at("event").as_string() == "identifierIssued");
  CHECK(history.at(1).at("at").as_string() == "2025-06-01T10:00:00Z");
}

}  // namespace
}  // namespace tillit::server::api
