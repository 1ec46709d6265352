// Device history routes (docs/protocol.md §9; tillit/server/api/history_routes.h).
#include "tillit/server/api/history_routes.h"

#include <string>
#include <utility>

#include "route_util.h"
#include "tillit/bytes.h"
#include "tillit/server/api/desk_routes.h"
#include "tillit/server/api/json.h"

namespace tillit::server::api {
namespace {

using internal::JsonString;
using web::json::value;

constexpr size_t kMaxSerial = 64;
constexpr size_t kMaxNonce = 128;      // 32 bytes: 43 characters
constexpr size_t kMaxSignature = 128;  // 64 bytes: 86 characters
// An offset beyond every person's history finds nothing; the bound keeps it an integer.
constexpr int64_t kMaxOffset = 1'000'000'000;

Result<Bytes> ReadBase64Url(JsonObjectReader& reader, std::string_view name, size_t max_chars) {
  TILLIT_TRY_ASSIGN(auto text, reader.RequiredString(name, max_chars));
  auto bytes = Base64UrlDecode(text);
  if (!bytes.ok()) return MakeError("invalidParameters", reader.FieldPath(name) + ": not base64url");
  return std::move(*bytes);
}

value PageJson(const service::HistoryPage& page) {
  value entries = value::array(page.entries.size());
  for (size_t i = 0; i < page.entries.size(); ++i) {
    const service::HistoryEntry& e = page.entries[i];
    value v = value::object(/*keep_order=*/true);
    v["rp"] = JsonString(e.rp_name);
    v["rpId"] = JsonString(e.rp_id);
    v["action"] = JsonString(e.action);
    v["completedAt"] = JsonString(FormatTime(e.completed_at));
    if (e.text) v["text"] = JsonString(*e.text);
    v["credentialSerial"] = JsonString(e.credential_serial);
    entries[i] = std::move(v);
  }
  value out = value::object(/*keep_order=*/true);
  out["entries"] = std::move(entries);
  if (page.next_offset) out["nextOffset"] = value::number(static_cast<uint64_t>(*page.next_offset));
  return out;
}

}  // namespace

void AddHistoryRoutes(Router& router, service::HistoryService& history) {
  service::HistoryService* service = &history;

  router.Add("POST", "/device/v1/history/challenge", [service](HttpRequest& req) {
    auto run = [&]() -> Result<Bytes> {
      TILLIT_TRY_ASSIGN(value body, ParseJsonBody(req));
      JsonObjectReader reader(body);
      TILLIT_TRY_ASSIGN(auto serial, reader.RequiredString("credentialSerial", kMaxSerial));
      TILLIT_TRY(reader.RejectUnknownFields());
      return service->Challenge(serial);
    };
    auto nonce = run();
    if (!nonce.ok()) return ErrorResponse(nonce.error());
    value v = value::object();
    v["nonce"] = JsonString(Base64UrlEncode(*nonce));
    return JsonResponse(200, v);
  });

  router.Add("POST", "/device/v1/history", [service](HttpRequest& req) {
    auto run = [&]() -> Result<service::HistoryPage> {
      TILLIT_TRY_ASSIGN(value body, ParseJsonBody(req));
      JsonObjectReader reader(body);
      TILLIT_TRY_ASSIGN(auto serial, reader.RequiredString("credentialSerial", kMaxSerial));
      TILLIT_TRY_ASSIGN(auto nonce, ReadBase64Url(reader, "nonce", kMaxNonce));
      TILLIT_TRY_ASSIGN(auto signature, ReadBase64Url(reader, "signature", kMaxSignature));
      TILLIT_TRY_ASSIGN(auto limit, reader.OptionalInt("limit", 1,
                                                       static_cast<int64_t>(service::kMaxHistoryPage)));
      TILLIT_TRY_ASSIGN(auto offset, reader.OptionalInt("offset", 0, kMaxOffset));
      TILLIT_TRY(reader.RejectUnknownFields());
      return service->Read(serial, nonce, signature,
                           static_cast<size_t>(limit.value_or(service::kDefaultHistoryPage)),
                           static_cast<size_t>(offset.value_or(0)));
    };
    auto page = run();
    if (!page.ok()) return ErrorResponse(page.error());
    return JsonResponse(200, PageJson(*page));
  });
}

}  // namespace tillit::server::api
