// JSON mapping: body parsing (media type, malformed, non-object, duplicates), the strict
// field reader's negative cases, error bodies and the code -> status table.
#include "tillit/server/api/json.h"

#include <doctest/doctest.h>

#include <string>
#include <vector>

namespace tillit::server::api {
namespace {

HttpRequest JsonRequest(std::string body, std::string content_type = "application/json") {
  HttpRequest request;
  request.method = "POST";
  request.path = "/x";
  if (!content_type.empty()) request.headers["content-type"] = std::move(content_type);
  request.body = std::move(body);
  return request;
}

web::json::value Object(const std::string& text) {
  auto parsed = ParseJsonBody(JsonRequest(text));
  REQUIRE_MESSAGE(parsed.ok(), text);
  return std::move(parsed).value();
}

void CheckInvalid(const Error& error, const std::string& field) {
  CHECK(error.code == "invalidParameters");
  CHECK_MESSAGE(error.message.rfind(field + ": ", 0) == 0, error.message);
}

TEST_CASE("ParseJsonBody accepts application/json with parameters in any case") {
  for (const char* type : {"application/json", "application/json; charset=utf-8", "Application/JSON",
                           "application/json;charset=\"UTF-8\"", " application/json "}) {
    CAPTURE(type);
    auto parsed = ParseJsonBody(JsonRequest(R"({"a": 1})", type));
    REQUIRE(parsed.ok());
    CHECK(parsed->at("a").as_integer() == 1);
  }
}

TEST_CASE("ParseJsonBody refuses other media types with unsupportedMediaType") {
  for (const char* type : {"", "text/plain", "application/jsonx", "application/x-www-form-urlencoded",
                           "application/json; charset=iso-8859-1", "multipart/form-data; boundary=x"}) {
    CAPTURE(type);
    auto parsed = ParseJsonBody(JsonRequest(R"({"a": 1})", type));
    REQUIRE_FALSE(parsed.ok());
    CHECK(parsed.error().code == "unsupportedMediaType");
    CHECK(HttpStatusFor(parsed.error()) == 415);
  }
}

TEST_CASE("ParseJsonBody refuses malformed JSON, non-objects and duplicate keys") {
  for (const std::string& body : std::vector<std::string>{"", "{", "{\"a\":}", "{\"a\":1} trailing", "{'a':1}", "nul",
                                 "[1,2]", "\"text\"", "42", "null", "true",
                                 "{\"a\":1,\"a\":2}", "{\"o\":{\"k\":1,\"k\":1}}",
                                 "{\"s\":\"\\ud800\"}", std::string(100000, '['),
                                 "{\"a\":" + std::string(5000, '[') + std::string(5000, ']') + "}"}) {
    CAPTURE(body.substr(0, 40));
    auto parsed = ParseJsonBody(JsonRequest(body));
    REQUIRE_FALSE(parsed.ok());
    CHECK(parsed.error().code == "invalidParameters");
    CHECK(parsed.error().message.rfind("body: ", 0) == 0);
  }
}

TEST_CASE("JsonObjectReader reads well-formed fields") {
  JsonObjectReader reader(Object(R"({
    "givenName": "Ålmå حسن", "level": 3, "consent": true, "tags": ["a", "b"],
    "evidence": {"type": "passport"}, "note": null
  })"));
  auto name = reader.RequiredString("givenName", 8);
  REQUIRE(name.ok());
  CHECK(*name == "Ålmå حسن");  // 8 code points, 14 bytes
  auto level = reader.RequiredInt("level", 2, 3);
  REQUIRE(level.ok());
  CHECK(*level == 3);
  auto consent = reader.RequiredBool("consent");
  REQUIRE(consent.ok());
  CHECK(*consent);
  auto tags = reader.StringArray("tags", 2, 1);
  REQUIRE(tags.ok());
  CHECK(tags->size() == 2);
  auto evidence = reader.RequiredObject("evidence");
  REQUIRE(evidence.ok());
  JsonObjectReader nested(*evidence, "evidence.");
  CHECK(nested.RequiredString("type", 20).ok());
  CHECK(nested.RejectUnknownFields().ok());
  auto note = reader.OptionalString("note", 10);  // null reads as absent
  REQUIRE(note.ok());
  CHECK_FALSE(note->has_value());
  auto missing = reader.OptionalInt("missing", 0, 1);
  REQUIRE(missing.ok());
  CHECK_FALSE(missing->has_value());
  CHECK(reader.RejectUnknownFields().ok());
}

TEST_CASE("JsonObjectReader: missing required fields") {
  JsonObjectReader reader(Object(R"({"other": 1, "nothing": null})"));
  CheckInvalid(reader.RequiredString("givenName", 10).error(), "givenName");
  CheckInvalid(reader.RequiredInt("level", 0, 5).error(), "level");
  CheckInvalid(reader.RequiredBool("consent").error(), "consent");
  CheckInvalid(reader.StringArray("tags", 5, 5).error(), "tags");
  CheckInvalid(reader.RequiredObject("evidence").error(), "evidence");
  CheckInvalid(reader.RequiredString("nothing", 10).error(), "nothing");
}

TEST_CASE("JsonObjectReader: wrong types") {
  JsonObjectReader reader(Object(
      R"({"s": 5, "i": "5", "f": 1.5, "e": 1e2, "b": "true", "a": "x", "ai": [1], "o": [], "os": "x"})"));
  CheckInvalid(reader.RequiredString("s", 10).error(), "s");
  CheckInvalid(reader.RequiredInt("i", 0, 10).error(), "i");
  CheckInvalid(reader.RequiredInt("f", 0, 10).error(), "f");
  CheckInvalid(reader.OptionalInt("e", 0, 1000).error(), "e");
  CheckInvalid(reader.OptionalBool("b").error(), "b");
  CheckInvalid(reader.StringArray("a", 5, 5).error(), "a");
  CheckInvalid(reader.StringArray("ai", 5, 5).error(), "ai[0]");
  CheckInvalid(reader.OptionalObject("o").error(), "o");
  CheckInvalid(reader.RequiredObject("os").error(), "os");
}

TEST_CASE("JsonObjectReader: over-long strings and arrays") {
  JsonObjectReader reader(Object(R"({"name": "abcdef", "utf": "ååå", "tags": ["a","b","c"], "long": ["ok","toolong"]})"));
  CheckInvalid(reader.RequiredString("name", 5).error(), "name");
  CHECK(reader.RequiredString("name", 6).ok());
  CheckInvalid(reader.OptionalString("utf", 2).error(), "utf");
  CHECK(reader.OptionalString("utf", 3).ok());  // 3 code points although 6 bytes
  CheckInvalid(reader.StringArray("tags", 2, 5).error(), "tags");
  CheckInvalid(reader.StringArray("long", 5, 3).error(), "long[1]");
}

TEST_CASE("JsonObjectReader: integers out of range") {
  JsonObjectReader reader(Object(R"({"low": 1, "high": 4, "huge": 9223372036854775808, "neg": -1})"));
  CheckInvalid(reader.RequiredInt("low", 2, 3).error(), "low");
  CheckInvalid(reader.RequiredInt("high", 2, 3).error(), "high");
  CheckInvalid(reader.RequiredInt("huge", 0, INT64_MAX).error(), "huge");
  CheckInvalid(reader.OptionalInt("neg", 0, 10).error(), "neg");
  CHECK(*reader.RequiredInt("high", 4, 4) == 4);
}

TEST_CASE("JsonObjectReader: NUL is refused") {
  JsonObjectReader reader(Object(R"({"s": "a\u0000b"})"));
  CheckInvalid(reader.RequiredString("s", 10).error(), "s");
}

TEST_CASE("JsonObjectReader: unknown fields are refused, with nested paths") {
  JsonObjectReader reader(Object(R"({"known": "x", "typo": "y"})"));
  CHECK(reader.RequiredString("known", 5).ok());
  CheckInvalid(reader.RejectUnknownFields().error(), "typo");
  CHECK(reader.OptionalString("typo", 5).ok());
  CHECK(reader.RejectUnknownFields().ok());

  JsonObjectReader nested(Object(R"({"type": "x", "extra": 1})"), "evidence.");
  CHECK(nested.RequiredString("type", 5).ok());
  CheckInvalid(nested.RejectUnknownFields().error(), "evidence.extra");
  CheckInvalid(nested.RequiredString("missing", 5).error(), "evidence.missing");
}

TEST_CASE("error bodies and the status table") {
  const HttpResponse response = ErrorResponse(400, "invalidParameters", "name: is required");
  CHECK(response.status == 400);
  CHECK(response.content_type == "application/json");
  const auto body = web::json::value::parse(response.body);
  CHECK(body.at("errorCode").as_string() == "invalidParameters");
  CHECK(body.at("details").as_string() == "name: is required");
  CHECK(body.size() == 2);

  const std::pair<const char*, int> table[] = {
      {"invalidParameters", 400}, {"unauthorized", 401},      {"forbidden", 403},
      {"notFound", 404},          {"methodNotAllowed", 405},  {"alreadyInProgress", 409},
      {"conflict", 409},          {"requestTooLarge", 413},   {"unsupportedMediaType", 415},
      {"tooManyRequests", 429},   {"serviceUnavailable", 503}, {"internalError", 500},
      {"invalidLength", 500},     {"", 500}};
  for (const auto& [code, status] : table) {
    CAPTURE(code);
    CHECK(HttpStatusFor(MakeError(code, "m")) == status);
  }

  const HttpResponse conflict = ErrorResponse(MakeError("alreadyInProgress", "an order is active"));
  CHECK(conflict.status == 409);
  CHECK(web::json::value::parse(conflict.body).at("details").as_string() == "an order is active");

  // Codes outside the table do not leak their message.
  const HttpResponse hidden = ErrorResponse(MakeError("sqliteBusy", "database /var/lib/x locked"));
  CHECK(hidden.status == 500);
  const auto hidden_body = web::json::value::parse(hidden.body);
  CHECK(hidden_body.at("errorCode").as_string() == "internalError");
  CHECK(hidden_body.at("details").as_string() == "internal error");
}

TEST_CASE("error details with quotes and control characters stay valid JSON") {
  const HttpResponse response = ErrorResponse(400, "invalidParameters", "a \"quoted\"\n\\ field");
  CHECK(web::json::value::parse(response.body).at("details").as_string() == "a \"quoted\"\n\\ field");
}

}  // namespace
}  // namespace tillit::server::api
