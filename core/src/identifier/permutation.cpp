// Balanced Feistel network with cycle-walking (docs/identifier.md §4). Round keys come
// from keyed BLAKE2b (libsodium); the round function is SipHash-2-4, written out here for
// 8-byte messages and checked against libsodium's crypto_shorthash in the tests.
#include "tillit/identifier/permutation.h"

#include <sodium.h>

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
  // The final block holds only the message length (8) in its top byte.
  constexpr uint64_t kLengthBlock = uint64_t{8} << 56;
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

uint64_t FeistelPermutation::Invert(uint64_t y) const {
  TILLIT_CHECK(y < domain_size_);
  uint64_t x = Decrypt(y);
  while (x >= domain_size_) x = Decrypt(x);
  return x;
}

}  // namespace tillit::identifier
