// Desk routes: /desk/v1/* (docs/desk-api.md §Desk).
#include "tillit/server/api/desk_routes.h"

#include "tillit/rfc3339.h"

#include <ctime>
#include <memory>
#include <optional>
#include <utility>

#include "desk_sessions.h"
#include "log.h"
#include "route_util.h"
#include "tillit/identifier/identifier.h"
#include "tillit/platform/qr_render.h"
#include "tillit/server/api/json.h"

namespace tillit::server::api {
namespace {

using internal::JsonString;
using web::json::value;

// Field limits, in code points. Generous: the enrolment library applies the real rules
// (e.g. names at most 100) and says which field failed; these only bound the work.
constexpr size_t kMaxName = 200;
constexpr size_t kMaxOriginalName = 300;
constexpr size_t kMaxShort = 40;
constexpr size_t kMaxEvidenceItems = 8;
constexpr size_t kMaxChecks = 8;
constexpr size_t kMaxReason = 1000;
constexpr size_t kMaxQuery = 200;

using OfficerHandler = std::function<HttpResponse(HttpRequest&, const service::Officer&)>;

// The desk web page's session cookie (docs/desk-api.md §Web sessions). Path=/desk keeps it
// off every other route; SameSite=Strict keeps it off cross-site requests; HttpOnly keeps
// it from page script. `Secure` is not added: the server speaks plain HTTP behind a
// TLS-terminating proxy (docs/http.md) and cannot tell whether the browser used TLS. A
// deployment must add it at the proxy (e.g. nginx `proxy_cookie_flags tillit_desk
// secure`), or a future --public-url starting with https:// could switch it on here.
constexpr std::string_view kSessionCookie = "tillit_desk";
// The CSRF header a cookie-authenticated request must carry. A cross-site <form> or a
// "simple" fetch cannot set a custom header, and a cross-origin fetch that sets one needs
// a CORS preflight, which this server never grants.
constexpr std::string_view kCsrfHeader = "x-tillit-desk";

// Officer authentication for every desk route: the bearer token (tillit-desk) or the
// session cookie (the web page). `sessions` is shared so a router that made its own keeps
// it alive.
struct DeskAuth {
  service::AccountService* accounts = nullptr;
  std::shared_ptr<DeskSessions> sessions;
};

// The value of the one `tillit_desk` cookie in the request (internal::CookieValue).
std::optional<std::string_view> SessionCookie(const HttpRequest& request) {
  return internal::CookieValue(request, kSessionCookie);
}

std::string SessionCookieHeader(std::string_view id, int64_t max_age) {
  return std::string(kSessionCookie) + "=" + std::string(id) +
         "; HttpOnly; SameSite=Strict; Path=/desk; Max-Age=" + std::to_string(max_age);
}

void ClearSessionCookie(HttpResponse& response) {
  response.headers.emplace_back("Set-Cookie", SessionCookieHeader("", 0));
}

HttpResponse CsrfFailure() {
  return ErrorResponse(403, "csrfCheckFailed",
                       "a request with the desk session cookie must carry X-Tillit-Desk: 1");
}

// The officer behind `request`. A bearer token wins when an Authorization header is
// present (tillit-desk is unchanged); otherwise the session cookie with the CSRF header.
// On a failure, the response to send instead.
Result<service::Officer> AuthenticateRequest(const DeskAuth& auth, const HttpRequest& request,
                                             HttpResponse& failure) {
  std::optional<std::string_view> cookie = SessionCookie(request);
  if (!request.Header("authorization").empty() || !cookie) {
    auto officer = auth.accounts->AuthenticateOfficer(internal::BearerToken(request));
    if (!officer.ok()) failure = internal::AuthFailure(officer.error());
    return officer;
  }
  if (request.Header(kCsrfHeader) != "1") {
    failure = CsrfFailure();
    return MakeError("csrfCheckFailed", "missing CSRF header");
  }
  std::optional<crypto::SecretBytes> token = auth.sessions->Use(*cookie);
  if (!token) {
    failure = internal::AuthFailure(Error{"unauthorized", "the desk session has ended; sign in again"});
    ClearSessionCookie(failure);
    return MakeError("unauthorized", "no such session");
  }
  // Re-authenticated on every request: a revoked officer is out at once.
  auto officer = auth.accounts->AuthenticateOfficer(
      AsString(token->Expose(crypto::InsecureSecretAccess::Get())));
  if (!officer.ok()) {
    if (officer.error().code == "unauthorized") auth.sessions->End(*cookie);
    failure = internal::AuthFailure(officer.error());
    if (officer.error().code == "unauthorized") ClearSessionCookie(failure);
  }
  return officer;
}

// Wraps a handler with officer authentication: nothing else runs for a bad token.
Handler Authenticated(const DeskAuth& auth, OfficerHandler handler) {
  return [auth, handler = std::move(handler)](HttpRequest& request) {
    HttpResponse failure;
    auto officer = AuthenticateRequest(auth, request, failure);
    if (!officer.ok()) return failure;
    return handler(request, *officer);
  };
}

value OfficerJson(const service::Officer& officer) {
  value v = value::object();
  v["officerId"] = JsonString(officer.id);
  v["name"] = JsonString(officer.name);
  v["organisation"] = JsonString(officer.organisation);
  v["role"] = JsonString(server::storage::OfficerRoleName(officer.role));
  return v;
}

// The activation QR as an SVG document for the web page (shown through a data: URL, which
// the page CSP allows for images). The QR text carries the activation code, so the SVG is
// as secret as the code: it is only ever in this response body.
std::optional<std::string> ActivationQrSvg(const std::string& qr_text) {
  auto matrix = platform::EncodeQr(qr_text);
  if (!matrix.ok()) {
    // Only the reason: the text holds the code.
    internal::LogError("activation QR not rendered: " + matrix.error().message);
    return std::nullopt;
  }
  constexpr int kModulePx = 8;
  return platform::RenderQrSvg(*matrix, kModulePx);
}

// What follows the code in the activation QR: the public URL and, for an https:// one
// with a known key, the pin the device holds the issuer to (docs/desk-api.md). A pin on
// an http:// URL would protect nothing and is left out.
std::string ActivationTarget(const IssuerServices& services) {
  if (services.tls_pin.empty() || services.public_url.rfind("https://", 0) != 0) {
    return services.public_url;
  }
  return services.public_url + "#pin-sha256=" + services.tls_pin;
}

// The fields of an issue or replacement response that hand out an activation code.
// `target` is ActivationTarget's.
void AddActivation(value& v, const std::string& code, int64_t expires_at,
                   const std::string& target) {
  const std::string qr_text = "tillit-activate:v1:" + code + ":" + target;
  v["activationCode"] = JsonString(code);
  v["expiresAt"] = JsonString(FormatTime(expires_at));
  v["activationQr"] = JsonString(qr_text);
  // Omitted if the text does not fit a QR symbol (an absurd --public-url): the code itself
  // is still in the answer, and the issue has already happened.
  if (auto svg = ActivationQrSvg(qr_text)) v["activationQrSvg"] = JsonString(*svg);
}

value PossibleDuplicateJson(const service::PossibleDuplicate& d) {
  value v = value::object();
  v["identifier"] = JsonString(d.identifier);
  v["givenName"] = JsonString(d.given_name);
  v["surname"] = JsonString(d.surname);
  v["birthDate"] = JsonString(d.birth_date);
  v["nationality"] = JsonString(d.nationality);
  v["score"] = value::number(d.score);
  value reasons = value::array(d.reasons.size());
  for (size_t i = 0; i < d.reasons.size(); ++i) reasons[i] = JsonString(d.reasons[i]);
  v["reasons"] = reasons;
  v["resolution"] = JsonString(d.resolution);
  return v;
}

value EnrolmentJson(const service::EnrolmentView& e, bool full) {
  value v = value::object();
  v["enrolmentId"] = JsonString(e.enrolment_id);
  v["status"] = JsonString(e.status);
  v["assuranceLevel"] = value::number(e.assurance_level);
  value dups = value::array(e.possible_duplicates.size());
  for (size_t i = 0; i < e.possible_duplicates.size(); ++i) {
    dups[i] = PossibleDuplicateJson(e.possible_duplicates[i]);
  }
  v["possibleDuplicates"] = dups;
  if (e.existing_identifier) v["existingIdentifier"] = JsonString(*e.existing_identifier);
  if (full) {
    v["createdBy"] = JsonString(e.created_by);
    if (e.approved_by) v["approvedBy"] = JsonString(*e.approved_by);
    if (e.identifier) v["identifier"] = JsonString(*e.identifier);
    value person = value::object();
    person["givenName"] = JsonString(e.given_name);
    person["surname"] = JsonString(e.surname);
    person["birthDate"] = JsonString(e.birth_date);
    person["nationality"] = JsonString(e.nationality);
    v["person"] = person;
  }
  return v;
}

value StatusJson(const service::EnrolmentView& e) {
  value v = value::object();
  v["enrolmentId"] = JsonString(e.enrolment_id);
  v["status"] = JsonString(e.status);
  return v;
}

Result<std::string> OptionalText(JsonObjectReader& reader, std::string_view name, size_t max) {
  TILLIT_TRY_ASSIGN(auto text, reader.OptionalString(name, max));
  return text.value_or("");
}

Result<std::vector<service::EvidenceInput>> ReadEvidence(const std::optional<value>& evidence);

Result<service::EnrolmentRequest> ReadEnrolmentRequest(const HttpRequest& request) {
  TILLIT_TRY_ASSIGN(value body, ParseJsonBody(request));
  // JsonObjectReader has no getter for an array of objects: take "evidence" out and read
  // each item with a reader of its own, so unknown fields are refused there too.
  std::optional<value> evidence;
  if (body.has_field("evidence")) {
    if (!body.at("evidence").is_null()) evidence = body.at("evidence");
    body.erase("evidence");
  }
  JsonObjectReader reader(body);
  service::EnrolmentRequest out;
  TILLIT_TRY_ASSIGN(value person_json, reader.RequiredObject("person"));
  TILLIT_TRY_ASSIGN(auto checks, reader.OptionalStringArray("checks", kMaxChecks, kMaxShort));
  out.checks = checks.value_or(std::vector<std::string>{});
  TILLIT_TRY(reader.RejectUnknownFields());

  JsonObjectReader person(person_json, "person.");
  TILLIT_TRY_ASSIGN(out.person.given_name, person.RequiredString("givenName", kMaxName));
  TILLIT_TRY_ASSIGN(out.person.surname, person.RequiredString("surname", kMaxName));
  TILLIT_TRY_ASSIGN(out.person.original_name, OptionalText(person, "originalName", kMaxOriginalName));
  TILLIT_TRY_ASSIGN(out.person.birth_date, person.RequiredString("birthDate", kMaxShort));
  TILLIT_TRY_ASSIGN(out.person.nationality, person.RequiredString("nationality", kMaxShort));
  TILLIT_TRY_ASSIGN(out.person.samordningsnummer, OptionalText(person, "samordningsnummer", kMaxShort));
  TILLIT_TRY_ASSIGN(out.person.case_number, OptionalText(person, "caseNumber", kMaxShort));
  TILLIT_TRY(person.RejectUnknownFields());

  TILLIT_TRY_ASSIGN(out.evidence, ReadEvidence(evidence));
  return out;
}

// The "evidence" array of an enrolment or a device replacement: one reader per item, so
// unknown fields are refused there too.
Result<std::vector<service::EvidenceInput>> ReadEvidence(const std::optional<value>& evidence) {
  std::vector<service::EvidenceInput> out;
  if (!evidence) return MakeError("invalidParameters", "evidence: is required");
  if (!evidence->is_array()) return MakeError("invalidParameters", "evidence: must be an array");
  const auto& items = evidence->as_array();
  if (items.size() == 0) return MakeError("invalidParameters", "evidence: must not be empty");
  if (items.size() > kMaxEvidenceItems) {
    return MakeError("invalidParameters", "evidence: at most 8 items");
  }
  size_t i = 0;
  for (const value& item : items) {
    std::string prefix = "evidence[" + std::to_string(i++) + "]";
    if (!item.is_object()) return MakeError("invalidParameters", prefix + ": must be an object");
    JsonObjectReader r(item, prefix + ".");
    service::EvidenceInput in;
    TILLIT_TRY_ASSIGN(in.type, r.RequiredString("type", kMaxShort));
    TILLIT_TRY_ASSIGN(in.number, OptionalText(r, "number", kMaxShort));
    TILLIT_TRY_ASSIGN(in.country, OptionalText(r, "country", kMaxShort));
    TILLIT_TRY_ASSIGN(in.expiry, OptionalText(r, "expiry", kMaxShort));
    TILLIT_TRY(r.RejectUnknownFields());
    out.push_back(std::move(in));
  }
  return out;
}

// Reads a body that must be {} (approve, issue).
Status ReadEmptyBody(const HttpRequest& request) {
  TILLIT_TRY_ASSIGN(value body, internal::ParseOptionalJsonBody(request));
  JsonObjectReader reader(body);
  return reader.RejectUnknownFields();
}

const std::string& Param(const HttpRequest& request, const char* name) {
  return request.path_params.at(name);
}

void AddLifecycleRoutes(Router& router, const IssuerServices& services, const DeskAuth& auth);

}  // namespace

std::string FormatTime(int64_t unix_seconds) { return FormatRfc3339(unix_seconds); }

namespace {

// The identifier as the caller typed it, canonical when it parses (for answers).
std::string CanonicalOrAsGiven(const std::string& text) {
  auto parsed = identifier::Identifier::Parse(text);
  return parsed.ok() ? parsed->ToString() : text;
}

// Reads {"reason": "..."} (suspend, resume).
Result<std::string> ReadReason(const HttpRequest& request) {
  TILLIT_TRY_ASSIGN(value body, ParseJsonBody(request));
  JsonObjectReader reader(body);
  TILLIT_TRY_ASSIGN(auto reason, reader.RequiredString("reason", kMaxReason));
  TILLIT_TRY(reader.RejectUnknownFields());
  return reason;
}

// /persons/{identifier}/suspend|resume|replace|link (docs/desk-api.md §After issue).
void AddLifecycleRoutes(Router& router, const IssuerServices& services, const DeskAuth& auth) {
  service::LifecycleService* lifecycle = services.lifecycle;
  std::string activation_target = ActivationTarget(services);

  router.Add("POST", "/desk/v1/persons/{identifier}/suspend",
             Authenticated(auth, [lifecycle](HttpRequest& req, const service::Officer& who) {
               auto run = [&]() -> Result<int64_t> {
                 TILLIT_TRY_ASSIGN(auto reason, ReadReason(req));
                 return lifecycle->Suspend(who, Param(req, "identifier"), reason);
               };
               auto n = run();
               if (!n.ok()) return internal::AuthFailure(n.error());
               value v = value::object();
               v["identifier"] = JsonString(CanonicalOrAsGiven(Param(req, "identifier")));
               v["suspendedCredentials"] = value::number(*n);
               return JsonResponse(200, v);
             }));

  router.Add("POST", "/desk/v1/persons/{identifier}/resume",
             Authenticated(auth, [lifecycle](HttpRequest& req, const service::Officer& who) {
               auto run = [&]() -> Result<int64_t> {
                 TILLIT_TRY_ASSIGN(auto reason, ReadReason(req));
                 return lifecycle->Resume(who, Param(req, "identifier"), reason);
               };
               auto n = run();
               if (!n.ok()) return internal::AuthFailure(n.error());
               value v = value::object();
               v["identifier"] = JsonString(CanonicalOrAsGiven(Param(req, "identifier")));
               v["resumedCredentials"] = value::number(*n);
               return JsonResponse(200, v);
             }));

  router.Add("POST", "/desk/v1/persons/{identifier}/replace",
             Authenticated(auth, [lifecycle, activation_target](HttpRequest& req,
                                                                    const service::Officer& who) {
               auto run = [&]() -> Result<service::ReplacementResult> {
                 TILLIT_TRY_ASSIGN(value body, ParseJsonBody(req));
                 std::optional<value> evidence;
                 if (body.has_field("evidence")) {
                   if (!body.at("evidence").is_null()) evidence = body.at("evidence");
                   body.erase("evidence");
                 }
                 JsonObjectReader reader(body);
                 TILLIT_TRY_ASSIGN(auto checks,
                                   reader.OptionalStringArray("checks", kMaxChecks, kMaxShort));
                 TILLIT_TRY_ASSIGN(auto enrolment_id, reader.OptionalString("enrolmentId", kMaxShort));
                 TILLIT_TRY(reader.RejectUnknownFields());
                 if (enrolment_id) {
                   // Carrying out an approved replacement: its evidence is already recorded.
                   if (evidence || checks) {
                     return MakeError("invalidParameters",
                                      "enrolmentId: not allowed with evidence or checks");
                   }
                   return lifecycle->CompleteReplacement(who, Param(req, "identifier"),
                                                         *enrolment_id);
                 }
                 service::ReplacementRequest request;
                 TILLIT_TRY_ASSIGN(request.evidence, ReadEvidence(evidence));
                 request.checks = checks.value_or(std::vector<std::string>{});
                 return lifecycle->Replace(who, Param(req, "identifier"), request);
               };
               auto result = run();
               if (!result.ok()) return internal::AuthFailure(result.error());
               value v = value::object();
               v["identifier"] = JsonString(result->identifier);
               v["enrolmentId"] = JsonString(result->enrolment_id);
               v["status"] = JsonString(result->status);
               v["assuranceLevel"] = value::number(result->assurance_level);
               if (!result->issued) return JsonResponse(202, v);
               AddActivation(v, result->issued->activation_code, result->issued->expires_at,
                             activation_target);
               return JsonResponse(201, v);
             }));

  router.Add("POST", "/desk/v1/persons/{identifier}/link",
             Authenticated(auth, [lifecycle](HttpRequest& req, const service::Officer& who) {
               auto run = [&]() -> Result<bool> {
                 TILLIT_TRY_ASSIGN(value body, ParseJsonBody(req));
                 JsonObjectReader reader(body);
                 TILLIT_TRY_ASSIGN(auto number, reader.RequiredString("personnummer", kMaxShort));
                 TILLIT_TRY(reader.RejectUnknownFields());
                 return lifecycle->LinkPersonnummer(who, Param(req, "identifier"), number);
               };
               auto linked = run();
               if (!linked.ok()) return internal::AuthFailure(linked.error());
               value v = value::object();
               v["identifier"] = JsonString(CanonicalOrAsGiven(Param(req, "identifier")));
               v["personnummer"] = JsonString("linked");
               v["alreadyLinked"] = value::boolean(!*linked);
               return JsonResponse(200, v);
             }));
}

}  // namespace

namespace {

// POST, GET and DELETE /desk/v1/session: the web page's sign-in (docs/desk-api.md §Web
// sessions). The page sends the token once, here, and then holds only the cookie.
void AddSessionRoutes(Router& router, const DeskAuth& auth) {
  router.Add("POST", "/desk/v1/session", [auth](HttpRequest& req) {
    // Only a bearer token signs in: a session cannot mint another session. No CSRF header
    // is needed: another site cannot set the Authorization header, so it can neither sign
    // an officer in nor sign the browser in as someone else (login CSRF).
    auto officer = auth.accounts->AuthenticateOfficer(internal::BearerToken(req));
    if (!officer.ok()) return internal::AuthFailure(officer.error());
    Status body = ReadEmptyBody(req);
    if (!body.ok()) return internal::AuthFailure(body.error());
    // A fresh id at every sign-in (no session fixation); a session the browser still
    // holds is ended rather than left to time out.
    if (auto old = SessionCookie(req)) auth.sessions->End(*old);
    auto id = auth.sessions->Create(officer->id, internal::BearerToken(req));
    if (!id.ok()) return internal::AuthFailure(id.error());
    HttpResponse response = JsonResponse(201, OfficerJson(*officer));
    response.headers.emplace_back(
        "Set-Cookie", SessionCookieHeader(*id, auth.sessions->limits().absolute_seconds));
    return response;
  });

  router.Add("GET", "/desk/v1/session",
             Authenticated(auth, [](HttpRequest&, const service::Officer& who) {
               return JsonResponse(200, OfficerJson(who));
             }));

  router.Add("DELETE", "/desk/v1/session", [auth](HttpRequest& req) {
    // Idempotent: signing out with an ended session (or none) still clears the cookie.
    // The CSRF header is required with a cookie, as everywhere, so another site cannot
    // sign an officer out.
    if (auto cookie = SessionCookie(req)) {
      if (req.Header(kCsrfHeader) != "1") return CsrfFailure();
      auth.sessions->End(*cookie);
    }
    HttpResponse response;
    response.status = 204;
    ClearSessionCookie(response);
    return response;
  });
}

// The query of GET /desk/v1/enrolments: exactly `status=pendingApproval` for now (the
// approvals queue). Anything else is refused rather than ignored, so a client never reads
// a list it did not ask for.
Status ReadPendingQuery(const HttpRequest& request) {
  std::string_view query = request.query;
  if (query.empty()) return MakeError("invalidParameters", "status: is required");
  bool seen = false;
  while (!query.empty()) {
    size_t amp = query.find('&');
    std::string_view pair = query.substr(0, amp);
    query = amp == std::string_view::npos ? std::string_view{} : query.substr(amp + 1);
    size_t eq = pair.find('=');
    std::string_view name = pair.substr(0, eq);
    std::string_view val = eq == std::string_view::npos ? std::string_view{} : pair.substr(eq + 1);
    if (name != "status") return MakeError("invalidParameters", "query: unknown parameter");
    if (seen) return MakeError("invalidParameters", "status: given twice");
    seen = true;
    if (val != "pendingApproval") {
      return MakeError("invalidParameters", "status: must be pendingApproval");
    }
  }
  return {};
}

value PendingJson(const service::PendingEnrolment& p) {
  value v = value::object();
  v["enrolmentId"] = JsonString(p.enrolment_id);
  v["createdBy"] = JsonString(p.created_by);
  v["createdAt"] = JsonString(FormatTime(p.created_at));
  v["assuranceLevel"] = value::number(p.assurance_level);
  v["givenName"] = JsonString(p.given_name);
  v["surname"] = JsonString(p.surname);
  v["birthDate"] = JsonString(p.birth_date);
  if (p.existing_identifier) v["existingIdentifier"] = JsonString(*p.existing_identifier);
  return v;
}

}  // namespace

void AddDeskRoutes(Router& router, const IssuerServices& services) {
  service::EnrolmentService* enrolments = services.enrolments;
  std::string activation_target = ActivationTarget(services);

  DeskAuth auth{.accounts = services.accounts, .sessions = nullptr};
  if (services.desk_sessions != nullptr) {
    // Not owned: the caller keeps it alive (tests).
    auth.sessions = std::shared_ptr<DeskSessions>(services.desk_sessions, [](DeskSessions*) {});
  } else {
    // Owned by the routes (every handler holds a reference), with the system clock.
    static const SystemClock kClock;
    auth.sessions = std::make_shared<DeskSessions>(kClock);
  }
  AddSessionRoutes(router, auth);

  router.Add("GET", "/desk/v1/enrolments",
             Authenticated(auth, [enrolments](HttpRequest& req, const service::Officer&) {
               Status query = ReadPendingQuery(req);
               if (!query.ok()) return internal::AuthFailure(query.error());
               auto pending = enrolments->ListPendingApproval();
               if (!pending.ok()) return internal::AuthFailure(pending.error());
               value list = value::array(pending->size());
               for (size_t i = 0; i < pending->size(); ++i) list[i] = PendingJson((*pending)[i]);
               value v = value::object();
               v["enrolments"] = list;
               return JsonResponse(200, v);
             }));

  router.Add("POST", "/desk/v1/enrolments",
             Authenticated(auth, [enrolments](HttpRequest& req, const service::Officer& who) {
               auto request = ReadEnrolmentRequest(req);
               if (!request.ok()) return internal::AuthFailure(request.error());
               auto created = enrolments->Create(who, *request);
               if (!created.ok()) return internal::AuthFailure(created.error());
               return JsonResponse(201, EnrolmentJson(*created, false));
             }));

  router.Add("GET", "/desk/v1/enrolments/{id}",
             Authenticated(auth, [enrolments](HttpRequest& req, const service::Officer&) {
               auto view = enrolments->Get(Param(req, "id"));
               if (!view.ok()) return internal::AuthFailure(view.error());
               return JsonResponse(200, EnrolmentJson(*view, true));
             }));

  router.Add("POST", "/desk/v1/enrolments/{id}/approve",
             Authenticated(auth, [enrolments](HttpRequest& req, const service::Officer& who) {
               Status body = ReadEmptyBody(req);
               if (!body.ok()) return internal::AuthFailure(body.error());
               auto view = enrolments->Approve(who, Param(req, "id"));
               if (!view.ok()) return internal::AuthFailure(view.error());
               return JsonResponse(200, StatusJson(*view));
             }));

  router.Add("POST", "/desk/v1/enrolments/{id}/resolve",
             Authenticated(auth, [enrolments](HttpRequest& req, const service::Officer& who) {
               auto run = [&]() -> Result<service::EnrolmentView> {
                 TILLIT_TRY_ASSIGN(value body, ParseJsonBody(req));
                 JsonObjectReader reader(body);
                 TILLIT_TRY_ASSIGN(auto resolution, reader.RequiredString("resolution", kMaxShort));
                 TILLIT_TRY_ASSIGN(auto reason, reader.OptionalString("reason", kMaxReason));
                 TILLIT_TRY_ASSIGN(auto identifier, reader.OptionalString("identifier", kMaxShort));
                 TILLIT_TRY(reader.RejectUnknownFields());
                 if (resolution == "different") {
                   if (!reason) return MakeError("invalidParameters", "reason: is required");
                   if (identifier) return MakeError("invalidParameters", "identifier: not allowed with different");
                   return enrolments->ResolveDifferent(who, Param(req, "id"), *reason);
                 }
                 if (resolution == "same") {
                   if (!identifier) return MakeError("invalidParameters", "identifier: is required");
                   if (reason) return MakeError("invalidParameters", "reason: not allowed with same");
                   return enrolments->ResolveSame(who, Param(req, "id"), *identifier);
                 }
                 return MakeError("invalidParameters", "resolution: must be same or different");
               };
               auto view = run();
               if (!view.ok()) return internal::AuthFailure(view.error());
               return JsonResponse(200, StatusJson(*view));
             }));

  router.Add("POST", "/desk/v1/enrolments/{id}/issue",
             Authenticated(auth, [enrolments, activation_target](HttpRequest& req,
                                                                     const service::Officer& who) {
               Status body = ReadEmptyBody(req);
               if (!body.ok()) return internal::AuthFailure(body.error());
               auto issued = enrolments->Issue(who, Param(req, "id"));
               if (!issued.ok()) return internal::AuthFailure(issued.error());
               value v = value::object();
               v["identifier"] = JsonString(issued->identifier);
               AddActivation(v, issued->activation_code, issued->expires_at, activation_target);
               return JsonResponse(201, v);
             }));

  router.Add("POST", "/desk/v1/search",
             Authenticated(auth, [enrolments](HttpRequest& req, const service::Officer& who) {
               auto run = [&]() -> Result<std::vector<service::PersonSummary>> {
                 TILLIT_TRY_ASSIGN(value body, ParseJsonBody(req));
                 JsonObjectReader reader(body);
                 TILLIT_TRY_ASSIGN(auto query, reader.RequiredString("query", kMaxQuery));
                 TILLIT_TRY(reader.RejectUnknownFields());
                 return enrolments->Search(who, query);
               };
               auto found = run();
               if (!found.ok()) return internal::AuthFailure(found.error());
               value results = value::array(found->size());
               for (size_t i = 0; i < found->size(); ++i) {
                 const auto& p = (*found)[i];
                 value v = value::object();
                 v["identifier"] = JsonString(p.identifier);
                 v["givenName"] = JsonString(p.given_name);
                 v["surname"] = JsonString(p.surname);
                 v["birthDate"] = JsonString(p.birth_date);
                 v["nationality"] = JsonString(p.nationality);
                 v["status"] = JsonString(p.status);
                 results[i] = v;
               }
               value v = value::object();
               v["results"] = results;
               return JsonResponse(200, v);
             }));

  router.Add("GET", "/desk/v1/persons/{identifier}",
             Authenticated(auth, [enrolments](HttpRequest& req, const service::Officer&) {
               auto person = enrolments->GetPerson(Param(req, "identifier"));
               if (!person.ok()) return internal::AuthFailure(person.error());
               const auto& p = *person;
               value v = value::object();
               v["identifier"] = JsonString(p.summary.identifier);
               v["givenName"] = JsonString(p.summary.given_name);
               v["surname"] = JsonString(p.summary.surname);
               if (p.original_name) v["originalName"] = JsonString(*p.original_name);
               v["birthDate"] = JsonString(p.summary.birth_date);
               v["nationality"] = JsonString(p.summary.nationality);
               if (p.samordningsnummer) v["samordningsnummer"] = JsonString(*p.samordningsnummer);
               if (p.case_number) v["caseNumber"] = JsonString(*p.case_number);
               if (p.personnummer) v["personnummer"] = JsonString(*p.personnummer);
               v["assuranceLevel"] = value::number(p.assurance_level);
               v["status"] = JsonString(p.summary.status);
               value creds = value::array(p.credentials.size());
               for (size_t i = 0; i < p.credentials.size(); ++i) {
                 value c = value::object();
                 c["serial"] = JsonString(p.credentials[i].serial);
                 c["status"] = JsonString(p.credentials[i].status);
                 c["notAfter"] = JsonString(FormatTime(p.credentials[i].not_after));
                 c["createdAt"] = JsonString(FormatTime(p.credentials[i].created_at));
                 creds[i] = c;
               }
               v["credentials"] = creds;
               value history = value::array(p.history.size());
               for (size_t i = 0; i < p.history.size(); ++i) {
                 const auto& h = p.history[i];
                 value e = value::object();
                 e["at"] = JsonString(FormatTime(h.at));
                 e["event"] = JsonString(h.event);
                 if (!h.actor.empty()) e["actor"] = JsonString(h.actor);
                 if (!h.reference.empty()) e["reference"] = JsonString(h.reference);
                 if (!h.detail.empty()) e["detail"] = JsonString(h.detail);
                 history[i] = e;
               }
               v["history"] = history;
               return JsonResponse(200, v);
             }));

  router.Add("POST", "/desk/v1/persons/{identifier}/revoke",
             Authenticated(auth, [enrolments](HttpRequest& req, const service::Officer& who) {
               auto run = [&]() -> Result<int64_t> {
                 TILLIT_TRY_ASSIGN(value body, ParseJsonBody(req));
                 JsonObjectReader reader(body);
                 TILLIT_TRY_ASSIGN(auto reason, reader.RequiredString("reason", kMaxReason));
                 TILLIT_TRY(reader.RejectUnknownFields());
                 return enrolments->Revoke(who, Param(req, "identifier"), reason);
               };
               auto revoked = run();
               if (!revoked.ok()) return internal::AuthFailure(revoked.error());
               auto parsed = identifier::Identifier::Parse(Param(req, "identifier"));
               value v = value::object();
               v["identifier"] = JsonString(parsed.ok() ? parsed->ToString() : Param(req, "identifier"));
               v["revokedCredentials"] = value::number(*revoked);
               return JsonResponse(200, v);
             }));

  if (services.lifecycle != nullptr) AddLifecycleRoutes(router, services, auth);
}

}  // namespace tillit::server::api
