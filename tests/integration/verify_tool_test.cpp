// tillit-verify from outside (docs/protocol.md §8): builds complete results in-process with
// fresh keys (a CA, a holder certificate, the device's signature over SignedData, the
// issuer's result JWS and its JWKS), writes them to files, runs the program and checks its
// answer and exit code. Then the results that must fail, one per check, each with its
// stable reason.
#include <doctest/doctest.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cpprest/json.h>

#include <cstdio>
#include <functional>
#include <string>

#include "temp_dir.h"
#include "tillit/bytes.h"
#include "tillit/credential/certificate.h"
#include "tillit/crypto/ed25519.h"
#include "tillit/crypto/hash.h"
#include "tillit/crypto/random.h"
#include "tillit/identifier/identifier.h"
#include "tillit/protocol/jws.h"
#include "tillit/protocol/login_qr.h"
#include "tillit/protocol/signed_data.h"
#include "tillit/rfc3339.h"

namespace {

using namespace tillit;
using tillit::testing::TempDir;
using web::json::value;

const std::string kBin = std::string(TILLIT_BIN_DIR) + "/tillit-verify";
// 2025-06-01T10:00:00Z: long ago by the time this runs, on purpose: a result is checked at
// its completedAt, not at the verifier's now.
constexpr int64_t kNow = 1748772000;
constexpr int64_t kDay = 86400;

struct Run {
  int exit_code = -1;
  std::string out;
  value json() const { return value::parse(out); }
};

Run Execute(const std::string& args) {
  std::string command = kBin + " " + args + " 2>/dev/null";
  FILE* p = ::popen(command.c_str(), "r");
  REQUIRE(p != nullptr);
  Run run;
  char buf[4096];
  while (size_t n = std::fread(buf, 1, sizeof buf, p)) run.out.append(buf, n);
  int status = ::pclose(p);
  run.exit_code = WIFEXITED(status) ? WEXITSTATUS(status) : -1;
  return run;
}

Bytes MakeCa(const crypto::SigningKey& key, const std::string& name) {
  credential::CaProfile profile{.common_name = name, .organisation = "Tillit test",
                                .country = "SE", .not_before = kNow - 30 * kDay,
                                .not_after = kNow + 3650 * kDay};
  auto der = credential::CreateCaCertificate(key, profile);
  REQUIRE(der.ok());
  return *der;
}

// Everything a complete result is made of; each test changes one thing and builds.
struct ResultBuilder {
  crypto::SigningKey ca_key = crypto::SigningKey::Generate();
  Bytes ca_der = MakeCa(ca_key, "Tillit Test CA");
  crypto::SigningKey holder_key = crypto::SigningKey::Generate();
  crypto::SigningKey result_key = crypto::SigningKey::Generate();
  identifier::Identifier identifier = *identifier::Identifier::FromPayload(123456789);
  int assurance_level = 2;
  int64_t cert_not_after = kNow + 365 * kDay;
  // The certificate is issued under this CA (another one for the untrusted-issuer case).
  const crypto::SigningKey* issuing_ca_key = &ca_key;
  const Bytes* issuing_ca_der = &ca_der;

  protocol::SignedData sd;
  std::optional<std::string> visible = std::string("Jag godkänner avtalet. أوافق ✓");
  std::optional<std::string> non_visible = std::string("ref:4711");
  std::string completed_at = FormatRfc3339(kNow);
  std::string status = "complete";
  std::string ip = "198.51.100.4";

  // Hooks, in the order they run.
  std::function<void(protocol::SignedData&)> edit_signed_data;   // after hashing, before signing
  std::function<void(Bytes&)> edit_signature;
  std::function<void(value&)> edit_completion;   // before the JWS is made
  std::function<void(value&)> edit_jws_payload;  // the JWS payload only
  std::function<std::string(const std::string&)> edit_jws;  // the compact JWS text
  std::function<void(value&)> edit_result;       // the final document

  ResultBuilder() {
    sd.action = protocol::OrderAction::kSign;
    sd.order_ref = protocol::GenerateUuidV4();
    sd.challenge = crypto::RandomBytes(32);
    sd.rp_id = "rp_0123456789abcdef";
    sd.rp_name = "Exempelkommun";
    sd.start = protocol::FormatLoginQr(protocol::GenerateUuidV4(), protocol::GenerateUuidV4(), 0);
    sd.signed_at = kNow;
  }

  Bytes HolderCertificate() const {
    credential::HolderCertificateRequest request{
        .identifier = identifier,
        .given_name = "Amal",
        .surname = "Hassan",
        .assurance_level = assurance_level,
        .evidence_class = credential::EvidenceClass::kIdentityDocument,
        .holder_key = holder_key.verifying_key(),
        .serial = {},
        .not_before = kNow - kDay,
        .not_after = cert_not_after};
    Bytes serial = crypto::RandomBytes(credential::kSerialSize);
    std::copy(serial.begin(), serial.end(), request.serial.begin());
    auto der = credential::IssueHolderCertificate(*issuing_ca_key, *issuing_ca_der, request);
    REQUIRE(der.ok());
    return *der;
  }

  std::string JwksText(const crypto::VerifyingKey& key) const {
    value jwks = value::object();
    value keys = value::array(1);
    keys[0] = value::parse(protocol::SerializePublicJwk(key));
    jwks["keys"] = keys;
    return jwks.serialize();
  }

  std::string Build() {
    Bytes cert = HolderCertificate();
    auto parsed = credential::ParseCertificate(cert);
    REQUIRE(parsed.ok());
    const std::string serial = parsed->serial_hex;

    protocol::SignedData data = sd;
    data.credential_serial = serial;
    if (visible) data.visible_data_hash = crypto::Sha256(AsBytes(*visible));
    if (non_visible) data.non_visible_data_hash = crypto::Sha256(AsBytes(*non_visible));
    if (edit_signed_data) edit_signed_data(data);
    auto bytes = protocol::SerializeSignedData(data);
    REQUIRE(bytes.ok());
    crypto::Signature sig = holder_key.Sign(*bytes);
    Bytes signature(sig.bytes().begin(), sig.bytes().end());
    if (edit_signature) edit_signature(signature);

    value user = value::object();
    user["identifier"] = value::string(identifier.ToString());
    user["givenName"] = value::string("Amal");
    user["surname"] = value::string("Hassan");
    user["name"] = value::string("Amal Hassan");
    user["assuranceLevel"] = value::number(assurance_level);
    value device = value::object();
    device["credentialSerial"] = value::string(serial);
    device["ipAddress"] = value::string(ip);
    value completion = value::object();
    completion["user"] = user;
    completion["device"] = device;
    completion["certificate"] = value::string(Base64Encode(cert));
    completion["signedData"] = value::string(Base64Encode(*bytes));
    completion["signature"] = value::string(Base64Encode(signature));
    completion["completedAt"] = value::string(completed_at);
    if (visible) completion["userVisibleData"] = value::string(Base64Encode(AsBytes(*visible)));
    if (non_visible) {
      completion["userNonVisibleData"] = value::string(Base64Encode(AsBytes(*non_visible)));
    }
    if (edit_completion) edit_completion(completion);

    value payload = value::object();
    payload["iss"] = value::string("https://id.example");
    payload["aud"] = value::string(sd.rp_id);
    payload["sub"] = value::string(identifier.ToString());
    payload["iat"] = value::number(kNow);
    payload["orderRef"] = value::string(sd.order_ref);
    payload["action"] = value::string(std::string(protocol::OrderActionName(data.action)));
    payload["completionData"] = completion;
    if (edit_jws_payload) edit_jws_payload(payload);
    std::string jws = protocol::SignCompactJws(result_key, AsBytes(payload.serialize()));
    if (edit_jws) jws = edit_jws(jws);
    completion["resultJws"] = value::string(jws);

    value result = value::object();
    result["orderRef"] = value::string(sd.order_ref);
    result["status"] = value::string(status);
    result["completionData"] = completion;
    if (edit_result) edit_result(result);
    return result.serialize();
  }
};

// dir / "name": the file's path, to splice into a command line.
std::string operator/(const TempDir& dir, const std::string& name) { return dir.file(name); }

// Builds the result, writes CA, JWKS and result, runs the verifier with the JWKS.
Run Verify(ResultBuilder& b, const TempDir& dir, bool with_jwks = true) {
  dir.Write("ca.pem", credential::CertificateToPem(b.ca_der));
  dir.Write("jwks.json", b.JwksText(b.result_key.verifying_key()));
  dir.Write("result.json", b.Build());
  std::string args = "--ca " + dir / "ca.pem" + " " + dir / "result.json";
  if (with_jwks) args += " --jwks " + dir / "jwks.json";
  return Execute(args);
}

void ExpectInvalid(const Run& run, const std::string& reason) {
  CAPTURE(run.out);
  CHECK(run.exit_code == 1);
  value v = run.json();
  CHECK(v.at("valid").as_bool() == false);
  CHECK(v.at("reason").as_string() == reason);
  CHECK(v.at("details").is_string());
}

TEST_CASE("tillit-verify accepts a complete signing result, with and without the JWKS") {
  TempDir dir("tillit-verify-test");
  ResultBuilder b;
  Run run = Verify(b, dir);
  CAPTURE(run.out);
  REQUIRE(run.exit_code == 0);
  value v = run.json();
  CHECK(v.at("valid").as_bool());
  CHECK(v.at("identifier").as_string() == b.identifier.ToString());
  CHECK(v.at("action").as_string() == "sign");
  CHECK(v.at("text").as_string() == *b.visible);

  // The JWS is not looked at without --jwks (documented): a broken one passes.
  b.edit_jws = [](const std::string&) { return std::string("not.a.jws"); };
  Run plain = Verify(b, dir, /*with_jwks=*/false);
  CAPTURE(plain.out);
  CHECK(plain.exit_code == 0);
  ExpectInvalid(Verify(b, dir), "invalidJws");
}

TEST_CASE("tillit-verify accepts an auth result without user data; no text") {
  TempDir dir("tillit-verify-test");
  ResultBuilder b;
  b.sd.action = protocol::OrderAction::kAuth;
  b.visible.reset();
  b.non_visible.reset();
  Run run = Verify(b, dir);
  CAPTURE(run.out);
  REQUIRE(run.exit_code == 0);
  value v = run.json();
  CHECK(v.at("action").as_string() == "auth");
  CHECK_FALSE(v.has_field("text"));
}

TEST_CASE("tillit-verify checks at completedAt, not now") {
  TempDir dir("tillit-verify-test");
  ResultBuilder b;
  b.cert_not_after = kNow + kDay;  // long expired today
  CHECK(Verify(b, dir).exit_code == 0);
  b.completed_at = FormatRfc3339(kNow + 2 * kDay);
  ExpectInvalid(Verify(b, dir), "untrustedCertificate");
  b.completed_at = FormatRfc3339(kNow - 2 * kDay);
  ExpectInvalid(Verify(b, dir), "untrustedCertificate");
  b.completed_at = "2025-06-01T12:00:00+02:00";  // the same instant as kNow
  CHECK(Verify(b, dir).exit_code == 0);
  for (const char* bad : {"2025-06-01 10:00:00Z", "2025-06-01T10:00:00", "2025-02-29T10:00:00Z",
                          "2025-06-01T24:00:00Z", "2025-06-01T10:00:60Z", "2025-06-01t10:00:00z",
                          "2025-06-01T10:00:00Z ", "2025-6-01T10:00:00Z", "2025-06-01T10:00:00.Z"}) {
    CAPTURE(bad);
    b.completed_at = bad;
    ExpectInvalid(Verify(b, dir), "invalidField");
  }
}

TEST_CASE("tillit-verify refuses results that must fail") {
  TempDir dir("tillit-verify-test");
  ResultBuilder b;

  SUBCASE("tampered signature") {
    b.edit_signature = [](Bytes& s) { s[10] ^= 0x01; };
    ExpectInvalid(Verify(b, dir), "invalidSignature");
  }
  SUBCASE("signature truncated") {
    b.edit_signature = [](Bytes& s) { s.pop_back(); };
    ExpectInvalid(Verify(b, dir), "invalidField");
  }
  SUBCASE("signed by another key than the certificate's") {
    b.edit_signature = [](Bytes& s) {
      crypto::SigningKey other = crypto::SigningKey::Generate();
      auto sig = other.Sign(s);
      s.assign(sig.bytes().begin(), sig.bytes().end());
    };
    ExpectInvalid(Verify(b, dir), "invalidSignature");
  }
  SUBCASE("signedData for another orderRef") {
    b.edit_signed_data = [](protocol::SignedData& d) { d.order_ref = protocol::GenerateUuidV4(); };
    ExpectInvalid(Verify(b, dir), "orderRefMismatch");
  }
  SUBCASE("signedData for another credential") {
    b.edit_signed_data = [](protocol::SignedData& d) {
      d.credential_serial = std::string(32, 'a');
    };
    ExpectInvalid(Verify(b, dir), "serialMismatch");
  }
  SUBCASE("device.credentialSerial is not the certificate's") {
    b.edit_completion = [](value& c) {
      c["device"]["credentialSerial"] = value::string(std::string(32, 'b'));
    };
    ExpectInvalid(Verify(b, dir), "serialMismatch");
  }
  SUBCASE("signedData that does not parse") {
    b.edit_completion = [](value& c) {
      auto bytes = Base64Decode(c.at("signedData").as_string());
      REQUIRE(bytes.ok());
      bytes->push_back(0);  // trailing byte
      c["signedData"] = value::string(Base64Encode(*bytes));
    };
    ExpectInvalid(Verify(b, dir), "invalidSignedData");
  }
  SUBCASE("certificate from another CA") {
    crypto::SigningKey other_key = crypto::SigningKey::Generate();
    Bytes other_ca = MakeCa(other_key, "Tillit Test CA");
    b.issuing_ca_key = &other_key;
    b.issuing_ca_der = &other_ca;
    ExpectInvalid(Verify(b, dir), "untrustedCertificate");
  }
  SUBCASE("a CA file that is not a certificate") {
    dir.Write("ca.pem", "-----BEGIN CERTIFICATE-----\nAAAA\n-----END CERTIFICATE-----\n");
    dir.Write("result.json", b.Build());
    ExpectInvalid(Execute("--ca " + dir / "ca.pem " + dir / "result.json"), "invalidCa");
  }
  SUBCASE("tampered userVisibleData") {
    b.edit_completion = [](value& c) {
      c["userVisibleData"] = value::string(Base64Encode(AsBytes("Jag godkänner inte.")));
    };
    ExpectInvalid(Verify(b, dir), "userDataMismatch");
  }
  SUBCASE("userVisibleData removed") {
    b.edit_completion = [](value& c) { c.erase("userVisibleData"); };
    ExpectInvalid(Verify(b, dir), "userDataMismatch");
  }
  SUBCASE("userNonVisibleData added though not signed") {
    b.non_visible.reset();
    b.edit_completion = [](value& c) {
      c["userNonVisibleData"] = value::string(Base64Encode(AsBytes("x")));
    };
    ExpectInvalid(Verify(b, dir), "userDataMismatch");
  }
  SUBCASE("userVisibleData not base64") {
    b.edit_completion = [](value& c) { c["userVisibleData"] = value::string("***"); };
    ExpectInvalid(Verify(b, dir), "invalidField");
  }
  SUBCASE("user.identifier is not the certificate's") {
    b.edit_completion = [](value& c) {
      c["user"]["identifier"] =
          value::string(identifier::Identifier::FromPayload(42)->ToString());
    };
    ExpectInvalid(Verify(b, dir), "userMismatch");
  }
  SUBCASE("user.assuranceLevel is not the certificate's") {
    b.edit_completion = [](value& c) { c["user"]["assuranceLevel"] = value::number(3); };
    ExpectInvalid(Verify(b, dir), "userMismatch");
  }
  SUBCASE("JWS signed by another key, same kid") {
    b.edit_jws = [](const std::string& jws) {
      std::string input = jws.substr(0, jws.rfind('.'));
      crypto::SigningKey other = crypto::SigningKey::Generate();
      return input + "." + Base64UrlEncode(other.Sign(AsBytes(input)).bytes());
    };
    ExpectInvalid(Verify(b, dir), "invalidJwsSignature");
  }
  SUBCASE("JWS signed by a key not in the JWKS") {
    crypto::SigningKey other = crypto::SigningKey::Generate();
    b.edit_jws = [&other](const std::string& jws) {
      size_t first = jws.find('.');
      size_t second = jws.rfind('.');
      auto payload = Base64UrlDecode(jws.substr(first + 1, second - first - 1));
      REQUIRE(payload.ok());
      return protocol::SignCompactJws(other, *payload);
    };
    ExpectInvalid(Verify(b, dir), "unknownKey");
  }
  SUBCASE("JWKS without the result key (unknown kid)") {
    dir.Write("ca.pem", credential::CertificateToPem(b.ca_der));
    dir.Write("result.json", b.Build());
    dir.Write("jwks.json", b.JwksText(crypto::SigningKey::Generate().verifying_key()));
    ExpectInvalid(Execute("--ca " + dir / "ca.pem --jwks " + dir / "jwks.json " +
                          dir / "result.json"),
                  "unknownKey");
  }
  SUBCASE("a JWKS that is not one") {
    dir.Write("ca.pem", credential::CertificateToPem(b.ca_der));
    dir.Write("result.json", b.Build());
    dir.Write("jwks.json", R"({"keys": [{"kty": "OKP", "crv": "Ed25519", "x": "AAAA"}]})");
    ExpectInvalid(Execute("--ca " + dir / "ca.pem --jwks " + dir / "jwks.json " +
                          dir / "result.json"),
                  "invalidJwks");
  }
  SUBCASE("JWS payload's completionData differs") {
    b.edit_jws_payload = [](value& p) {
      p["completionData"]["device"]["ipAddress"] = value::string("203.0.113.9");
    };
    ExpectInvalid(Verify(b, dir), "jwsMismatch");
  }
  SUBCASE("result's completionData differs from the JWS (field only the JWS covers)") {
    b.edit_result = [](value& r) {
      r["completionData"]["device"]["ipAddress"] = value::string("203.0.113.9");
    };
    ExpectInvalid(Verify(b, dir), "jwsMismatch");
  }
  SUBCASE("result with a member the JWS does not have") {
    b.edit_result = [](value& r) {
      r["completionData"]["user"]["personalNumber"] = value::string("199004011234");
    };
    ExpectInvalid(Verify(b, dir), "jwsMismatch");
  }
  SUBCASE("JWS payload for another order") {
    b.edit_jws_payload = [](value& p) {
      p["orderRef"] = value::string(protocol::GenerateUuidV4());
    };
    ExpectInvalid(Verify(b, dir), "jwsMismatch");
  }
  SUBCASE("JWS payload with another action") {
    b.edit_jws_payload = [](value& p) { p["action"] = value::string("auth"); };
    ExpectInvalid(Verify(b, dir), "jwsMismatch");
  }
  SUBCASE("status pending") {
    b.edit_result = [](value& r) {
      r["status"] = value::string("pending");
      r["hintCode"] = value::string("userSign");
      r.erase("completionData");
    };
    ExpectInvalid(Verify(b, dir), "notComplete");
  }
  SUBCASE("malformed JSON") {
    dir.Write("ca.pem", credential::CertificateToPem(b.ca_der));
    dir.Write("result.json", b.Build().substr(0, 100));
    ExpectInvalid(Execute("--ca " + dir / "ca.pem " + dir / "result.json"), "malformedJson");
  }
  SUBCASE("duplicate key") {
    dir.Write("ca.pem", credential::CertificateToPem(b.ca_der));
    std::string text = b.Build();
    text.insert(1, R"("status":"complete",)");
    dir.Write("result.json", text);
    ExpectInvalid(Execute("--ca " + dir / "ca.pem " + dir / "result.json"), "malformedJson");
  }
  SUBCASE("missing field") {
    b.edit_result = [](value& r) { r["completionData"].erase("signature"); };
    ExpectInvalid(Verify(b, dir), "invalidField");
  }
  SUBCASE("wrong-typed field") {
    b.edit_result = [](value& r) {
      r["completionData"]["user"]["assuranceLevel"] = value::string("2");
    };
    ExpectInvalid(Verify(b, dir), "invalidField");
  }
  SUBCASE("orderRef not a UUID") {
    b.edit_result = [](value& r) { r["orderRef"] = value::string("order-1"); };
    ExpectInvalid(Verify(b, dir), "invalidField");
  }
}

TEST_CASE("tillit-verify usage and unreadable files") {
  TempDir dir("tillit-verify-test");
  ResultBuilder b;
  dir.Write("ca.pem", credential::CertificateToPem(b.ca_der));
  dir.Write("jwks.json", b.JwksText(b.result_key.verifying_key()));
  dir.Write("result.json", b.Build());
  // Options after the file, and --opt=value.
  CHECK(Execute(dir / "result.json --ca " + dir / "ca.pem").exit_code == 0);
  CHECK(Execute("--ca=" + dir / "ca.pem " + dir / "result.json --jwks=" + dir / "jwks.json")
            .exit_code == 0);

  Run help = Execute("--help");
  CHECK(help.exit_code == 0);
  CHECK(help.out.find("usage: tillit-verify") != std::string::npos);
  CHECK(Execute("").exit_code == 2);
  CHECK(Execute(dir / "result.json").exit_code == 2);                    // no --ca
  CHECK(Execute("--ca " + dir / "ca.pem").exit_code == 2);              // no result
  CHECK(Execute("--ca " + dir / "ca.pem a.json b.json").exit_code == 2);
  CHECK(Execute("--ca " + dir / "ca.pem --colour red " + dir / "result.json").exit_code == 2);
  CHECK(Execute(dir / "result.json --ca").exit_code == 2);
  CHECK(Execute("--ca " + dir / "ca.pem --ca " + dir / "ca.pem " + dir / "result.json")
            .exit_code == 2);
  ExpectInvalid(Execute("--ca " + dir / "missing.pem " + dir / "result.json"), "unreadableFile");
  ExpectInvalid(Execute("--ca " + dir / "ca.pem " + dir / "missing.json"), "unreadableFile");
  ExpectInvalid(Execute("--ca " + dir / "ca.pem --jwks " + dir / "missing.json " +
                        dir / "result.json"),
                "unreadableFile");
}

}  // namespace
