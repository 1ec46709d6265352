// The issuer in-process for the API fuzz targets (desk_api, device_api, rp_api): every
// service of tillit-server over a SQLite database in a scratch directory, and a Router with
// the desk, device, e-service and history routes, as tools/server/main.cpp wires them. No
// sockets: a fuzz input becomes an HttpRequest handed to Router::Dispatch.
//
// Input format (text): the first line is "METHOD PATH", the rest is the JSON body. Before
// dispatch, placeholders in the path and body are replaced by live values of this issuer, so
// that seeds (and their mutations) reach past "notFound" into the services:
//   {ENROLMENT}   an enrolment that is ready to issue
//   {IDENTIFIER}  an activated resident's identifier    {SERIAL}  her credential serial
//   {CODE}        an activation code not yet used        {ORDER}   a started login order
//   {QR}          that order's login QR text (t = 0)     {AUTOSTART} its autoStartToken
//   {HNONCE}      a fresh history nonce for {SERIAL}     {HSIG}    her signature over it
//   {ANONCE}      a fresh activation nonce for {CODE}    {ASIG}, {APUB} a device key's
//                                                          signature over it, and the key
// The officer's token (desk) or the e-service's API key (rp) is sent as the bearer token and
// Content-Type is application/json, so the body parser is always reached.
//
// Invariants checked for every input: Dispatch does not throw (the server would answer 500),
// the status is below 500, and a JSON response body parses.
//
// State persists across inputs (enrolments made, codes used, orders scanned), as in a
// running server; the issuer is rebuilt every kRebuildEvery inputs so that it stays small.
// A crash therefore may need the inputs before it: libFuzzer's crash file is replayed on a
// fresh issuer, which is how the findings in docs/testing.md were confirmed.
//
// TILLIT_FUZZ_VERBOSE=1 in the environment prints each request's status and answer (to see
// how far seeds get). Not thread-safe (one input at a time).
#pragma once

#include <cpprest/json.h>

#include <cstdint>
#include <filesystem>
#include <memory>
#include <string>
#include <string_view>
#include <system_error>

#include "fuzz/fuzz_support.h"
#include "fuzz/fuzz_tempdir.h"
#include "tillit/bytes.h"
#include "tillit/crypto/ed25519.h"
#include "tillit/ports.h"
#include "tillit/protocol/history.h"
#include "tillit/protocol/login_qr.h"
#include "tillit/server/api/desk_routes.h"
#include "tillit/server/api/device_routes.h"
#include "tillit/server/api/history_routes.h"
#include "tillit/server/api/router.h"
#include "tillit/server/api/rp_routes.h"
#include "tillit/service/accounts.h"
#include "tillit/service/activation_service.h"
#include "tillit/service/enrolment_service.h"
#include "tillit/service/history_service.h"
#include "tillit/service/issuer_keys.h"
#include "tillit/service/lifecycle_service.h"
#include "tillit/service/order_service.h"
#include "tillit/storage/sqlite_store.h"

namespace tillit::fuzz {

// Which bearer token a target sends.
enum class Caller { kOfficer, kDevice, kRelyingParty };

class FuzzIssuer {
 public:
  static constexpr int64_t kNow = 1748772000;  // 2025-06-01T10:00:00Z
  static constexpr int kRebuildEvery = 2000;

  explicit FuzzIssuer(std::string name) : clock_(kNow) {
    root_ = ScratchDirectory() / name;
    std::error_code ignored;
    std::filesystem::remove_all(root_, ignored);
    std::filesystem::create_directories(root_);
    const std::string data = (root_ / "data").string();
    keys_ = std::make_unique<service::IssuerKeys>(Must(service::IssuerKeys::LoadOrCreate(data, clock_)));
    store_ = Must(server::storage::OpenSqliteStore({.path = service::DatabasePath(data)}));
    accounts_ = std::make_unique<service::AccountService>(*store_, clock_, *keys_);
    enrolments_ = std::make_unique<service::EnrolmentService>(*store_, clock_, *keys_);
    activations_ = std::make_unique<service::ActivationService>(*store_, clock_, *keys_);
    lifecycle_ = std::make_unique<service::LifecycleService>(*store_, clock_, *keys_);
    history_ = std::make_unique<service::HistoryService>(*store_, clock_);
    orders_ = std::make_unique<service::OrderService>(*store_, clock_, *keys_, "https://id.example");
    server::api::IssuerServices services{.accounts = accounts_.get(),
                                         .enrolments = enrolments_.get(),
                                         .activations = activations_.get(),
                                         .lifecycle = lifecycle_.get(),
                                         .keys = keys_.get(),
                                         .public_url = "https://id.example",
                                         .orders = orders_.get()};
    server::api::AddDeskRoutes(router_, services);
    server::api::AddDeviceRoutes(router_, services);
    server::api::AddRpRoutes(router_, services);
    server::api::AddHistoryRoutes(router_, *history_);

    officer_token_ = Must(accounts_->AddOfficer("Anna Berg", "Migrationsverket", "officer")).token;
    const auto officer = Must(accounts_->AuthenticateOfficer(officer_token_));
    auto rp = Must(accounts_->AddRelyingParty("Fuzz Bank"));
    api_key_ = rp.api_key;

    // An activated resident.
    const auto issued = Enrol(officer, "Amira", "Haddad", "N1000001", true);
    resident_key_ = std::make_unique<crypto::SigningKey>(crypto::SigningKey::Generate());
    const auto challenge = Must(activations_->Challenge(issued->activation_code));
    const auto canonical = Must(service::CanonicalActivationCode(issued->activation_code));
    const crypto::Signature sig = resident_key_->Sign(service::ActivationSignedMessage(
        challenge.nonce, canonical, resident_key_->verifying_key().bytes()));
    const auto activated = Must(activations_->Complete(issued->activation_code, challenge.nonce,
                                                       resident_key_->verifying_key().bytes(),
                                                       sig.bytes()));
    identifier_ = activated.identifier;
    serial_ = activated.credential_serial;
    // Issued, not activated.
    code_ = Enrol(officer, "Omar", "Said", "N1000002", true)->activation_code;
    // Ready, not issued.
    enrolment_id_ = Must(enrolments_->Create(officer, Request("Lina", "Nasser", "N1000003"))).enrolment_id;
    // A login order.
    const auto rp_account = Must(accounts_->AuthenticateRelyingParty(api_key_));
    service::OrderRequest order_request;
    order_request.end_user_ip = "192.0.2.7";
    order_ = Must(orders_->Start(rp_account, order_request));
  }

  ~FuzzIssuer() {
    orders_.reset();
    history_.reset();
    lifecycle_.reset();
    activations_.reset();
    enrolments_.reset();
    accounts_.reset();
    store_.reset();
    std::error_code ignored;
    std::filesystem::remove_all(root_, ignored);
  }

  // Dispatches one fuzz input (format above) and checks the invariants.
  void Run(std::string_view input, Caller caller) {
    const size_t newline = input.find('\n');
    const std::string_view first = input.substr(0, newline);
    const std::string_view body = newline == std::string_view::npos ? "" : input.substr(newline + 1);
    const size_t space = first.find(' ');
    if (space == std::string_view::npos) return;
    server::api::HttpRequest request;
    request.method = std::string(first.substr(0, space));
    request.path = Substitute(first.substr(space + 1));
    if (request.path.empty() || request.path[0] != '/') return;
    request.body = Substitute(body);
    request.remote_address = "192.0.2.7";
    request.headers["content-type"] = "application/json";
    if (caller == Caller::kOfficer) request.headers["authorization"] = "Bearer " + officer_token_;
    if (caller == Caller::kRelyingParty) request.headers["authorization"] = "Bearer " + api_key_;

    const server::api::HttpResponse response = router_.Dispatch(request);
    static const bool verbose = std::getenv("TILLIT_FUZZ_VERBOSE") != nullptr;
    if (verbose) {
      std::fprintf(stderr, "fuzz: %s %s -> %d %.200s\n", request.method.c_str(),
                   request.path.c_str(), response.status, response.body.c_str());
    }
    if (response.status >= 500) {
      std::fprintf(stderr, "fuzz: %s %s -> %d %s\n", request.method.c_str(), request.path.c_str(),
                   response.status, response.body.c_str());
    }
    FUZZ_CHECK(response.status >= 200 && response.status < 500);
    if (response.content_type == "application/json") {
      std::error_code error;
      (void)web::json::value::parse(response.body, error);
      FUZZ_CHECK(!error);
    }
  }

 private:
  template <typename T>
  static T Must(Result<T> result) {
    if (!result.ok()) {
      std::fprintf(stderr, "fuzz: issuer set-up failed: %s: %s\n", result.error().code.c_str(),
                   result.error().message.c_str());
      std::abort();
    }
    return std::move(*result);
  }

  static service::EnrolmentRequest Request(std::string given, std::string surname,
                                           std::string passport) {
    service::EnrolmentRequest r;
    r.person.given_name = std::move(given);
    r.person.surname = std::move(surname);
    r.person.birth_date = "1990-04-01";
    r.person.nationality = "SYR";
    r.evidence.push_back({.type = "passport", .number = std::move(passport), .country = "SYR",
                          .expiry = "2030-01-01"});
    r.checks = {"chip-read", "face-to-photo"};
    return r;
  }

  std::optional<service::IssuedIdentifier> Enrol(const service::Officer& officer, std::string given,
                                                 std::string surname, std::string passport,
                                                 bool issue) {
    const auto created = Must(enrolments_->Create(officer, Request(given, surname, passport)));
    if (!issue) return std::nullopt;
    return Must(enrolments_->Issue(officer, created.enrolment_id));
  }

  static void Replace(std::string& text, std::string_view from, const std::string& to) {
    for (size_t at = text.find(from); at != std::string::npos; at = text.find(from, at + to.size())) {
      text.replace(at, from.size(), to);
    }
  }

  std::string Substitute(std::string_view input) {
    std::string text(input);
    if (text.find('{') == std::string::npos) return text;
    Replace(text, "{ENROLMENT}", enrolment_id_);
    Replace(text, "{IDENTIFIER}", identifier_);
    Replace(text, "{SERIAL}", serial_);
    Replace(text, "{CODE}", code_);
    Replace(text, "{ORDER}", order_.order_ref);
    Replace(text, "{AUTOSTART}", order_.auto_start_token);
    Replace(text, "{QR}", protocol::FormatLoginQr(order_.qr_start_token, order_.qr_start_secret, 0));
    if (text.find("{HNONCE}") != std::string::npos) {
      auto nonce = history_->Challenge(serial_);
      if (nonce.ok()) {
        auto message = protocol::HistorySignedMessage(*nonce, serial_);
        FUZZ_CHECK(message.ok());
        Replace(text, "{HNONCE}", Base64UrlEncode(*nonce));
        Replace(text, "{HSIG}", Base64UrlEncode(resident_key_->Sign(*message).bytes()));
      }
    }
    if (text.find("{ANONCE}") != std::string::npos) {
      auto challenge = activations_->Challenge(code_);
      auto canonical = service::CanonicalActivationCode(code_);
      if (challenge.ok() && canonical.ok()) {
        const crypto::SigningKey device = crypto::SigningKey::Generate();
        const Bytes message = service::ActivationSignedMessage(
            challenge->nonce, *canonical, device.verifying_key().bytes());
        Replace(text, "{ANONCE}", Base64UrlEncode(challenge->nonce));
        Replace(text, "{ASIG}", Base64UrlEncode(device.Sign(message).bytes()));
        Replace(text, "{APUB}", Base64UrlEncode(device.verifying_key().bytes()));
      }
    }
    return text;
  }

  FixedClock clock_;
  std::filesystem::path root_;
  std::unique_ptr<service::IssuerKeys> keys_;
  std::unique_ptr<server::storage::Store> store_;
  std::unique_ptr<service::AccountService> accounts_;
  std::unique_ptr<service::EnrolmentService> enrolments_;
  std::unique_ptr<service::ActivationService> activations_;
  std::unique_ptr<service::LifecycleService> lifecycle_;
  std::unique_ptr<service::HistoryService> history_;
  std::unique_ptr<service::OrderService> orders_;
  server::api::Router router_;
  std::string officer_token_;
  std::string api_key_;
  std::unique_ptr<crypto::SigningKey> resident_key_;
  std::string identifier_;
  std::string serial_;
  std::string code_;
  std::string enrolment_id_;
  service::StartedOrder order_;
};

// The input run against a shared issuer, rebuilt every kRebuildEvery inputs.
inline void RunApiInput(const uint8_t* data, size_t size, Caller caller, const char* name) {
  static std::unique_ptr<FuzzIssuer> issuer;
  static int runs = 0;
  if (!issuer || ++runs % FuzzIssuer::kRebuildEvery == 0) {
    issuer.reset();
    issuer = std::make_unique<FuzzIssuer>(name);
  }
  issuer->Run(AsText(data, size), caller);
}

}  // namespace tillit::fuzz
