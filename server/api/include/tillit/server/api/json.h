// JSON mapping for the HTTP API, on cpprestsdk's web::json: JSON responses, the stable
// error body {"errorCode": ..., "details": ...}, strict request-body parsing, a schema
// reader for request objects, and the table from Error codes to HTTP statuses.
//
// web::json throws; nothing here lets an exception escape (style.md, "Errors"): parse
// failures, wrong types and out-of-range values come back as Error{"invalidParameters",
// "<field>: <what>"} or Error{"unsupportedMediaType", ...}.
//
// Thread safety: free functions are reentrant; a JsonObjectReader is used by one thread.
#pragma once

#include <cpprest/json.h>

#include <cstddef>
#include <cstdint>
#include <optional>
#include <set>
#include <string>
#include <string_view>
#include <vector>

#include "tillit/result.h"
#include "tillit/server/api/http.h"

namespace tillit::server::api {

// The status for an Error's stable code:
//   invalidParameters     400    alreadyInProgress      409
//   unauthorized          401    conflict               409
//   forbidden             403    requestTooLarge        413
//   notFound              404    unsupportedMediaType   415
//   methodNotAllowed      405    tooManyRequests        429
//   serviceUnavailable    503    internalError          500
// and the desk API's codes (docs/desk-api.md):
//   expiredEvidence       400    sameOfficer            409
//   invalidCode           400    approvalRequired       409
//   codeExpired           400    unresolvedMatches      409
//   storageFull           503    invalidTransition      409
//   storageUnavailable    503    duplicate              409
//   leaseExhausted        503    (offline desk: docs/offline-desk.md)
//   signerUnavailable     503    (the CA key's token: docs/operations.md §1.1)
// and the login and signing codes (docs/protocol.md §4, §7):
//   qrInvalid             400    certificateErr         403
//   qrExpired             400    identifierMismatch     403
//   invalidSignature      400    orderNotActive         409
// Any other code is 500 and is reported to the client as internalError (see ErrorResponse).
int HttpStatusFor(const Error& error);

// `value` serialized, Content-Type application/json.
HttpResponse JsonResponse(int status, const web::json::value& value);

// {"errorCode": error_code, "details": details} with the given status.
HttpResponse ErrorResponse(int status, std::string_view error_code, std::string_view details);

// The response for `error`: status from HttpStatusFor, errorCode = error.code and
// details = error.message. For a code outside the table the client gets only
// {"errorCode":"internalError","details":"internal error"}; the original code and message
// go to stderr, since they may describe internals.
HttpResponse ErrorResponse(const Error& error);

// Body of `request` as a JSON object. Errors: "unsupportedMediaType" unless Content-Type is
// application/json (parameters such as "; charset=utf-8" allowed, case-insensitive);
// "invalidParameters" for an empty body, malformed JSON, nesting too deep, a duplicate key
// in any object, or a top level that is not an object.
Result<web::json::value> ParseJsonBody(const HttpRequest& request);

// Strict reader of one JSON object's fields, so handlers validate a body in a few lines:
//
//   JsonObjectReader body(json);
//   TILLIT_TRY_ASSIGN(auto name, body.RequiredString("givenName", 100));
//   TILLIT_TRY_ASSIGN(auto level, body.OptionalInt("level", 2, 3));
//   TILLIT_TRY(body.RejectUnknownFields());
//
// Every failure is Error{"invalidParameters", "<field>: <what>"}, with nested fields named by
// path ("evidence.documentType"). A field set to null counts as absent: an Optional* getter
// returns nullopt and a Required* getter fails with "is required". Strings must be valid
// UTF-8 without U+0000; max_chars counts Unicode code points, not bytes, since names in
// non-Latin scripts take 2-4 bytes per character. Integers must be JSON integers (no
// fraction or exponent) within [min, max].
class JsonObjectReader {
 public:
  // `object` must be a JSON object (ParseJsonBody guarantees it); anything else is a
  // programmer error and aborts. `path_prefix` (e.g. "evidence.") prefixes field names in
  // error messages. The reader keeps its own copy of the object.
  explicit JsonObjectReader(web::json::value object, std::string path_prefix = "");

  Result<std::string> RequiredString(std::string_view name, size_t max_chars);
  Result<std::optional<std::string>> OptionalString(std::string_view name, size_t max_chars);

  Result<int64_t> RequiredInt(std::string_view name, int64_t min, int64_t max);
  Result<std::optional<int64_t>> OptionalInt(std::string_view name, int64_t min, int64_t max);

  Result<bool> RequiredBool(std::string_view name);
  Result<std::optional<bool>> OptionalBool(std::string_view name);

  // An array of at most max_items strings, each at most max_chars code points.
  Result<std::vector<std::string>> StringArray(std::string_view name, size_t max_items,
                                               size_t max_chars);
  Result<std::optional<std::vector<std::string>>> OptionalStringArray(std::string_view name,
                                                                      size_t max_items,
                                                                      size_t max_chars);

  // A nested object, to be read with JsonObjectReader(value, prefix + name + ".").
  Result<web::json::value> RequiredObject(std::string_view name);
  Result<std::optional<web::json::value>> OptionalObject(std::string_view name);

  // Fails with "<field>: unknown field" for the first field no getter above has asked for.
  // Call it after all getters: unknown fields are refused rather than ignored, so a typo in
  // an optional field name cannot silently drop a value (ASVS 4.0.3 V13.2.2).
  Status RejectUnknownFields() const;

  // "prefix" + name, as used in error messages.
  std::string FieldPath(std::string_view name) const;

 private:
  // The field's value, or nullptr if absent or null; records `name` as known.
  const web::json::value* Find(std::string_view name);
  Error Invalid(std::string_view name, std::string_view what) const;

  web::json::value object_;
  std::string path_prefix_;
  std::set<std::string, std::less<>> asked_;
};

}  // namespace tillit::server::api
