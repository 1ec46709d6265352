// Fuzz target: the scanned login QR text (ParseLoginQr, docs/protocol.md §2) and the UUID
// check of its token. Invariants: a parsed QR has the documented shape, and formatting it
// again with the same code gives back the same text.
#include <cstdint>
#include <string>

#include "fuzz/fuzz_support.h"
#include "tillit/protocol/login_qr.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  using namespace tillit;
  const std::string_view text = fuzz::AsText(data, size);
  (void)protocol::IsUuidV4(text);
  auto qr = protocol::ParseLoginQr(text);
  if (!qr.ok()) {
    FUZZ_CHECK(qr.error().code == "qrInvalid");
    return 0;
  }
  FUZZ_CHECK(protocol::IsUuidV4(qr->qr_start_token));
  FUZZ_CHECK(qr->t >= 0 && qr->t <= protocol::kMaxQrSeconds);
  FUZZ_CHECK(qr->qr_auth_code.size() == 64);
  const std::string again = std::string(protocol::kLoginQrPrefix) + qr->qr_start_token + "." +
                            std::to_string(qr->t) + "." + qr->qr_auth_code;
  FUZZ_CHECK(again == text);
  // The code check must be total too (constant-time compare of any 64 hex characters).
  (void)protocol::CheckLoginQrCode(*qr, "00000000-0000-4000-8000-000000000000");
  return 0;
}
