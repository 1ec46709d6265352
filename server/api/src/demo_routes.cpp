// The sample e-service "Exempelkommun": /demo/api/* (docs/demo.md). See demo_routes.h for
// why /rp/v1/ is reached through the Router rather than over a socket.
#include "tillit/server/api/demo_routes.h"

#include <cpprest/json.h>

#include <algorithm>
#include <fstream>
#include <iterator>
#include <map>
#include <memory>
#include <mutex>
#include <optional>
#include <sstream>
#include <string>
#include <string_view>
#include <utility>

#include "log.h"
#include "route_util.h"
#include "tillit/bytes.h"
#include "tillit/check.h"
#include "tillit/crypto/hash.h"
#include "tillit/crypto/random.h"
#include "tillit/identifier/identifier.h"
#include "tillit/platform/qr_render.h"
#include "tillit/protocol/login_qr.h"
#include "tillit/server/api/json.h"

namespace tillit::server::api {
namespace {

using internal::JsonString;
using web::json::value;

constexpr std::string_view kCookieName = "tillit_demo";
// 32 random bytes, base64url without padding.
constexpr size_t kSessionIdBytes = 32;
constexpr size_t kSessionIdChars = 43;
// The text a resident may be asked to sign, in code points. The RP API takes up to 40,000
// bytes; the demo page's text area holds this much, which is plenty for an example.
constexpr size_t kMaxSignTextChars = 2000;
// Pixels per QR module in the SVG's own size. The page scales it; 5 keeps a version 6-7
// symbol (the login QR's ~110 characters) under 280 px, which fits a 360 px screen.
constexpr int kQrModulePx = 5;
// A read of the demo-rp file larger than this is not an add-rp answer.
constexpr std::streamsize kMaxRpFileBytes = 64 * 1024;

// One login or signing order the session is waiting for.
struct DemoOrder {
  std::string action;  // "auth" or "sign"
  std::string order_ref;
  std::string qr_start_token;
  crypto::SecretBytes qr_start_secret;  // stays on this server: never in a response or log
  int64_t started_ms = 0;               // the demo's clock when /rp/v1/auth|sign answered
};

struct Session {
  std::mutex mutex;  // held while the session's order is started, polled or cancelled
  std::optional<DemoOrder> order;
  std::optional<value> user;    // who logged in (the view sent to the page)
  std::optional<value> signed_; // the last signature (the view sent to the page)
};

// What a dispatched /rp/v1/ call answered.
struct RpReply {
  HttpResponse response;  // as the API sent it
  value json;             // the parsed body when response.status == 200
};

class DemoState {
 public:
  DemoState(const Router& api, DemoOptions options) : api_(api), options_(std::move(options)) {
    TILLIT_CHECK(options_.clock != nullptr);
  }

  bool enabled() const { return !options_.rp.api_key.empty(); }
  const Clock& clock() const { return *options_.clock; }

  // The session named by the request's cookie, or nullptr (no cookie, unknown or expired).
  std::shared_ptr<Session> Find(const HttpRequest& request) {
    std::optional<std::string> key = KeyOf(request);
    if (!key) return nullptr;
    std::lock_guard lock(mutex_);
    auto it = sessions_.find(*key);
    if (it == sessions_.end()) return nullptr;
    int64_t now = clock().NowUnixSeconds();
    if (now - it->second.last_used > options_.session_idle_seconds) {
      sessions_.erase(it);
      return nullptr;
    }
    it->second.last_used = now;
    return it->second.session;
  }

  // A new session; `cookie` receives the Set-Cookie value. Errors: "tooManyRequests".
  Result<std::shared_ptr<Session>> Create(std::string& cookie) {
    std::string id = Base64UrlEncode(crypto::RandomBytes(kSessionIdBytes));
    auto session = std::make_shared<Session>();
    std::lock_guard lock(mutex_);
    int64_t now = clock().NowUnixSeconds();
    if (sessions_.size() >= options_.max_sessions) {
      std::erase_if(sessions_, [&](const auto& entry) {
        return now - entry.second.last_used > options_.session_idle_seconds;
      });
    }
    if (sessions_.size() >= options_.max_sessions) {
      return MakeError("tooManyRequests", "too many demo sessions; try again in a few minutes");
    }
    sessions_.emplace(HashId(id), Entry{session, now});
    cookie = Cookie(id);
    return session;
  }

  // Gives the request's session a fresh id (the old one stops working); `cookie` receives
  // the new Set-Cookie value. Called when someone logs in, so that an id planted or seen
  // before the login is worth nothing after it (ASVS 4.0.3 V3.2.1).
  void Rotate(const HttpRequest& request, std::string& cookie) {
    std::optional<std::string> key = KeyOf(request);
    if (!key) return;
    std::string id = Base64UrlEncode(crypto::RandomBytes(kSessionIdBytes));
    std::lock_guard lock(mutex_);
    auto it = sessions_.find(*key);
    if (it == sessions_.end()) return;  // logged out meanwhile
    Entry entry = std::move(it->second);
    sessions_.erase(it);
    sessions_.emplace(HashId(id), std::move(entry));
    cookie = Cookie(id);
  }

  void Remove(const HttpRequest& request) {
    std::optional<std::string> key = KeyOf(request);
    if (!key) return;
    std::lock_guard lock(mutex_);
    sessions_.erase(*key);
  }

  std::string ClearingCookie() const {
    return std::string(kCookieName) + "=; Path=/demo; Max-Age=0; HttpOnly; SameSite=Strict" +
           (options_.secure_cookie ? "; Secure" : "");
  }

  // POSTs `body` to /rp/v1/<name> as the demo e-service: the request a real e-service sends,
  // dispatched through the API's own Router.
  RpReply CallRp(std::string_view name, const value& body) const {
    HttpRequest request;
    request.method = "POST";
    request.path = "/rp/v1/" + std::string(name);
    request.headers["authorization"] =
        "Bearer " + std::string(AsString(options_.rp.api_key.Expose(
                        crypto::InsecureSecretAccess::Get())));
    request.headers["content-type"] = "application/json";
    request.body = body.serialize();
    // The e-service's own address as the issuer would see it: this process.
    request.remote_address = "127.0.0.1";
    RpReply reply{api_.Dispatch(request), value()};
    if (reply.response.status == 200) {
      try {
        reply.json = value::parse(reply.response.body);
      } catch (const std::exception&) {
        reply.json = value();
      }
      if (!reply.json.is_object()) {
        internal::LogError("demo: /rp/v1/" + std::string(name) + " answered a non-object");
        reply.response = ErrorResponse(500, "internalError", "internal error");
      }
    }
    return reply;
  }

 private:
  std::string Cookie(std::string_view id) const {
    return std::string(kCookieName) + "=" + std::string(id) +
           "; Path=/demo; HttpOnly; SameSite=Strict" + (options_.secure_cookie ? "; Secure" : "");
  }

  struct Entry {
    std::shared_ptr<Session> session;
    int64_t last_used = 0;  // Unix seconds
  };

  // Sessions are looked up by SHA-256 of the id, so the map's comparisons leak nothing
  // about stored ids (style.md, crypto hygiene 3).
  static std::string HashId(std::string_view id) {
    crypto::Sha256Digest digest = crypto::Sha256(AsBytes(id));
    return std::string(digest.begin(), digest.end());
  }

  // The table key for the request's session cookie, if it has a well-formed one.
  static std::optional<std::string> KeyOf(const HttpRequest& request) {
    std::optional<std::string_view> id = internal::CookieValue(request, kCookieName);
    if (!id || id->size() != kSessionIdChars) return std::nullopt;
    return HashId(*id);
  }

  const Router& api_;
  const DemoOptions options_;
  std::mutex mutex_;
  std::map<std::string, Entry> sessions_;
};

// An /rp/v1/ error passed on to the page. A refused API key is the operator's problem, not
// the browser's: it becomes 503 (a 401 would read as "the resident is not authorised").
HttpResponse PassOn(std::string_view call, const RpReply& reply) {
  if (reply.response.status == 401) {
    internal::LogError("demo: /rp/v1/" + std::string(call) +
                       " refused the demo's API key (check --demo-rp)");
    return ErrorResponse(503, "serviceUnavailable", "the demo's e-service account was refused");
  }
  return reply.response;
}

// The Swedish status line for an order's state (docs/protocol.md §3 lists every hintCode the
// issuer emits). Unknown codes still get a sensible line, so a new code never shows blank.
std::string Message(std::string_view status, std::string_view hint, std::string_view action) {
  const bool sign = action == "sign";
  if (status == "complete") return sign ? "Texten är signerad" : "Du är inloggad";
  if (status == "pending") {
    if (hint == "outstandingTransaction") return "Skanna QR-koden med Tillit-appen";
    if (hint == "started" || hint == "userSign") return "Skriv din PIN-kod i appen";
    return "Väntar på Tillit-appen";
  }
  if (hint == "userCancel") return sign ? "Signeringen avbröts" : "Inloggningen avbröts";
  if (hint == "expiredTransaction" || hint == "notFound") return "Tiden gick ut, försök igen";
  if (hint == "cancelled") {
    return "Avbruten: en annan inloggning eller signering startade, försök igen";
  }
  if (hint == "certificateErr") {
    return "Din Tillit-legitimation kan inte användas här (spärrad, utgången eller för låg "
           "tillitsnivå)";
  }
  return "Något gick fel, försök igen";
}

// The session's lasting state (who is logged in, the last signature) added to `view`.
void AddSessionView(const Session& session, value& view) {
  if (session.user) view["user"] = *session.user;
  if (session.signed_) view["signed"] = *session.signed_;
}

// The page's view of a user from completionData.user: the identifier as stored and as people
// read it, the names and the level (and the personnummer when the issuer has one).
value UserView(const value& user) {
  value out = value::object(/*keep_order=*/true);
  for (const char* field : {"identifier", "name", "givenName", "surname", "personalNumber"}) {
    if (user.has_string_field(utility::string_t(field))) out[field] = user.at(field);
  }
  if (user.has_integer_field("assuranceLevel")) out["assuranceLevel"] = user.at("assuranceLevel");
  if (out.has_string_field("identifier")) {
    auto parsed = identifier::Identifier::Parse(out.at("identifier").as_string());
    if (parsed.ok()) out["identifierGrouped"] = JsonString(parsed->Grouped());
  }
  return out;
}

// {status, hintCode, message, action, qrText?, qrSvg?} for a pending or finished order.
value OrderView(std::string_view status, std::string_view hint, const DemoOrder& order) {
  value view = value::object(/*keep_order=*/true);
  view["status"] = JsonString(status);
  if (!hint.empty()) view["hintCode"] = JsonString(hint);
  view["message"] = JsonString(Message(status, hint, order.action));
  view["action"] = JsonString(order.action);
  return view;
}

// The animated QR for this second (docs/protocol.md §2), as text and as an SVG image. Made
// here, where the secret is, so that the browser sees only the code for one second.
void AddQr(const DemoOrder& order, int64_t now_ms, value& view) {
  int64_t t = std::max<int64_t>(0, (now_ms - order.started_ms) / 1000);
  std::string text = protocol::FormatLoginQr(
      order.qr_start_token,
      AsString(order.qr_start_secret.Expose(crypto::InsecureSecretAccess::Get())), t);
  auto matrix = platform::EncodeQr(text);
  TILLIT_CHECK(matrix.ok());  // ~110 ASCII characters always fit
  view["qrText"] = JsonString(text);
  view["qrSvg"] = JsonString(platform::RenderQrSvg(*matrix, kQrModulePx));
}

// Reads a body that must be {} (or empty). Errors: "invalidParameters",
// "unsupportedMediaType".
Status ReadEmptyBody(const HttpRequest& request) {
  TILLIT_TRY_ASSIGN(value body, internal::ParseOptionalJsonBody(request));
  JsonObjectReader reader(body);
  return reader.RejectUnknownFields();
}

// Cancels the session's pending order, if any, at the issuer and forgets it. A finished or
// forgotten order (400, 404) needs nothing more; other errors are logged, and the order is
// left to expire on its own (3 minutes at most).
void DropOrder(DemoState& state, Session& session) {
  if (!session.order) return;
  value body = value::object();
  body["orderRef"] = JsonString(session.order->order_ref);
  RpReply reply = state.CallRp("cancel", body);
  int status = reply.response.status;
  if (status != 200 && status != 400 && status != 404) {
    internal::LogError("demo: cancel of a pending order answered " + std::to_string(status));
  }
  session.order.reset();
}

HttpResponse WithCookie(HttpResponse response, const std::string& cookie) {
  if (!cookie.empty()) response.headers.emplace_back("Set-Cookie", cookie);
  return response;
}

using DemoHandler = std::function<HttpResponse(HttpRequest&, DemoState&)>;

// The checks every /demo/api/ route makes first, in this order: the demo is enabled
// (404 demoDisabled); the request carries `X-Tillit-Demo: 1` (403 csrfCheckFailed), which a
// cross-site form cannot send and a cross-site script cannot without a CORS preflight this
// server never grants, so the SameSite cookie is not the only CSRF defence.
Handler DemoRoute(std::shared_ptr<DemoState> state, DemoHandler handler) {
  return [state = std::move(state), handler = std::move(handler)](HttpRequest& request) {
    if (!state->enabled()) {
      return ErrorResponse(404, "demoDisabled",
                           "the demo is not enabled on this server (tillit-server serve "
                           "--demo-rp FILE)");
    }
    if (request.Header("x-tillit-demo") != "1") {
      return ErrorResponse(403, "csrfCheckFailed", "the X-Tillit-Demo: 1 header is required");
    }
    return handler(request, *state);
  };
}

HttpResponse NoSession(const DemoState& state) {
  return WithCookie(ErrorResponse(404, "noSession", "no demo session: log in or sign first"),
                    state.ClearingCookie());
}

// Starts an order for the session (replacing any pending one): login and sign.
HttpResponse StartOrder(HttpRequest& request, DemoState& state, std::string_view action,
                        const std::optional<std::string>& text) {
  std::string cookie;
  std::shared_ptr<Session> session = state.Find(request);
  if (!session) {
    auto created = state.Create(cookie);
    if (!created.ok()) return ErrorResponse(created.error());
    session = std::move(*created);
  }
  std::lock_guard lock(session->mutex);
  DropOrder(state, *session);

  value body = value::object(/*keep_order=*/true);
  body["endUserIp"] = JsonString(request.remote_address);
  if (text) {
    body["userVisibleData"] = JsonString(Base64Encode(AsBytes(*text)));
    // Signing while logged in: only the person logged in may sign (a real e-service binds
    // the signature to its session the same way).
    if (session->user && session->user->has_string_field("identifier")) {
      value requirement = value::object();
      requirement["identifier"] = session->user->at("identifier");
      body["requirement"] = requirement;
    }
  } else {
    // A new login replaces whoever was logged in.
    session->user.reset();
    session->signed_.reset();
  }
  RpReply reply = state.CallRp(action, body);
  if (reply.response.status != 200) return WithCookie(PassOn(action, reply), cookie);

  DemoOrder order;
  order.action = std::string(action);
  order.started_ms = state.clock().NowUnixMillis();
  const value& answer = reply.json;
  if (!answer.has_string_field("orderRef") || !answer.has_string_field("qrStartToken") ||
      !answer.has_string_field("qrStartSecret")) {
    internal::LogError("demo: /rp/v1/" + std::string(action) + " answer lacks a field");
    return WithCookie(ErrorResponse(500, "internalError", "internal error"), cookie);
  }
  order.order_ref = answer.at("orderRef").as_string();
  order.qr_start_token = answer.at("qrStartToken").as_string();
  const std::string& secret = answer.at("qrStartSecret").as_string();
  order.qr_start_secret =
      crypto::SecretBytes::CopyFrom(AsBytes(secret), crypto::InsecureSecretAccess::Get());
  session->order = std::move(order);

  value view = OrderView("pending", "outstandingTransaction", *session->order);
  AddQr(*session->order, state.clock().NowUnixMillis(), view);
  AddSessionView(*session, view);
  return WithCookie(JsonResponse(200, view), cookie);
}

HttpResponse Login(HttpRequest& request, DemoState& state) {
  if (Status body = ReadEmptyBody(request); !body.ok()) return ErrorResponse(body.error());
  return StartOrder(request, state, "auth", std::nullopt);
}

HttpResponse Sign(HttpRequest& request, DemoState& state) {
  auto read = [&]() -> Result<std::string> {
    TILLIT_TRY_ASSIGN(value body, ParseJsonBody(request));
    JsonObjectReader reader(body);
    TILLIT_TRY_ASSIGN(std::string text, reader.RequiredString("text", kMaxSignTextChars));
    TILLIT_TRY(reader.RejectUnknownFields());
    if (text.find_first_not_of(" \t\r\n") == std::string::npos) {
      return MakeError("invalidParameters", "text: must not be empty");
    }
    return text;
  };
  auto text = read();
  if (!text.ok()) return ErrorResponse(text.error());
  return StartOrder(request, state, "sign", *text);
}

// Records a complete order in the session and returns the page's view of it.
value Complete(Session& session, const value& collect) {
  const DemoOrder& order = *session.order;
  value view = OrderView("complete", "", order);
  const value empty = value::object();
  const value& data =
      collect.has_object_field("completionData") ? collect.at("completionData") : empty;
  value user = UserView(data.has_object_field("user") ? data.at("user") : empty);
  if (order.action == "auth") {
    session.user = user;
  } else {
    value signed_view = value::object(/*keep_order=*/true);
    if (data.has_string_field("userVisibleData")) {
      auto text = Base64Decode(data.at("userVisibleData").as_string());
      if (text.ok()) signed_view["text"] = JsonString(AsString(*text));
    }
    signed_view["signer"] = user;
    if (data.has_string_field("completedAt")) signed_view["completedAt"] = data.at("completedAt");
    session.signed_ = signed_view;
  }
  return view;
}

HttpResponse Poll(HttpRequest& request, DemoState& state) {
  if (Status body = ReadEmptyBody(request); !body.ok()) return ErrorResponse(body.error());
  std::shared_ptr<Session> session = state.Find(request);
  if (!session) return NoSession(state);
  std::lock_guard lock(session->mutex);
  if (!session->order) {
    value view = value::object(/*keep_order=*/true);
    view["status"] = JsonString("idle");
    AddSessionView(*session, view);
    return JsonResponse(200, view);
  }

  value body = value::object();
  body["orderRef"] = JsonString(session->order->order_ref);
  RpReply reply = state.CallRp("collect", body);
  value view;
  if (reply.response.status == 404) {
    // The issuer no longer knows the order (finished over 3 minutes ago, or the server
    // restarted): for the resident that is an expired attempt.
    view = OrderView("failed", "notFound", *session->order);
    session->order.reset();
  } else if (reply.response.status != 200) {
    return PassOn("collect", reply);
  } else {
    const value& answer = reply.json;
    std::string status =
        answer.has_string_field("status") ? answer.at("status").as_string() : "failed";
    std::string hint =
        answer.has_string_field("hintCode") ? answer.at("hintCode").as_string() : "";
    if (status == "pending") {
      view = OrderView(status, hint, *session->order);
      // Once a device has scanned, the code has done its job: showing it on would only
      // invite a second device (which the issuer refuses anyway).
      if (hint == "outstandingTransaction") {
        AddQr(*session->order, state.clock().NowUnixMillis(), view);
      }
    } else if (status == "complete") {
      bool login = session->order->action == "auth";
      view = Complete(*session, answer);
      session->order.reset();
      if (login) {
        std::string cookie;
        state.Rotate(request, cookie);
        AddSessionView(*session, view);
        return WithCookie(JsonResponse(200, view), cookie);
      }
    } else {
      view = OrderView("failed", hint, *session->order);
      session->order.reset();
    }
  }
  AddSessionView(*session, view);
  return JsonResponse(200, view);
}

HttpResponse Cancel(HttpRequest& request, DemoState& state) {
  if (Status body = ReadEmptyBody(request); !body.ok()) return ErrorResponse(body.error());
  std::shared_ptr<Session> session = state.Find(request);
  if (!session) return NoSession(state);
  std::lock_guard lock(session->mutex);
  DropOrder(state, *session);
  value view = value::object(/*keep_order=*/true);
  view["status"] = JsonString("idle");
  AddSessionView(*session, view);
  return JsonResponse(200, view);
}

// Forgets the session (cancelling its order) and clears the cookie. Always succeeds, so a
// page can log out whatever state the server is in.
HttpResponse Logout(HttpRequest& request, DemoState& state) {
  if (Status body = ReadEmptyBody(request); !body.ok()) return ErrorResponse(body.error());
  if (std::shared_ptr<Session> session = state.Find(request)) {
    std::lock_guard lock(session->mutex);
    DropOrder(state, *session);
    session->user.reset();
    session->signed_.reset();
    state.Remove(request);
  }
  value view = value::object();
  view["status"] = JsonString("idle");
  return WithCookie(JsonResponse(200, view), state.ClearingCookie());
}

}  // namespace

Result<DemoRp> ReadDemoRpFile(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  if (!in) return MakeError("invalidParameters", path + ": cannot be read");
  std::string text(static_cast<size_t>(kMaxRpFileBytes) + 1, '\0');
  in.read(text.data(), kMaxRpFileBytes + 1);
  text.resize(static_cast<size_t>(in.gcount()));
  if (in.gcount() > kMaxRpFileBytes) return MakeError("invalidParameters", path + ": too large");
  value json;
  try {
    json = value::parse(text);
  } catch (const std::exception&) {
    return MakeError("invalidParameters",
                     path + ": not JSON (expected what `tillit-server admin add-rp` prints)");
  }
  if (!json.is_object()) return MakeError("invalidParameters", path + ": not a JSON object");
  for (const char* field : {"rpId", "apiKey"}) {
    if (!json.has_string_field(field) || json.at(field).as_string().empty()) {
      return MakeError("invalidParameters", path + ": " + field + " is missing or empty");
    }
  }
  DemoRp rp;
  rp.rp_id = json.at("rpId").as_string();
  rp.api_key = crypto::SecretBytes::CopyFrom(AsBytes(json.at("apiKey").as_string()),
                                             crypto::InsecureSecretAccess::Get());
  return rp;
}

void AddDemoRoutes(Router& router, const Router& api, DemoOptions options) {
  auto state = std::make_shared<DemoState>(api, std::move(options));
  router.Add("POST", "/demo/api/login", DemoRoute(state, Login));
  router.Add("POST", "/demo/api/sign", DemoRoute(state, Sign));
  router.Add("POST", "/demo/api/poll", DemoRoute(state, Poll));
  router.Add("POST", "/demo/api/cancel", DemoRoute(state, Cancel));
  router.Add("POST", "/demo/api/logout", DemoRoute(state, Logout));
}

}  // namespace tillit::server::api
