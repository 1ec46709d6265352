// Fuzz target: the strict JSON request-body reader every API route starts with
// (ParseJsonBody and JsonObjectReader, tillit/server/api/json.h). Input: a Content-Type line,
// the field separator "\n--\n", then the body (without a separator the whole input is the
// body, as application/json). The body is then read as the routes read theirs: strings,
// integers, booleans, string arrays, a nested object, and unknown fields refused.
// Invariants: only the documented error codes; nothing throws.
#include <cstdint>
#include <string>

#include "fuzz/fuzz_support.h"
#include "tillit/server/api/json.h"

namespace {

using tillit::server::api::JsonObjectReader;

bool Documented(const tillit::Error& error) {
  return error.code == "invalidParameters" || error.code == "unsupportedMediaType";
}

// Reads every getter once; stops at the first error, as a route does.
tillit::Status ReadLikeARoute(const web::json::value& body) {
  JsonObjectReader reader(body);
  TILLIT_TRY_ASSIGN(auto name, reader.OptionalString("name", 100));
  TILLIT_TRY_ASSIGN(auto level, reader.OptionalInt("level", 1, 3));
  TILLIT_TRY_ASSIGN(auto big, reader.OptionalInt("offset", 0, INT64_MAX));
  TILLIT_TRY_ASSIGN(auto flag, reader.OptionalBool("flag"));
  TILLIT_TRY_ASSIGN(auto list, reader.OptionalStringArray("checks", 8, 40));
  TILLIT_TRY_ASSIGN(auto nested, reader.OptionalObject("person"));
  (void)name, (void)level, (void)big, (void)flag, (void)list;
  if (nested) {
    JsonObjectReader person(*nested, "person.");
    TILLIT_TRY_ASSIGN(auto given, person.RequiredString("givenName", 200));
    TILLIT_TRY_ASSIGN(auto count, person.RequiredInt("count", INT64_MIN, INT64_MAX));
    TILLIT_TRY_ASSIGN(auto yes, person.RequiredBool("yes"));
    TILLIT_TRY_ASSIGN(auto items, person.StringArray("items", 3, 5));
    TILLIT_TRY_ASSIGN(auto inner, person.RequiredObject("inner"));
    (void)given, (void)count, (void)yes, (void)items, (void)inner;
    TILLIT_TRY(person.RejectUnknownFields());
  }
  return reader.RejectUnknownFields();
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  using namespace tillit;
  const auto fields = fuzz::SplitFields(fuzz::AsText(data, size), 2);
  server::api::HttpRequest request;
  request.method = "POST";
  request.path = "/fuzz";
  if (fields.size() == 2) {
    request.headers["content-type"] = std::string(fields[0]);
    request.body = std::string(fields[1]);
  } else {
    request.headers["content-type"] = "application/json";
    request.body = std::string(fields[0]);
  }
  auto body = server::api::ParseJsonBody(request);
  if (!body.ok()) {
    FUZZ_CHECK(Documented(body.error()));
    return 0;
  }
  FUZZ_CHECK(body->is_object());
  auto read = ReadLikeARoute(*body);
  if (!read.ok()) FUZZ_CHECK(read.error().code == "invalidParameters");
  // A response body built from what was read is valid JSON again.
  (void)server::api::JsonResponse(200, *body);
  return 0;
}
