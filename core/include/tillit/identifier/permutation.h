// FeistelPermutation: a keyed pseudo-random permutation of [0, domain_size), built from a
// balanced Feistel network with cycle-walking (docs/identifier.md §4). The identifier
// scheme uses it with domain_size = kPayloadCount to turn consecutive serials into
// unguessable but never-colliding payloads; tests use small domains to check bijectivity
// exhaustively.
//
// Thread safety: immutable after Create; Permute and Invert may be called concurrently.
#pragma once

#include <array>
#include <cstddef>
#include <cstdint>
#include <span>

#include "tillit/bytes.h"
#include "tillit/result.h"

namespace tillit::identifier {

class FeistelPermutation {
 public:
  // Length of the permutation key in bytes. DO NOT CHANGE.
  static constexpr size_t kKeySize = 32;
  // Number of Feistel rounds. DO NOT CHANGE.
  static constexpr int kRounds = 10;
  // Each half is at least this many bits wide, so tiny domains still get a real network.
  static constexpr int kMinHalfBits = 2;
  // Largest supported domain (halves of at most 31 bits).
  static constexpr uint64_t kMaxDomainSize = uint64_t{1} << 62;

  // Derives the round keys from a 32-byte secret `key` for a permutation of
  // [0, domain_size). The half width is the smallest h >= kMinHalfBits with
  // 2^(2h) >= domain_size. Errors: "invalidKey" (key not 32 bytes), "invalidDomain"
  // (domain_size is 0 or above kMaxDomainSize). The key is not retained; the round keys
  // are wiped when the object is destroyed.
  static Result<FeistelPermutation> Create(ByteView key, uint64_t domain_size);

  // Moving transfers the round keys and wipes them in the source, which may then only be
  // destroyed or assigned to.
  FeistelPermutation(FeistelPermutation&& other) noexcept;
  FeistelPermutation& operator=(FeistelPermutation&& other) noexcept;
  FeistelPermutation(const FeistelPermutation&) = delete;
  FeistelPermutation& operator=(const FeistelPermutation&) = delete;
  ~FeistelPermutation();

  // The image of x. Requires x < domain_size() (a programmer error otherwise: callers
  // validate untrusted input first). Always returns a value < domain_size().
  uint64_t Permute(uint64_t x) const;
  // The preimage of y: Invert(Permute(x)) == x. Requires y < domain_size().
  uint64_t Invert(uint64_t y) const;

  // The code PermuteBatch runs: kAuto is the fastest this CPU supports, chosen once per
  // process. The others exist so that tests and benchmarks can check and time each one;
  // all give exactly Permute's values.
  enum class Lanes {
    kAuto,
    kPortable,  // plain C++, two values side by side
    kAvx2,      // x86-64 AVX2, sixteen values side by side
  };
  // Whether this build and this CPU can run `lanes` (kAuto and kPortable: always).
  static bool Supported(Lanes lanes);

  // ys[i] = Permute(xs[i]) for every i: the same values, but independent values go through
  // the network side by side, which measured 1.4 (kPortable) and 2.9 (kAvx2) times the
  // rate of one Permute call each (docs/performance.md §7). Requires ys.size() ==
  // xs.size(), every xs[i] < domain_size() and Supported(lanes) (programmer errors
  // otherwise: they abort). ys may be xs itself, but must not otherwise overlap it.
  void PermuteBatch(std::span<const uint64_t> xs, std::span<uint64_t> ys,
                    Lanes lanes = Lanes::kAuto) const;

  uint64_t domain_size() const { return domain_size_; }
  int half_bits() const { return half_bits_; }

 private:
  // SipHash-2-4's state after the key is mixed in (v0..v3 of the reference), one per
  // round: the key-dependent half of every hash, computed once in Create.
  using RoundKey = std::array<uint64_t, 4>;

  FeistelPermutation(uint64_t domain_size, int half_bits);
  // One pass of the network over [0, 2^(2h)).
  uint64_t Encrypt(uint64_t x) const;
  uint64_t Decrypt(uint64_t y) const;
  uint64_t Round(int round, uint64_t half) const;
  void Wipe();

  uint64_t domain_size_;
  int half_bits_;
  uint64_t half_mask_;
  std::array<RoundKey, kRounds> round_keys_{};
};

}  // namespace tillit::identifier
