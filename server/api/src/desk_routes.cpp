// Desk routes: /desk/v1/* (docs/desk-api.md §Desk).
#include "tillit/server/api/desk_routes.h"

#include "tillit/rfc3339.h"

#include <ctime>
#include <utility>

#include "route_util.h"
#include "tillit/identifier/identifier.h"
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

// Wraps a handler with officer authentication: nothing else runs for a bad token.
Handler Authenticated(const IssuerServices& services, OfficerHandler handler) {
  service::AccountService* accounts = services.accounts;
  return [accounts, handler = std::move(handler)](HttpRequest& request) {
    auto officer = accounts->AuthenticateOfficer(internal::BearerToken(request));
    if (!officer.ok()) return internal::AuthFailure(officer.error());
    return handler(request, *officer);
  };
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

void AddLifecycleRoutes(Router& router, const IssuerServices& services);

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
void AddLifecycleRoutes(Router& router, const IssuerServices& services) {
  service::LifecycleService* lifecycle = services.lifecycle;
  std::string public_url = services.public_url;

  router.Add("POST", "/desk/v1/persons/{identifier}/suspend",
             Authenticated(services, [lifecycle](HttpRequest& req, const service::Officer& who) {
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
             Authenticated(services, [lifecycle](HttpRequest& req, const service::Officer& who) {
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
             Authenticated(services, [lifecycle, public_url](HttpRequest& req,
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
               v["activationCode"] = JsonString(result->issued->activation_code);
               v["expiresAt"] = JsonString(FormatTime(result->issued->expires_at));
               v["activationQr"] = JsonString("tillit-activate:v1:" +
                                              result->issued->activation_code + ":" + public_url);
               return JsonResponse(201, v);
             }));

  router.Add("POST", "/desk/v1/persons/{identifier}/link",
             Authenticated(services, [lifecycle](HttpRequest& req, const service::Officer& who) {
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

void AddDeskRoutes(Router& router, const IssuerServices& services) {
  service::EnrolmentService* enrolments = services.enrolments;
  std::string public_url = services.public_url;

  router.Add("POST", "/desk/v1/enrolments",
             Authenticated(services, [enrolments](HttpRequest& req, const service::Officer& who) {
               auto request = ReadEnrolmentRequest(req);
               if (!request.ok()) return internal::AuthFailure(request.error());
               auto created = enrolments->Create(who, *request);
               if (!created.ok()) return internal::AuthFailure(created.error());
               return JsonResponse(201, EnrolmentJson(*created, false));
             }));

  router.Add("GET", "/desk/v1/enrolments/{id}",
             Authenticated(services, [enrolments](HttpRequest& req, const service::Officer&) {
               auto view = enrolments->Get(Param(req, "id"));
               if (!view.ok()) return internal::AuthFailure(view.error());
               return JsonResponse(200, EnrolmentJson(*view, true));
             }));

  router.Add("POST", "/desk/v1/enrolments/{id}/approve",
             Authenticated(services, [enrolments](HttpRequest& req, const service::Officer& who) {
               Status body = ReadEmptyBody(req);
               if (!body.ok()) return internal::AuthFailure(body.error());
               auto view = enrolments->Approve(who, Param(req, "id"));
               if (!view.ok()) return internal::AuthFailure(view.error());
               return JsonResponse(200, StatusJson(*view));
             }));

  router.Add("POST", "/desk/v1/enrolments/{id}/resolve",
             Authenticated(services, [enrolments](HttpRequest& req, const service::Officer& who) {
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
             Authenticated(services, [enrolments, public_url](HttpRequest& req,
                                                              const service::Officer& who) {
               Status body = ReadEmptyBody(req);
               if (!body.ok()) return internal::AuthFailure(body.error());
               auto issued = enrolments->Issue(who, Param(req, "id"));
               if (!issued.ok()) return internal::AuthFailure(issued.error());
               value v = value::object();
               v["identifier"] = JsonString(issued->identifier);
               v["activationCode"] = JsonString(issued->activation_code);
               v["expiresAt"] = JsonString(FormatTime(issued->expires_at));
               v["activationQr"] = JsonString("tillit-activate:v1:" + issued->activation_code +
                                              ":" + public_url);
               return JsonResponse(201, v);
             }));

  router.Add("POST", "/desk/v1/search",
             Authenticated(services, [enrolments](HttpRequest& req, const service::Officer& who) {
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
             Authenticated(services, [enrolments](HttpRequest& req, const service::Officer&) {
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
               return JsonResponse(200, v);
             }));

  router.Add("POST", "/desk/v1/persons/{identifier}/revoke",
             Authenticated(services, [enrolments](HttpRequest& req, const service::Officer& who) {
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

  if (services.lifecycle != nullptr) AddLifecycleRoutes(router, services);
}

}  // namespace tillit::server::api
