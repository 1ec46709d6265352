// IdentifierScheme: issues identifiers from serial numbers. A serial (from the central
// counter, or from a block leased to an offline desk: tillit/identifier/serial_block.h) is
// mapped through a keyed permutation of [0, N) to a payload, and the payload is written as
// an Identifier (docs/identifier.md §2, §4). Because both steps are bijections, two serials
// can never give the same identifier, and the issued numbers are neither sequential nor
// guessable without the key.
//
// The permutation key is a long-term secret of the issuer. Changing it changes every
// identifier: the key, like the format, is fixed for the life of the deployment.
//
// Thread safety: immutable after Create; all methods may be called concurrently.
#pragma once

#include <cstddef>
#include <cstdint>
#include <span>
#include <utility>
#include <vector>

#include "tillit/bytes.h"
#include "tillit/identifier/identifier.h"
#include "tillit/identifier/permutation.h"
#include "tillit/result.h"

namespace tillit::identifier {

class IdentifierScheme {
 public:
  // Number of serials, and of identifiers: N = 21 * 31^10. Serials are [0, kCapacity).
  static constexpr uint64_t kCapacity = kPayloadCount;
  static constexpr size_t kKeySize = FeistelPermutation::kKeySize;

  // Errors: "invalidKey" unless `permutation_key` is exactly 32 bytes.
  static Result<IdentifierScheme> Create(ByteView permutation_key);

  // The identifier for `serial`. Errors: "serialOutOfRange" if serial >= kCapacity.
  Result<Identifier> FromSerial(uint64_t serial) const;

  // The identifiers of `serials`, in the same order: element i equals
  // FromSerial(serials[i]). For blocks of serials (a desk's lease, bulk issuance): about
  // twice FromSerial's rate on a CPU with AVX2, because independent serials go through the
  // permutation side by side (FeistelPermutation::PermuteBatch, docs/performance.md §7).
  // Errors: "serialOutOfRange" if any serial is >= kCapacity; then the whole call fails
  // and returns no identifier (the message names the first such serial and its index).
  // An empty span gives an empty vector.
  Result<std::vector<Identifier>> FromSerials(std::span<const uint64_t> serials) const;

  // The serial that FromSerial maps to `id` (under this scheme's key). Every valid
  // identifier has exactly one; this never fails for an Identifier value, but returns a
  // Result so callers treat it like every other lookup.
  Result<uint64_t> SerialOf(const Identifier& id) const;

 private:
  explicit IdentifierScheme(FeistelPermutation permutation)
      : permutation_(std::move(permutation)) {}

  FeistelPermutation permutation_;
};

}  // namespace tillit::identifier
