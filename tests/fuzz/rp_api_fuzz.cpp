// Fuzz target: every JSON request body of the e-service API (/rp/v1/auth, sign, collect,
// cancel; docs/protocol.md §4) through the real Router, routes and services over SQLite
// (fuzz/fuzz_issuer.h has the input format, the placeholders and the invariants). Requests
// carry a valid API key.
#include <cstdint>

#include "fuzz/fuzz_issuer.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  tillit::fuzz::RunApiInput(data, size, tillit::fuzz::Caller::kRelyingParty, "rp_api");
  return 0;
}
