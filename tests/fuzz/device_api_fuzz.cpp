// Fuzz target: every JSON request body of the device API (/device/v1/activation/*,
// /device/v1/orders/*, /device/v1/history*; docs/desk-api.md §Device, docs/protocol.md §7,
// §9) through the real Router, routes and services over SQLite (fuzz/fuzz_issuer.h has the
// input format, the placeholders and the invariants). No bearer token, as for a device.
#include <cstdint>

#include "fuzz/fuzz_issuer.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  tillit::fuzz::RunApiInput(data, size, tillit::fuzz::Caller::kDevice, "device_api");
  return 0;
}
