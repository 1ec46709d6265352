// OrderService (docs/protocol.md): starting orders and their validation, the device's
// scan / shown / decline / respond with every refusal leaving the order as it was, the
// completion data and result JWS, timers with a FixedClock, the per-RP limit, the storage
// fallback after a restart, storage failures, and concurrent responses.
#include "tillit/service/order_service.h"

#include <cpprest/json.h>
#include <doctest/doctest.h>

#include <atomic>
#include <cctype>
#include <chrono>
#include <functional>
#include <thread>
#include <vector>

#include "service_fixture.h"
#include "tillit/crypto/hash.h"
#include "tillit/identifier/identifier.h"
#include "tillit/protocol/jws.h"
#include "tillit/protocol/login_qr.h"
#include "tillit/protocol/signed_data.h"
#include "tillit/rfc3339.h"

namespace tillit::service::testing {
namespace {

using server::storage::AuditRecord;
using server::storage::CredentialStatus;
using server::storage::Durability;
using server::storage::ReadTransaction;
using server::storage::Transaction;
using web::json::value;

constexpr const char* kIssuerUrl = "https://id.tillit.example";

template <typename R>
std::string Code(const R& result) {
  REQUIRE_FALSE(result.ok());
  return result.error().code;
}

#define REQUIRE_OK(expr)                                                                       \
  do {                                                                                         \
    const auto& ok_result_ = (expr);                                                           \
    if (!ok_result_.ok()) FAIL(ok_result_.error().code << ": " << ok_result_.error().message); \
  } while (false)

value ParseJson(const std::string& text) {
  return value::parse(utility::conversions::to_string_t(text));
}

std::string JsonString(const value& v, const char* name) {
  REQUIRE(v.has_field(name));
  REQUIRE(v.at(name).is_string());
  return utility::conversions::to_utf8string(v.at(name).as_string());
}

Bytes B64(const std::string& text) {
  auto bytes = Base64Decode(text);
  REQUIRE(bytes.ok());
  return *bytes;
}

// What a device builds and signs after a scan.
struct DeviceAnswer {
  Bytes signed_data;
  Bytes signature;
};

class OrderFixture : public ServiceFixture {
 public:
  OrderFixture() {
    rp_ = AddRp("Exempelkommun");
    rp2_ = AddRp("Annan kommun");
    orders_ = std::make_unique<OrderService>(*store_, clock_, *keys_, kIssuerUrl);
    amal_ = std::make_unique<DeviceHolder>(EnrolAndActivate("Amal", "Hassan", "P1111111"));
  }
  ~OrderFixture() { orders_.reset(); }

  RelyingParty AddRp(const std::string& name) {
    auto created = accounts_->AddRelyingParty(name);
    REQUIRE(created.ok());
    auto rp = accounts_->AuthenticateRelyingParty(created->api_key);
    REQUIRE(rp.ok());
    return *rp;
  }

  static OrderRequest Auth(std::optional<std::string> identifier = std::nullopt) {
    OrderRequest request;
    request.action = OrderAction::kAuth;
    request.end_user_ip = "192.0.2.7";
    request.required_identifier = std::move(identifier);
    return request;
  }

  static OrderRequest Sign(std::string text, std::optional<std::string> hidden = std::nullopt) {
    OrderRequest request;
    request.action = OrderAction::kSign;
    request.end_user_ip = "2001:db8::7";
    request.user_visible_data = ToBytes(text);
    if (hidden) request.user_non_visible_data = ToBytes(*hidden);
    return request;
  }

  StartedOrder Start(const OrderRequest& request, const RelyingParty* rp = nullptr) {
    auto started = orders_->Start(rp ? *rp : rp_, request);
    REQUIRE_OK(started);
    CHECK(protocol::IsUuidV4(started->order_ref));
    CHECK(protocol::IsUuidV4(started->qr_start_token));
    CHECK(protocol::IsUuidV4(started->qr_start_secret));
    CHECK(protocol::IsUuidV4(started->auto_start_token));
    return *started;
  }

  static std::string Qr(const StartedOrder& started, int64_t t = 0) {
    return protocol::FormatLoginQr(started.qr_start_token, started.qr_start_secret, t);
  }

  ScannedOrder Scan(const StartedOrder& started, const DeviceHolder& holder, int64_t t = 0) {
    auto scanned = orders_->ScanQr(Qr(started, t), holder.credential.credential_serial);
    REQUIRE_OK(scanned);
    return *scanned;
  }

  // "status/hint" as collect answers, or the error code.
  std::string Collect(const std::string& order_ref, const RelyingParty* rp = nullptr) {
    auto answer = orders_->Collect(rp ? *rp : rp_, order_ref);
    if (!answer.ok()) return answer.error().code;
    std::string out(OrderStatusName(answer->status));
    if (!answer->hint_code.empty()) out += "/" + answer->hint_code;
    return out;
  }

  // The signed data a device makes for `scanned`; `edit` may change it before signing.
  template <typename Edit>
  DeviceAnswer Answer(const ScannedOrder& scanned, const DeviceHolder& holder,
                      const std::string& start, const OrderRequest& request, Edit&& edit) {
    protocol::SignedData data;
    data.action = scanned.action;
    data.order_ref = scanned.order_ref;
    data.challenge = scanned.challenge;
    data.rp_id = scanned.rp_id;
    data.rp_name = scanned.rp_name;
    data.credential_serial = holder.credential.credential_serial;
    data.start = start;
    if (scanned.user_visible_data)
      data.visible_data_hash = crypto::Sha256(*scanned.user_visible_data);
    data.non_visible_data_hash = scanned.user_non_visible_data_hash;
    if (request.user_non_visible_data) {
      CHECK(data.non_visible_data_hash == crypto::Sha256(*request.user_non_visible_data));
    }
    data.signed_at = clock_.NowUnixSeconds();
    edit(data);
    auto bytes = protocol::SerializeSignedData(data);
    REQUIRE_OK(bytes);
    crypto::Signature signature = holder.key.Sign(*bytes);
    return {*bytes, Bytes(signature.bytes().begin(), signature.bytes().end())};
  }
  DeviceAnswer Answer(const ScannedOrder& scanned, const DeviceHolder& holder,
                      const std::string& start, const OrderRequest& request) {
    return Answer(scanned, holder, start, request, [](protocol::SignedData&) {});
  }

  Status Respond(const DeviceAnswer& answer, const std::string& order_ref) {
    return orders_->Respond(order_ref, answer.signed_data, answer.signature, "198.51.100.4");
  }

  // Runs a whole order for `holder` and returns its completion data.
  std::string CompleteOrder(const OrderRequest& request, const DeviceHolder& holder,
                            StartedOrder* out = nullptr) {
    StartedOrder started = Start(request);
    ScannedOrder scanned = Scan(started, holder);
    REQUIRE_OK(orders_->MarkShown(started.order_ref, scanned.challenge));
    REQUIRE_OK(Respond(Answer(scanned, holder, Qr(started), request), started.order_ref));
    auto answer = orders_->Collect(rp_, started.order_ref);
    REQUIRE_OK(answer);
    REQUIRE(answer->status == OrderStatus::kComplete);
    if (out) *out = started;
    return answer->completion_data_json;
  }

  std::vector<AuditRecord> Audit() {
    auto records =
        store_->Read([&](ReadTransaction& tx) { return store_->audit().ReadRange(tx, 1, 10000); });
    REQUIRE_OK(records);
    return *records;
  }

  // Through `store` (default: the fixture's), which must be the store of the service under
  // test: a service sees at once only what its own store writes (Store::
  // holder_records_version), as in the issuer, where one process serves a data directory.
  void SetStatus(const DeviceHolder& holder, CredentialStatus status,
                 server::storage::Store* store = nullptr) {
    if (store == nullptr) store = store_.get();
    REQUIRE_OK(store->Write(Durability::kDurable, [&](Transaction& tx) {
      return store->credentials().SetStatus(tx, holder.credential.credential_serial, status,
                                            "test", clock_.NowUnixSeconds());
    }));
  }

  RelyingParty rp_;
  RelyingParty rp2_;
  std::unique_ptr<OrderService> orders_;
  std::unique_ptr<DeviceHolder> amal_;
};

// --- Start ---

TEST_CASE_FIXTURE(OrderFixture, "start validates every field") {
  struct Bad {
    const char* field;
    OrderRequest request;
  };
  std::vector<Bad> bad;
  for (const char* ip :
       {"", "192.0.2", "192.0.2.256", "example.com", "::g", "192.0.2.7 ", "fe80::1%eth0"}) {
    OrderRequest r = Auth();
    r.end_user_ip = ip;
    bad.push_back({"endUserIp", r});
  }
  {
    OrderRequest r = Auth();
    r.end_user_ip = std::string("192.0.2.7\0", 10);
    bad.push_back({"endUserIp", r});
  }
  for (int64_t level : {0, 4, -1}) {
    OrderRequest r = Auth();
    r.min_assurance_level = level;
    bad.push_back({"requirement.minAssuranceLevel", r});
  }
  for (const char* id : {"", "K7M2", "not an identifier"}) {
    bad.push_back({"requirement.identifier", Auth(std::string(id))});
  }
  {
    // One character changed: the check character refuses it.
    std::string id = amal_->issued.identifier;
    id[3] = id[3] == 'A' ? 'B' : 'A';
    bad.push_back({"requirement.identifier", Auth(id)});
  }
  {
    OrderRequest r = Sign("x");
    r.user_visible_data.reset();
    bad.push_back({"userVisibleData", r});  // required for sign
  }
  bad.push_back({"userVisibleData", Sign("")});
  bad.push_back({"userVisibleData", Sign(std::string("a\0b", 3))});
  bad.push_back({"userVisibleData", Sign("\xC3\x28")});          // broken sequence
  bad.push_back({"userVisibleData", Sign("\xC0\xAF")});          // overlong
  bad.push_back({"userVisibleData", Sign("\xED\xA0\x80")});      // surrogate
  bad.push_back({"userVisibleData", Sign("\xF4\x90\x80\x80")});  // above U+10FFFF
  bad.push_back({"userVisibleData", Sign(std::string(kMaxUserDataBytes + 1, 'a'))});
  bad.push_back({"userNonVisibleData", Sign("ok", std::string(kMaxUserDataBytes + 1, 'a'))});
  bad.push_back({"userNonVisibleData", Sign("ok", std::string())});

  for (const Bad& b : bad) {
    CAPTURE(b.field);
    auto started = orders_->Start(rp_, b.request);
    REQUIRE_FALSE(started.ok());
    CHECK(started.error().code == "invalidParameters");
    CHECK(started.error().message.rfind(std::string(b.field) + ": ", 0) == 0);
  }
  CHECK(orders_->OrdersInMemory() == 0);

  // The limits themselves are fine; any accepted identifier spelling works.
  OrderRequest ok = Sign(std::string(kMaxUserDataBytes, 'a'), std::string(kMaxUserDataBytes, '\0'));
  ok.min_assurance_level = 3;
  const std::string grouped = identifier::Identifier::Parse(amal_->issued.identifier)->ToString();
  std::string lower = grouped;
  for (char& c : lower) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  ok.required_identifier = lower;
  CHECK(orders_->Start(rp_, ok).ok());
  CHECK(orders_->Start(rp_, Sign("r\xC3\xA4ksm\xC3\xB6rg\xC3\xA5s \xF0\x9F\x98\x80")).ok());
  OrderRequest v4 = Auth();
  v4.end_user_ip = "::ffff:192.0.2.1";
  CHECK(orders_->Start(rp_, v4).ok());
  CHECK(orders_->OrdersInMemory() == 3);
}

// --- the happy paths ---

TEST_CASE_FIXTURE(OrderFixture, "a login completes and its result verifies") {
  // A personnummer linked later appears in the result.
  REQUIRE_OK(store_->Write(Durability::kDurable, [&](Transaction& tx) {
    return store_->persons().LinkPersonnummer(tx, amal_->issued.identifier, "199004011234");
  }));
  OrderRequest request = Auth(amal_->issued.identifier);
  request.min_assurance_level = 3;
  StartedOrder started = Start(request);
  CHECK(Collect(started.order_ref) == "pending/outstandingTransaction");

  clock_.AdvanceMillis(2500);
  ScannedOrder scanned = Scan(started, *amal_, 2);
  CHECK(scanned.order_ref == started.order_ref);
  CHECK(scanned.challenge.size() == 32);
  CHECK(scanned.action == OrderAction::kAuth);
  CHECK(scanned.rp_id == rp_.id);
  CHECK(scanned.rp_name == "Exempelkommun");
  CHECK_FALSE(scanned.user_visible_data);
  CHECK_FALSE(scanned.user_non_visible_data_hash);
  CHECK(scanned.expires_at == kNow + 180);
  CHECK(Collect(started.order_ref) == "pending/started");

  REQUIRE_OK(orders_->MarkShown(started.order_ref, scanned.challenge));
  CHECK(Collect(started.order_ref) == "pending/userSign");
  REQUIRE_OK(orders_->MarkShown(started.order_ref, scanned.challenge));  // harmless again
  CHECK(Collect(started.order_ref) == "pending/userSign");

  clock_.AdvanceMillis(4000);
  const int64_t completed_at = clock_.NowUnixSeconds();
  DeviceAnswer answer = Answer(scanned, *amal_, Qr(started, 2), request);
  REQUIRE_OK(Respond(answer, started.order_ref));

  auto collected = orders_->Collect(rp_, started.order_ref);
  REQUIRE_OK(collected);
  CHECK(collected->order_ref == started.order_ref);
  CHECK(collected->status == OrderStatus::kComplete);
  CHECK(collected->hint_code.empty());
  const value completion = ParseJson(collected->completion_data_json);

  const std::string grouped = identifier::Identifier::Parse(amal_->issued.identifier)->ToString();
  const value& user = completion.at("user");
  CHECK(JsonString(user, "identifier") == grouped);
  CHECK(JsonString(user, "givenName") == "Amal");
  CHECK(JsonString(user, "surname") == "Hassan");
  CHECK(JsonString(user, "name") == "Amal Hassan");
  CHECK(user.at("assuranceLevel").as_integer() == 3);
  CHECK(JsonString(user, "personalNumber") == "199004011234");
  CHECK(user.size() == 6);
  const value& device = completion.at("device");
  CHECK(JsonString(device, "credentialSerial") == amal_->credential.credential_serial);
  CHECK(JsonString(device, "ipAddress") == "198.51.100.4");
  CHECK(device.size() == 2);
  CHECK(B64(JsonString(completion, "certificate")) == amal_->credential.certificate_der);
  CHECK(B64(JsonString(completion, "signedData")) == answer.signed_data);
  CHECK(B64(JsonString(completion, "signature")) == answer.signature);
  CHECK(JsonString(completion, "completedAt") == FormatRfc3339(completed_at));
  CHECK_FALSE(completion.has_field("userVisibleData"));
  CHECK_FALSE(completion.has_field("userNonVisibleData"));
  CHECK(completion.size() == 7);

  // The device's signature verifies under the certificate's key.
  auto key = crypto::VerifyingKey::Create(amal_->key.verifying_key().bytes());
  REQUIRE_OK(key);
  auto sig = crypto::Signature::Parse(B64(JsonString(completion, "signature")));
  REQUIRE_OK(sig);
  CHECK(key->Verify(B64(JsonString(completion, "signedData")), *sig).ok());

  // The result JWS verifies under the result key and covers completionData.
  auto jws = protocol::ParseCompactJws(JsonString(completion, "resultJws"));
  REQUIRE_OK(jws);
  CHECK(jws->alg == "EdDSA");
  CHECK(jws->kid == protocol::JwkThumbprint(keys_->result_key().verifying_key()));
  auto payload_bytes = protocol::VerifyCompactJws(*jws, keys_->result_key().verifying_key());
  REQUIRE_OK(payload_bytes);
  CHECK_FALSE(protocol::VerifyCompactJws(*jws, keys_->ca_verifying_key()).ok());
  const value payload = ParseJson(std::string(AsString(*payload_bytes)));
  CHECK(JsonString(payload, "iss") == kIssuerUrl);
  CHECK(JsonString(payload, "aud") == rp_.id);
  CHECK(JsonString(payload, "sub") == grouped);
  CHECK(payload.at("iat").as_number().to_int64() == completed_at);
  CHECK(JsonString(payload, "orderRef") == started.order_ref);
  CHECK(JsonString(payload, "action") == "auth");
  value without_jws = completion;
  without_jws.erase(utility::conversions::to_string_t("resultJws"));
  CHECK(payload.at("completionData") == without_jws);

  // Stored durably with its audit entry.
  auto row = store_->Read(
      [&](ReadTransaction& tx) { return store_->order_results().Find(tx, started.order_ref); });
  REQUIRE_OK(row);
  REQUIRE(row->has_value());
  CHECK((*row)->rp_id == rp_.id);
  CHECK((*row)->identifier == amal_->issued.identifier);
  CHECK((*row)->credential_serial == amal_->credential.credential_serial);
  CHECK((*row)->action == "auth");
  CHECK((*row)->completed_at == completed_at);
  CHECK((*row)->completion_json == collected->completion_data_json);
  const AuditRecord last = Audit().back();
  CHECK(last.entry.actor == "rp:" + rp_.id);
  CHECK(last.entry.action == "loginCompleted");
  CHECK(last.entry.subject == amal_->issued.identifier);
  CHECK(last.entry.at == completed_at);
  const value detail = ParseJson(last.entry.detail_json);
  CHECK(JsonString(detail, "orderRef") == started.order_ref);
  CHECK(JsonString(detail, "credentialSerial") == amal_->credential.credential_serial);
  CHECK(detail.size() == 2);

  // Replayed: the challenge was consumed.
  CHECK(Code(Respond(answer, started.order_ref)) == "orderNotActive");
  CHECK(Code(orders_->MarkShown(started.order_ref, scanned.challenge)) == "orderNotActive");
  CHECK(Code(orders_->Decline(started.order_ref, scanned.challenge, DeclineReason::kUserCancel)) ==
        "orderNotActive");
  CHECK(Code(orders_->Cancel(rp_, started.order_ref)) == "invalidParameters");
  CHECK(Collect(started.order_ref) == "complete");
  CHECK(Audit().back().entry.action == "loginCompleted");
}

TEST_CASE_FIXTURE(OrderFixture, "a signing order shows and signs the texts") {
  const std::string text = "Jag godk\xC3\xA4nner avtalet.\nRad tv\xC3\xA5";
  const std::string hidden("\x00\x01\xFF hidden", 10);
  OrderRequest request = Sign(text, hidden);
  StartedOrder started = Start(request);
  ScannedOrder scanned = Scan(started, *amal_);
  CHECK(scanned.action == OrderAction::kSign);
  REQUIRE(scanned.user_visible_data);
  CHECK(*scanned.user_visible_data == ToBytes(text));
  REQUIRE(scanned.user_non_visible_data_hash);
  CHECK(*scanned.user_non_visible_data_hash == crypto::Sha256(ToBytes(hidden)));

  // Responding without MarkShown is fine (started takes a response too).
  REQUIRE_OK(Respond(Answer(scanned, *amal_, Qr(started), request), started.order_ref));
  auto collected = orders_->Collect(rp_, started.order_ref);
  REQUIRE_OK(collected);
  const value completion = ParseJson(collected->completion_data_json);
  CHECK(B64(JsonString(completion, "userVisibleData")) == ToBytes(text));
  CHECK(B64(JsonString(completion, "userNonVisibleData")) == ToBytes(hidden));
  CHECK_FALSE(completion.at("user").has_field("personalNumber"));
  CHECK(completion.size() == 9);
  auto jws = protocol::ParseCompactJws(JsonString(completion, "resultJws"));
  REQUIRE_OK(jws);
  auto payload = protocol::VerifyCompactJws(*jws, keys_->result_key().verifying_key());
  REQUIRE_OK(payload);
  CHECK(JsonString(ParseJson(std::string(AsString(*payload))), "action") == "sign");
  CHECK(Audit().back().entry.action == "signCompleted");
}

TEST_CASE_FIXTURE(OrderFixture, "the same-device start signs autostart.<token>") {
  OrderRequest request = Auth();
  StartedOrder started = Start(request);
  CHECK(Code(orders_->ScanAutoStart("not-a-uuid", amal_->credential.credential_serial)) ==
        "qrInvalid");
  CHECK(Code(orders_->ScanAutoStart(protocol::GenerateUuidV4(),
                                    amal_->credential.credential_serial)) == "qrInvalid");
  CHECK(Code(orders_->ScanAutoStart(started.qr_start_token, amal_->credential.credential_serial)) ==
        "qrInvalid");
  // No time window: long after creation (but before the scan timeout) it still works.
  clock_.AdvanceMillis(20'000);
  auto scanned =
      orders_->ScanAutoStart(started.auto_start_token, amal_->credential.credential_serial);
  REQUIRE_OK(scanned);
  // The QR of the same order is refused now: one order, one device.
  CHECK(Code(orders_->ScanQr(Qr(started, 20), amal_->credential.credential_serial)) ==
        "orderNotActive");
  CHECK(Code(orders_->ScanAutoStart(started.auto_start_token,
                                    amal_->credential.credential_serial)) == "orderNotActive");
  // Signing the QR text instead of the autostart text is a mismatch.
  CHECK(Code(Respond(Answer(*scanned, *amal_, Qr(started), request), started.order_ref)) ==
        "invalidParameters");
  REQUIRE_OK(Respond(Answer(*scanned, *amal_, "autostart." + started.auto_start_token, request),
                     started.order_ref));
  CHECK(Collect(started.order_ref) == "complete");
}

// --- QR refusals ---

TEST_CASE_FIXTURE(OrderFixture, "refused QR codes leave the order as it was") {
  StartedOrder started = Start(Auth());
  StartedOrder other = Start(Auth());
  const std::string serial = amal_->credential.credential_serial;
  clock_.AdvanceMillis(10'500);  // now = 10

  auto expect_unchanged = [&] {
    CHECK(Collect(started.order_ref) == "pending/outstandingTransaction");
  };
  // Malformed.
  for (std::string bad : {std::string(), std::string("tillit."), Qr(started, 10) + "\n",
                          "bankid." + Qr(started, 10).substr(7), Qr(started, 10).substr(0, 60)}) {
    CHECK(Code(orders_->ScanQr(bad, serial)) == "qrInvalid");
  }
  // Unknown token.
  CHECK(Code(orders_->ScanQr(
            protocol::FormatLoginQr(protocol::GenerateUuidV4(), started.qr_start_secret, 10),
            serial)) == "qrInvalid");
  // Wrong HMAC: another order's secret, or a flipped character.
  CHECK(Code(orders_->ScanQr(
            protocol::FormatLoginQr(started.qr_start_token, other.qr_start_secret, 10), serial)) ==
        "qrInvalid");
  std::string flipped = Qr(started, 10);
  flipped.back() = flipped.back() == '0' ? '1' : '0';
  CHECK(Code(orders_->ScanQr(flipped, serial)) == "qrInvalid");
  // The other order's token with this order's code.
  CHECK(Code(orders_->ScanQr(
            protocol::FormatLoginQr(other.qr_start_token, started.qr_start_secret, 10), serial)) ==
        "qrInvalid");
  // Too old (t < now - 5) and from the future (t > now + 1).
  CHECK(Code(orders_->ScanQr(Qr(started, 4), serial)) == "qrExpired");
  CHECK(Code(orders_->ScanQr(Qr(started, 12), serial)) == "qrExpired");
  // Unknown credential (and malformed serials).
  CHECK(Code(orders_->ScanQr(Qr(started, 10), std::string(32, '0'))) == "notFound");
  CHECK(Code(orders_->ScanQr(Qr(started, 10), "")) == "notFound");
  CHECK(Code(orders_->ScanQr(Qr(started, 10), std::string(32, 'A'))) == "notFound");
  expect_unchanged();
  CHECK(Collect(other.order_ref) == "pending/outstandingTransaction");

  // The window's edges are accepted.
  ScannedOrder scanned = Scan(started, *amal_, 5);
  CHECK(Collect(started.order_ref) == "pending/started");
  CHECK(orders_->ScanQr(Qr(other, 11), serial).ok());

  // A second device (or the same one again) is refused, and the first keeps the order.
  DeviceHolder second = EnrolAndActivate("Bashir", "Nour", "P2222222");
  CHECK(Code(orders_->ScanQr(Qr(started, 10), second.credential.credential_serial)) ==
        "orderNotActive");
  CHECK(Code(orders_->ScanQr(Qr(started, 10), serial)) == "orderNotActive");
  CHECK(Collect(started.order_ref) == "pending/started");
  REQUIRE_OK(Respond(Answer(scanned, *amal_, Qr(started, 5), Auth()), started.order_ref));
  CHECK(Collect(started.order_ref) == "complete");
}

// --- respond refusals ---

TEST_CASE_FIXTURE(OrderFixture, "respond refuses anything that is not the order's") {
  OrderRequest request = Sign("Avtal", "dolt");
  StartedOrder started = Start(request);
  ScannedOrder scanned = Scan(started, *amal_);
  REQUIRE_OK(orders_->MarkShown(started.order_ref, scanned.challenge));
  const std::string qr = Qr(started);
  StartedOrder other = Start(Auth());
  DeviceHolder second = EnrolAndActivate("Bashir", "Nour", "P2222222");
  ScannedOrder other_scanned = Scan(other, second);

  struct Case {
    const char* name;
    std::function<void(protocol::SignedData&)> edit;
    const char* code;
  };
  const std::vector<Case> cases = {
      {"another order", [&](auto& d) { d.order_ref = other.order_ref; }, "invalidParameters"},
      {"wrong challenge", [&](auto& d) { d.challenge[0] ^= 1; }, "notFound"},
      {"other order's challenge", [&](auto& d) { d.challenge = other_scanned.challenge; },
       "notFound"},
      {"wrong action", [&](auto& d) { d.action = OrderAction::kAuth; }, "invalidParameters"},
      {"wrong rp id", [&](auto& d) { d.rp_id = rp2_.id; }, "invalidParameters"},
      {"wrong rp name", [&](auto& d) { d.rp_name = "Annan"; }, "invalidParameters"},
      {"wrong serial", [&](auto& d) { d.credential_serial = std::string(32, 'a'); },
       "invalidParameters"},
      {"wrong start text", [&](auto& d) { d.start = Qr(started, 1); }, "invalidParameters"},
      {"autostart start text", [&](auto& d) { d.start = "autostart." + started.auto_start_token; },
       "invalidParameters"},
      {"wrong visible hash", [&](auto& d) { d.visible_data_hash = crypto::Sha256(ToBytes("x")); },
       "invalidParameters"},
      {"no visible hash", [&](auto& d) { d.visible_data_hash.reset(); }, "invalidParameters"},
      {"wrong hidden hash",
       [&](auto& d) { d.non_visible_data_hash = crypto::Sha256(ToBytes("x")); },
       "invalidParameters"},
      {"no hidden hash", [&](auto& d) { d.non_visible_data_hash.reset(); }, "invalidParameters"},
      {"signedAt too early", [&](auto& d) { d.signed_at -= 301; }, "invalidParameters"},
      {"signedAt too late", [&](auto& d) { d.signed_at += 301; }, "invalidParameters"},
  };
  for (const Case& c : cases) {
    CAPTURE(c.name);
    DeviceAnswer answer = Answer(scanned, *amal_, qr, request, c.edit);
    CHECK(Code(Respond(answer, started.order_ref)) == c.code);
    CHECK(Collect(started.order_ref) == "pending/userSign");
  }

  // Signed by another key (the other device's), and a tampered signature or payload.
  DeviceAnswer good = Answer(scanned, *amal_, qr, request);
  DeviceAnswer wrong_key = Answer(scanned, second, qr, request, [&](auto& d) {
    d.credential_serial = amal_->credential.credential_serial;
  });
  CHECK(Code(Respond(wrong_key, started.order_ref)) == "invalidSignature");
  DeviceAnswer flipped = good;
  flipped.signature[10] ^= 1;
  CHECK(Code(Respond(flipped, started.order_ref)) == "invalidSignature");
  DeviceAnswer truncated = good;
  truncated.signature.pop_back();
  CHECK(Code(Respond(truncated, started.order_ref)) == "invalidSignature");
  DeviceAnswer edited = good;
  edited.signed_data.back() ^= 1;  // signedAt moves by a second: fields match, signature fails
  CHECK(Code(Respond(edited, started.order_ref)) == "invalidSignature");
  // Bytes that do not parse.
  DeviceAnswer garbage = good;
  garbage.signed_data.push_back(0);
  CHECK(Code(Respond(garbage, started.order_ref)) == "invalidParameters");
  CHECK(Code(orders_->Respond(started.order_ref, Bytes{1, 2, 3}, good.signature, "x")) ==
        "invalidParameters");
  // Unknown orders.
  CHECK(Code(Respond(good, protocol::GenerateUuidV4())) == "notFound");
  CHECK(Code(Respond(garbage, protocol::GenerateUuidV4())) == "notFound");
  CHECK(Code(Respond(good, other.order_ref)) == "notFound");
  CHECK(Collect(started.order_ref) == "pending/userSign");

  // Within the tolerance is fine.
  DeviceAnswer skewed = Answer(scanned, *amal_, qr, request, [](auto& d) { d.signed_at -= 300; });
  REQUIRE_OK(Respond(skewed, started.order_ref));
  CHECK(Collect(started.order_ref) == "complete");
  CHECK(Code(Respond(good, started.order_ref)) == "orderNotActive");
}

TEST_CASE_FIXTURE(OrderFixture, "an outstanding order takes no device calls but a scan") {
  StartedOrder started = Start(Auth());
  const Bytes challenge(32, 7);
  CHECK(Code(orders_->MarkShown(started.order_ref, challenge)) == "notFound");
  CHECK(Code(orders_->Decline(started.order_ref, challenge, DeclineReason::kUserCancel)) ==
        "notFound");
  CHECK(Code(orders_->MarkShown(started.order_ref, Bytes())) == "notFound");
  CHECK(Collect(started.order_ref) == "pending/outstandingTransaction");
  ScannedOrder scanned = Scan(started, *amal_);
  Bytes wrong = scanned.challenge;
  wrong[31] ^= 0x80;
  CHECK(Code(orders_->MarkShown(started.order_ref, wrong)) == "notFound");
  CHECK(Code(orders_->MarkShown(protocol::GenerateUuidV4(), scanned.challenge)) == "notFound");
  CHECK(Collect(started.order_ref) == "pending/started");
}

// --- the credential ---

TEST_CASE_FIXTURE(OrderFixture, "a revoked, suspended or expired credential fails the order") {
  const size_t audit_before = Audit().size();
  SUBCASE("suspended") {
    SetStatus(*amal_, CredentialStatus::kSuspended);
    StartedOrder started = Start(Auth());
    CHECK(Code(orders_->ScanQr(Qr(started), amal_->credential.credential_serial)) ==
          "certificateErr");
    CHECK(Collect(started.order_ref) == "failed/certificateErr");
    const AuditRecord last = Audit().back();
    CHECK(last.entry.action == "loginRefused");
    CHECK(last.entry.actor == "rp:" + rp_.id);
    CHECK(last.entry.subject == amal_->issued.identifier);
    CHECK(JsonString(ParseJson(last.entry.detail_json), "reason") == "suspended");
    CHECK(JsonString(ParseJson(last.entry.detail_json), "orderRef") == started.order_ref);
  }
  SUBCASE("revoked") {
    auto revoked = enrolments_->Revoke(anna_, amal_->issued.identifier, "lost phone");
    REQUIRE_OK(revoked);
    StartedOrder started = Start(Sign("text"));
    CHECK(Code(orders_->ScanQr(Qr(started), amal_->credential.credential_serial)) ==
          "certificateErr");
    CHECK(Collect(started.order_ref) == "failed/certificateErr");
    CHECK(Audit().back().entry.action == "signRefused");
    CHECK(JsonString(ParseJson(Audit().back().entry.detail_json), "reason") == "revoked");
  }
  SUBCASE("expired") {
    clock_.SetMillis(amal_->credential.not_after * 1000);
    StartedOrder started = Start(Auth());
    CHECK(Code(orders_->ScanQr(Qr(started), amal_->credential.credential_serial)) ==
          "certificateErr");
    CHECK(Collect(started.order_ref) == "failed/certificateErr");
    CHECK(JsonString(ParseJson(Audit().back().entry.detail_json), "reason") == "expired");
  }
  SUBCASE("revoked between scan and respond") {
    OrderRequest request = Auth();
    StartedOrder started = Start(request);
    ScannedOrder scanned = Scan(started, *amal_);
    SetStatus(*amal_, CredentialStatus::kRevoked);
    CHECK(Code(Respond(Answer(scanned, *amal_, Qr(started), request), started.order_ref)) ==
          "certificateErr");
    CHECK(Collect(started.order_ref) == "failed/certificateErr");
    CHECK(JsonString(ParseJson(Audit().back().entry.detail_json), "reason") == "revoked");
    auto row = store_->Read(
        [&](ReadTransaction& tx) { return store_->order_results().Find(tx, started.order_ref); });
    REQUIRE_OK(row);
    CHECK_FALSE(row->has_value());
  }
  const auto records = Audit();
  REQUIRE(records.size() > audit_before);
  CHECK(records.back().entry.action.find("Refused") != std::string::npos);
}

TEST_CASE_FIXTURE(OrderFixture, "a credential below the required level fails the order") {
  // Residence permit + face-to-photo: level 2.
  EnrolmentRequest level2 =
      Request("Carin", "Lindqvist", "UT1234567", {"face-to-photo"}, "1985-02-03");
  level2.evidence[0].type = "residence-permit";
  level2.evidence[0].country = "SWE";
  DeviceHolder carin = EnrolAndActivate(level2);
  REQUIRE(carin.credential.assurance_level == 2);

  OrderRequest at2 = Auth();
  at2.min_assurance_level = 2;
  std::string completion = CompleteOrder(at2, carin);
  CHECK(ParseJson(completion).at("user").at("assuranceLevel").as_integer() == 2);

  OrderRequest at3 = Auth();
  at3.min_assurance_level = 3;
  StartedOrder started = Start(at3);
  CHECK(Code(orders_->ScanQr(Qr(started), carin.credential.credential_serial)) == "certificateErr");
  CHECK(Collect(started.order_ref) == "failed/certificateErr");
  CHECK(JsonString(ParseJson(Audit().back().entry.detail_json), "reason") == "levelTooLow");
}

TEST_CASE_FIXTURE(OrderFixture, "another person's credential gets identifierMismatch") {
  DeviceHolder bashir = EnrolAndActivate("Bashir", "Nour", "P2222222");
  StartedOrder started = Start(Auth(amal_->issued.identifier));
  CHECK(Code(orders_->ScanQr(Qr(started), bashir.credential.credential_serial)) ==
        "identifierMismatch");
  CHECK(Collect(started.order_ref) == "pending/outstandingTransaction");
  // Even a revoked credential of somebody else cannot fail the order.
  SetStatus(bashir, CredentialStatus::kRevoked);
  CHECK(Code(orders_->ScanQr(Qr(started), bashir.credential.credential_serial)) ==
        "identifierMismatch");
  CHECK(Collect(started.order_ref) == "pending/outstandingTransaction");
  ScannedOrder scanned = Scan(started, *amal_);
  REQUIRE_OK(Respond(Answer(scanned, *amal_, Qr(started), Auth()), started.order_ref));
  CHECK(Collect(started.order_ref) == "complete");
}

// --- decline and cancel ---

TEST_CASE_FIXTURE(OrderFixture, "the resident declines, or the key store locks") {
  StartedOrder started = Start(Auth());
  ScannedOrder scanned = Scan(started, *amal_);
  REQUIRE_OK(orders_->Decline(started.order_ref, scanned.challenge, DeclineReason::kUserCancel));
  CHECK(Collect(started.order_ref) == "failed/userCancel");
  const AuditRecord declined = Audit().back();  // a decline is a login result too
  CHECK(declined.entry.action == "loginDeclined");
  CHECK(JsonString(ParseJson(declined.entry.detail_json), "reason") == "userCancel");
  CHECK(Code(orders_->Decline(started.order_ref, scanned.challenge, DeclineReason::kUserCancel)) ==
        "orderNotActive");
  CHECK(Code(Respond(Answer(scanned, *amal_, Qr(started), Auth()), started.order_ref)) ==
        "orderNotActive");
  CHECK(Collect(started.order_ref) == "failed/userCancel");

  StartedOrder locked = Start(Auth());
  ScannedOrder locked_scan = Scan(locked, *amal_);
  REQUIRE_OK(orders_->MarkShown(locked.order_ref, locked_scan.challenge));
  REQUIRE_OK(orders_->Decline(locked.order_ref, locked_scan.challenge, DeclineReason::kPinLocked));
  CHECK(Collect(locked.order_ref) == "failed/certificateErr");
  const AuditRecord last = Audit().back();
  CHECK(last.entry.action == "loginRefused");
  CHECK(JsonString(ParseJson(last.entry.detail_json), "reason") == "pinLocked");
}

TEST_CASE_FIXTURE(OrderFixture, "the e-service cancels a pending order, not a finished one") {
  CHECK(Code(orders_->Cancel(rp_, "not-a-uuid")) == "invalidParameters");
  CHECK(Code(orders_->Cancel(rp_, "6C1E2B0A-1D2C-4E5F-8A9B-0C1D2E3F4A5B")) == "invalidParameters");
  CHECK(Code(orders_->Cancel(rp_, protocol::GenerateUuidV4())) == "notFound");

  StartedOrder outstanding = Start(Auth());
  REQUIRE_OK(orders_->Cancel(rp_, outstanding.order_ref));
  CHECK(Collect(outstanding.order_ref) == "failed/cancelled");
  CHECK(Code(orders_->Cancel(rp_, outstanding.order_ref)) == "invalidParameters");
  CHECK(Code(orders_->ScanQr(Qr(outstanding), amal_->credential.credential_serial)) ==
        "orderNotActive");

  StartedOrder started = Start(Auth());
  ScannedOrder scanned = Scan(started, *amal_);
  CHECK(Code(orders_->Cancel(rp2_, started.order_ref)) == "notFound");  // not theirs
  CHECK(Collect(started.order_ref) == "pending/started");
  REQUIRE_OK(orders_->Cancel(rp_, started.order_ref));
  CHECK(Collect(started.order_ref) == "failed/cancelled");
  CHECK(Code(orders_->MarkShown(started.order_ref, scanned.challenge)) == "orderNotActive");
  CHECK(Code(Respond(Answer(scanned, *amal_, Qr(started), Auth()), started.order_ref)) ==
        "orderNotActive");
}

TEST_CASE_FIXTURE(OrderFixture,
                  "a second order for one identifier is refused and cancels the first") {
  StartedOrder first = Start(Auth(amal_->issued.identifier));
  ScannedOrder scanned = Scan(first, *amal_);
  // Another e-service, another spelling of the same identifier.
  const std::string grouped = identifier::Identifier::Parse(amal_->issued.identifier)->ToString();
  auto second = orders_->Start(rp2_, Auth(grouped));
  CHECK(Code(second) == "alreadyInProgress");
  CHECK(Collect(first.order_ref) == "failed/cancelled");
  CHECK(Code(Respond(Answer(scanned, *amal_, Qr(first), Auth()), first.order_ref)) ==
        "orderNotActive");
  // The first is gone, so the next one may start; orders without the identifier never clash.
  StartedOrder third = Start(Auth(amal_->issued.identifier));
  Start(Auth());
  Start(Auth());
  CHECK(Collect(third.order_ref) == "pending/outstandingTransaction");
  // A finished order does not count.
  REQUIRE_OK(orders_->Cancel(rp_, third.order_ref));
  Start(Auth(amal_->issued.identifier));
}

// --- timers ---

TEST_CASE_FIXTURE(OrderFixture, "an order not scanned within 30 s expires") {
  StartedOrder started = Start(Auth(amal_->issued.identifier));
  clock_.AdvanceMillis(29'999);
  CHECK(Collect(started.order_ref) == "pending/outstandingTransaction");
  clock_.AdvanceMillis(1);
  CHECK(Code(orders_->ScanQr(Qr(started, 30), amal_->credential.credential_serial)) ==
        "orderNotActive");
  CHECK(Collect(started.order_ref) == "failed/expiredTransaction");
  CHECK(Code(orders_->Cancel(rp_, started.order_ref)) == "invalidParameters");
  // No longer pending: the identifier is free again.
  Start(Auth(amal_->issued.identifier));
}

TEST_CASE_FIXTURE(OrderFixture, "an order not completed within 3 minutes expires") {
  OrderRequest request = Sign("text");
  StartedOrder started = Start(request);
  clock_.AdvanceMillis(29'000);
  ScannedOrder scanned = Scan(started, *amal_, 29);
  CHECK(scanned.expires_at == kNow + 180);
  clock_.AdvanceMillis(60'000);  // past the scan timeout: a scanned order is not affected
  REQUIRE_OK(orders_->MarkShown(started.order_ref, scanned.challenge));
  CHECK(Collect(started.order_ref) == "pending/userSign");
  clock_.SetMillis(kNow * 1000 + 179'999);
  CHECK(Collect(started.order_ref) == "pending/userSign");
  DeviceAnswer answer = Answer(scanned, *amal_, Qr(started, 29), request);
  clock_.SetMillis(kNow * 1000 + 180'000);
  CHECK(Code(Respond(answer, started.order_ref)) == "orderNotActive");
  CHECK(Collect(started.order_ref) == "failed/expiredTransaction");
}

TEST_CASE_FIXTURE(OrderFixture, "finished orders are kept 3 minutes, then forgotten") {
  StartedOrder cancelled = Start(Auth());
  REQUIRE_OK(orders_->Cancel(rp_, cancelled.order_ref));
  StartedOrder expired = Start(Auth());  // expires at +30 s
  StartedOrder completed;
  CompleteOrder(Auth(), *amal_, &completed);
  CHECK(orders_->OrdersInMemory() == 3);

  clock_.AdvanceMillis(179'999);
  CHECK(Collect(cancelled.order_ref) == "failed/cancelled");
  CHECK(Collect(completed.order_ref) == "complete");
  CHECK(Collect(expired.order_ref) == "failed/expiredTransaction");
  clock_.AdvanceMillis(1);
  CHECK(Collect(cancelled.order_ref) == "notFound");
  CHECK(Collect(completed.order_ref) == "notFound");  // in storage, but too old
  CHECK(Code(orders_->Cancel(rp_, completed.order_ref)) == "notFound");
  // Expiry counts from when the order expired, not from when it was looked at.
  clock_.AdvanceMillis(29'999);
  CHECK(Collect(expired.order_ref) == "failed/expiredTransaction");
  clock_.AdvanceMillis(1);
  CHECK(Collect(expired.order_ref) == "notFound");
  CHECK(orders_->OrdersInMemory() == 0);
}

TEST_CASE_FIXTURE(OrderFixture, "Start sweeps expired and forgotten orders out of memory") {
  for (int i = 0; i < 5; ++i) Start(Auth());
  CHECK(orders_->OrdersInMemory() == 5);
  clock_.AdvanceMillis(30'000 + 180'000);
  Start(Auth());
  CHECK(orders_->OrdersInMemory() == 1);
}

TEST_CASE_FIXTURE(OrderFixture, "the sweep forgets each order when its own time has come") {
  for (int i = 0; i < 3; ++i) Start(Auth());  // expire at +30 s, forgotten at +210 s
  clock_.AdvanceMillis(10'000);
  Start(Auth());  // expires at +40 s, forgotten at +220 s
  StartedOrder completed;
  CompleteOrder(Auth(), *amal_, &completed);  // forgotten at +190 s
  CHECK(orders_->OrdersInMemory() == 5);
  clock_.AdvanceMillis(180'000);  // +190 s
  Start(Auth());
  CHECK(orders_->OrdersInMemory() == 5);  // 4 expired but retained, and the new one
  clock_.AdvanceMillis(20'000);           // +210 s
  Start(Auth());
  CHECK(orders_->OrdersInMemory() == 3);
  clock_.AdvanceMillis(10'000);  // +220 s
  Start(Auth());
  CHECK(orders_->OrdersInMemory() == 3);  // the three started since +190 s
  CHECK(Collect(completed.order_ref) == "notFound");
}

TEST_CASE_FIXTURE(OrderFixture, "older completed results are collected from storage, unchanged") {
  OrderLimits limits;
  limits.hot_results = 2;
  orders_ = std::make_unique<OrderService>(*store_, clock_, *keys_, kIssuerUrl, limits);
  std::vector<StartedOrder> started(4);
  std::vector<std::string> completions;
  for (auto& s : started)
    completions.push_back(CompleteOrder(Sign("text " + s.order_ref), *amal_, &s));
  CHECK(orders_->OrdersInMemory() == 4);
  for (size_t i = 0; i < started.size(); ++i) {
    CAPTURE(i);
    auto answer = orders_->Collect(rp_, started[i].order_ref);
    REQUIRE_OK(answer);
    CHECK(answer->status == OrderStatus::kComplete);
    CHECK(answer->completion_data_json == completions[i]);  // byte for byte
    CHECK(Collect(started[i].order_ref, &rp2_) == "notFound");
    // Still finished for the device and for cancel.
    CHECK(Code(orders_->Cancel(rp_, started[i].order_ref)) == "invalidParameters");
  }
  clock_.AdvanceMillis(180'000);
  CHECK(Collect(started[0].order_ref) == "notFound");
}

TEST_CASE_FIXTURE(OrderFixture, "concurrent completions of many orders are all durable") {
  // Group commit: the responses share transactions, and each one answers only when its own
  // result and audit entry are stored.
  constexpr int kOrders = 24;
  struct Prepared {
    StartedOrder started;
    DeviceAnswer answer;
  };
  std::vector<Prepared> prepared;
  for (int i = 0; i < kOrders; ++i) {
    OrderRequest request = Auth();
    StartedOrder started = Start(request);
    ScannedOrder scanned = Scan(started, *amal_);
    prepared.push_back({started, Answer(scanned, *amal_, Qr(started), request)});
  }
  const size_t audit_before = Audit().size();
  std::atomic<int> ready{0};
  std::atomic<int> ok{0};
  std::vector<std::thread> threads;
  for (int i = 0; i < kOrders; ++i) {
    threads.emplace_back([&, i] {
      ++ready;
      while (ready.load() < kOrders) std::this_thread::yield();
      if (Respond(prepared[static_cast<size_t>(i)].answer,
                  prepared[static_cast<size_t>(i)].started.order_ref)
              .ok()) {
        ++ok;
      }
    });
  }
  for (auto& t : threads) t.join();
  CHECK(ok.load() == kOrders);
  for (const auto& p : prepared) {
    CHECK(Collect(p.started.order_ref) == "complete");
    auto row = store_->Read(
        [&](ReadTransaction& tx) { return store_->order_results().Find(tx, p.started.order_ref); });
    REQUIRE_OK(row);
    CHECK(row->has_value());
  }
  auto audit = Audit();
  CHECK(audit.size() == audit_before + kOrders);
  auto chain = server::storage::VerifyAuditChain(audit, crypto::Sha256Digest{});
  CHECK(chain.ok());
}

TEST_CASE_FIXTURE(OrderFixture, "a storage failure fails every completion of the batch") {
  auto impatient = server::storage::OpenSqliteStore(
      {.path = DatabasePath(dir_), .busy_timeout = std::chrono::milliseconds(100)});
  REQUIRE_OK(impatient);
  OrderService service(**impatient, clock_, *keys_, kIssuerUrl);
  constexpr int kOrders = 6;
  std::vector<std::pair<std::string, DeviceAnswer>> answers;
  for (int i = 0; i < kOrders; ++i) {
    OrderRequest request = Auth();
    auto started = service.Start(rp_, request);
    REQUIRE_OK(started);
    auto scanned = service.ScanQr(Qr(*started), amal_->credential.credential_serial);
    REQUIRE_OK(scanned);
    answers.emplace_back(started->order_ref, Answer(*scanned, *amal_, Qr(*started), request));
  }
  auto respond_all = [&](std::vector<Status>& out) {
    out.assign(kOrders, Status());
    std::vector<std::thread> threads;
    for (int i = 0; i < kOrders; ++i) {
      threads.emplace_back([&, i] {
        const auto& [ref, answer] = answers[static_cast<size_t>(i)];
        out[static_cast<size_t>(i)] =
            service.Respond(ref, answer.signed_data, answer.signature, "198.51.100.4");
      });
    }
    for (auto& t : threads) t.join();
  };
  std::vector<Status> results;
  {
    auto held = store_->Begin(Durability::kDurable);  // the database cannot be written
    REQUIRE_OK(held);
    respond_all(results);
  }
  for (int i = 0; i < kOrders; ++i) {
    CAPTURE(i);
    CHECK(Code(results[static_cast<size_t>(i)]) == "storageUnavailable");
    auto collected = service.Collect(rp_, answers[static_cast<size_t>(i)].first);
    REQUIRE_OK(collected);
    CHECK(collected->status == OrderStatus::kPending);
    CHECK(collected->hint_code == "started");
    auto row = store_->Read([&](ReadTransaction& tx) {
      return store_->order_results().Find(tx, answers[static_cast<size_t>(i)].first);
    });
    REQUIRE_OK(row);
    CHECK_FALSE(row->has_value());
  }
  // The devices retry once the database is back.
  respond_all(results);
  for (int i = 0; i < kOrders; ++i) {
    CAPTURE(i);
    CHECK(results[static_cast<size_t>(i)].ok());
    auto collected = service.Collect(rp_, answers[static_cast<size_t>(i)].first);
    REQUIRE_OK(collected);
    CHECK(collected->status == OrderStatus::kComplete);
  }
}

// --- e-services ---

TEST_CASE_FIXTURE(OrderFixture, "an e-service sees only its own orders") {
  CHECK(Code(orders_->Collect(rp_, "not-a-uuid")) == "invalidParameters");
  CHECK(Code(orders_->Collect(rp_, protocol::GenerateUuidV4())) == "notFound");
  StartedOrder pending = Start(Auth());
  CHECK(Collect(pending.order_ref, &rp2_) == "notFound");
  StartedOrder completed;
  CompleteOrder(Auth(), *amal_, &completed);
  CHECK(Collect(completed.order_ref, &rp2_) == "notFound");
  CHECK(Collect(completed.order_ref) == "complete");
  // Also after a restart (from storage).
  orders_ = std::make_unique<OrderService>(*store_, clock_, *keys_, kIssuerUrl);
  CHECK(Collect(completed.order_ref, &rp2_) == "notFound");
  CHECK(Code(orders_->Cancel(rp2_, completed.order_ref)) == "notFound");
}

TEST_CASE_FIXTURE(OrderFixture, "too many pending orders per e-service are refused") {
  OrderLimits limits;
  limits.max_live_orders_per_rp = 3;
  orders_ = std::make_unique<OrderService>(*store_, clock_, *keys_, kIssuerUrl, limits);
  std::vector<StartedOrder> started;
  for (int i = 0; i < 3; ++i) started.push_back(Start(Auth()));
  CHECK(Code(orders_->Start(rp_, Auth())) == "tooManyRequests");
  CHECK(orders_->Start(rp2_, Auth()).ok());  // others are not affected
  // A finished order frees its place, completed or not.
  REQUIRE_OK(orders_->Cancel(rp_, started[0].order_ref));
  ScannedOrder scanned = Scan(started[1], *amal_);
  REQUIRE_OK(Respond(Answer(scanned, *amal_, Qr(started[1]), Auth()), started[1].order_ref));
  Start(Auth());
  Start(Auth());
  CHECK(Code(orders_->Start(rp_, Auth())) == "tooManyRequests");
  // Expiry too.
  clock_.AdvanceMillis(30'000);
  Start(Auth());
}

// --- restart and storage ---

TEST_CASE_FIXTURE(OrderFixture, "a completed result survives a restart; pending orders do not") {
  StartedOrder completed;
  const std::string completion = CompleteOrder(Sign("text", "hidden"), *amal_, &completed);
  StartedOrder pending = Start(Auth());

  orders_ = std::make_unique<OrderService>(*store_, clock_, *keys_, kIssuerUrl);
  CHECK(orders_->OrdersInMemory() == 0);
  clock_.AdvanceMillis(60'000);
  auto collected = orders_->Collect(rp_, completed.order_ref);
  REQUIRE_OK(collected);
  CHECK(collected->order_ref == completed.order_ref);
  CHECK(collected->status == OrderStatus::kComplete);
  CHECK(collected->hint_code.empty());
  CHECK(collected->completion_data_json == completion);  // byte for byte
  CHECK(Code(orders_->Cancel(rp_, completed.order_ref)) == "invalidParameters");
  CHECK(Collect(pending.order_ref) == "notFound");
  clock_.AdvanceMillis(120'000);
  CHECK(Collect(completed.order_ref) == "notFound");
}

TEST_CASE_FIXTURE(OrderFixture, "storage failures: a result write is retried, a refusal stands") {
  // A second store on the same file with a short busy timeout: while the fixture's store
  // holds the write lock, its writes fail with storageUnavailable.
  auto impatient = server::storage::OpenSqliteStore(
      {.path = DatabasePath(dir_), .busy_timeout = std::chrono::milliseconds(100)});
  REQUIRE_OK(impatient);
  OrderService service(**impatient, clock_, *keys_, kIssuerUrl);
  const std::string serial = amal_->credential.credential_serial;

  OrderRequest request = Auth();
  auto started = service.Start(rp_, request);
  REQUIRE_OK(started);
  auto scanned = service.ScanQr(Qr(*started), serial);
  REQUIRE_OK(scanned);
  REQUIRE_OK(service.MarkShown(started->order_ref, scanned->challenge));
  DeviceAnswer answer = Answer(*scanned, *amal_, Qr(*started), request);
  auto refused = service.Start(rp2_, request);
  REQUIRE_OK(refused);
  {
    auto held = store_->Begin(Durability::kDurable);
    REQUIRE_OK(held);
    CHECK(Code(service.Respond(started->order_ref, answer.signed_data, answer.signature,
                               "198.51.100.4")) == "storageUnavailable");
    auto collected = service.Collect(rp_, started->order_ref);
    REQUIRE_OK(collected);
    CHECK(collected->status == OrderStatus::kPending);
    CHECK(collected->hint_code == "userSign");
  }
  auto row = store_->Read(
      [&](ReadTransaction& tx) { return store_->order_results().Find(tx, started->order_ref); });
  REQUIRE_OK(row);
  CHECK_FALSE(row->has_value());
  // The device retries and succeeds.
  REQUIRE_OK(
      service.Respond(started->order_ref, answer.signed_data, answer.signature, "198.51.100.4"));
  auto done = service.Collect(rp_, started->order_ref);
  REQUIRE_OK(done);
  CHECK(done->status == OrderStatus::kComplete);
  CHECK(Audit().back().entry.action == "loginCompleted");

  // A refusal whose audit entry cannot be written: the order fails all the same and the
  // caller sees the storage error.
  SetStatus(*amal_, CredentialStatus::kSuspended, impatient->get());
  const size_t audit_before = Audit().size();
  {
    auto held = store_->Begin(Durability::kDurable);
    REQUIRE_OK(held);
    CHECK(Code(service.ScanQr(Qr(*refused), serial)) == "storageUnavailable");
    auto collected = service.Collect(rp2_, refused->order_ref);
    REQUIRE_OK(collected);
    CHECK(collected->status == OrderStatus::kFailed);
    CHECK(collected->hint_code == "certificateErr");
  }
  CHECK(Audit().size() == audit_before);
}

TEST_CASE_FIXTURE(OrderFixture, "concurrent responses: exactly one wins") {
  OrderRequest request = Sign("once");
  StartedOrder started = Start(request);
  ScannedOrder scanned = Scan(started, *amal_);
  REQUIRE_OK(orders_->MarkShown(started.order_ref, scanned.challenge));
  DeviceAnswer answer = Answer(scanned, *amal_, Qr(started), request);

  constexpr int kThreads = 8;
  std::atomic<int> ready{0};
  std::atomic<int> wins{0};
  std::atomic<int> not_active{0};
  std::vector<std::thread> threads;
  for (int i = 0; i < kThreads; ++i) {
    threads.emplace_back([&] {
      ++ready;
      while (ready.load() < kThreads) std::this_thread::yield();
      Status status = Respond(answer, started.order_ref);
      if (status.ok()) {
        ++wins;
      } else if (status.error().code == "orderNotActive") {
        ++not_active;
      }
    });
  }
  for (auto& t : threads) t.join();
  CHECK(wins.load() == 1);
  CHECK(not_active.load() == kThreads - 1);
  CHECK(Collect(started.order_ref) == "complete");
  int completed = 0;
  for (const auto& record : Audit()) completed += record.entry.action == "signCompleted";
  CHECK(completed == 1);
}

}  // namespace
}  // namespace tillit::service::testing
