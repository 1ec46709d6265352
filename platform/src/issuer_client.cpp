// cpprestsdk client for the device API (tillit/platform/issuer_client.h). cpprestsdk's
// exceptions stop here and become Errors.
//
// TLS: cpprestsdk (Linux, Boost.Asio) makes a fresh OpenSSL context per connection, hands it
// to http_client_config's ssl_context_callback, and then verifies with SSL_VERIFY_PEER and a
// per-certificate callback doing RFC 2818 host checks. That callback only runs inside
// OpenSSL's chain verification (X509_verify_cert), so it cannot express "accept this key,
// whatever the chain". Instead the context callback installs SSL_CTX_set_cert_verify_callback,
// which replaces the whole chain verification: with a pin it compares the leaf's key and never
// builds a chain; without one it sets the expected host on the verify parameters and calls
// X509_verify_cert itself (so OpenSSL checks chain and host, and cpprestsdk's RFC 2818
// callback still runs). What the callbacks saw is kept in a TlsState shared with the context,
// so a failed call can say whether the key was wrong (tlsPinMismatch) or TLS failed otherwise.
// OpenSSL appears outside core/ here only because cpprestsdk hands out its SSL_CTX; the pin
// itself is core's (credential::TlsPinOfCertificate), compared in constant time.
#include "tillit/platform/issuer_client.h"

#include <openssl/err.h>
#include <openssl/ssl.h>
#include <openssl/x509.h>
#include <openssl/x509v3.h>

#include <chrono>
#include <cstddef>
#include <fstream>
#include <mutex>
#include <string_view>
#include <system_error>

#include <cpprest/http_client.h>
#include <cpprest/json.h>

#include "tillit/credential/tls_pin.h"
#include "tillit/crypto/compare.h"
#include "tillit/protocol/history.h"
#include "tillit/protocol/login_qr.h"
#include "tillit/protocol/signed_data.h"
#include "tillit/utf8.h"

namespace tillit::platform {
namespace {

using web::json::value;

constexpr std::chrono::seconds kTimeout{20};

Error BadResponse(const std::string& what) {
  return MakeError("badResponse", "the issuer's answer is not what the protocol says: " + what);
}

Result<std::string> StringField(const value& json, const char* name) {
  if (!json.is_object() || !json.has_field(name) || !json.at(name).is_string()) {
    return BadResponse(std::string(name) + " missing");
  }
  return json.at(name).as_string();
}

// An optional string member: absent (or JSON null) gives nullopt, any other type is refused.
Result<std::optional<std::string>> OptionalStringField(const value& json, const char* name) {
  if (!json.has_field(name) || json.at(name).is_null()) return std::optional<std::string>();
  if (!json.at(name).is_string()) return BadResponse(std::string(name) + " is not a string");
  return std::optional<std::string>(json.at(name).as_string());
}

// docs/protocol.md §4.1: userVisibleData is at most 40,000 bytes of UTF-8 without NUL.
constexpr size_t kMaxUserVisibleDataBytes = 40'000;

// "YYYY-MM-DDTHH:MM:SS" followed by an optional fraction and "Z" or an offset: the shape of
// RFC 3339 §5.6, checked loosely (the device only shows it).
bool LooksLikeRfc3339(std::string_view s) {
  if (s.size() < 20 || s.size() > 40) return false;
  static constexpr std::string_view kShape = "dddd-dd-ddTdd:dd:dd";
  for (size_t i = 0; i < kShape.size(); ++i) {
    const bool digit = s[i] >= '0' && s[i] <= '9';
    if (kShape[i] == 'd' ? !digit : s[i] != kShape[i]) return false;
  }
  for (char c : s.substr(kShape.size())) {
    if (!((c >= '0' && c <= '9') || c == '.' || c == 'Z' || c == '+' || c == '-' || c == ':')) {
      return false;
    }
  }
  return true;
}

Status ExpectEmptyObject(const value& json) {
  if (!json.is_object()) return BadResponse("not a JSON object");
  return {};
}

// --- TLS -----------------------------------------------------------------------------------

// Shared by an IssuerClient and every OpenSSL context cpprestsdk makes for it (held through
// the context's ex_data, so a connection outliving the client never sees a dangling pointer).
// The callbacks run on cpprestsdk's threads while the caller waits in Post.
struct TlsState {
  // Fixed at Create.
  std::optional<Bytes> pin;
  std::string host;  // the URL's host, brackets stripped from an IPv6 literal
  bool host_is_ip = false;
  std::shared_ptr<X509_STORE> store;  // without a pin: the CAs to verify against

  enum class Failure { kNone, kPinMismatch, kUntrusted };

  std::mutex mutex;
  // Since the last BeginRequest:
  Failure failure = Failure::kNone;
  std::string failure_detail;
  bool handshake_started = false;
  bool handshake_done = false;
  std::optional<Bytes> verified_pin;  // the leaf's pin, when the certificate was accepted
  // Committed by Post on success.
  std::optional<Bytes> server_pin;

  void BeginRequest() {
    std::lock_guard lock(mutex);
    failure = Failure::kNone;
    failure_detail.clear();
    handshake_started = handshake_done = false;
    verified_pin.reset();
  }
  void Fail(Failure f, std::string detail) {
    std::lock_guard lock(mutex);
    failure = f;
    failure_detail = std::move(detail);
  }
};

using TlsStateHolder = std::shared_ptr<TlsState>;

void FreeTlsStateHolder(void*, void* ptr, CRYPTO_EX_DATA*, int, long, void*) {
  delete static_cast<TlsStateHolder*>(ptr);
}

int TlsStateIndex() {
  static const int index =
      SSL_CTX_get_ex_new_index(0, nullptr, nullptr, nullptr, FreeTlsStateHolder);
  return index;
}

std::optional<Bytes> PinOfCertificate(X509* cert) {
  if (cert == nullptr) return std::nullopt;
  unsigned char* der = nullptr;
  const int size = i2d_X509(cert, &der);
  if (size <= 0) return std::nullopt;
  auto pin = credential::TlsPinOfCertificate(ByteView(der, static_cast<size_t>(size)));
  OPENSSL_free(der);
  if (!pin.ok()) return std::nullopt;
  return std::move(*pin);
}

// SSL_CTX_set_cert_verify_callback: decides on the server's certificate in place of OpenSSL's
// chain verification. 1 accepts; 0 fails the handshake (cpprestsdk sets SSL_VERIFY_PEER).
int VerifyServerCertificate(X509_STORE_CTX* store_ctx, void* arg) {
  auto& state = *static_cast<TlsState*>(arg);
  auto presented = PinOfCertificate(X509_STORE_CTX_get0_cert(store_ctx));
  if (!presented) {
    X509_STORE_CTX_set_error(store_ctx, X509_V_ERR_UNSPECIFIED);
    state.Fail(TlsState::Failure::kUntrusted, "the issuer presented no usable certificate");
    return 0;
  }
  if (state.pin) {
    if (!crypto::ConstantTimeEquals(*presented, *state.pin)) {
      X509_STORE_CTX_set_error(store_ctx, X509_V_ERR_APPLICATION_VERIFICATION);
      state.Fail(TlsState::Failure::kPinMismatch,
                 "the issuer presented a TLS key (pin-sha256 " +
                     credential::FormatTlsPin(*presented) +
                     ") other than the one this device pinned at activation (" +
                     credential::FormatTlsPin(*state.pin) + ")");
      return 0;
    }
  } else if (X509_verify_cert(store_ctx) != 1) {
    const int error = X509_STORE_CTX_get_error(store_ctx);
    // X509_V_OK here means cpprestsdk's own per-certificate check (RFC 2818) refused.
    state.Fail(TlsState::Failure::kUntrusted,
               std::string("the issuer's TLS certificate is not trusted: ") +
                   (error == X509_V_OK ? "it does not name the host"
                                       : X509_verify_cert_error_string(error)));
    return 0;
  }
  std::lock_guard lock(state.mutex);
  state.verified_pin = std::move(presented);
  return 1;
}

void TlsInfo(const SSL* ssl, int where, int) {
  if (!(where & (SSL_CB_HANDSHAKE_START | SSL_CB_HANDSHAKE_DONE))) return;
  auto* holder =
      static_cast<TlsStateHolder*>(SSL_CTX_get_ex_data(SSL_get_SSL_CTX(ssl), TlsStateIndex()));
  if (holder == nullptr) return;
  std::lock_guard lock((*holder)->mutex);
  if (where & SSL_CB_HANDSHAKE_START) (*holder)->handshake_started = true;
  if (where & SSL_CB_HANDSHAKE_DONE) (*holder)->handshake_done = true;
}

// http_client_config's ssl_context_callback: runs for each new connection's fresh context.
// Throwing here fails the request; that only happens when memory runs out.
void ConfigureTlsContext(const TlsStateHolder& state, boost::asio::ssl::context& context) {
  SSL_CTX* ctx = context.native_handle();
  auto holder = std::make_unique<TlsStateHolder>(state);
  if (SSL_CTX_set_ex_data(ctx, TlsStateIndex(), holder.get()) != 1) {
    throw std::runtime_error("cannot attach TLS state");
  }
  TlsState* raw = holder.release()->get();  // now owned by the context (FreeTlsStateHolder)
  if (SSL_CTX_set_min_proto_version(ctx, TLS1_2_VERSION) != 1) {
    throw std::runtime_error("cannot require TLS 1.2");
  }
  SSL_CTX_set_info_callback(ctx, TlsInfo);
  SSL_CTX_set_cert_verify_callback(ctx, VerifyServerCertificate, raw);
  if (raw->pin) return;
  // Replaces the default paths cpprestsdk loaded, so that a CA file means only these CAs.
  SSL_CTX_set1_cert_store(ctx, raw->store.get());
  X509_VERIFY_PARAM* param = SSL_CTX_get0_param(ctx);
  X509_VERIFY_PARAM_set_hostflags(param, X509_CHECK_FLAG_NO_PARTIAL_WILDCARDS);
  const int set = raw->host_is_ip
                      ? X509_VERIFY_PARAM_set1_ip_asc(param, raw->host.c_str())
                      : X509_VERIFY_PARAM_set1_host(param, raw->host.c_str(), raw->host.size());
  if (set != 1) throw std::runtime_error("cannot set the expected host name");
}

// The trust store for CA mode: the file's certificates, or OpenSSL's default paths.
Result<std::shared_ptr<X509_STORE>> LoadTrustStore(const std::string& ca_file) {
  std::shared_ptr<X509_STORE> store(X509_STORE_new(), X509_STORE_free);
  if (!store) return MakeError("internalError", "out of memory");
  if (ca_file.empty()) {
    if (X509_STORE_set_default_paths(store.get()) != 1) {
      ERR_clear_error();
      return MakeError("tlsError", "cannot load the system's trusted CAs");
    }
    return store;
  }
  if (!std::ifstream(ca_file).good()) {
    return MakeError("ioError", "cannot read the CA file " + ca_file);
  }
  const bool loaded = X509_STORE_load_file(store.get(), ca_file.c_str()) == 1;
  STACK_OF(X509_OBJECT)* objects = X509_STORE_get0_objects(store.get());
  const bool any = objects != nullptr && sk_X509_OBJECT_num(objects) > 0;
  ERR_clear_error();
  if (!loaded || !any) {
    return MakeError("invalidParameters", "the CA file holds no PEM certificate: " + ca_file);
  }
  return store;
}

}  // namespace

struct IssuerClient::Impl {
  explicit Impl(const std::string& server, web::http::client::http_client_config config,
                std::shared_ptr<TlsState> tls_state)
      : client(server, config), tls(std::move(tls_state)) {}
  web::http::client::http_client client;
  std::shared_ptr<TlsState> tls;  // null for http://

  // The error for a call that failed at the transport: a refused key or certificate, a
  // failed handshake, or no connection at all.
  Error TransportError(const std::string& what, const std::error_code& code) {
    if (tls) {
      std::lock_guard lock(tls->mutex);
      if (tls->failure == TlsState::Failure::kPinMismatch) {
        return MakeError("tlsPinMismatch", tls->failure_detail);
      }
      if (tls->failure == TlsState::Failure::kUntrusted) {
        return MakeError("tlsError", tls->failure_detail);
      }
      // A handshake that began and did not finish, other than by a timeout, is TLS failing
      // (no common version or cipher, or no TLS server at all), not the network.
      if (tls->handshake_started && !tls->handshake_done && code != std::errc::timed_out) {
        return MakeError("tlsError", "the TLS handshake with the issuer failed: " + what);
      }
    }
    return MakeError("networkError", "cannot reach the issuer: " + what);
  }

  Result<value> Post(const std::string& path, const value& body) {
    if (tls) tls->BeginRequest();
    try {
      web::http::http_request request(web::http::methods::POST);
      request.set_request_uri(path);
      request.set_body(body.serialize(), "application/json");
      web::http::http_response response = client.request(request).get();
      const std::string text = response.extract_string(true).get();
      value json;
      try {
        json = value::parse(text);
      } catch (const std::exception&) {
        return BadResponse("HTTP " + std::to_string(response.status_code()) + " without JSON");
      }
      if (response.status_code() >= 400) {
        if (json.is_object() && json.has_field("errorCode") && json.at("errorCode").is_string()) {
          std::string details = json.has_field("details") && json.at("details").is_string()
                                    ? json.at("details").as_string()
                                    : "the issuer refused the request";
          return MakeError(json.at("errorCode").as_string(), details);
        }
        return BadResponse("HTTP " + std::to_string(response.status_code()));
      }
      // Only now, with the whole answer read and parsed: a connection cut in the body, or an
      // answer that is not the protocol's, must not make its key the one a device keeps.
      CommitServerPin();
      return json;
    } catch (const web::http::http_exception& e) {
      return TransportError(e.what(), e.error_code());
    } catch (const std::exception& e) {
      return TransportError(e.what(), std::error_code());
    }
  }

  // After a call succeeded: the key its answer came over (unchanged on a kept-alive
  // connection, where no handshake ran).
  void CommitServerPin() {
    if (!tls) return;
    std::lock_guard lock(tls->mutex);
    if (tls->verified_pin) tls->server_pin = tls->verified_pin;
  }
};

IssuerClient::IssuerClient(std::unique_ptr<Impl> impl) : impl_(std::move(impl)) {}
IssuerClient::~IssuerClient() = default;

Result<std::unique_ptr<IssuerClient>> IssuerClient::Create(const std::string& server,
                                                           TlsTrust trust) {
  const bool https = server.rfind("https://", 0) == 0;
  if (!https && server.rfind("http://", 0) != 0) {
    return MakeError("invalidParameters", "server must be an http:// or https:// URL");
  }
  if (!https && (trust.pin || !trust.ca_file.empty())) {
    return MakeError("invalidParameters", "a TLS pin or CA file needs an https:// server");
  }
  if (trust.pin && trust.pin->size() != credential::kTlsPinSize) {
    return MakeError("invalidParameters", "a TLS pin is 32 bytes");
  }
  if (trust.pin && !trust.ca_file.empty()) {
    return MakeError("invalidParameters", "a TLS pin and a CA file exclude each other");
  }
  try {
    const web::uri uri(server);
    web::http::client::http_client_config config;
    config.set_timeout(kTimeout);
    std::shared_ptr<TlsState> state;
    if (https) {
      state = std::make_shared<TlsState>();
      state->pin = std::move(trust.pin);
      state->host = uri.host();
      if (state->host.size() >= 2 && state->host.front() == '[' && state->host.back() == ']') {
        state->host = state->host.substr(1, state->host.size() - 2);
      }
      if (state->host.empty()) return MakeError("invalidParameters", "server URL has no host");
      ASN1_OCTET_STRING* ip = a2i_IPADDRESS(state->host.c_str());
      state->host_is_ip = ip != nullptr;
      ASN1_OCTET_STRING_free(ip);
      ERR_clear_error();
      if (!state->pin) {
        TILLIT_TRY_ASSIGN(state->store, LoadTrustStore(trust.ca_file));
      }
      // On by default; the verify callback above relies on SSL_VERIFY_PEER to fail the
      // handshake when it refuses.
      config.set_validate_certificates(true);
      config.set_ssl_context_callback(
          [state](boost::asio::ssl::context& context) { ConfigureTlsContext(state, context); });
    }
    return std::unique_ptr<IssuerClient>(
        new IssuerClient(std::make_unique<Impl>(server, config, std::move(state))));
  } catch (const std::exception&) {
    return MakeError("invalidParameters", "server is not a valid URL");
  }
}

std::optional<Bytes> IssuerClient::server_pin() const {
  if (!impl_->tls) return std::nullopt;
  std::lock_guard lock(impl_->tls->mutex);
  return impl_->tls->server_pin;
}

Result<ActivationChallenge> IssuerClient::Challenge(const std::string& code) {
  value body = value::object();
  body["activationCode"] = value::string(code);
  TILLIT_TRY_ASSIGN(auto json, impl_->Post("/device/v1/activation/challenge", body));
  ActivationChallenge out;
  TILLIT_TRY_ASSIGN(auto nonce, StringField(json, "nonce"));
  auto nonce_bytes = Base64UrlDecode(nonce);
  if (!nonce_bytes.ok() || nonce_bytes->size() != 32) return BadResponse("nonce");
  out.nonce = std::move(*nonce_bytes);
  TILLIT_TRY_ASSIGN(out.identifier, StringField(json, "identifier"));
  TILLIT_TRY_ASSIGN(out.expires_at, StringField(json, "expiresAt"));
  return out;
}

Result<ActivationResult> IssuerClient::Complete(const std::string& code, ByteView nonce,
                                                ByteView public_key, ByteView signature) {
  value body = value::object();
  body["activationCode"] = value::string(code);
  body["nonce"] = value::string(Base64UrlEncode(nonce));
  body["publicKey"] = value::string(Base64UrlEncode(public_key));
  body["signature"] = value::string(Base64UrlEncode(signature));
  TILLIT_TRY_ASSIGN(auto json, impl_->Post("/device/v1/activation/complete", body));
  ActivationResult out;
  TILLIT_TRY_ASSIGN(out.identifier, StringField(json, "identifier"));
  TILLIT_TRY_ASSIGN(out.credential_serial, StringField(json, "credentialSerial"));
  TILLIT_TRY_ASSIGN(auto cert, StringField(json, "certificate"));
  TILLIT_TRY_ASSIGN(auto ca, StringField(json, "caCertificate"));
  auto cert_der = Base64Decode(cert);
  auto ca_der = Base64Decode(ca);
  if (!cert_der.ok() || !ca_der.ok()) return BadResponse("certificate is not base64");
  out.certificate_der = std::move(*cert_der);
  out.ca_certificate_der = std::move(*ca_der);
  return out;
}

Result<DeviceOrder> IssuerClient::ScanOrder(const std::string& qr_text,
                                            const std::string& credential_serial) {
  value body = value::object();
  body["qrText"] = value::string(qr_text);
  body["credentialSerial"] = value::string(credential_serial);
  TILLIT_TRY_ASSIGN(auto json, impl_->Post("/device/v1/orders/scan", body));
  if (!json.is_object()) return BadResponse("not a JSON object");
  DeviceOrder out;
  // Every field is checked here so that the caller can show and sign what it holds; the
  // bounds are those of the signed data (docs/protocol.md §5).
  TILLIT_TRY_ASSIGN(out.order_ref, StringField(json, "orderRef"));
  if (!protocol::IsUuidV4(out.order_ref)) return BadResponse("orderRef is not a lower-case UUID");
  TILLIT_TRY_ASSIGN(auto challenge, StringField(json, "challenge"));
  auto challenge_bytes = Base64UrlDecode(challenge);
  if (!challenge_bytes.ok() || challenge_bytes->size() != protocol::kChallengeSize) {
    return BadResponse("challenge is not 32 bytes of base64url");
  }
  out.challenge = std::move(*challenge_bytes);
  TILLIT_TRY_ASSIGN(out.action, StringField(json, "action"));
  if (out.action != "auth" && out.action != "sign") return BadResponse("action");
  TILLIT_TRY_ASSIGN(out.rp_id, StringField(json, "rpId"));
  if (out.rp_id.empty() || out.rp_id.size() > protocol::kMaxRpIdBytes) {
    return BadResponse("rpId length");
  }
  TILLIT_TRY_ASSIGN(out.rp_name, StringField(json, "rpName"));
  if (out.rp_name.empty() || out.rp_name.size() > protocol::kMaxRpNameBytes ||
      !IsValidUtf8(out.rp_name)) {
    return BadResponse("rpName");
  }
  TILLIT_TRY_ASSIGN(auto visible, OptionalStringField(json, "userVisibleData"));
  if (visible) {
    auto decoded = Base64Decode(*visible);
    if (!decoded.ok() || decoded->empty() || decoded->size() > kMaxUserVisibleDataBytes) {
      return BadResponse("userVisibleData is not 1 to 40000 bytes of base64");
    }
    const std::string_view text = AsString(*decoded);
    if (!IsUtf8Text(text)) {
      return BadResponse("userVisibleData is not UTF-8 text");
    }
    out.user_visible_data = std::move(*decoded);
  }
  if (out.action == "sign" && !out.user_visible_data) {
    return BadResponse("a sign order without userVisibleData");
  }
  TILLIT_TRY_ASSIGN(auto hash, OptionalStringField(json, "userNonVisibleDataHash"));
  if (hash) {
    auto decoded = Base64UrlDecode(*hash);
    if (!decoded.ok() || decoded->size() != 32) {
      return BadResponse("userNonVisibleDataHash is not 32 bytes of base64url");
    }
    out.user_non_visible_data_hash = std::move(*decoded);
  }
  TILLIT_TRY_ASSIGN(out.expires_at, StringField(json, "expiresAt"));
  if (!LooksLikeRfc3339(out.expires_at)) return BadResponse("expiresAt is not RFC 3339");
  return out;
}

Status IssuerClient::MarkShown(const std::string& order_ref, ByteView challenge) {
  value body = value::object();
  body["orderRef"] = value::string(order_ref);
  body["challenge"] = value::string(Base64UrlEncode(challenge));
  TILLIT_TRY_ASSIGN(auto json, impl_->Post("/device/v1/orders/shown", body));
  return ExpectEmptyObject(json);
}

Status IssuerClient::Decline(const std::string& order_ref, ByteView challenge,
                             const std::string& reason) {
  if (reason != "userCancel" && reason != "pinLocked") {
    return MakeError("invalidParameters", "reason must be userCancel or pinLocked");
  }
  value body = value::object();
  body["orderRef"] = value::string(order_ref);
  body["challenge"] = value::string(Base64UrlEncode(challenge));
  body["reason"] = value::string(reason);
  TILLIT_TRY_ASSIGN(auto json, impl_->Post("/device/v1/orders/decline", body));
  return ExpectEmptyObject(json);
}

Status IssuerClient::Respond(const std::string& order_ref, ByteView signed_data,
                             ByteView signature) {
  value body = value::object();
  body["orderRef"] = value::string(order_ref);
  body["signedData"] = value::string(Base64UrlEncode(signed_data));
  body["signature"] = value::string(Base64UrlEncode(signature));
  TILLIT_TRY_ASSIGN(auto json, impl_->Post("/device/v1/orders/respond", body));
  TILLIT_TRY_ASSIGN(auto status, StringField(json, "status"));
  if (status != "complete") return BadResponse("status is not complete");
  return {};
}

Result<Bytes> IssuerClient::HistoryChallenge(const std::string& credential_serial) {
  value body = value::object();
  body["credentialSerial"] = value::string(credential_serial);
  TILLIT_TRY_ASSIGN(auto json, impl_->Post("/device/v1/history/challenge", body));
  TILLIT_TRY_ASSIGN(auto nonce, StringField(json, "nonce"));
  auto bytes = Base64UrlDecode(nonce);
  if (!bytes.ok() || bytes->size() != protocol::kHistoryNonceSize) {
    return BadResponse("nonce is not 32 bytes of base64url");
  }
  return std::move(*bytes);
}

Result<DeviceHistoryPage> IssuerClient::History(const std::string& credential_serial,
                                                ByteView nonce, ByteView signature, size_t limit,
                                                uint64_t offset) {
  value body = value::object();
  body["credentialSerial"] = value::string(credential_serial);
  body["nonce"] = value::string(Base64UrlEncode(nonce));
  body["signature"] = value::string(Base64UrlEncode(signature));
  body["limit"] = value::number(static_cast<uint64_t>(limit));
  body["offset"] = value::number(offset);
  TILLIT_TRY_ASSIGN(auto json, impl_->Post("/device/v1/history", body));
  if (!json.is_object() || !json.has_field("entries") || !json.at("entries").is_array()) {
    return BadResponse("entries missing");
  }
  DeviceHistoryPage page;
  for (const value& item : json.at("entries").as_array()) {
    if (!item.is_object()) return BadResponse("an entry is not an object");
    DeviceHistoryEntry entry;
    TILLIT_TRY_ASSIGN(entry.rp, StringField(item, "rp"));
    TILLIT_TRY_ASSIGN(entry.rp_id, StringField(item, "rpId"));
    TILLIT_TRY_ASSIGN(entry.action, StringField(item, "action"));
    TILLIT_TRY_ASSIGN(entry.completed_at, StringField(item, "completedAt"));
    TILLIT_TRY_ASSIGN(entry.text, OptionalStringField(item, "text"));
    TILLIT_TRY_ASSIGN(entry.credential_serial, StringField(item, "credentialSerial"));
    if (entry.action != "auth" && entry.action != "sign") return BadResponse("action");
    if (!IsValidUtf8(entry.rp) || (entry.text && !IsValidUtf8(*entry.text))) {
      return BadResponse("rp or text is not UTF-8");
    }
    if (!LooksLikeRfc3339(entry.completed_at)) return BadResponse("completedAt is not RFC 3339");
    page.entries.push_back(std::move(entry));
  }
  if (json.has_field("nextOffset")) {
    const value& next = json.at("nextOffset");
    if (!next.is_number() || !next.as_number().is_uint64() || next.as_number().to_uint64() <= offset) {
      return BadResponse("nextOffset");
    }
    page.next_offset = next.as_number().to_uint64();
  }
  return page;
}

}  // namespace tillit::platform
