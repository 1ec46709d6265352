// HistoryService (docs/protocol.md §9): after real logins and signatures through
// OrderService, a device that signs a fresh nonce reads its holder's history, newest
// first, with the e-service's name and the text; every credential of the person shares it;
// pages; and the attacks that must fail: a reused, expired or foreign nonce, a signature by
// another key, a flipped bit, the wrong context, a suspended or revoked credential.
#include "tillit/service/history_service.h"

#include <doctest/doctest.h>

#include "service_fixture.h"
#include "tillit/crypto/hash.h"
#include "tillit/protocol/history.h"
#include "tillit/protocol/login_qr.h"
#include "tillit/protocol/signed_data.h"
#include "tillit/service/order_service.h"

namespace tillit::service::testing {
namespace {

namespace st = server::storage;

#define REQUIRE_OK(expr)                                                                       \
  do {                                                                                         \
    const auto& ok_result_ = (expr);                                                           \
    if (!ok_result_.ok()) FAIL(ok_result_.error().code << ": " << ok_result_.error().message); \
  } while (false)

template <typename R>
std::string Code(const R& result) {
  REQUIRE_FALSE(result.ok());
  return result.error().code;
}

class HistoryFixture : public ServiceFixture {
 public:
  HistoryFixture() {
    kommun_ = AddRp("Exempelkommun");
    bank_ = AddRp("Banken AB");
    orders_ = std::make_unique<OrderService>(*store_, clock_, *keys_, "https://id.example");
    history_ = std::make_unique<HistoryService>(*store_, clock_, HistoryLimits{.max_nonces = 4});
    amal_ = std::make_unique<DeviceHolder>(EnrolAndActivate("Amal", "Hassan", "P1111111"));
    yusuf_ = std::make_unique<DeviceHolder>(EnrolAndActivate("Yusuf", "Ali", "P2222222"));
  }
  ~HistoryFixture() {
    history_.reset();
    orders_.reset();
  }

  RelyingParty AddRp(const std::string& name) {
    auto created = accounts_->AddRelyingParty(name);
    REQUIRE_OK(created);
    auto rp = accounts_->AuthenticateRelyingParty(created->api_key);
    REQUIRE_OK(rp);
    return *rp;
  }

  // A whole order as the device plays it: start, scan, sign, respond.
  void Complete(const RelyingParty& rp, const DeviceHolder& holder,
                std::optional<std::string> text = std::nullopt) {
    OrderRequest request;
    request.action = text ? OrderAction::kSign : OrderAction::kAuth;
    request.end_user_ip = "192.0.2.7";
    if (text) request.user_visible_data = ToBytes(*text);
    auto started = orders_->Start(rp, request);
    REQUIRE_OK(started);
    const std::string qr =
        protocol::FormatLoginQr(started->qr_start_token, started->qr_start_secret, 0);
    auto scanned = orders_->ScanQr(qr, holder.credential.credential_serial);
    REQUIRE_OK(scanned);
    protocol::SignedData data;
    data.action = scanned->action;
    data.order_ref = scanned->order_ref;
    data.challenge = scanned->challenge;
    data.rp_id = scanned->rp_id;
    data.rp_name = scanned->rp_name;
    data.credential_serial = holder.credential.credential_serial;
    data.start = qr;
    if (scanned->user_visible_data) data.visible_data_hash = crypto::Sha256(*scanned->user_visible_data);
    data.signed_at = clock_.NowUnixSeconds();
    auto bytes = protocol::SerializeSignedData(data);
    REQUIRE_OK(bytes);
    const crypto::Signature signature = holder.key.Sign(*bytes);
    REQUIRE_OK(orders_->Respond(scanned->order_ref, *bytes, signature.bytes(), "198.51.100.4"));
  }

  Bytes Nonce(const std::string& serial) {
    auto nonce = history_->Challenge(serial);
    REQUIRE_OK(nonce);
    CHECK(nonce->size() == 32);
    return *nonce;
  }

  static Bytes Sign(const crypto::SigningKey& key, const Bytes& nonce, const std::string& serial) {
    auto message = protocol::HistorySignedMessage(nonce, serial);
    REQUIRE_OK(message);
    const crypto::Signature signature = key.Sign(*message);
    return Bytes(signature.bytes().begin(), signature.bytes().end());
  }

  Result<HistoryPage> Read(const DeviceHolder& holder, size_t limit = kDefaultHistoryPage,
                           size_t offset = 0) {
    const std::string& serial = holder.credential.credential_serial;
    const Bytes nonce = Nonce(serial);
    return history_->Read(serial, nonce, Sign(holder.key, nonce, serial), limit, offset);
  }

  void SetStatus(const std::string& serial, st::CredentialStatus status) {
    REQUIRE_OK(store_->Write(st::Durability::kDurable, [&](st::Transaction& tx) {
      return store_->credentials().SetStatus(tx, serial, status, "test", clock_.NowUnixSeconds());
    }));
  }

  RelyingParty kommun_;
  RelyingParty bank_;
  std::unique_ptr<OrderService> orders_;
  std::unique_ptr<HistoryService> history_;
  std::unique_ptr<DeviceHolder> amal_;
  std::unique_ptr<DeviceHolder> yusuf_;
};

TEST_CASE_FIXTURE(HistoryFixture, "the history lists logins and signatures, newest first") {
  Complete(kommun_, *amal_);
  clock_.Advance(60);
  Complete(bank_, *amal_, "Jag godkänner lånet på 10 000 kr. ✓");
  clock_.Advance(60);
  Complete(kommun_, *yusuf_);  // someone else's: never in Amal's history

  auto page = Read(*amal_);
  REQUIRE_OK(page);
  REQUIRE(page->entries.size() == 2);
  CHECK_FALSE(page->next_offset.has_value());
  const HistoryEntry& sign = page->entries[0];
  CHECK(sign.rp_name == "Banken AB");
  CHECK(sign.rp_id == bank_.id);
  CHECK(sign.action == "sign");
  CHECK(sign.completed_at == kNow + 60);
  REQUIRE(sign.text.has_value());
  CHECK(*sign.text == "Jag godkänner lånet på 10 000 kr. ✓");
  CHECK(sign.credential_serial == amal_->credential.credential_serial);
  const HistoryEntry& login = page->entries[1];
  CHECK(login.rp_name == "Exempelkommun");
  CHECK(login.action == "auth");
  CHECK(login.completed_at == kNow);
  CHECK_FALSE(login.text.has_value());

  auto theirs = Read(*yusuf_);
  REQUIRE_OK(theirs);
  REQUIRE(theirs->entries.size() == 1);
  CHECK(theirs->entries[0].completed_at == kNow + 120);

  // Each read is audited, with identifiers only.
  auto records = store_->Read([&](st::ReadTransaction& tx) { return store_->audit().ReadRange(tx, 1, 10000); });
  REQUIRE_OK(records);
  const st::AuditRecord& last = records->back();
  CHECK(last.entry.action == "historyViewed");
  CHECK(last.entry.actor == "device");
  CHECK(last.entry.subject == yusuf_->credential.identifier);
  CHECK(last.entry.detail_json.find(yusuf_->credential.credential_serial) != std::string::npos);
  CHECK(last.entry.detail_json.find("Yusuf") == std::string::npos);
}

TEST_CASE_FIXTURE(HistoryFixture, "pages follow each other without overlap") {
  for (int i = 0; i < 5; ++i) {
    Complete(kommun_, *amal_);
    clock_.Advance(10);
  }
  auto first = Read(*amal_, 2, 0);
  REQUIRE_OK(first);
  REQUIRE(first->entries.size() == 2);
  REQUIRE(first->next_offset == std::optional<size_t>(2));
  CHECK(first->entries[0].completed_at == kNow + 40);
  auto second = Read(*amal_, 2, 2);
  REQUIRE_OK(second);
  REQUIRE(second->entries.size() == 2);
  CHECK(second->entries[0].completed_at == kNow + 20);
  REQUIRE(second->next_offset == std::optional<size_t>(4));
  auto third = Read(*amal_, 2, 4);
  REQUIRE_OK(third);
  REQUIRE(third->entries.size() == 1);
  CHECK(third->entries[0].completed_at == kNow);
  CHECK_FALSE(third->next_offset.has_value());
  auto past = Read(*amal_, 2, 100);
  REQUIRE_OK(past);
  CHECK(past->entries.empty());
}

TEST_CASE_FIXTURE(HistoryFixture, "every credential of the person shares the history") {
  Complete(kommun_, *amal_);
  // A second device of the same person (as after a replacement): another key, another serial.
  const crypto::SigningKey key = crypto::SigningKey::Generate();
  const std::string serial = "0123456789abcdef0123456789abcdef";
  REQUIRE_OK(store_->Write(st::Durability::kDurable, [&](st::Transaction& tx) {
    st::CredentialRow row;
    row.serial = serial;
    row.identifier = amal_->credential.identifier;
    row.holder_public_key = Bytes(key.verifying_key().bytes().begin(), key.verifying_key().bytes().end());
    row.certificate_der = Bytes{0x30, 0x00};
    row.assurance_level = 3;
    row.not_before = kNow - 10;
    row.not_after = kNow + 86400;
    row.created_at = kNow;
    return store_->credentials().Insert(tx, row);
  }));
  const Bytes nonce = Nonce(serial);
  auto page = history_->Read(serial, nonce, Sign(key, nonce, serial), 10, 0);
  REQUIRE_OK(page);
  REQUIRE(page->entries.size() == 1);
  CHECK(page->entries[0].credential_serial == amal_->credential.credential_serial);
}

TEST_CASE_FIXTURE(HistoryFixture, "a nonce is single use, short-lived and bound to its serial") {
  Complete(kommun_, *amal_);
  const std::string& serial = amal_->credential.credential_serial;
  const Bytes nonce = Nonce(serial);
  const Bytes signature = Sign(amal_->key, nonce, serial);
  REQUIRE_OK(history_->Read(serial, nonce, signature, 10, 0));
  CHECK(Code(history_->Read(serial, nonce, signature, 10, 0)) == "notFound");  // replayed

  const Bytes late = Nonce(serial);
  clock_.Advance(61);
  CHECK(Code(history_->Read(serial, late, Sign(amal_->key, late, serial), 10, 0)) == "notFound");

  // Yusuf's nonce, with a signature by Amal's key over it: the nonce names another serial.
  const Bytes foreign = Nonce(yusuf_->credential.credential_serial);
  CHECK(Code(history_->Read(serial, foreign, Sign(amal_->key, foreign, serial), 10, 0)) ==
        "notFound");
  CHECK(Code(history_->Read(serial, Bytes(32, 7), signature, 10, 0)) == "notFound");  // never issued
}

TEST_CASE_FIXTURE(HistoryFixture, "forged signatures are refused and still use up the nonce") {
  const std::string& serial = amal_->credential.credential_serial;
  auto refused = [&](const std::function<Bytes(const Bytes&)>& forge) {
    const Bytes nonce = Nonce(serial);
    CHECK(Code(history_->Read(serial, nonce, forge(nonce), 10, 0)) == "invalidSignature");
    // The genuine signature cannot follow on the same nonce.
    CHECK(Code(history_->Read(serial, nonce, Sign(amal_->key, nonce, serial), 10, 0)) == "notFound");
  };
  SUBCASE("another person's key") { refused([&](const Bytes& n) { return Sign(yusuf_->key, n, serial); }); }
  SUBCASE("a flipped bit") {
    refused([&](const Bytes& n) {
      Bytes s = Sign(amal_->key, n, serial);
      s[5] ^= 0x10;
      return s;
    });
  }
  SUBCASE("another nonce") {
    refused([&](const Bytes&) { return Sign(amal_->key, Bytes(32, 1), serial); });
  }
  SUBCASE("no context string") {
    refused([&](const Bytes& n) {
      Bytes message = n;
      for (char c : serial) message.push_back(static_cast<uint8_t>(c));
      const crypto::Signature s = amal_->key.Sign(message);
      return Bytes(s.bytes().begin(), s.bytes().end());
    });
  }
  SUBCASE("all zeros") { refused([](const Bytes&) { return Bytes(64, 0); }); }
}

TEST_CASE_FIXTURE(HistoryFixture, "malformed requests and unknown credentials") {
  const std::string& serial = amal_->credential.credential_serial;
  CHECK(Code(history_->Challenge("0123456789abcdef0123456789abcdef")) == "notFound");
  CHECK(Code(history_->Challenge("0123456789ABCDEF0123456789ABCDEF")) == "invalidParameters");
  CHECK(Code(history_->Challenge("")) == "invalidParameters");
  const Bytes nonce = Nonce(serial);
  const Bytes signature = Sign(amal_->key, nonce, serial);
  CHECK(Code(history_->Read(serial, nonce, signature, 0, 0)) == "invalidParameters");
  CHECK(Code(history_->Read(serial, nonce, signature, kMaxHistoryPage + 1, 0)) == "invalidParameters");
  CHECK(Code(history_->Read(serial, Bytes(31, 0), signature, 10, 0)) == "invalidParameters");
  CHECK(Code(history_->Read(serial, nonce, Bytes(63, 0), 10, 0)) == "invalidParameters");
  // None of those used the nonce up: the shapes are checked first.
  REQUIRE_OK(history_->Read(serial, nonce, signature, 10, 0));
}

TEST_CASE_FIXTURE(HistoryFixture, "a suspended or revoked credential cannot read the history") {
  Complete(kommun_, *amal_);
  const std::string& serial = amal_->credential.credential_serial;
  SetStatus(serial, st::CredentialStatus::kSuspended);
  CHECK(Code(Read(*amal_)) == "certificateErr");
  SetStatus(serial, st::CredentialStatus::kGood);
  REQUIRE_OK(Read(*amal_));
  SetStatus(serial, st::CredentialStatus::kRevoked);
  CHECK(Code(Read(*amal_)) == "certificateErr");
}

TEST_CASE_FIXTURE(HistoryFixture, "outstanding nonces are bounded") {
  const std::string& serial = amal_->credential.credential_serial;
  for (int i = 0; i < 4; ++i) Nonce(serial);
  CHECK(Code(history_->Challenge(serial)) == "tooManyRequests");
  clock_.Advance(61);  // they expire and make room
  Nonce(serial);
}

}  // namespace
}  // namespace tillit::service::testing
