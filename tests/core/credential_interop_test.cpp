// Interoperability of the eID credential with the OpenSSL command line, as an e-service
// would check it: `openssl verify` accepts the holder certificate under the CA, and
// `openssl x509 -text` shows the profile (policy OID, critical extensions, Ed25519).
#include <doctest/doctest.h>

#include <array>
#include <cstdio>
#include <ctime>
#include <string>

#include "temp_dir.h"
#include "tillit/credential/certificate.h"
#include "tillit/credential/policy.h"
#include "tillit/crypto/ed25519.h"
#include "tillit/crypto/random.h"

using namespace tillit;
using namespace tillit::credential;
using tillit::testing::TempDir;

namespace {

constexpr int64_t kDay = 86400;

// Runs a shell command; returns its exit status and combined output.
std::pair<int, std::string> Run(const std::string& command) {
  std::string output;
  FILE* pipe = popen((command + " 2>&1").c_str(), "r");
  REQUIRE(pipe != nullptr);
  std::array<char, 4096> buffer;
  size_t n;
  while ((n = fread(buffer.data(), 1, buffer.size(), pipe)) > 0) output.append(buffer.data(), n);
  const int status = pclose(pipe);
  return {status, output};
}

}  // namespace

TEST_CASE("openssl verify accepts the holder certificate under the CA") {
  REQUIRE(Run("openssl version").first == 0);
  const int64_t now = static_cast<int64_t>(std::time(nullptr));
  crypto::SigningKey ca_key = crypto::SigningKey::Generate();
  const Bytes ca = CreateCaCertificate(ca_key, {.common_name = "Tillit Interop CA",
                                                .organisation = "Tillit",
                                                .country = "SE",
                                                .not_before = now - kDay,
                                                .not_after = now + 3650 * kDay})
                       .value();
  crypto::SigningKey holder_key = crypto::SigningKey::Generate();
  std::array<uint8_t, kSerialSize> serial{};
  const Bytes random = crypto::RandomBytes(kSerialSize);
  std::copy(random.begin(), random.end(), serial.begin());
  const HolderCertificateRequest request{
      .identifier = identifier::Identifier::FromPayload(987654321).value(),
      .given_name = "Åsa",
      .surname = "Øberg",
      .assurance_level = 3,
      .evidence_class = EvidenceClass::kSwedishAuthorityDocument,
      .holder_key = holder_key.verifying_key(),
      .serial = serial,
      .not_before = now - 60,
      .not_after = now + 2 * 365 * kDay};
  const Bytes holder = IssueHolderCertificate(ca_key, ca, request).value();

  TempDir dir("tillit-credential");
  const std::string ca_pem = dir.Write("ca.pem", CertificateToPem(ca));
  const std::string holder_pem = dir.Write("holder.pem", CertificateToPem(holder));

  SUBCASE("verify, also in strict mode and for TLS client use") {
    auto [status, output] = Run("openssl verify -CAfile " + ca_pem + " " + holder_pem);
    CHECK(status == 0);
    CHECK(output == holder_pem + ": OK\n");
    std::tie(status, output) = Run("openssl verify -x509_strict -purpose sslclient -CAfile " +
                                   ca_pem + " " + holder_pem);
    CHECK(status == 0);
    CHECK(output == holder_pem + ": OK\n");
  }

  SUBCASE("verify rejects the holder under another CA") {
    crypto::SigningKey other_key = crypto::SigningKey::Generate();
    const Bytes other = CreateCaCertificate(other_key, {.common_name = "Tillit Interop CA",
                                                        .organisation = "Tillit",
                                                        .country = "SE",
                                                        .not_before = now - kDay,
                                                        .not_after = now + kDay})
                            .value();
    const std::string other_pem = dir.Write("other.pem", CertificateToPem(other));
    auto [status, output] = Run("openssl verify -CAfile " + other_pem + " " + holder_pem);
    CHECK(status != 0);
    CHECK(output.find(": OK") == std::string::npos);
  }

  SUBCASE("x509 -text shows the profile") {
    // Plain variables, not a structured binding: INFO captures by reference, which clang
    // does not allow for bindings before C++20's P1091 is implemented.
    int status = 0;
    std::string text;
    std::tie(status, text) =
        Run("openssl x509 -noout -text -nameopt oneline,-esc_msb -in " + holder_pem);
    REQUIRE(status == 0);
    INFO(text);
    CHECK(text.find("Policy: " + AssuranceLevelPolicyOid(3)) != std::string::npos);
    CHECK(text.find("Policy: " + EvidenceClassPolicyOid(EvidenceClass::kSwedishAuthorityDocument)) !=
          std::string::npos);
    CHECK(text.find("Version: 3 (0x2)") != std::string::npos);
    CHECK(text.find("Signature Algorithm: ED25519") != std::string::npos);
    CHECK(text.find("Public Key Algorithm: ED25519") != std::string::npos);
    CHECK(text.find("X509v3 Basic Constraints: critical\n                CA:FALSE") !=
          std::string::npos);
    CHECK(text.find("X509v3 Key Usage: critical\n                Digital Signature\n") !=
          std::string::npos);
    CHECK(text.find("TLS Web Client Authentication") != std::string::npos);
    CHECK(text.find("X509v3 Authority Key Identifier") != std::string::npos);
    CHECK(text.find("X509v3 Subject Key Identifier") != std::string::npos);
    CHECK(text.find("serialNumber = " + request.identifier.ToString()) != std::string::npos);
    CHECK(text.find("GN = Åsa") != std::string::npos);
    CHECK(text.find("SN = Øberg") != std::string::npos);
    CHECK(text.find("CN = Åsa Øberg") != std::string::npos);
    CHECK(text.find("Issuer: C = SE, O = Tillit, CN = Tillit Interop CA") != std::string::npos);

    std::tie(status, text) = Run("openssl x509 -noout -text -in " + ca_pem);
    REQUIRE(status == 0);
    CHECK(text.find("X509v3 Basic Constraints: critical\n                CA:TRUE, pathlen:0") !=
          std::string::npos);
    CHECK(text.find("X509v3 Key Usage: critical\n                Certificate Sign, CRL Sign") !=
          std::string::npos);
  }

  SUBCASE("openssl's own DER re-encoding is byte-identical and our PEM reader takes its output") {
    auto [status, reencoded] = Run("openssl x509 -in " + holder_pem);
    REQUIRE(status == 0);
    Result<Bytes> der = CertificateFromPem(reencoded);
    REQUIRE(der.ok());
    CHECK(*der == holder);
  }
}
