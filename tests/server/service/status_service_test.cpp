// StatusService (docs/status.md): the live status of a credential (good, suspended,
// revoked, expired, with their precedence; unknown and malformed serials), and the CRL
// after suspend, resume, revoke and replace: entries, reasons, times, the cRLNumber and
// the refresh period, all on a FixedClock. Also concurrent CRL requests.
#include "tillit/service/status_service.h"

#include <doctest/doctest.h>

#include <thread>

#include "service_fixture.h"
#include "tillit/credential/crl.h"
#include "tillit/service/lifecycle_service.h"

namespace tillit::service {
namespace {

namespace st = server::storage;
using credential::RevocationReason;
using testing::kNow;
using testing::ServiceFixture;

class StatusFixture : public ServiceFixture {
 public:
  StatusFixture() : lifecycle_(*store_, clock_, *keys_), status_(*store_, clock_, *keys_) {}

  CredentialStatusAnswer StatusOf(const std::string& serial) {
    auto answer = status_.Status(serial);
    REQUIRE(answer.ok());
    return *answer;
  }

  std::string ErrorOf(std::string_view serial) {
    auto answer = status_.Status(serial);
    return answer.ok() ? "ok" : answer.error().code;
  }

  // Fetches the CRL and verifies it under the CA at the clock's time.
  credential::VerifiedCrl VerifiedCrl() {
    auto crl = status_.Crl();
    REQUIRE(crl.ok());
    auto verified = credential::ParseAndVerifyCrl((*crl)->der, keys_->ca_certificate_der(),
                                                  clock_.NowUnixSeconds());
    REQUIRE(verified.ok());
    return *verified;
  }

  LifecycleService lifecycle_;
  StatusService status_;
};

TEST_CASE_FIXTURE(StatusFixture, "status: good, suspended, good again, revoked") {
  auto holder = EnrolAndActivate("Amal", "Hassan", "N1234567");
  const std::string serial = holder.credential.credential_serial;
  const std::string id = holder.issued.identifier;
  CHECK(StatusOf(serial).status == "good");
  CHECK_FALSE(StatusOf(serial).since.has_value());

  clock_.Advance(100);
  REQUIRE(lifecycle_.Suspend(anna_, id, "phone reported lost").ok());
  CHECK(StatusOf(serial).status == "suspended");
  CHECK(StatusOf(serial).since == kNow + 100);

  clock_.Advance(100);
  REQUIRE(lifecycle_.Resume(anna_, id, "phone found").ok());
  CHECK(StatusOf(serial).status == "good");
  CHECK_FALSE(StatusOf(serial).since.has_value());

  clock_.Advance(100);
  REQUIRE(enrolments_->Revoke(anna_, id, "holder request").ok());
  CHECK(StatusOf(serial).status == "revoked");
  CHECK(StatusOf(serial).since == kNow + 300);
}

TEST_CASE_FIXTURE(StatusFixture, "status: expiry at notAfter, and the precedence of statuses") {
  auto a = EnrolAndActivate("Amal", "Hassan", "N1234567");
  auto b = EnrolAndActivate("Yusuf", "Ali", "P998877");
  auto c = EnrolAndActivate("Sara", "Lind", "C100100");
  REQUIRE(lifecycle_.Suspend(anna_, b.issued.identifier, "lost").ok());
  REQUIRE(enrolments_->Revoke(anna_, c.issued.identifier, "duplicate").ok());
  const int64_t not_after = a.credential.not_after;
  REQUIRE(b.credential.not_after == not_after);

  clock_.Set(not_after - 1);  // valid iff notBefore <= now < notAfter
  CHECK(StatusOf(a.credential.credential_serial).status == "good");
  CHECK(StatusOf(b.credential.credential_serial).status == "suspended");
  clock_.Set(not_after);
  auto expired = StatusOf(a.credential.credential_serial);
  CHECK(expired.status == "expired");
  CHECK(expired.since == not_after);
  // Expired outranks suspended (both say "not now", but expiry is final); revoked
  // outranks expired (it matters for what was done before notAfter).
  CHECK(StatusOf(b.credential.credential_serial).status == "expired");
  auto revoked = StatusOf(c.credential.credential_serial);
  CHECK(revoked.status == "revoked");
  CHECK(revoked.since == kNow);
}

TEST_CASE_FIXTURE(StatusFixture, "status: unknown and malformed serials") {
  auto holder = EnrolAndActivate("Amal", "Hassan", "N1234567");
  const std::string serial = holder.credential.credential_serial;
  REQUIRE(serial.size() == 32);
  CHECK(ErrorOf(std::string(32, '0')) == "notFound");
  CHECK(ErrorOf(std::string(32, 'f')) == "notFound");
  std::string upper = serial;
  for (char& ch : upper) ch = static_cast<char>(std::toupper(static_cast<unsigned char>(ch)));
  if (upper != serial) CHECK(ErrorOf(upper) == "invalidParameters");
  CHECK(ErrorOf("") == "invalidParameters");
  CHECK(ErrorOf(serial.substr(0, 31)) == "invalidParameters");
  CHECK(ErrorOf(serial + "0") == "invalidParameters");
  CHECK(ErrorOf(serial.substr(0, 31) + "g") == "invalidParameters");
  CHECK(ErrorOf(serial.substr(0, 30) + "%2") == "invalidParameters");
  CHECK(ErrorOf(std::string(1000, 'a')) == "invalidParameters");
  CHECK(ErrorOf(serial) == "ok");
}

TEST_CASE_FIXTURE(StatusFixture, "CRL: empty at first, then hold, gone after resume, then revoked") {
  auto a = EnrolAndActivate("Amal", "Hassan", "N1234567");
  auto b = EnrolAndActivate("Yusuf", "Ali", "P998877");
  const std::string serial_a = a.credential.credential_serial;
  const std::string serial_b = b.credential.credential_serial;

  auto first = VerifiedCrl();
  CHECK(first.entries().empty());
  CHECK(first.this_update() == kNow);
  CHECK(first.next_update() == kNow + kCrlValiditySeconds);
  CHECK(first.crl_number() == kNow);

  clock_.Advance(10);
  REQUIRE(lifecycle_.Suspend(anna_, a.issued.identifier, "phone reported lost").ok());
  // Within the refresh period the cached CRL is served, byte for byte.
  auto cached = status_.Crl();
  REQUIRE(cached.ok());
  CHECK(VerifiedCrl().entries().empty());
  CHECK(VerifiedCrl().crl_number() == kNow);

  clock_.Set(kNow + kCrlRefreshSeconds);
  auto held = VerifiedCrl();
  CHECK(held.this_update() == kNow + kCrlRefreshSeconds);
  CHECK(held.crl_number() > first.crl_number());
  REQUIRE(held.entries().size() == 1);
  CHECK(held.entries()[0] == credential::CrlEntry{.serial_hex = serial_a,
                                                  .revocation_time = kNow + 10,
                                                  .reason = RevocationReason::kCertificateHold});

  clock_.Advance(kCrlRefreshSeconds);
  REQUIRE(lifecycle_.Resume(anna_, a.issued.identifier, "phone found").ok());
  REQUIRE(enrolments_->Revoke(anna_, b.issued.identifier, "holder request").ok());
  clock_.Advance(kCrlRefreshSeconds);
  auto revoked = VerifiedCrl();
  CHECK(revoked.crl_number() > held.crl_number());
  CHECK(revoked.Find(serial_a) == nullptr);  // resumed: simply absent (removeFromCRL)
  REQUIRE(revoked.entries().size() == 1);
  CHECK(revoked.entries()[0] ==
        credential::CrlEntry{.serial_hex = serial_b,
                             .revocation_time = kNow + kCrlRefreshSeconds * 2,
                             .reason = RevocationReason::kUnspecified});
}

TEST_CASE_FIXTURE(StatusFixture, "CRL: a replaced device is superseded; expired entries stay") {
  auto a = EnrolAndActivate("Amal", "Hassan", "N1234567");
  REQUIRE(lifecycle_.Suspend(anna_, a.issued.identifier, "lost").ok());
  auto replaced = lifecycle_.Replace(
      anna_, a.issued.identifier,
      ReplacementRequest{.evidence = {{.type = "passport", .number = "N1234567", .country = "SYR",
                                       .expiry = "2030-01-01"}},
                         .checks = {"chip-read", "face-to-photo"}});
  REQUIRE(replaced.ok());
  REQUIRE(replaced->status == "issued");
  auto crl = VerifiedCrl();
  REQUIRE(crl.entries().size() == 1);
  CHECK(crl.entries()[0].serial_hex == a.credential.credential_serial);
  CHECK(crl.entries()[0].reason == RevocationReason::kSuperseded);
  CHECK(StatusOf(a.credential.credential_serial).status == "revoked");

  // After the certificate's notAfter the entry is still listed: an old result checked
  // without the JWS must still see the revocation (docs/status.md §3).
  clock_.Set(a.credential.not_after + 10);
  auto later = VerifiedCrl();
  CHECK(later.Find(a.credential.credential_serial) != nullptr);
}

TEST_CASE_FIXTURE(StatusFixture, "CRL: the mapping from stored rows") {
  st::CredentialRow row;
  row.serial = std::string(32, 'a');
  row.created_at = 5;
  row.status = st::CredentialStatus::kSuspended;
  row.status_changed_at = 50;
  CHECK(CrlEntryFor(row).reason == RevocationReason::kCertificateHold);
  CHECK(CrlEntryFor(row).revocation_time == 50);
  row.status = st::CredentialStatus::kRevoked;
  row.status_reason = "phone stolen";  // free text proves nothing: unspecified
  CHECK(CrlEntryFor(row).reason == RevocationReason::kUnspecified);
  row.status_reason = std::string(kReplacedReasonPrefix) + "enr_123";
  CHECK(CrlEntryFor(row).reason == RevocationReason::kSuperseded);
  row.status_reason.reset();
  row.status_changed_at.reset();
  CHECK(CrlEntryFor(row).reason == RevocationReason::kUnspecified);
  CHECK(CrlEntryFor(row).revocation_time == 5);
}

TEST_CASE_FIXTURE(StatusFixture, "CRL: the number grows even when the clock does not") {
  auto first = status_.Crl();
  REQUIRE(first.ok());
  clock_.Set(kNow - 1000);  // stepped back: regenerate, thisUpdate = now, number still grows
  auto back = status_.Crl();
  REQUIRE(back.ok());
  CHECK((*back)->this_update == kNow - 1000);
  CHECK((*back)->crl_number == kNow + 1);
  clock_.Set(kNow - 1000 + kCrlRefreshSeconds);
  auto next = status_.Crl();
  REQUIRE(next.ok());
  CHECK((*next)->crl_number == kNow + 2);
}

TEST_CASE_FIXTURE(StatusFixture, "CRL: concurrent requests share one CRL") {
  auto a = EnrolAndActivate("Amal", "Hassan", "N1234567");
  REQUIRE(lifecycle_.Suspend(anna_, a.issued.identifier, "lost").ok());
  std::vector<std::shared_ptr<const CrlDocument>> seen(8);
  std::vector<std::thread> threads;
  for (size_t i = 0; i < seen.size(); ++i) {
    threads.emplace_back([&, i] {
      auto crl = status_.Crl();
      if (crl.ok()) seen[i] = *crl;
    });
  }
  for (auto& t : threads) t.join();
  for (const auto& crl : seen) {
    REQUIRE(crl != nullptr);
    CHECK(crl == seen[0]);  // the same cached object
  }
  auto verified = credential::ParseAndVerifyCrl(seen[0]->der, keys_->ca_certificate_der(), kNow);
  REQUIRE(verified.ok());
  CHECK(verified->entries().size() == 1);
}

}  // namespace
}  // namespace tillit::service
