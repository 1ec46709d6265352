// Fuzz target: every JSON request body of the desk API (/desk/v1/*, docs/desk-api.md §Desk),
// through the real Router, routes and services over SQLite (fuzz/fuzz_issuer.h has the input
// format, the placeholders and the invariants). Requests carry a valid officer token.
#include <cstdint>

#include "fuzz/fuzz_issuer.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  tillit::fuzz::RunApiInput(data, size, tillit::fuzz::Caller::kOfficer, "desk_api");
  return 0;
}
