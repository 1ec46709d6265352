// tillit-verify: checks a login or signing result offline, as an e-service does long after
// the login (docs/protocol.md §8). The interface is tested from outside; keep it exact:
//   tillit-verify --ca CA.pem [--jwks FILE] [--crl FILE] RESULT.json
// RESULT.json is a collect answer with status "complete" (docs/protocol.md §4.2). Valid:
// {"valid": true, "identifier", "action", "text"?} on stdout, exit 0. Invalid or unreadable:
// {"valid": false, "reason": <stable camelCase code>, "details"} on stdout, exit 1. Usage
// errors: a message on stderr, exit 2.
//
// The checks run in a fixed order and stop at the first failure (libfido2's habit: cheap
// shape checks first, the certificate path, then what the device signed, then the issuer's
// JWS). Only the values the certificate and the device's signature vouch for are printed.
#include <cpprest/json.h>

#include <cstdint>
#include <cstdio>
#include <ctime>
#include <exception>
#include <fstream>
#include <iostream>
#include <optional>
#include <set>
#include <sstream>
#include <string>
#include <string_view>
#include <system_error>
#include <vector>

#include "tillit/bytes.h"
#include "tillit/credential/certificate.h"
#include "tillit/credential/crl.h"
#include "tillit/crypto/ed25519.h"
#include "tillit/crypto/hash.h"
#include "tillit/identifier/identifier.h"
#include "tillit/protocol/jws.h"
#include "tillit/protocol/login_qr.h"
#include "tillit/protocol/signed_data.h"
#include "tillit/result.h"
#include "tillit/utf8.h"

namespace {

using namespace tillit;
using web::json::value;

constexpr const char* kUsage =
    "usage: tillit-verify --ca CA.pem [--jwks FILE] [--crl FILE] RESULT.json\n"
    "\n"
    "Checks a login or signing result offline (docs/protocol.md §8). RESULT.json is the\n"
    "answer of POST /rp/v1/collect with status \"complete\"; CA.pem is the issuer CA\n"
    "(GET /.well-known/tillit-ca.pem).\n"
    "\n"
    "Checked, in this order: the JSON shape; the holder certificate chains to the CA at\n"
    "completedAt; signedData names this orderRef and the certificate's serial; the device's\n"
    "Ed25519 signature over signedData; userVisibleData, userNonVisibleData, the identifier\n"
    "and the assurance level agree with what was signed and certified.\n"
    "  --jwks FILE  also check resultJws against the issuer's keys (GET /.well-known/jwks.json):\n"
    "               its signature, and that it carries this orderRef, action and\n"
    "               completionData. Without --jwks the JWS is NOT checked: the answer then\n"
    "               shows only that the certificate's holder signed signedData, not that the\n"
    "               issuer completed the order (nor revocation, personalNumber,\n"
    "               device.ipAddress or completedAt).\n"
    "  --crl FILE   also check the credential's status in the issuer's CRL (DER or PEM,\n"
    "               GET /status/v1/crl), verified under the CA and current now (it is\n"
    "               valid for an hour). A listed credential makes the result invalid\n"
    "               (certificateRevoked, or certificateOnHold if suspended) if it was\n"
    "               revoked at or before completedAt; with --jwks a later revocation does\n"
    "               not count. Without --jwks completedAt is not authenticated, so any\n"
    "               listing counts.\n"
    "\n"
    "Valid: {\"valid\": true, \"identifier\", \"action\", \"text\"?} on stdout, exit 0 (text is\n"
    "userVisibleData as UTF-8). Invalid: {\"valid\": false, \"reason\", \"details\"}, exit 1.\n"
    "Usage errors: exit 2.\n";

// Largest input file read; results are well under 1 MiB (two 40,000-byte user data fields,
// each also inside the JWS).
constexpr std::uintmax_t kMaxFileBytes = 4 * 1024 * 1024;
// Largest CRL file read: credential::kMaxCrlSize as PEM (base64 and line breaks).
constexpr std::uintmax_t kMaxCrlFileBytes = credential::kMaxCrlSize / 3 * 4 + credential::kMaxCrlSize / 32 + 1024;
// Lower-case hex of a 16-byte certificate serial.
constexpr size_t kSerialHexChars = 32;

// Every failure is an Error whose code is the stable "reason" and whose message the details.
Error Invalid(std::string reason, std::string details) {
  return MakeError(std::move(reason), std::move(details));
}

struct UsageError {
  std::string message;
};

struct Options {
  std::string ca_path;
  std::optional<std::string> jwks_path;
  std::optional<std::string> crl_path;
  std::string result_path;
  bool help = false;
};

Options ParseArgs(int argc, char** argv) {
  Options options;
  std::vector<std::string> positional;
  bool have_ca = false;
  for (int i = 1; i < argc; ++i) {
    std::string arg = argv[i];
    if (arg == "--help" || arg == "-h") {
      options.help = true;
      continue;
    }
    if (arg == "--") {
      for (++i; i < argc; ++i) positional.emplace_back(argv[i]);
      break;
    }
    if (arg.rfind("--", 0) == 0) {
      std::string name = arg;
      std::optional<std::string> inline_value;
      if (size_t eq = arg.find('='); eq != std::string::npos) {
        name = arg.substr(0, eq);
        inline_value = arg.substr(eq + 1);
      }
      if (name != "--ca" && name != "--jwks" && name != "--crl") {
        throw UsageError{"unknown option " + name};
      }
      std::string v;
      if (inline_value) {
        v = *inline_value;
      } else {
        if (i + 1 >= argc) throw UsageError{name + " needs a value"};
        v = argv[++i];
      }
      if (v.empty()) throw UsageError{name + " needs a value"};
      if (name == "--ca") {
        if (have_ca) throw UsageError{"--ca given twice"};
        options.ca_path = v;
        have_ca = true;
      } else if (name == "--crl") {
        if (options.crl_path) throw UsageError{"--crl given twice"};
        options.crl_path = v;
      } else {
        if (options.jwks_path) throw UsageError{"--jwks given twice"};
        options.jwks_path = v;
      }
      continue;
    }
    positional.push_back(arg);
  }
  if (options.help) return options;
  if (!have_ca) throw UsageError{"--ca is required"};
  if (positional.empty()) throw UsageError{"missing RESULT.json"};
  if (positional.size() > 1) throw UsageError{"unexpected argument " + positional[1]};
  options.result_path = positional[0];
  return options;
}

Result<std::string> ReadFile(const std::string& path, std::string_view what,
                             std::uintmax_t max_bytes = kMaxFileBytes) {
  std::ifstream in(path, std::ios::binary);
  if (!in) return Invalid("unreadableFile", std::string(what) + ": cannot open " + path);
  std::string text;
  char buffer[64 * 1024];
  while (in.read(buffer, sizeof buffer) || in.gcount() > 0) {
    text.append(buffer, static_cast<size_t>(in.gcount()));
    if (text.size() > max_bytes) {
      return Invalid("unreadableFile", std::string(what) + ": larger than " +
                                           std::to_string(max_bytes >> 20) + " MiB: " + path);
    }
  }
  if (in.bad()) return Invalid("unreadableFile", std::string(what) + ": read error: " + path);
  return text;
}

// --- JSON ----------------------------------------------------------------------------------

// RFC 8259 leaves duplicate names undefined; two readers picking different duplicates is a
// smuggling bug, so a document with any is refused (as the issuer's API does).
bool HasDuplicateKeys(const value& v) {
  if (v.is_array()) {
    for (const value& element : v.as_array()) {
      if (HasDuplicateKeys(element)) return true;
    }
    return false;
  }
  if (!v.is_object()) return false;
  std::set<std::string_view> keys;
  for (const auto& field : v.as_object()) {
    if (!keys.insert(field.first).second) return true;
    if (HasDuplicateKeys(field.second)) return true;
  }
  return false;
}

// A JSON object from text, no duplicate names. Errors: `reason`.
Result<value> ParseJsonObject(std::string_view text, const std::string& reason,
                              std::string_view what) {
  try {
    std::error_code error;
    value v = value::parse(std::string(text), error);
    if (error) return Invalid(reason, std::string(what) + ": malformed JSON (" + error.message() + ")");
    if (!v.is_object()) return Invalid(reason, std::string(what) + ": not a JSON object");
    if (HasDuplicateKeys(v)) return Invalid(reason, std::string(what) + ": duplicate key");
    return v;
  } catch (const std::exception& e) {
    return Invalid(reason, std::string(what) + ": malformed JSON (" + e.what() + ")");
  }
}

// Structural equality: objects as sets of members (order does not matter), arrays in
// order, numbers by value, strings byte for byte.
bool JsonEqual(const value& a, const value& b) {
  if (a.type() != b.type()) return false;
  switch (a.type()) {
    case value::Null:
      return true;
    case value::Boolean:
      return a.as_bool() == b.as_bool();
    case value::String:
      return a.as_string() == b.as_string();
    case value::Number: {
      const auto& x = a.as_number();
      const auto& y = b.as_number();
      if (x.is_integral() != y.is_integral()) return false;
      if (!x.is_integral()) return a.as_double() == b.as_double();
      if (x.is_int64() && y.is_int64()) return x.to_int64() == y.to_int64();
      if (x.is_uint64() && y.is_uint64()) return x.to_uint64() == y.to_uint64();
      return false;
    }
    case value::Array: {
      const auto& x = a.as_array();
      const auto& y = b.as_array();
      if (x.size() != y.size()) return false;
      for (size_t i = 0; i < x.size(); ++i) {
        if (!JsonEqual(x.at(i), y.at(i))) return false;
      }
      return true;
    }
    case value::Object: {
      const auto& x = a.as_object();
      const auto& y = b.as_object();
      if (x.size() != y.size()) return false;
      for (const auto& [name, member] : x) {
        auto it = y.find(name);
        if (it == y.end() || !JsonEqual(member, it->second)) return false;
      }
      return true;
    }
  }
  return false;
}

// Typed reads of one object's members; every failure is "invalidField" naming the path.
class Fields {
 public:
  Fields(const value& object, std::string prefix) : object_(object), prefix_(std::move(prefix)) {}

  const value* Find(const std::string& name) const {
    const auto& fields = object_.as_object();
    auto it = fields.find(name);
    return it == fields.end() ? nullptr : &it->second;
  }

  Result<std::string> String(const std::string& name) const {
    const value* v = Find(name);
    if (v == nullptr) return Bad(name, "is required");
    if (!v->is_string()) return Bad(name, "must be a string");
    return v->as_string();
  }

  Result<std::optional<std::string>> OptionalString(const std::string& name) const {
    const value* v = Find(name);
    if (v == nullptr) return std::optional<std::string>();
    if (!v->is_string()) return Bad(name, "must be a string");
    return std::optional<std::string>(v->as_string());
  }

  Result<int64_t> Int(const std::string& name) const {
    const value* v = Find(name);
    if (v == nullptr) return Bad(name, "is required");
    if (!v->is_number() || !v->as_number().is_int64()) return Bad(name, "must be an integer");
    return v->as_number().to_int64();
  }

  Result<value> Object(const std::string& name) const {
    const value* v = Find(name);
    if (v == nullptr) return Bad(name, "is required");
    if (!v->is_object()) return Bad(name, "must be an object");
    return *v;
  }

  Result<Bytes> Base64(const std::string& name) const {
    TILLIT_TRY_ASSIGN(std::string text, String(name));
    auto bytes = Base64Decode(text);
    if (!bytes.ok()) return Bad(name, "not standard base64");
    return std::move(*bytes);
  }

  Result<std::optional<Bytes>> OptionalBase64(const std::string& name) const {
    TILLIT_TRY_ASSIGN(std::optional<std::string> text, OptionalString(name));
    if (!text) return std::optional<Bytes>();
    auto bytes = Base64Decode(*text);
    if (!bytes.ok()) return Bad(name, "not standard base64");
    return std::optional<Bytes>(std::move(*bytes));
  }

  Error Bad(const std::string& name, std::string_view what) const {
    return Invalid("invalidField", prefix_ + name + ": " + std::string(what));
  }

 private:
  const value& object_;
  std::string prefix_;
};

// --- RFC 3339 ------------------------------------------------------------------------------

// Days since 1970-01-01 of a proleptic Gregorian date (H. Hinnant's days_from_civil).
int64_t DaysFromCivil(int64_t y, int64_t m, int64_t d) {
  y -= m <= 2;
  const int64_t era = (y >= 0 ? y : y - 399) / 400;
  const int64_t yoe = y - era * 400;
  const int64_t doy = (153 * (m + (m > 2 ? -3 : 9)) + 2) / 5 + d - 1;
  const int64_t doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
  return era * 146097 + doe - 719468;
}

bool IsLeapYear(int64_t y) { return (y % 4 == 0 && y % 100 != 0) || y % 400 == 0; }

// Parses an RFC 3339 §5.6 date-time strictly: "YYYY-MM-DDTHH:MM:SS", an optional fraction
// (truncated), then "Z" or "+hh:mm"/"-hh:mm"; upper-case T and Z only, every field in range
// (the day for its month and year). A leap second (":60") is refused: the issuer never
// writes one. Returns Unix seconds.
std::optional<int64_t> ParseRfc3339(std::string_view s) {
  size_t pos = 0;
  auto digits = [&](size_t n, int64_t& out) {
    if (s.size() - pos < n) return false;
    out = 0;
    for (size_t i = 0; i < n; ++i) {
      char c = s[pos + i];
      if (c < '0' || c > '9') return false;
      out = out * 10 + (c - '0');
    }
    pos += n;
    return true;
  };
  auto literal = [&](char c) {
    if (pos >= s.size() || s[pos] != c) return false;
    ++pos;
    return true;
  };
  int64_t year, month, day, hour, minute, second;
  if (!digits(4, year) || !literal('-') || !digits(2, month) || !literal('-') ||
      !digits(2, day) || !literal('T') || !digits(2, hour) || !literal(':') ||
      !digits(2, minute) || !literal(':') || !digits(2, second)) {
    return std::nullopt;
  }
  static constexpr int kMonthDays[12] = {31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31};
  if (month < 1 || month > 12 || day < 1) return std::nullopt;
  int64_t month_days = kMonthDays[month - 1] + (month == 2 && IsLeapYear(year) ? 1 : 0);
  if (day > month_days || hour > 23 || minute > 59 || second > 59) return std::nullopt;
  if (pos < s.size() && s[pos] == '.') {
    ++pos;
    size_t start = pos;
    while (pos < s.size() && s[pos] >= '0' && s[pos] <= '9') ++pos;
    if (pos == start) return std::nullopt;
  }
  int64_t offset = 0;
  if (literal('Z')) {
    offset = 0;
  } else if (pos < s.size() && (s[pos] == '+' || s[pos] == '-')) {
    const int64_t sign = s[pos] == '+' ? 1 : -1;
    ++pos;
    int64_t oh, om;
    if (!digits(2, oh) || !literal(':') || !digits(2, om) || oh > 23 || om > 59) {
      return std::nullopt;
    }
    offset = sign * (oh * 3600 + om * 60);
  } else {
    return std::nullopt;
  }
  if (pos != s.size()) return std::nullopt;
  return DaysFromCivil(year, month, day) * 86400 + hour * 3600 + minute * 60 + second - offset;
}

// --- the result ----------------------------------------------------------------------------

// A collect answer whose fields have the right types and encodings. Unverified.
struct Collected {
  std::string order_ref;
  value completion_data;  // the whole object, for the JWS comparison
  std::string identifier;
  std::string given_name;
  std::string surname;
  int64_t assurance_level = 0;
  std::string credential_serial;
  Bytes certificate_der;
  Bytes signed_data;
  Bytes signature;
  int64_t completed_at = 0;
  std::optional<Bytes> user_visible_data;
  std::optional<Bytes> user_non_visible_data;
  std::string result_jws;
};

// Check 1: the JSON shape.
Result<Collected> ReadResult(std::string_view text) {
  TILLIT_TRY_ASSIGN(value root, ParseJsonObject(text, "malformedJson", "result"));
  Fields top(root, "");
  Collected out;
  TILLIT_TRY_ASSIGN(out.order_ref, top.String("orderRef"));
  if (!protocol::IsUuidV4(out.order_ref)) return top.Bad("orderRef", "not a lower-case UUID");
  TILLIT_TRY_ASSIGN(std::string status, top.String("status"));
  if (status != "complete") {
    return Invalid("notComplete", "status is \"" + status + "\", not \"complete\"");
  }
  TILLIT_TRY_ASSIGN(out.completion_data, top.Object("completionData"));
  Fields data(out.completion_data, "completionData.");

  TILLIT_TRY_ASSIGN(value user_json, data.Object("user"));
  Fields user(user_json, "completionData.user.");
  TILLIT_TRY_ASSIGN(out.identifier, user.String("identifier"));
  TILLIT_TRY_ASSIGN(out.given_name, user.String("givenName"));
  TILLIT_TRY_ASSIGN(out.surname, user.String("surname"));
  TILLIT_TRY_ASSIGN(std::string name, user.String("name"));
  TILLIT_TRY_ASSIGN(out.assurance_level, user.Int("assuranceLevel"));
  TILLIT_TRY_ASSIGN(auto personal_number, user.OptionalString("personalNumber"));
  (void)name;  // display only; covered by the JWS, not by the certificate
  (void)personal_number;

  TILLIT_TRY_ASSIGN(value device_json, data.Object("device"));
  Fields device(device_json, "completionData.device.");
  TILLIT_TRY_ASSIGN(out.credential_serial, device.String("credentialSerial"));
  TILLIT_TRY_ASSIGN(std::string ip, device.String("ipAddress"));
  (void)ip;

  TILLIT_TRY_ASSIGN(out.certificate_der, data.Base64("certificate"));
  TILLIT_TRY_ASSIGN(out.signed_data, data.Base64("signedData"));
  TILLIT_TRY_ASSIGN(out.signature, data.Base64("signature"));
  if (out.signature.size() != crypto::Signature::kSize) {
    return data.Bad("signature", "not 64 bytes");
  }
  TILLIT_TRY_ASSIGN(std::string completed_at, data.String("completedAt"));
  auto when = ParseRfc3339(completed_at);
  if (!when) return data.Bad("completedAt", "not an RFC 3339 date-time");
  out.completed_at = *when;
  TILLIT_TRY_ASSIGN(out.user_visible_data, data.OptionalBase64("userVisibleData"));
  TILLIT_TRY_ASSIGN(out.user_non_visible_data, data.OptionalBase64("userNonVisibleData"));
  TILLIT_TRY_ASSIGN(out.result_jws, data.String("resultJws"));
  return out;
}

// The keys of a JWKS ({"keys": [...]}) that could have made `kid`: Ed25519 keys whose "kid"
// member (or, without one, RFC 7638 thumbprint) equals it. Keys of other types are skipped.
Result<std::vector<crypto::VerifyingKey>> KeysForKid(std::string_view jwks_text,
                                                     std::string_view kid) {
  TILLIT_TRY_ASSIGN(value jwks, ParseJsonObject(jwks_text, "invalidJwks", "JWKS"));
  if (!jwks.has_field("keys") || !jwks.at("keys").is_array()) {
    return Invalid("invalidJwks", "JWKS: \"keys\" must be an array");
  }
  std::vector<crypto::VerifyingKey> found;
  size_t index = 0;
  for (const value& jwk : jwks.at("keys").as_array()) {
    const std::string where = "JWKS: keys[" + std::to_string(index++) + "]";
    if (!jwk.is_object()) return Invalid("invalidJwks", where + ": not an object");
    auto member = [&](const char* name) -> std::optional<std::string> {
      if (!jwk.has_field(name) || !jwk.at(name).is_string()) return std::nullopt;
      return jwk.at(name).as_string();
    };
    auto kty = member("kty");
    auto crv = member("crv");
    if (!kty) return Invalid("invalidJwks", where + ": kty must be a string");
    if (*kty != "OKP" || !crv || *crv != "Ed25519") continue;
    auto x = member("x");
    if (!x) return Invalid("invalidJwks", where + ": x must be a string");
    auto key = protocol::ParsePublicJwk(*kty, *crv, *x);
    if (!key.ok()) return Invalid("invalidJwks", where + ": " + key.error().message);
    if (jwk.has_field("kid") && !jwk.at("kid").is_string()) {
      return Invalid("invalidJwks", where + ": kid must be a string");
    }
    std::string key_id = member("kid").value_or(protocol::JwkThumbprint(*key));
    if (key_id == kid) found.push_back(*key);
  }
  return found;
}

// Checks 2 to 6. Returns the success answer.
Result<value> Verify(const Options& options) {
  TILLIT_TRY_ASSIGN(std::string ca_pem, ReadFile(options.ca_path, "CA"));
  TILLIT_TRY_ASSIGN(std::string result_text, ReadFile(options.result_path, "result"));
  std::optional<std::string> jwks_text;
  if (options.jwks_path) {
    TILLIT_TRY_ASSIGN(jwks_text, ReadFile(*options.jwks_path, "JWKS"));
  }
  std::optional<std::string> crl_text;
  if (options.crl_path) {
    TILLIT_TRY_ASSIGN(crl_text, ReadFile(*options.crl_path, "CRL", kMaxCrlFileBytes));
  }

  // 1. Shape.
  TILLIT_TRY_ASSIGN(Collected result, ReadResult(result_text));

  // 2. The holder certificate chains to the CA, at the time the issuer completed the order:
  // a result stays checkable after the certificate expires.
  auto ca_der = credential::CertificateFromPem(ca_pem);
  if (!ca_der.ok()) {
    return Invalid("invalidCa", "CA: " + ca_der.error().code + ": " + ca_der.error().message);
  }
  auto cert = credential::VerifyHolderCertificate(result.certificate_der, *ca_der,
                                                  result.completed_at);
  if (!cert.ok()) {
    return Invalid("untrustedCertificate",
                   "certificate: " + cert.error().code + ": " + cert.error().message);
  }

  // 3. signedData is for this order and this credential.
  auto signed_data = protocol::ParseSignedData(result.signed_data);
  if (!signed_data.ok()) {
    return Invalid("invalidSignedData", "signedData: " + signed_data.error().message);
  }
  const protocol::SignedData& sd = *signed_data;
  if (sd.order_ref != result.order_ref) {
    return Invalid("orderRefMismatch",
                   "signedData names order " + sd.order_ref + ", the result " + result.order_ref);
  }
  if (cert->serial_hex().size() != kSerialHexChars || sd.credential_serial != cert->serial_hex()) {
    return Invalid("serialMismatch", "signedData.credentialSerial " + sd.credential_serial +
                                         " is not the certificate's serial " + cert->serial_hex());
  }
  if (result.credential_serial != cert->serial_hex()) {
    return Invalid("serialMismatch", "device.credentialSerial " + result.credential_serial +
                                         " is not the certificate's serial " + cert->serial_hex());
  }
  const std::string action(protocol::OrderActionName(sd.action));

  // 4. The device's signature under the certified key.
  auto signature = crypto::Signature::Parse(result.signature);
  if (!signature.ok() || !cert->holder_key().Verify(result.signed_data, *signature).ok()) {
    return Invalid("invalidSignature",
                   "signature does not verify under the certificate's key");
  }

  // 5. The result's claims agree with what was signed and certified.
  auto check_data = [](const std::optional<Bytes>& data,
                       const std::optional<crypto::Sha256Digest>& hash,
                       const std::string& name) -> Status {
    if (!data && !hash) return {};
    if (!data) return Invalid("userDataMismatch", name + " was signed but is absent");
    if (!hash) return Invalid("userDataMismatch", name + " is present but was not signed");
    if (crypto::Sha256(*data) != *hash) {
      return Invalid("userDataMismatch", name + " is not the data that was signed");
    }
    return {};
  };
  TILLIT_TRY(check_data(result.user_visible_data, sd.visible_data_hash, "userVisibleData"));
  TILLIT_TRY(check_data(result.user_non_visible_data, sd.non_visible_data_hash,
                        "userNonVisibleData"));
  if (sd.action == protocol::OrderAction::kSign && !result.user_visible_data) {
    return Invalid("userDataMismatch", "a sign result without userVisibleData");
  }
  if (result.user_visible_data && !IsUtf8Text(AsString(*result.user_visible_data))) {
    return Invalid("userDataMismatch", "userVisibleData is not UTF-8 text");
  }
  auto identifier = identifier::Identifier::Parse(result.identifier);
  if (!identifier.ok() || *identifier != cert->identifier()) {
    return Invalid("userMismatch", "user.identifier " + result.identifier +
                                       " is not the certificate's " +
                                       cert->identifier().ToString());
  }
  if (result.assurance_level != cert->assurance_level()) {
    return Invalid("userMismatch", "user.assuranceLevel " +
                                       std::to_string(result.assurance_level) +
                                       " is not the certificate's " +
                                       std::to_string(cert->assurance_level()));
  }
  if (result.given_name != cert->given_name() || result.surname != cert->surname()) {
    return Invalid("userMismatch", "user.givenName/surname are not the certificate's");
  }

  // 6. The issuer's JWS over the whole result.
  if (jwks_text) {
    auto jws = protocol::ParseCompactJws(result.result_jws);
    if (!jws.ok()) return Invalid("invalidJws", "resultJws: " + jws.error().message);
    if (jws->kid.empty()) return Invalid("unknownKey", "resultJws: the header has no kid");
    TILLIT_TRY_ASSIGN(auto keys, KeysForKid(*jwks_text, jws->kid));
    if (keys.empty()) return Invalid("unknownKey", "no key in the JWKS has kid " + jws->kid);
    std::optional<Bytes> payload;
    Error last = Invalid("invalidJws", "resultJws: no key");
    for (const crypto::VerifyingKey& key : keys) {
      auto verified = protocol::VerifyCompactJws(*jws, key);
      if (verified.ok()) {
        payload = std::move(*verified);
        break;
      }
      last = verified.error();
    }
    if (!payload) {
      if (last.code == "invalidSignature") {
        return Invalid("invalidJwsSignature", "resultJws: " + last.message);
      }
      return Invalid("invalidJws", "resultJws: " + last.message);
    }
    TILLIT_TRY_ASSIGN(value claims, ParseJsonObject(AsString(*payload), "invalidJws",
                                                    "resultJws payload"));
    Fields jwt(claims, "resultJws.");
    auto mismatch = [](const std::string& what) {
      return Invalid("jwsMismatch", "resultJws " + what + " differs from the result");
    };
    auto claim_order = jwt.String("orderRef");
    auto claim_action = jwt.String("action");
    auto claim_data = jwt.Object("completionData");
    if (!claim_order.ok() || *claim_order != result.order_ref) return mismatch("orderRef");
    if (!claim_action.ok() || *claim_action != action) return mismatch("action");
    value expected = result.completion_data;
    expected.erase("resultJws");
    if (!claim_data.ok() || !JsonEqual(*claim_data, expected)) return mismatch("completionData");
  }

  // 7. The credential's status in the issuer's CRL (docs/status.md §5). The CRL lists
  // statuses now; the result is from completedAt: a revocation after the login does not
  // undo it. completedAt is only the issuer's word when the JWS was checked, so without
  // --jwks any listing counts.
  if (crl_text) {
    Result<Bytes> crl_der = crl_text->starts_with("-----BEGIN")
                                ? credential::CrlFromPem(*crl_text)
                                : Result<Bytes>(ToBytes(*crl_text));
    if (!crl_der.ok()) return Invalid("invalidCrl", "CRL: " + crl_der.error().message);
    auto crl = credential::ParseAndVerifyCrl(*crl_der, *ca_der,
                                             static_cast<int64_t>(std::time(nullptr)));
    if (!crl.ok()) {
      return Invalid("invalidCrl", "CRL: " + crl.error().code + ": " + crl.error().message);
    }
    const credential::CrlEntry* entry = crl->Find(cert->serial_hex());
    if (entry != nullptr && (!jwks_text || entry->revocation_time <= result.completed_at)) {
      const bool hold = entry->reason == credential::RevocationReason::kCertificateHold;
      return Invalid(hold ? "certificateOnHold" : "certificateRevoked",
                     "credential " + cert->serial_hex() + " is on the CRL (" +
                         std::string(credential::RevocationReasonName(entry->reason)) +
                         ") since Unix time " + std::to_string(entry->revocation_time) +
                         (jwks_text ? ", not after completedAt" : "; completedAt unchecked"));
    }
  }

  value answer = value::object(true);
  answer["valid"] = value::boolean(true);
  answer["identifier"] = value::string(cert->identifier().ToString());
  answer["action"] = value::string(action);
  if (result.user_visible_data) {
    answer["text"] = value::string(std::string(AsString(*result.user_visible_data)));
  }
  return answer;
}

}  // namespace

int main(int argc, char** argv) {
  Options options;
  try {
    options = ParseArgs(argc, argv);
  } catch (const UsageError& e) {
    std::cerr << "tillit-verify: " << e.message << "\n" << kUsage;
    return 2;
  }
  if (options.help) {
    std::cout << kUsage;
    return 0;
  }
  Result<value> verdict = [&]() -> Result<value> {
    try {
      return Verify(options);
    } catch (const std::exception& e) {
      // web::json throws on unexpected shapes; every read above checks types first, so
      // this is a bug, but it must still end as "not valid".
      return Invalid("internalError", e.what());
    }
  }();
  if (verdict.ok()) {
    std::cout << verdict->serialize() << std::endl;
    return 0;
  }
  value answer = value::object(true);
  answer["valid"] = value::boolean(false);
  answer["reason"] = value::string(verdict.error().code);
  answer["details"] = value::string(verdict.error().message);
  std::cout << answer.serialize() << std::endl;
  return 1;
}
