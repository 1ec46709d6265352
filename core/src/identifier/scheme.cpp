// Serial -> permutation -> payload -> identifier (docs/identifier.md §4).
#include "tillit/identifier/scheme.h"

#include <algorithm>
#include <string>

namespace tillit::identifier {
namespace {

Error SerialOutOfRange(uint64_t serial) {
  return MakeError("serialOutOfRange", "serial " + std::to_string(serial) +
                                           " is not below the capacity " +
                                           std::to_string(IdentifierScheme::kCapacity));
}

}  // namespace

Result<IdentifierScheme> IdentifierScheme::Create(ByteView permutation_key) {
  TILLIT_TRY_ASSIGN(auto permutation, FeistelPermutation::Create(permutation_key, kCapacity));
  return IdentifierScheme(std::move(permutation));
}

Result<Identifier> IdentifierScheme::FromSerial(uint64_t serial) const {
  if (serial >= kCapacity) return SerialOutOfRange(serial);
  return Identifier::FromPayload(permutation_.Permute(serial));
}

Result<std::vector<Identifier>> IdentifierScheme::FromSerials(
    std::span<const uint64_t> serials) const {
  for (size_t i = 0; i < serials.size(); ++i) {
    if (serials[i] >= kCapacity) {
      Error error = SerialOutOfRange(serials[i]);
      error.message += " (at index " + std::to_string(i) + ")";
      return error;
    }
  }
  std::vector<Identifier> ids;
  ids.reserve(serials.size());
  // Payloads a chunk at a time, so that no second array of the whole size is needed.
  constexpr size_t kChunk = 256;
  uint64_t payloads[kChunk];
  for (size_t i = 0; i < serials.size(); i += kChunk) {
    const size_t n = std::min(kChunk, serials.size() - i);
    permutation_.PermuteBatch(serials.subspan(i, n), std::span(payloads, n));
    for (size_t j = 0; j < n; ++j) ids.push_back(*Identifier::FromPayload(payloads[j]));
  }
  return ids;
}

Result<uint64_t> IdentifierScheme::SerialOf(const Identifier& id) const {
  return permutation_.Invert(id.Payload());
}

}  // namespace tillit::identifier
