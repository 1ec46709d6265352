// Balanced Feistel network with cycle-walking (docs/identifier.md §4). Round keys come
// from keyed BLAKE2b (libsodium); the round function is SipHash-2-4, written out here for
// 8-byte messages and checked against libsodium's crypto_shorthash in the tests.
#include "tillit/identifier/permutation.h"

#include <sodium.h>

#include <cstring>
#include <string_view>

#include "tillit/check.h"

namespace tillit::identifier {
namespace {

// Domain separation for the round-key derivation. DO NOT CHANGE.
constexpr std::string_view kRoundKeyContext = "tillit-identifier-v1-round";

static_assert(crypto_shorthash_KEYBYTES == 16 && crypto_shorthash_BYTES == 8);
static_assert(FeistelPermutation::kKeySize >= crypto_generichash_KEYBYTES_MIN &&
              FeistelPermutation::kKeySize <= crypto_generichash_KEYBYTES_MAX);

void EnsureSodium() {
  static const bool ready = sodium_init() >= 0;
  TILLIT_CHECK(ready);
}

uint64_t LoadLe64(const uint8_t in[8]) {
  uint64_t v = 0;
  for (int i = 7; i >= 0; --i) v = (v << 8) | in[i];
  return v;
}

constexpr uint64_t Rotl(uint64_t x, int b) { return (x << b) | (x >> (64 - b)); }

inline void SipRound(uint64_t& v0, uint64_t& v1, uint64_t& v2, uint64_t& v3) {
  v0 += v1;
  v1 = Rotl(v1, 13);
  v1 ^= v0;
  v0 = Rotl(v0, 32);
  v2 += v3;
  v3 = Rotl(v3, 16);
  v3 ^= v2;
  v0 += v3;
  v3 = Rotl(v3, 21);
  v3 ^= v0;
  v2 += v1;
  v1 = Rotl(v1, 17);
  v1 ^= v2;
  v2 = Rotl(v2, 32);
}

// SipHash's final block for an 8-byte message: only the length (8), in its top byte.
constexpr uint64_t kLengthBlock = uint64_t{8} << 56;

// SipHash-2-4 of one 8-byte message m (read as LE64), from the keyed initial state: the
// same value as libsodium's crypto_shorthash (tested against it), written out for this one
// length because the general-purpose call was three quarters of an identifier's cost
// (docs/performance.md §7).
inline uint64_t SipHash24Of8Bytes(const std::array<uint64_t, 4>& state, uint64_t m) {
  uint64_t v0 = state[0], v1 = state[1], v2 = state[2], v3 = state[3];
  v3 ^= m;
  SipRound(v0, v1, v2, v3);
  SipRound(v0, v1, v2, v3);
  v0 ^= m;
  v3 ^= kLengthBlock;
  SipRound(v0, v1, v2, v3);
  SipRound(v0, v1, v2, v3);
  v0 ^= kLengthBlock;
  v2 ^= 0xff;
  SipRound(v0, v1, v2, v3);
  SipRound(v0, v1, v2, v3);
  SipRound(v0, v1, v2, v3);
  SipRound(v0, v1, v2, v3);
  return v0 ^ v1 ^ v2 ^ v3;
}

// --- Batches: FeistelPermutation::PermuteBatch (docs/performance.md §7) ---------------
//
// One value's pass is a chain: ten SipHashes, each eight SipRounds, each depending on the
// last. Independent values have no such chain between them, so the kernels below run E_K
// (docs/identifier.md §4.1: the same rounds, round functions and keys) on several values
// at once, each step applied to every lane before the next step. Scalar lanes gain little
// (a SipRound already keeps the integer units of an x86-64 core busy with its rotations);
// vector lanes gain more. A kernel encrypts `count` values of x in place, count a multiple
// of its width; cycle-walking stays with the caller. The lane loops are unrolled by
// pragma: left as loops, GCC keeps the lane arrays in memory and the gain is lost.

using RoundStates = std::array<uint64_t, 4>;
using LanesKernel = void (*)(const RoundStates* keys, int half_bits, uint64_t* x, size_t count);

// Plain C++, two lanes: 1.4 times one value's rate (docs/performance.md §7). Three or four
// lanes no longer fit the 16 general registers of x86-64 and are slower.
constexpr size_t kPortableWidth = 2;
using PortableLanes = uint64_t[kPortableWidth];

// Keeps a lane's SipHash state in general registers. Without it GCC's -O2 vectorizer packs
// the two lanes into SSE2 registers, which have no 64-bit rotate: measured slower than one
// lane alone.
inline void InGeneralRegisters(uint64_t& v0, uint64_t& v1, uint64_t& v2, uint64_t& v3) {
#if defined(__GNUC__) || defined(__clang__)
  asm("" : "+r"(v0), "+r"(v1), "+r"(v2), "+r"(v3));
#else
  (void)v0, (void)v1, (void)v2, (void)v3;
#endif
}

template <int kCount>
inline void SipRoundsPortable(PortableLanes& v0, PortableLanes& v1, PortableLanes& v2,
                              PortableLanes& v3) {
#pragma GCC unroll 4
  for (int r = 0; r < kCount; ++r) {
#pragma GCC unroll 2
    for (size_t l = 0; l < kPortableWidth; ++l) {
      SipRound(v0[l], v1[l], v2[l], v3[l]);
      InGeneralRegisters(v0[l], v1[l], v2[l], v3[l]);
    }
  }
}

void EncryptPortable(const RoundStates* keys, int half_bits, uint64_t* x, size_t count) {
  const uint64_t mask = (uint64_t{1} << half_bits) - 1;
  for (size_t at = 0; at < count; at += kPortableWidth) {
    PortableLanes left, right;
#pragma GCC unroll 2
    for (size_t l = 0; l < kPortableWidth; ++l) {
      left[l] = x[at + l] >> half_bits;
      right[l] = x[at + l] & mask;
    }
    for (int i = 0; i < FeistelPermutation::kRounds; ++i) {
      // F_i(R) = SipHash24Of8Bytes(K_i, i * 2^32 + R) mod 2^h, lane by lane.
      const RoundStates& k = keys[i];
      PortableLanes m, v0, v1, v2, v3;
#pragma GCC unroll 2
      for (size_t l = 0; l < kPortableWidth; ++l) {
        m[l] = (static_cast<uint64_t>(i) << 32) | right[l];
        v0[l] = k[0];
        v1[l] = k[1];
        v2[l] = k[2];
        v3[l] = k[3] ^ m[l];
      }
      SipRoundsPortable<2>(v0, v1, v2, v3);
#pragma GCC unroll 2
      for (size_t l = 0; l < kPortableWidth; ++l) {
        v0[l] ^= m[l];
        v3[l] ^= kLengthBlock;
      }
      SipRoundsPortable<2>(v0, v1, v2, v3);
#pragma GCC unroll 2
      for (size_t l = 0; l < kPortableWidth; ++l) {
        v0[l] ^= kLengthBlock;
        v2[l] ^= 0xff;
      }
      SipRoundsPortable<4>(v0, v1, v2, v3);
#pragma GCC unroll 2
      for (size_t l = 0; l < kPortableWidth; ++l) {
        const uint64_t next_right = left[l] ^ ((v0[l] ^ v1[l] ^ v2[l] ^ v3[l]) & mask);
        left[l] = right[l];
        right[l] = next_right;
      }
    }
#pragma GCC unroll 2
    for (size_t l = 0; l < kPortableWidth; ++l) x[at + l] = (left[l] << half_bits) | right[l];
  }
}

#if defined(__x86_64__) && (defined(__GNUC__) || defined(__clang__))
#define TILLIT_FEISTEL_AVX2 1

// AVX2 through GCC's and Clang's generic vector types (no intrinsics): four lanes per
// 256-bit register, four registers side by side, so 16 lanes: 2.9 times one value's rate
// (docs/performance.md §7; 8 lanes were 10 % slower, 24 or 32 hardly faster). Compiled
// for AVX2 whatever the build's -march, and only called after Supported(kAvx2).
#define TILLIT_AVX2_FUNCTION __attribute__((target("avx2")))
#define TILLIT_AVX2_INLINE __attribute__((target("avx2"), always_inline)) inline

using U64x4 = uint64_t __attribute__((vector_size(32)));
using U32x8 = uint32_t __attribute__((vector_size(32)));
using U16x16 = uint16_t __attribute__((vector_size(32)));
constexpr size_t kAvx2Registers = 4;
constexpr size_t kAvx2Width = 4 * kAvx2Registers;
using Avx2Lanes = U64x4[kAvx2Registers];

// AVX2 has no 64-bit rotate: a shift pair and an or, except that rotating by 32 or 16 is
// one shuffle of the 32- or 16-bit parts of each lane (x86-64 is little-endian: part 0 is
// the lowest). The shuffles made the kernel about 1.2 times faster.
template <int kBits>
TILLIT_AVX2_INLINE U64x4 Rotl4(U64x4 x) {
  if constexpr (kBits == 32) {
    const auto parts = reinterpret_cast<U32x8>(x);
    return reinterpret_cast<U64x4>(__builtin_shufflevector(parts, parts, 1, 0, 3, 2, 5, 4, 7, 6));
  } else if constexpr (kBits == 16) {
    const auto parts = reinterpret_cast<U16x16>(x);
    return reinterpret_cast<U64x4>(__builtin_shufflevector(parts, parts, 3, 0, 1, 2, 7, 4, 5, 6, 11,
                                                           8, 9, 10, 15, 12, 13, 14));
  } else {
    return (x << kBits) | (x >> (64 - kBits));
  }
}

// SipRound, four lanes at a time.
TILLIT_AVX2_INLINE void SipRound4(U64x4& v0, U64x4& v1, U64x4& v2, U64x4& v3) {
  v0 += v1;
  v1 = Rotl4<13>(v1);
  v1 ^= v0;
  v0 = Rotl4<32>(v0);
  v2 += v3;
  v3 = Rotl4<16>(v3);
  v3 ^= v2;
  v0 += v3;
  v3 = Rotl4<21>(v3);
  v3 ^= v0;
  v2 += v1;
  v1 = Rotl4<17>(v1);
  v1 ^= v2;
  v2 = Rotl4<32>(v2);
}

template <int kCount>
TILLIT_AVX2_INLINE void SipRoundsAvx2(Avx2Lanes& v0, Avx2Lanes& v1, Avx2Lanes& v2, Avx2Lanes& v3) {
#pragma GCC unroll 4
  for (int r = 0; r < kCount; ++r) {
#pragma GCC unroll 4
    for (size_t g = 0; g < kAvx2Registers; ++g) SipRound4(v0[g], v1[g], v2[g], v3[g]);
  }
}

TILLIT_AVX2_INLINE U64x4 Splat4(uint64_t v) { return U64x4{v, v, v, v}; }

TILLIT_AVX2_FUNCTION void EncryptAvx2(const RoundStates* keys, int half_bits, uint64_t* x,
                                      size_t count) {
  const U64x4 mask = Splat4((uint64_t{1} << half_bits) - 1);
  for (size_t at = 0; at < count; at += kAvx2Width) {
    Avx2Lanes left, right;
#pragma GCC unroll 4
    for (size_t g = 0; g < kAvx2Registers; ++g) {
      U64x4 v;
      std::memcpy(&v, x + at + 4 * g, sizeof v);
      left[g] = v >> half_bits;
      right[g] = v & mask;
    }
    for (int i = 0; i < FeistelPermutation::kRounds; ++i) {
      // F_i(R) = SipHash24Of8Bytes(K_i, i * 2^32 + R) mod 2^h, lane by lane.
      const RoundStates& k = keys[i];
      Avx2Lanes m, v0, v1, v2, v3;
#pragma GCC unroll 4
      for (size_t g = 0; g < kAvx2Registers; ++g) {
        m[g] = right[g] | (static_cast<uint64_t>(i) << 32);
        v0[g] = Splat4(k[0]);
        v1[g] = Splat4(k[1]);
        v2[g] = Splat4(k[2]);
        v3[g] = Splat4(k[3]) ^ m[g];
      }
      SipRoundsAvx2<2>(v0, v1, v2, v3);
#pragma GCC unroll 4
      for (size_t g = 0; g < kAvx2Registers; ++g) {
        v0[g] ^= m[g];
        v3[g] ^= kLengthBlock;
      }
      SipRoundsAvx2<2>(v0, v1, v2, v3);
#pragma GCC unroll 4
      for (size_t g = 0; g < kAvx2Registers; ++g) {
        v0[g] ^= kLengthBlock;
        v2[g] ^= 0xff;
      }
      SipRoundsAvx2<4>(v0, v1, v2, v3);
#pragma GCC unroll 4
      for (size_t g = 0; g < kAvx2Registers; ++g) {
        const U64x4 next_right = left[g] ^ ((v0[g] ^ v1[g] ^ v2[g] ^ v3[g]) & mask);
        left[g] = right[g];
        right[g] = next_right;
      }
    }
#pragma GCC unroll 4
    for (size_t g = 0; g < kAvx2Registers; ++g) {
      const U64x4 v = (left[g] << half_bits) | right[g];
      std::memcpy(x + at + 4 * g, &v, sizeof v);
    }
  }
}

bool CpuHasAvx2() {
  static const bool has = __builtin_cpu_supports("avx2");
  return has;
}
#else
#define TILLIT_FEISTEL_AVX2 0
#endif

}  // namespace

FeistelPermutation::FeistelPermutation(uint64_t domain_size, int half_bits)
    : domain_size_(domain_size),
      half_bits_(half_bits),
      half_mask_((uint64_t{1} << half_bits) - 1) {}

Result<FeistelPermutation> FeistelPermutation::Create(ByteView key, uint64_t domain_size) {
  if (key.size() != kKeySize) {
    return MakeError("invalidKey", "the permutation key must be " + std::to_string(kKeySize) +
                                       " bytes, got " + std::to_string(key.size()));
  }
  if (domain_size == 0 || domain_size > kMaxDomainSize) {
    return MakeError("invalidDomain", "the domain size must be in [1, 2^62]");
  }
  EnsureSodium();
  int half_bits = kMinHalfBits;
  while ((uint64_t{1} << (2 * half_bits)) < domain_size) ++half_bits;

  FeistelPermutation permutation(domain_size, half_bits);
  // K_i = BLAKE2b(key = permutation key, out = 16 bytes, msg = context || byte(i)).
  for (int i = 0; i < kRounds; ++i) {
    uint8_t message[kRoundKeyContext.size() + 1];
    for (size_t j = 0; j < kRoundKeyContext.size(); ++j) {
      message[j] = static_cast<uint8_t>(kRoundKeyContext[j]);
    }
    message[kRoundKeyContext.size()] = static_cast<uint8_t>(i);
    uint8_t round_key[crypto_shorthash_KEYBYTES];
    TILLIT_CHECK(crypto_generichash(round_key, sizeof round_key, message, sizeof message,
                                    key.data(), key.size()) == 0);
    const uint64_t k0 = LoadLe64(round_key);
    const uint64_t k1 = LoadLe64(round_key + 8);
    sodium_memzero(round_key, sizeof round_key);
    // SipHash's initialisation: "somepseudorandomlygeneratedbytes" xor the key.
    permutation.round_keys_[static_cast<size_t>(i)] = {
        k0 ^ 0x736f6d6570736575ULL, k1 ^ 0x646f72616e646f6dULL, k0 ^ 0x6c7967656e657261ULL,
        k1 ^ 0x7465646279746573ULL};
  }
  return permutation;
}

FeistelPermutation::FeistelPermutation(FeistelPermutation&& other) noexcept
    : domain_size_(other.domain_size_),
      half_bits_(other.half_bits_),
      half_mask_(other.half_mask_),
      round_keys_(other.round_keys_) {
  other.Wipe();
}

FeistelPermutation& FeistelPermutation::operator=(FeistelPermutation&& other) noexcept {
  if (this != &other) {
    domain_size_ = other.domain_size_;
    half_bits_ = other.half_bits_;
    half_mask_ = other.half_mask_;
    round_keys_ = other.round_keys_;
    other.Wipe();
  }
  return *this;
}

FeistelPermutation::~FeistelPermutation() { Wipe(); }

void FeistelPermutation::Wipe() { sodium_memzero(round_keys_.data(), sizeof round_keys_); }

// F_i(R) = low h bits of SipHash-2-4(K_i, LE64(i * 2^32 + R)). R < 2^31, so the message is
// LE32(R) || byte(i) || 0 0 0. DO NOT CHANGE.
uint64_t FeistelPermutation::Round(int round, uint64_t half) const {
  const uint64_t message = (static_cast<uint64_t>(round) << 32) | half;
  return SipHash24Of8Bytes(round_keys_[static_cast<size_t>(round)], message) & half_mask_;
}

// x = L * 2^h + R; round i: (L, R) -> (R, L xor F_i(R)).
uint64_t FeistelPermutation::Encrypt(uint64_t x) const {
  uint64_t left = x >> half_bits_;
  uint64_t right = x & half_mask_;
  for (int i = 0; i < kRounds; ++i) {
    const uint64_t next_right = left ^ Round(i, right);
    left = right;
    right = next_right;
  }
  return (left << half_bits_) | right;
}

uint64_t FeistelPermutation::Decrypt(uint64_t y) const {
  uint64_t left = y >> half_bits_;
  uint64_t right = y & half_mask_;
  for (int i = kRounds - 1; i >= 0; --i) {
    const uint64_t previous_left = right ^ Round(i, left);
    right = left;
    left = previous_left;
  }
  return (left << half_bits_) | right;
}

// Cycle-walking: x lies on a cycle of the network's permutation of [0, 2^2h); following
// that cycle from x reaches the next point of [0, domain) (x itself at worst), so this
// terminates and restricts the network to a permutation of [0, domain). Invert walks the
// same cycle backwards.
uint64_t FeistelPermutation::Permute(uint64_t x) const {
  TILLIT_CHECK(x < domain_size_);
  uint64_t y = Encrypt(x);
  while (y >= domain_size_) y = Encrypt(y);
  return y;
}

bool FeistelPermutation::Supported(Lanes lanes) {
  switch (lanes) {
    case Lanes::kAuto:
    case Lanes::kPortable:
      return true;
    case Lanes::kAvx2:
#if TILLIT_FEISTEL_AVX2
      return CpuHasAvx2();
#else
      return false;
#endif
  }
  return false;
}

// A kernel takes whole groups of its width; a lane that lands outside the domain (about
// 1 in 22 for the identifier domain) then finishes its walk alone, exactly as Permute
// would, and so does the tail of fewer than one group.
void FeistelPermutation::PermuteBatch(std::span<const uint64_t> xs, std::span<uint64_t> ys,
                                      Lanes lanes) const {
  TILLIT_CHECK(ys.size() == xs.size());
  TILLIT_CHECK(Supported(lanes));
  if (lanes == Lanes::kAuto) lanes = Supported(Lanes::kAvx2) ? Lanes::kAvx2 : Lanes::kPortable;
  LanesKernel kernel = EncryptPortable;
  size_t width = kPortableWidth;
#if TILLIT_FEISTEL_AVX2
  if (lanes == Lanes::kAvx2) {
    kernel = EncryptAvx2;
    width = kAvx2Width;
  }
#endif
  for (size_t i = 0; i < xs.size(); ++i) {
    TILLIT_CHECK(xs[i] < domain_size_);
    ys[i] = xs[i];
  }
  const size_t whole = ys.size() - ys.size() % width;
  kernel(round_keys_.data(), half_bits_, ys.data(), whole);
  for (size_t i = 0; i < whole; ++i) {
    while (ys[i] >= domain_size_) ys[i] = Encrypt(ys[i]);
  }
  for (size_t i = whole; i < ys.size(); ++i) ys[i] = Permute(ys[i]);
}

uint64_t FeistelPermutation::Invert(uint64_t y) const {
  TILLIT_CHECK(y < domain_size_);
  uint64_t x = Decrypt(y);
  while (x >= domain_size_) x = Decrypt(x);
  return x;
}

}  // namespace tillit::identifier
