// Fuzz target: the Tillit identifier as a person types it (Identifier::Parse,
// docs/identifier.md §5). Invariants: the error codes are the documented ones; a parsed
// identifier round-trips through its canonical form, its grouped form and its payload.
#include <cstdint>
#include <string>

#include "fuzz/fuzz_support.h"
#include "tillit/identifier/identifier.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  using tillit::identifier::Identifier;
  auto id = Identifier::Parse(tillit::fuzz::AsText(data, size));
  if (!id.ok()) {
    const std::string& code = id.error().code;
    FUZZ_CHECK(code == "invalidCharacter" || code == "invalidLength" ||
               code == "invalidFirstCharacter" || code == "invalidCheckCharacter");
    return 0;
  }
  FUZZ_CHECK(id->ToString().size() == tillit::identifier::kLength);
  auto canonical = Identifier::Parse(id->ToString());
  FUZZ_CHECK(canonical.ok() && *canonical == *id);
  auto grouped = Identifier::Parse(id->Grouped());
  FUZZ_CHECK(grouped.ok() && *grouped == *id);
  const uint64_t payload = id->Payload();
  FUZZ_CHECK(payload < tillit::identifier::kPayloadCount);
  auto again = Identifier::FromPayload(payload);
  FUZZ_CHECK(again.ok() && *again == *id);
  return 0;
}
