// JSON mapping: responses, error bodies, strict body parsing and JsonObjectReader.
// Every web::json call that can throw is inside a try block here.
#include "tillit/server/api/json.h"

#include <array>
#include <exception>
#include <limits>
#include <string>
#include <system_error>
#include <utility>

#include "log.h"
#include "tillit/check.h"
#include "tillit/utf8.h"

namespace tillit::server::api {
namespace {

constexpr std::string_view kInvalidParameters = "invalidParameters";
constexpr std::string_view kInternalError = "internalError";

struct CodeStatus {
  std::string_view code;
  int status;
};
// The table documented at HttpStatusFor in json.h. Error codes are part of the API
// contract (clients match on them): DO NOT CHANGE an existing entry.
constexpr std::array<CodeStatus, 30> kStatusTable{{
    {"invalidParameters", 400},
    {"expiredEvidence", 400},
    {"invalidCode", 400},
    {"codeExpired", 400},
    {"unauthorized", 401},
    {"forbidden", 403},
    {"notFound", 404},
    {"methodNotAllowed", 405},
    {"alreadyInProgress", 409},
    {"conflict", 409},
    {"requestTooLarge", 413},
    {"unsupportedMediaType", 415},
    {"tooManyRequests", 429},
    {"internalError", 500},
    {"serviceUnavailable", 503},
    // docs/desk-api.md: the desk workflow's refusals, and storage that cannot write.
    {"sameOfficer", 409},
    {"approvalRequired", 409},
    {"unresolvedMatches", 409},
    {"invalidTransition", 409},
    {"duplicate", 409},
    {"storageFull", 503},
    {"storageUnavailable", 503},
    // docs/offline-desk.md: an offline desk whose leased identifiers are all used.
    {"leaseExhausted", 503},
    {"signerUnavailable", 503},  // the CA key's PKCS#11 token (docs/operations.md §1.1)
    // docs/protocol.md §7: the device's login and signing refusals.
    {"qrInvalid", 400},
    {"qrExpired", 400},
    {"invalidSignature", 400},
    {"certificateErr", 403},
    {"identifierMismatch", 403},
    {"orderNotActive", 409},
}};

char AsciiLower(char c) { return (c >= 'A' && c <= 'Z') ? static_cast<char>(c - 'A' + 'a') : c; }

bool EqualsIgnoreCase(std::string_view a, std::string_view b) {
  if (a.size() != b.size()) return false;
  for (size_t i = 0; i < a.size(); ++i) {
    if (AsciiLower(a[i]) != AsciiLower(b[i])) return false;
  }
  return true;
}

std::string_view Trim(std::string_view s) {
  while (!s.empty() && (s.front() == ' ' || s.front() == '\t')) s.remove_prefix(1);
  while (!s.empty() && (s.back() == ' ' || s.back() == '\t')) s.remove_suffix(1);
  return s;
}

// True for "application/json" with no charset parameter or charset=utf-8 (JSON is UTF-8,
// RFC 8259 §8.1; any other declared charset would be misread).
bool IsJsonContentType(std::string_view content_type) {
  size_t semicolon = content_type.find(';');
  if (!EqualsIgnoreCase(Trim(content_type.substr(0, semicolon)), "application/json")) return false;
  while (semicolon != std::string_view::npos) {
    std::string_view rest = content_type.substr(semicolon + 1);
    semicolon = rest.find(';');
    std::string_view parameter = Trim(rest.substr(0, semicolon));
    content_type = rest;
    size_t equals = parameter.find('=');
    if (equals == std::string_view::npos) continue;
    if (!EqualsIgnoreCase(Trim(parameter.substr(0, equals)), "charset")) continue;
    std::string_view charset = Trim(parameter.substr(equals + 1));
    if (charset.size() >= 2 && charset.front() == '"' && charset.back() == '"') {
      charset = charset.substr(1, charset.size() - 2);
    }
    if (!EqualsIgnoreCase(charset, "utf-8")) return false;
  }
  return true;
}

// Unicode code points in `s`, or nullopt if `s` is not well-formed UTF-8 (tillit/utf8.h) or
// contains U+0000, which would truncate the value in C strings further down (SQLite, X.509
// fields).
std::optional<size_t> CountCodePoints(std::string_view s) {
  if (s.find('\0') != std::string_view::npos) return std::nullopt;
  return Utf8CodePointCount(s);
}

// Rejects duplicate keys anywhere in `value`. RFC 8259 §4 leaves duplicates undefined, and
// two components reading "first" and "last" differently is a classic smuggling bug. Depth
// is bounded by the parser's nesting limit.
bool HasDuplicateKeys(const web::json::value& value) {
  if (value.is_array()) {
    for (const web::json::value& element : value.as_array()) {
      if (HasDuplicateKeys(element)) return true;
    }
    return false;
  }
  if (!value.is_object()) return false;
  std::set<std::string_view> keys;
  for (const auto& field : value.as_object()) {
    if (!keys.insert(field.first).second) return true;
    if (HasDuplicateKeys(field.second)) return true;
  }
  return false;
}

Error InvalidBody(std::string message) {
  return MakeError(std::string(kInvalidParameters), std::move(message));
}

}  // namespace

int HttpStatusFor(const Error& error) {
  for (const CodeStatus& entry : kStatusTable) {
    if (entry.code == error.code) return entry.status;
  }
  return 500;
}

HttpResponse JsonResponse(int status, const web::json::value& value) {
  HttpResponse response;
  response.status = status;
  response.content_type = "application/json";
  response.body = value.serialize();
  return response;
}

HttpResponse ErrorResponse(int status, std::string_view error_code, std::string_view details) {
  web::json::value body = web::json::value::object();
  body[U("errorCode")] = web::json::value::string(std::string(error_code));
  body[U("details")] = web::json::value::string(std::string(details));
  return JsonResponse(status, body);
}

HttpResponse ErrorResponse(const Error& error) {
  const int status = HttpStatusFor(error);
  if (status == 500) {
    internal::LogError("internal error: " + error.code + ": " + error.message);
    return ErrorResponse(500, kInternalError, "internal error");
  }
  return ErrorResponse(status, error.code, error.message);
}

Result<web::json::value> ParseJsonBody(const HttpRequest& request) {
  if (!IsJsonContentType(request.Header("content-type"))) {
    return MakeError("unsupportedMediaType", "Content-Type must be application/json");
  }
  if (request.body.empty()) return InvalidBody("body: empty");
  try {
    std::error_code parse_error;
    web::json::value value = web::json::value::parse(request.body, parse_error);
    if (parse_error) return InvalidBody("body: malformed JSON (" + parse_error.message() + ")");
    if (!value.is_object()) return InvalidBody("body: must be a JSON object");
    if (HasDuplicateKeys(value)) return InvalidBody("body: duplicate key");
    return value;
  } catch (const web::json::json_exception& e) {
    return InvalidBody(std::string("body: malformed JSON (") + e.what() + ")");
  } catch (const std::exception& e) {
    internal::LogError(std::string("JSON parse failed: ") + e.what());
    return InvalidBody("body: malformed JSON");
  }
}

JsonObjectReader::JsonObjectReader(web::json::value object, std::string path_prefix)
    : object_(std::move(object)), path_prefix_(std::move(path_prefix)) {
  TILLIT_CHECK(object_.is_object());
}

std::string JsonObjectReader::FieldPath(std::string_view name) const {
  return path_prefix_ + std::string(name);
}

Error JsonObjectReader::Invalid(std::string_view name, std::string_view what) const {
  return InvalidBody(FieldPath(name) + ": " + std::string(what));
}

const web::json::value* JsonObjectReader::Find(std::string_view name) {
  asked_.emplace(name);
  const web::json::object& fields = object_.as_object();
  auto it = fields.find(std::string(name));
  if (it == fields.end() || it->second.is_null()) return nullptr;
  return &it->second;
}

Result<std::optional<std::string>> JsonObjectReader::OptionalString(std::string_view name,
                                                                    size_t max_chars) {
  const web::json::value* value = Find(name);
  if (value == nullptr) return std::optional<std::string>();
  if (!value->is_string()) return Invalid(name, "must be a string");
  const std::string& text = value->as_string();
  std::optional<size_t> chars = CountCodePoints(text);
  if (!chars) return Invalid(name, "must be valid UTF-8 without NUL");
  if (*chars > max_chars) {
    return Invalid(name, "longer than " + std::to_string(max_chars) + " characters");
  }
  return std::optional<std::string>(text);
}

Result<std::string> JsonObjectReader::RequiredString(std::string_view name, size_t max_chars) {
  TILLIT_TRY_ASSIGN(std::optional<std::string> text, OptionalString(name, max_chars));
  if (!text) return Invalid(name, "is required");
  return std::move(*text);
}

Result<std::optional<int64_t>> JsonObjectReader::OptionalInt(std::string_view name, int64_t min,
                                                             int64_t max) {
  const web::json::value* value = Find(name);
  if (value == nullptr) return std::optional<int64_t>();
  const std::string range = "must be an integer from " + std::to_string(min) + " to " +
                            std::to_string(max);
  if (!value->is_number() || !value->as_number().is_int64()) return Invalid(name, range);
  const int64_t number = value->as_number().to_int64();
  if (number < min || number > max) return Invalid(name, range);
  return std::optional<int64_t>(number);
}

Result<int64_t> JsonObjectReader::RequiredInt(std::string_view name, int64_t min, int64_t max) {
  TILLIT_TRY_ASSIGN(std::optional<int64_t> number, OptionalInt(name, min, max));
  if (!number) return Invalid(name, "is required");
  return *number;
}

Result<std::optional<bool>> JsonObjectReader::OptionalBool(std::string_view name) {
  const web::json::value* value = Find(name);
  if (value == nullptr) return std::optional<bool>();
  if (!value->is_boolean()) return Invalid(name, "must be true or false");
  return std::optional<bool>(value->as_bool());
}

Result<bool> JsonObjectReader::RequiredBool(std::string_view name) {
  TILLIT_TRY_ASSIGN(std::optional<bool> flag, OptionalBool(name));
  if (!flag) return Invalid(name, "is required");
  return *flag;
}

Result<std::optional<std::vector<std::string>>> JsonObjectReader::OptionalStringArray(
    std::string_view name, size_t max_items, size_t max_chars) {
  using Strings = std::vector<std::string>;
  const web::json::value* value = Find(name);
  if (value == nullptr) return std::optional<Strings>();
  if (!value->is_array()) return Invalid(name, "must be an array of strings");
  const web::json::array& elements = value->as_array();
  if (elements.size() > max_items) {
    return Invalid(name, "more than " + std::to_string(max_items) + " items");
  }
  Strings strings;
  strings.reserve(elements.size());
  for (size_t i = 0; i < elements.size(); ++i) {
    const std::string item = std::string(name) + "[" + std::to_string(i) + "]";
    if (!elements.at(i).is_string()) return Invalid(item, "must be a string");
    const std::string& text = elements.at(i).as_string();
    std::optional<size_t> chars = CountCodePoints(text);
    if (!chars) return Invalid(item, "must be valid UTF-8 without NUL");
    if (*chars > max_chars) {
      return Invalid(item, "longer than " + std::to_string(max_chars) + " characters");
    }
    strings.push_back(text);
  }
  return std::optional<Strings>(std::move(strings));
}

Result<std::vector<std::string>> JsonObjectReader::StringArray(std::string_view name,
                                                               size_t max_items,
                                                               size_t max_chars) {
  TILLIT_TRY_ASSIGN(auto strings, OptionalStringArray(name, max_items, max_chars));
  if (!strings) return Invalid(name, "is required");
  return std::move(*strings);
}

Result<std::optional<web::json::value>> JsonObjectReader::OptionalObject(std::string_view name) {
  const web::json::value* value = Find(name);
  if (value == nullptr) return std::optional<web::json::value>();
  if (!value->is_object()) return Invalid(name, "must be an object");
  return std::optional<web::json::value>(*value);
}

Result<web::json::value> JsonObjectReader::RequiredObject(std::string_view name) {
  TILLIT_TRY_ASSIGN(std::optional<web::json::value> object, OptionalObject(name));
  if (!object) return Invalid(name, "is required");
  return std::move(*object);
}

Status JsonObjectReader::RejectUnknownFields() const {
  for (const auto& field : object_.as_object()) {
    if (asked_.find(field.first) == asked_.end()) return Invalid(field.first, "unknown field");
  }
  return {};
}

}  // namespace tillit::server::api
