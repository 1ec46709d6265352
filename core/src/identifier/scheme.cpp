// Serial -> permutation -> payload -> identifier (docs/identifier.md §4).
#include "tillit/identifier/scheme.h"

#include <string>

namespace tillit::identifier {

Result<IdentifierScheme> IdentifierScheme::Create(ByteView permutation_key) {
  TILLIT_TRY_ASSIGN(auto permutation, FeistelPermutation::Create(permutation_key, kCapacity));
  return IdentifierScheme(std::move(permutation));
}

Result<Identifier> IdentifierScheme::FromSerial(uint64_t serial) const {
  if (serial >= kCapacity) {
    return MakeError("serialOutOfRange", "serial " + std::to_string(serial) +
                                             " is not below the capacity " +
                                             std::to_string(kCapacity));
  }
  return Identifier::FromPayload(permutation_.Permute(serial));
}

Result<uint64_t> IdentifierScheme::SerialOf(const Identifier& id) const {
  return permutation_.Invert(id.Payload());
}

}  // namespace tillit::identifier
