// SerialBlock: a non-empty range of serials [first, first + count) inside [0, N).
//
// How serials are allocated (docs/identifier.md §6): the issuer keeps one central counter,
// `next`, which only ever increases and is stored durably. An online issuance takes the
// block {next, 1}; an offline enrolment desk leases a larger block {next, k} in advance and
// the counter moves to next + k in the same transaction, before the lease is handed out.
// Blocks taken this way are disjoint by construction, so no two desks (online or offline)
// can ever hold the same serial. A desk issues each serial of its block at most once and
// never returns unused serials to the pool; an abandoned lease only wastes numbers (there
// are about 1.7e16). The permutation (scheme.h) then makes the identifiers of one block
// look unrelated to each other.
//
// Thread safety: immutable value type.
#pragma once

#include <cstdint>

#include "tillit/result.h"

namespace tillit::identifier {

class SerialBlock {
 public:
  // Errors: "emptySerialBlock" if count == 0; "serialOutOfRange" if the block does not lie
  // entirely inside [0, N) (first + count > N, overflow included).
  static Result<SerialBlock> Create(uint64_t first, uint64_t count);

  uint64_t first() const { return first_; }
  uint64_t count() const { return count_; }
  // One past the last serial: first() + count() (never overflows, at most N).
  uint64_t end() const { return first_ + count_; }

  bool Contains(uint64_t serial) const { return serial >= first_ && serial - first_ < count_; }
  // True if some serial is in both blocks.
  bool Overlaps(const SerialBlock& other) const {
    return first_ < other.end() && other.first_ < end();
  }

  friend bool operator==(const SerialBlock&, const SerialBlock&) = default;

 private:
  SerialBlock(uint64_t first, uint64_t count) : first_(first), count_(count) {}

  uint64_t first_;
  uint64_t count_;
};

}  // namespace tillit::identifier
