// Fuzz target: what a resident gives the device to activate (ParseActivationInput): a bare
// activation code or the QR text tillit-activate:v1:<CODE>:<URL> (docs/desk-api.md,
// "Activation code"). Invariants: the documented error code; the code comes out canonical
// and is a fixed point of CanonicalActivationCode.
#include <cstdint>
#include <string>

#include "fuzz/fuzz_support.h"
#include "tillit/identifier/identifier.h"
#include "tillit/platform/activation_code.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  using namespace tillit;
  const std::string_view text = fuzz::AsText(data, size);
  auto code = platform::CanonicalActivationCode(text);
  if (code.ok()) {
    FUZZ_CHECK(code->size() == platform::kActivationCodeSymbols);
    auto again = platform::CanonicalActivationCode(*code);
    FUZZ_CHECK(again.ok() && *again == *code);
  } else {
    FUZZ_CHECK(code.error().code == "invalidCode");
  }
  auto input = platform::ParseActivationInput(text);
  if (!input.ok()) {
    FUZZ_CHECK(input.error().code == "invalidCode");
    return 0;
  }
  FUZZ_CHECK(input->code.size() == platform::kActivationCodeSymbols);
  for (char c : input->code) FUZZ_CHECK(identifier::SymbolValue(c) >= 0);
  auto again = platform::CanonicalActivationCode(input->code);
  FUZZ_CHECK(again.ok() && *again == input->code);
  if (!input->server) FUZZ_CHECK(code.ok() && *code == input->code);
  return 0;
}
