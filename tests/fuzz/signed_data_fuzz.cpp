// Fuzz target: the payload a device signs (ParseSignedData, docs/protocol.md §5), the bytes
// tillit-verify and the issuer read from outside. Invariants: the documented error code; the
// parser is strict, so serializing what it accepted gives back the input byte for byte.
#include <cstdint>

#include "fuzz/fuzz_support.h"
#include "tillit/protocol/signed_data.h"
#include "tillit/utf8.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  using namespace tillit;
  (void)protocol::ParseOrderAction(fuzz::AsText(data, size));
  const ByteView bytes = fuzz::AsView(data, size);
  auto parsed = protocol::ParseSignedData(bytes);
  if (!parsed.ok()) {
    FUZZ_CHECK(parsed.error().code == "invalidSignedData");
    return 0;
  }
  FUZZ_CHECK(parsed->challenge.size() == protocol::kChallengeSize);
  FUZZ_CHECK(!parsed->rp_id.empty() && parsed->rp_id.size() <= protocol::kMaxRpIdBytes);
  FUZZ_CHECK(IsValidUtf8(parsed->rp_name));
  auto again = protocol::SerializeSignedData(*parsed);
  FUZZ_CHECK(again.ok());
  FUZZ_CHECK(Bytes(bytes.begin(), bytes.end()) == *again);
  return 0;
}
