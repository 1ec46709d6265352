// Fuzz target: X.509 certificates from outside (tillit/credential/certificate.h), as the
// issuer, the device and tillit-verify read them: ParseCertificate, VerifyHolderCertificate
// against the fixed CA of tests/fuzz/data/ca.der (written by fuzz_seed_gen with the holder
// seeds), VerifyCaCertificate, and the PEM reader. Invariants: the documented error codes; a
// parsed certificate survives PEM armouring; PEM text that decodes is a parsable certificate.
#include <cstdint>
#include <string>

#include "fuzz/fuzz_support.h"
#include "tillit/credential/certificate.h"

namespace {

// When the seeds' certificates are valid (fuzz_seed_gen's clock).
constexpr int64_t kNow = 1748772000;  // 2025-06-01T10:00:00Z

const std::string& CaDer() {
  static const std::string der = tillit::fuzz::ReadDataFile("ca.der");
  return der;
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  using namespace tillit;
  const ByteView der = fuzz::AsView(data, size);

  auto parsed = credential::ParseCertificate(der);
  if (parsed.ok()) {
    auto pem = credential::CertificateFromPem(credential::CertificateToPem(der));
    FUZZ_CHECK(pem.ok() && *pem == Bytes(der.begin(), der.end()));
  } else {
    FUZZ_CHECK(parsed.error().code == "invalidCertificate");
  }

  auto holder = credential::VerifyHolderCertificate(der, AsBytes(CaDer()), kNow);
  if (holder.ok()) {
    FUZZ_CHECK(parsed.ok());
    FUZZ_CHECK(!parsed->is_ca);
    FUZZ_CHECK(holder->serial_hex() == parsed->serial_hex);
  } else {
    FUZZ_CHECK(!holder.error().code.empty());
  }

  auto ca = credential::VerifyCaCertificate(der, kNow);
  if (ca.ok()) FUZZ_CHECK(parsed.ok() && parsed->is_ca);

  auto from_pem = credential::CertificateFromPem(fuzz::AsText(data, size));
  if (from_pem.ok()) {
    FUZZ_CHECK(credential::ParseCertificate(*from_pem).ok());
  } else {
    FUZZ_CHECK(from_pem.error().code == "invalidPem" ||
               from_pem.error().code == "invalidCertificate");
  }
  return 0;
}
