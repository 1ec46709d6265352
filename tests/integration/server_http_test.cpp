// tillit-server from outside: starts the real binary on a loopback port and drives the
// desk and device API over raw HTTP/1.1, as tillit-desk and tillit-device do. Covers the
// happy path and bad input on desk endpoints (400/401/413/415, nothing written).
#include <arpa/inet.h>
#include <doctest/doctest.h>
#include <netinet/in.h>
#include <signal.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cpprest/json.h>

#include <cstdio>
#include <filesystem>
#include <string>

#include "raw_http.h"
#include "tillit/crypto/ed25519.h"
#include "tillit/service/activation_service.h"
#include "tillit/service/issuer_keys.h"
#include "tillit/storage/sqlite_store.h"

namespace {

using namespace tillit;
using web::json::value;

const std::string kBin = std::string(TILLIT_BIN_DIR) + "/tillit-server";

using testing::Reply;

Reply Request(int port, const std::string& method, const std::string& path,
                 const std::string& body, const std::string& token = "",
                 const std::string& content_type = "application/json") {
  return testing::RawHttp(port, method, path, body, token, content_type);
}

std::string Run(const std::string& command) {
  FILE* p = ::popen(command.c_str(), "r");
  REQUIRE(p != nullptr);
  std::string out;
  char buf[512];
  while (size_t n = std::fread(buf, 1, sizeof buf, p)) out.append(buf, n);
  int rc = ::pclose(p);
  REQUIRE(WEXITSTATUS(rc) == 0);
  return out;
}

using testing::ServerProcess;

uint64_t AuditSeq(const std::string& data) {
  auto store = server::storage::OpenSqliteStore({.path = service::DatabasePath(data)});
  REQUIRE(store.ok());
  auto head = (*store)->Read([&](server::storage::ReadTransaction& tx) { return (*store)->audit().Head(tx); });
  REQUIRE(head.ok());
  return head->seq;
}

const char* kEnrolment =
    R"({"person": {"givenName": "Amal", "surname": "Hassan", "birthDate": "1990-04-01",
        "nationality": "SYR"},
        "evidence": [{"type": "passport", "number": "N1234567", "country": "SYR", "expiry": "2099-01-01"}],
        "checks": ["chip-read", "face-to-photo"]})";

TEST_CASE("tillit-server serves the desk and device API") {
  char tmpl[] = "/tmp/tillit-http-test-XXXXXX";
  REQUIRE(::mkdtemp(tmpl) != nullptr);
  std::string root = tmpl;
  std::string data = root + "/data";

  value officer = value::parse(Run(kBin + " admin --data " + data +
                                   " add-officer --name 'Anna Berg' --organisation MV --role officer"));
  std::string token = officer.at("token").as_string();
  REQUIRE(token.size() == 43);
  {
    ServerProcess server(kBin, data);
    int port = server.port();

    CHECK(Request(port, "GET", "/healthz", "").json().at("status").as_string() == "ok");
    Reply pem = Request(port, "GET", "/.well-known/tillit-ca.pem", "");
    CHECK(pem.status == 200);
    CHECK(pem.body.rfind("-----BEGIN CERTIFICATE-----", 0) == 0);

    SUBCASE("bad input on desk endpoints changes nothing") {
      uint64_t before = AuditSeq(data);
      auto expect = [&](const Reply& r, int status, const std::string& code) {
        CAPTURE(r.body);
        CHECK(r.status == status);
        CHECK(r.json().at("errorCode").as_string() == code);
      };
      expect(Request(port, "POST", "/desk/v1/enrolments", kEnrolment), 401, "unauthorized");
      expect(Request(port, "POST", "/desk/v1/enrolments", kEnrolment, "wrong"), 401, "unauthorized");
      expect(Request(port, "POST", "/desk/v1/search", R"({"query":"x"})", token + "x"), 401,
             "unauthorized");
      expect(Request(port, "POST", "/desk/v1/enrolments", "{\"person\": ", token), 400,
             "invalidParameters");
      expect(Request(port, "POST", "/desk/v1/enrolments",
                     R"({"person": {"givenName": "A", "surname": "B", "birthDate": "1990",
                         "nationality": "SYR", "shoeSize": 42},
                         "evidence": [{"type": "none"}]})",
                     token),
             400, "invalidParameters");
      expect(Request(port, "POST", "/desk/v1/enrolments",
                     R"({"person": {"givenName": 7, "surname": "B", "birthDate": "1990",
                         "nationality": "SYR"}, "evidence": [{"type": "none"}]})",
                     token),
             400, "invalidParameters");
      expect(Request(port, "POST", "/desk/v1/enrolments",
                     R"({"person": {"givenName": "A", "surname": "B", "birthDate": "1990",
                         "nationality": "SYR"}, "evidence": [{"type": "none", "colour": "red"}]})",
                     token),
             400, "invalidParameters");
      expect(Request(port, "POST", "/desk/v1/enrolments", kEnrolment, token, "text/plain"), 415,
             "unsupportedMediaType");
      std::string huge = R"({"query": ")" + std::string(70 * 1024, 'a') + "\"}";
      expect(Request(port, "POST", "/desk/v1/search", huge, token), 413, "requestTooLarge");
      expect(Request(port, "POST", "/desk/v1/enrolments/enr_missing/approve", "{}", token), 404,
             "notFound");
      expect(Request(port, "POST", "/desk/v1/enrolments/enr_missing/resolve",
                     R"({"resolution": "maybe"})", token),
             400, "invalidParameters");
      expect(Request(port, "POST", "/desk/v1/persons/XXXX/revoke", R"({"reason": 1})", token), 400,
             "invalidParameters");
      expect(Request(port, "POST", "/device/v1/activation/challenge",
                     R"({"activationCode": "AAAA-AAAA-AAAA-AAAA"})"),
             400, "invalidCode");
      CHECK(AuditSeq(data) == before);
    }

    SUBCASE("enrol, issue and activate over HTTP") {
      Reply created = Request(port, "POST", "/desk/v1/enrolments", kEnrolment, token);
      REQUIRE(created.status == 201);
      CHECK(created.json().at("status").as_string() == "ready");
      std::string id = created.json().at("enrolmentId").as_string();
      Reply issued = Request(port, "POST", "/desk/v1/enrolments/" + id + "/issue", "{}", token);
      REQUIRE(issued.status == 201);
      std::string code = issued.json().at("activationCode").as_string();
      std::string identifier = issued.json().at("identifier").as_string();
      CHECK(issued.json().at("activationQr").as_string().rfind("tillit-activate:v1:" + code + ":http://", 0) == 0);

      Reply challenge = Request(port, "POST", "/device/v1/activation/challenge",
                                R"({"activationCode": ")" + code + "\"}");
      REQUIRE(challenge.status == 200);
      auto nonce = Base64UrlDecode(challenge.json().at("nonce").as_string());
      REQUIRE(nonce.ok());
      crypto::SigningKey device = crypto::SigningKey::Generate();
      auto canonical = service::CanonicalActivationCode(code);
      REQUIRE(canonical.ok());
      auto sig = device.Sign(service::ActivationSignedMessage(*nonce, *canonical,
                                                              device.verifying_key().bytes()));
      value body = value::object();
      body["activationCode"] = value::string(code);
      body["nonce"] = value::string(Base64UrlEncode(*nonce));
      body["publicKey"] = value::string(Base64UrlEncode(device.verifying_key().bytes()));
      body["signature"] = value::string(Base64UrlEncode(sig.bytes()));
      Reply done = Request(port, "POST", "/device/v1/activation/complete", body.serialize());
      CAPTURE(done.body);
      REQUIRE(done.status == 201);
      CHECK(done.json().at("identifier").as_string() == identifier);
      CHECK(done.json().at("assuranceLevel").as_integer() == 3);

      Reply person = Request(port, "GET", "/desk/v1/persons/" + identifier, "", token);
      REQUIRE(person.status == 200);
      CHECK(person.json().at("status").as_string() == "active");
      Reply revoked = Request(port, "POST", "/desk/v1/persons/" + identifier + "/revoke",
                              R"({"reason": "phone stolen"})", token);
      REQUIRE(revoked.status == 200);
      CHECK(revoked.json().at("revokedCredentials").as_integer() == 1);
    }
    CHECK(server.Stop() == 0);
  }
  std::error_code ignored;
  std::filesystem::remove_all(root, ignored);
}

}  // namespace
