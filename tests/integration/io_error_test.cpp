// I/O errors (issue 8, "Disk full and I/O errors"): the real routes and services on an
// HttpServer, over a store whose disk fails on demand (FaultyVfs: SQLite's own file calls
// return SQLITE_IOERR_WRITE, _FSYNC or _READ, as a disk returning EIO makes them).
// While writes or fsyncs fail, enrolment, issue and login completion answer 503 with
// errorCode storageUnavailable (never a 500), reads keep working, nothing acknowledged
// before is lost, and once the disk is well again the same server writes again; failing
// reads answer 503 too. A group commit of login completions whose fsync fails reports none
// of its orders complete, a crash image taken then is sound, and the devices' retries
// complete the orders. The database passes integrity_check and the audit chain verifies at
// the end (in-process and with `tillit-server admin audit-verify`). docs/testing.md
// §Failing disk; disk full is tests/integration/disk_full_test.sh.
#include <doctest/doctest.h>
#include <sys/wait.h>

#include <cpprest/json.h>

#include <cstdio>
#include <filesystem>
#include <future>
#include <memory>
#include <string>
#include <thread>
#include <vector>

#include "faulty_vfs.h"
#include "raw_http.h"
#include "server/service/service_fixture.h"
#include "tillit/bytes.h"
#include "tillit/protocol/login_qr.h"
#include "tillit/protocol/signed_data.h"
#include "tillit/server/api/desk_routes.h"
#include "tillit/server/api/device_routes.h"
#include "tillit/server/api/http_server.h"
#include "tillit/server/api/router.h"
#include "tillit/server/api/rp_routes.h"
#include "tillit/service/audit_service.h"
#include "tillit/service/order_service.h"

namespace {

using namespace tillit;
using service::testing::kNow;
using testing::FaultyVfs;
using testing::IoFault;
using testing::Reply;
using web::json::value;

const std::string kServerBin = std::string(TILLIT_BIN_DIR) + "/tillit-server";

// Base class so that the VFS is SQLite's default before ServiceFixture opens the store.
struct VfsInstalled {
  FaultyVfs& vfs_ = FaultyVfs::Install();
};

// The issuer's desk, device and e-service routes on a real HttpServer, over the fixture's
// store (opened through FaultyVfs).
class Issuer : public VfsInstalled, public service::testing::ServiceFixture {
 public:
  // `threads`: handler threads; a group-commit test needs one per concurrent completion.
  explicit Issuer(unsigned threads = 2) {
    vfs_.Disarm();
    orders_ = std::make_unique<service::OrderService>(*store_, clock_, *keys_,
                                                      "https://id.example");
    server::api::IssuerServices services{.accounts = accounts_.get(),
                                         .enrolments = enrolments_.get(),
                                         .activations = activations_.get(),
                                         .keys = keys_.get(),
                                         .public_url = "https://id.example",
                                         .orders = orders_.get()};
    server::api::Router router;
    server::api::AddDeskRoutes(router, services);
    server::api::AddDeviceRoutes(router, services);
    server::api::AddRpRoutes(router, services);
    server::api::HttpServerOptions options;
    options.threads = threads;
    auto started = server::api::HttpServer::Start(options, router);
    REQUIRE(started.ok());
    server_ = std::move(*started);
    auto officer = accounts_->AddOfficer("Lina Ek", "Migrationsverket", "officer");
    REQUIRE(officer.ok());
    token_ = officer->token;
    auto rp = accounts_->AddRelyingParty("Exempelkommun");
    REQUIRE(rp.ok());
    rp_key_ = rp->api_key;
  }
  ~Issuer() {
    // A failed REQUIRE may leave a fault armed or a commit held at its fsync.
    vfs_.Disarm();
    vfs_.ReleaseSync();
    Close();
  }

  // Stops the server and closes the store (the fixture removes the files afterwards).
  void Close() {
    if (server_) server_->Stop();
    server_.reset();
    orders_.reset();
    activations_.reset();
    enrolments_.reset();
    accounts_.reset();
    store_.reset();
  }

  Reply Http(const std::string& method, const std::string& path, const std::string& body,
             const std::string& token = "") {
    return testing::RawHttp(server_->port(), method, path, body, token);
  }
  Reply Desk(const std::string& method, const std::string& path, const std::string& body = "") {
    return Http(method, path, body, token_);
  }

  // POST /desk/v1/enrolments for person n (names and birth dates far apart, so no
  // enrolment stops at a possible duplicate).
  Reply Enrol(int n) {
    const std::string born = std::to_string(1940 + n % 50) + "-0" + std::to_string(1 + n % 9) +
                             "-1" + std::to_string(n % 10);
    value body = value::parse(R"({"evidence": [{"type": "passport", "country": "SYR",
        "expiry": "2099-01-01"}], "checks": ["chip-read", "face-to-photo"]})");
    value person = value::object();
    person["givenName"] = value::string(Letters(n * 7 + 3));
    person["surname"] = value::string(Letters(n * 977 + 5));
    person["birthDate"] = value::string(born);
    person["nationality"] = value::string("SYR");
    body["person"] = person;
    body["evidence"][0]["number"] = value::string("P" + std::to_string(1000000 + n));
    return Desk("POST", "/desk/v1/enrolments", body.serialize());
  }
  Reply Issue(const std::string& enrolment_id) {
    return Desk("POST", "/desk/v1/enrolments/" + enrolment_id + "/issue", "{}");
  }
  // Enrols and issues person n; returns the identifier.
  std::string EnrolAndIssueOverHttp(int n) {
    Reply enrolled = Enrol(n);
    CAPTURE(enrolled.body);
    REQUIRE(enrolled.status == 201);
    REQUIRE(enrolled.json().at("status").as_string() == "ready");
    Reply issued = Issue(enrolled.json().at("enrolmentId").as_string());
    CAPTURE(issued.body);
    REQUIRE(issued.status == 201);
    return issued.json().at("identifier").as_string();
  }

  // n written in letters (names hold only letters): 0 -> "Ba", 27 -> "Bbb".
  static std::string Letters(int n) {
    std::string s;
    do {
      s.insert(s.begin(), static_cast<char>('a' + n % 26));
      n /= 26;
    } while (n > 0);
    return "B" + s;
  }

  std::unique_ptr<service::OrderService> orders_;
  std::unique_ptr<server::api::HttpServer> server_;
  std::string token_;
  std::string rp_key_;
};

void ExpectStorageUnavailable(const Reply& r) {
  CAPTURE(r.body);
  CHECK(r.status == 503);
  CHECK(r.json().at("errorCode").as_string() == "storageUnavailable");
}

// One login by `holder` over HTTP, taken up to the point where the device responds.
struct Login {
  Issuer& issuer;
  const service::testing::ServiceFixture::DeviceHolder& holder;
  std::string order_ref;
  std::string respond_body;

  Login(Issuer& i, const service::testing::ServiceFixture::DeviceHolder& h)
      : issuer(i), holder(h) {
    Reply started = issuer.Http("POST", "/rp/v1/auth", R"({"endUserIp": "192.0.2.7"})",
                                issuer.rp_key_);
    CAPTURE(started.body);
    REQUIRE(started.status == 200);
    order_ref = started.json().at("orderRef").as_string();
    const std::string qr = protocol::FormatLoginQr(
        started.json().at("qrStartToken").as_string(),
        started.json().at("qrStartSecret").as_string(), 0);
    value scan = value::object();
    scan["qrText"] = value::string(qr);
    scan["credentialSerial"] = value::string(holder.credential.credential_serial);
    Reply scanned = issuer.Http("POST", "/device/v1/orders/scan", scan.serialize());
    CAPTURE(scanned.body);
    REQUIRE(scanned.status == 200);
    const value s = scanned.json();
    Reply shown = issuer.Http("POST", "/device/v1/orders/shown",
                              R"({"orderRef": ")" + order_ref + R"(", "challenge": ")" +
                                  s.at("challenge").as_string() + "\"}");
    REQUIRE(shown.status == 200);

    protocol::SignedData sd;
    sd.action = protocol::OrderAction::kAuth;
    sd.order_ref = order_ref;
    sd.challenge = *Base64UrlDecode(s.at("challenge").as_string());
    sd.rp_id = s.at("rpId").as_string();
    sd.rp_name = s.at("rpName").as_string();
    sd.credential_serial = holder.credential.credential_serial;
    sd.start = qr;
    sd.signed_at = kNow;
    auto bytes = protocol::SerializeSignedData(sd);
    REQUIRE(bytes.ok());
    value body = value::object();
    body["orderRef"] = value::string(order_ref);
    body["signedData"] = value::string(Base64UrlEncode(*bytes));
    body["signature"] = value::string(Base64UrlEncode(holder.key.Sign(*bytes).bytes()));
    respond_body = body.serialize();
  }

  Reply Respond() { return issuer.Http("POST", "/device/v1/orders/respond", respond_body); }

  // The order's status as the e-service collects it: "pending", "complete", "failed".
  std::string Collect() {
    Reply r = issuer.Http("POST", "/rp/v1/collect", R"({"orderRef": ")" + order_ref + "\"}",
                          issuer.rp_key_);
    CAPTURE(r.body);
    REQUIRE(r.status == 200);
    return r.json().at("status").as_string();
  }
};

// What must hold after any fault: every acknowledged person is still there, the file is
// sound and the audit chain verifies, in this process and in tillit-server's.
void CheckNothingLost(Issuer& issuer, const std::vector<std::string>& acknowledged) {
  for (const std::string& id : acknowledged) {
    CAPTURE(id);
    CHECK(issuer.Desk("GET", "/desk/v1/persons/" + id).status == 200);
  }
  service::AuditService audit(*issuer.store_, issuer.clock_, *issuer.keys_);
  auto verified = audit.Verify({});
  REQUIRE(verified.ok());
  CAPTURE(verified->reason);
  CHECK(verified->ok);
  CHECK(verified->entries > 0);

  const std::string data = issuer.dir_;
  issuer.Close();
  CHECK(testing::IntegrityCheck(service::DatabasePath(data)) == "ok");
  const std::string command = kServerBin + " admin --data " + data + " audit-verify 2>&1";
  FILE* p = ::popen(command.c_str(), "r");
  REQUIRE(p != nullptr);
  std::string out;
  char buf[512];
  while (size_t n = std::fread(buf, 1, sizeof buf, p)) out.append(buf, n);
  const int status = ::pclose(p);
  CAPTURE(out);
  CHECK((WIFEXITED(status) && WEXITSTATUS(status) == 0));
}

TEST_CASE("write and fsync failures: 503 storageUnavailable, reads go on, the same server "
          "writes again") {
  Issuer issuer;
  std::vector<std::string> acknowledged;
  for (int n = 1; n <= 3; ++n) acknowledged.push_back(issuer.EnrolAndIssueOverHttp(n));
  auto amal = issuer.EnrolAndActivate(service::testing::ServiceFixture::Request(
      "Amal", "Hassan", "N1234567", {"chip-read", "face-to-photo"}, "1981-02-03"));
  acknowledged.push_back(amal.credential.identifier);
  {
    Login before(issuer, amal);
    REQUIRE(before.Respond().status == 200);
    CHECK(before.Collect() == "complete");
  }

  int n = 100;
  for (IoFault fault : {IoFault::kWrite, IoFault::kSync}) {
    CAPTURE(fault == IoFault::kWrite ? "write" : "fsync");
    // Made ready while the disk is well, issued while it fails.
    Reply ready = issuer.Enrol(n++);
    REQUIRE(ready.status == 201);
    const std::string ready_id = ready.json().at("enrolmentId").as_string();
    Login login(issuer, amal);

    issuer.vfs_.Arm(fault);
    ExpectStorageUnavailable(issuer.Enrol(n++));
    ExpectStorageUnavailable(issuer.Issue(ready_id));
    ExpectStorageUnavailable(login.Respond());
    // The device was told the order did not complete, and it did not.
    CHECK(login.Collect() == "pending");
    CHECK(issuer.vfs_.injected() >= 3);

    // Reads need no write: persons, the order's status, the health check.
    for (const std::string& id : acknowledged) {
      CAPTURE(id);
      CHECK(issuer.Desk("GET", "/desk/v1/persons/" + id).status == 200);
    }
    CHECK(issuer.Http("GET", "/healthz", "").status == 200);

    // The disk is well again: the same server, with the same connections, writes again.
    issuer.vfs_.Disarm();
    Reply issued = issuer.Issue(ready_id);
    CAPTURE(issued.body);
    REQUIRE(issued.status == 201);
    acknowledged.push_back(issued.json().at("identifier").as_string());
    acknowledged.push_back(issuer.EnrolAndIssueOverHttp(n++));
    Reply retried = login.Respond();  // the device retries the same response
    CAPTURE(retried.body);
    CHECK(retried.status == 200);
    CHECK(login.Collect() == "complete");
  }

  // Reads failing too (the disk is gone): a read answers 503 storageUnavailable as well,
  // the health check (no storage) still answers, and reads come back with the disk.
  // A write first, so that every reader connection's cached pages are stale and its next
  // read goes to the file.
  acknowledged.push_back(issuer.EnrolAndIssueOverHttp(n++));
  issuer.vfs_.Arm(IoFault::kRead);
  ExpectStorageUnavailable(issuer.Desk("GET", "/desk/v1/persons/" + acknowledged.front()));
  ExpectStorageUnavailable(issuer.Enrol(n++));
  CHECK(issuer.Http("GET", "/healthz", "").status == 200);
  CHECK(issuer.vfs_.injected() >= 2);
  issuer.vfs_.Disarm();
  acknowledged.push_back(issuer.EnrolAndIssueOverHttp(n++));

  CheckNothingLost(issuer, acknowledged);
}

TEST_CASE("fsync failing under a group commit of login completions") {
  constexpr int kLogins = 6;
  Issuer issuer(kLogins + 2);
  std::vector<service::testing::ServiceFixture::DeviceHolder> holders;
  std::vector<std::string> acknowledged;
  for (int i = 0; i < kLogins; ++i) {
    holders.push_back(issuer.EnrolAndActivate(service::testing::ServiceFixture::Request(
        Issuer::Letters(i * 31 + 2), Issuer::Letters(i * 1013 + 7),
        "G" + std::to_string(2000000 + i), {"chip-read", "face-to-photo"},
        std::to_string(1950 + i * 7) + "-05-0" + std::to_string(1 + i))));
    acknowledged.push_back(holders.back().credential.identifier);
  }
  std::vector<std::unique_ptr<Login>> logins;
  for (auto& holder : holders) logins.push_back(std::make_unique<Login>(issuer, holder));

  // The first completion's commit is held at its fsync; the others queue behind it in the
  // CompletionWriter and are written together as the next batch. Both fsyncs fail.
  issuer.vfs_.HoldNextSync();
  std::vector<std::future<Reply>> replies;
  replies.push_back(std::async(std::launch::async, [&] { return logins[0]->Respond(); }));
  REQUIRE(issuer.vfs_.WaitForHeldSync());
  for (int i = 1; i < kLogins; ++i) {
    replies.push_back(std::async(std::launch::async, [&, i] { return logins[i]->Respond(); }));
  }
  // Time for the other responses to be checked and queued (a few milliseconds each, more
  // under the sanitizers); the outcome checked below does not depend on it, only how many
  // batches there were.
  std::this_thread::sleep_for(std::chrono::milliseconds(500));
  issuer.vfs_.Arm(IoFault::kSync);
  issuer.vfs_.ReleaseSync();
  for (auto& reply : replies) ExpectStorageUnavailable(reply.get());
  // Each failed commit fails at its one fsync: fewer failures than completions means some
  // completions shared a commit.
  const uint64_t failed_commits = issuer.vfs_.injected();
  CHECK(failed_commits >= 1);
  CHECK(failed_commits < static_cast<uint64_t>(kLogins));
  for (auto& login : logins) CHECK(login->Collect() == "pending");

  // A crash now would leave the failed batch's WAL frames in the file (here they reached
  // the page cache; on a real disk they may or may not have): a commit that failed at its
  // fsync has an unknown outcome after a crash, as in any database. What must hold is that
  // the image is sound and each completion comes whole, with its audit entry.
  const std::string image = issuer.root_ + "/crash-image";
  std::filesystem::create_directories(image);
  const std::string live_db = service::DatabasePath(issuer.dir_);
  std::filesystem::copy_file(live_db, image + "/tillit.db");
  std::filesystem::copy_file(live_db + "-wal", image + "/tillit.db-wal");
  issuer.vfs_.Disarm();
  {
    auto copy = server::storage::OpenSqliteStore({.path = image + "/tillit.db"});
    REQUIRE(copy.ok());
    auto live_head = issuer.store_->Read(
        [&](server::storage::ReadTransaction& tx) { return issuer.store_->audit().Head(tx); });
    auto copy_head = (*copy)->Read(
        [&](server::storage::ReadTransaction& tx) { return (*copy)->audit().Head(tx); });
    auto recovered = (*copy)->Read([&](server::storage::ReadTransaction& tx) -> Result<int> {
      int found = 0;
      for (auto& login : logins) {
        TILLIT_TRY_ASSIGN(auto row, (*copy)->order_results().Find(tx, login->order_ref));
        found += row.has_value();
      }
      return found;
    });
    REQUIRE(live_head.ok());
    REQUIRE(copy_head.ok());
    REQUIRE(recovered.ok());
    MESSAGE("completions whose commit failed, found in the crash image: " << *recovered);
    CHECK(copy_head->seq - live_head->seq == static_cast<uint64_t>(*recovered));
    auto verified = service::AuditService(**copy, issuer.clock_, *issuer.keys_).Verify({});
    REQUIRE(verified.ok());
    CHECK(verified->ok);
  }
  CHECK(testing::IntegrityCheck(image + "/tillit.db") == "ok");

  // Nothing of the failed batches is in the running server's database.
  auto stored = issuer.store_->Read([&](server::storage::ReadTransaction& tx) -> Result<int> {
    int found = 0;
    for (auto& login : logins) {
      TILLIT_TRY_ASSIGN(auto row, issuer.store_->order_results().Find(tx, login->order_ref));
      found += row.has_value();
    }
    return found;
  });
  REQUIRE(stored.ok());
  CHECK(*stored == 0);

  // The disk is well again: every device's retry completes its order.
  for (auto& login : logins) {
    Reply retried = login->Respond();
    CAPTURE(retried.body);
    CHECK(retried.status == 200);
    CHECK(login->Collect() == "complete");
  }
  CheckNothingLost(issuer, acknowledged);
}

}  // namespace
