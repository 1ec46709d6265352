// Fuzz target: the issuer's CRL as e-services and tillit-verify read it (ParseAndVerifyCrl,
// CrlFromPem; docs/status.md §4), against the fixed CA of tests/fuzz/data/ca.der whose
// signed CRLs are in the seed corpus. Invariants: the documented error codes; a verified
// CRL's entries are sorted-or-not but unique, and Find finds each of them.
#include <cstdint>
#include <set>
#include <string>

#include "fuzz/fuzz_support.h"
#include "tillit/credential/crl.h"

namespace {

constexpr int64_t kNow = 1748772000;  // 2025-06-01T10:00:00Z, fuzz_seed_gen's clock

const std::string& CaDer() {
  static const std::string der = tillit::fuzz::ReadDataFile("ca.der");
  return der;
}

void Check(tillit::ByteView der) {
  using namespace tillit;
  auto crl = credential::ParseAndVerifyCrl(der, AsBytes(CaDer()), kNow);
  if (!crl.ok()) {
    const std::string& code = crl.error().code;
    FUZZ_CHECK(code == "invalidCrl" || code == "untrustedIssuer" || code == "invalidSignature" ||
               code == "crlNotYetValid" || code == "crlExpired");
    return;
  }
  FUZZ_CHECK(crl->this_update() <= kNow && kNow < crl->next_update());
  FUZZ_CHECK(crl->crl_number() >= 0);
  std::set<std::string> serials;
  for (const credential::CrlEntry& entry : crl->entries()) {
    FUZZ_CHECK(serials.insert(entry.serial_hex).second);
    FUZZ_CHECK(crl->Find(entry.serial_hex) != nullptr);
    (void)credential::RevocationReasonName(entry.reason);
  }
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  using namespace tillit;
  Check(fuzz::AsView(data, size));
  auto pem = credential::CrlFromPem(fuzz::AsText(data, size));
  if (pem.ok()) {
    Check(*pem);
  } else {
    FUZZ_CHECK(pem.error().code == "invalidPem");
  }
  return 0;
}
