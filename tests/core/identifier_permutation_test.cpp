// Tests for tillit/identifier/permutation.h: the Feistel permutation with cycle-walking
// is a bijection of [0, n), checked exhaustively on reduced domains; its inverse undoes it;
// keys matter; bad keys and domains are rejected; PermuteBatch gives Permute's values with
// every kernel and aborts on a programmer error.
#include <doctest/doctest.h>

#include <signal.h>
#include <sodium.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <array>
#include <csignal>
#include <cstdio>
#include <functional>
#include <numeric>
#include <string>
#include <vector>

#include "tillit/identifier/identifier.h"
#include "tillit/identifier/permutation.h"

using namespace tillit;
using namespace tillit::identifier;

namespace {

Bytes Key(uint8_t seed) {
  Bytes key(32);
  for (size_t i = 0; i < key.size(); ++i) key[i] = static_cast<uint8_t>(seed + i);
  return key;
}

}  // namespace

TEST_CASE("permutation: a bijection of [0, n), exhaustively, for reduced domains") {
  for (uint64_t n :
       {uint64_t{1}, uint64_t{2}, uint64_t{3}, uint64_t{5}, uint64_t{16}, uint64_t{17},
        uint64_t{100}, uint64_t{1000}, uint64_t{4096}, uint64_t{31 * 31 * 31}, uint64_t{65537}}) {
    for (uint8_t seed : {uint8_t{0}, uint8_t{99}}) {
      INFO("n = ", n, ", key seed ", int{seed});
      auto p = FeistelPermutation::Create(Key(seed), n);
      REQUIRE(p.ok());
      CHECK(p->domain_size() == n);
      CHECK((uint64_t{1} << (2 * p->half_bits())) >= n);
      std::vector<bool> hit(n, false);
      bool all_ok = true;
      for (uint64_t x = 0; x < n; ++x) {
        const uint64_t y = p->Permute(x);
        if (y >= n || hit[y] || p->Invert(y) != x) {
          all_ok = false;
          break;
        }
        hit[y] = true;
      }
      CHECK(all_ok);
    }
  }
}

TEST_CASE("permutation: half width is the smallest that covers the domain") {
  CHECK(FeistelPermutation::Create(Key(0), 1)->half_bits() == 2);
  CHECK(FeistelPermutation::Create(Key(0), 16)->half_bits() == 2);
  CHECK(FeistelPermutation::Create(Key(0), 17)->half_bits() == 3);
  CHECK(FeistelPermutation::Create(Key(0), 65536)->half_bits() == 8);
  CHECK(FeistelPermutation::Create(Key(0), 65537)->half_bits() == 9);
  CHECK(FeistelPermutation::Create(Key(0), kPayloadCount)->half_bits() == 27);
  CHECK(FeistelPermutation::Create(Key(0), FeistelPermutation::kMaxDomainSize)->half_bits() == 31);
}

TEST_CASE("permutation: the identifier domain, sampled: in range and inverted") {
  auto p = FeistelPermutation::Create(Key(7), kPayloadCount);
  REQUIRE(p.ok());
  for (uint64_t x = 0; x < 20000; ++x) {
    const uint64_t y = p->Permute(x);
    REQUIRE(y < kPayloadCount);
    REQUIRE(p->Invert(y) == x);
  }
  for (uint64_t x = kPayloadCount - 20000; x < kPayloadCount; ++x) {
    const uint64_t y = p->Permute(x);
    REQUIRE(y < kPayloadCount);
    REQUIRE(p->Invert(y) == x);
  }
  // And the inverse direction: Permute(Invert(y)) == y.
  for (uint64_t y = 0; y < 1000; ++y) REQUIRE(p->Permute(p->Invert(y)) == y);
}

TEST_CASE("permutation: known answers for the identifier domain (docs/identifier.md §9)") {
  // Key 00 01 .. 1f. Reproduced by an independent implementation of §4 (Python hashlib
  // BLAKE2b and a from-the-paper SipHash-2-4). DO NOT CHANGE.
  Bytes key(32);
  for (size_t i = 0; i < key.size(); ++i) key[i] = static_cast<uint8_t>(i);
  auto p = FeistelPermutation::Create(key, kPayloadCount);
  REQUIRE(p.ok());
  const std::pair<uint64_t, uint64_t> vectors[] = {
      {0, 16364936856398629ULL}, {1, 6145772470207522ULL},
      {2, 12639648659166704ULL}, {3, 9122742838688111ULL},
      {4, 9550158356186890ULL},  {kPayloadCount - 1, 15034682636649575ULL},
  };
  for (auto [serial, payload] : vectors) {
    INFO("serial ", serial);
    CHECK(p->Permute(serial) == payload);
    CHECK(p->Invert(payload) == serial);
  }
}

TEST_CASE("permutation: different keys give different permutations") {
  const uint64_t n = 1000;
  auto a = FeistelPermutation::Create(Key(1), n);
  auto b = FeistelPermutation::Create(Key(2), n);
  REQUIRE(a.ok());
  REQUIRE(b.ok());
  int same = 0;
  int fixed_points = 0;
  for (uint64_t x = 0; x < n; ++x) {
    if (a->Permute(x) == b->Permute(x)) ++same;
    if (a->Permute(x) == x) ++fixed_points;
  }
  // For random permutations both counts average 1; far fewer than 20 in any real case.
  CHECK(same < 20);
  CHECK(fixed_points < 20);

  // One flipped key bit changes the large-domain permutation too.
  Bytes flipped = Key(1);
  flipped[31] ^= 0x80;
  auto big_a = FeistelPermutation::Create(Key(1), kPayloadCount);
  auto big_b = FeistelPermutation::Create(flipped, kPayloadCount);
  int big_same = 0;
  for (uint64_t x = 0; x < 1000; ++x) big_same += big_a->Permute(x) == big_b->Permute(x);
  CHECK(big_same == 0);
}

TEST_CASE("permutation: consecutive inputs give scattered outputs") {
  auto p = FeistelPermutation::Create(Key(3), kPayloadCount);
  int ascending = 0;
  for (uint64_t x = 0; x < 10000; ++x) ascending += p->Permute(x + 1) > p->Permute(x);
  CHECK(ascending > 4500);  // about half, as for a random permutation
  CHECK(ascending < 5500);
}

TEST_CASE("permutation: rejects bad keys and domains") {
  for (size_t len : {0, 1, 16, 31, 33, 64}) {
    INFO("key length ", len);
    auto r = FeistelPermutation::Create(Bytes(len, 7), 100);
    REQUIRE_FALSE(r.ok());
    CHECK(r.error().code == "invalidKey");
  }
  for (uint64_t n : {uint64_t{0}, FeistelPermutation::kMaxDomainSize + 1, UINT64_MAX}) {
    auto r = FeistelPermutation::Create(Key(0), n);
    REQUIRE_FALSE(r.ok());
    CHECK(r.error().code == "invalidDomain");
  }
}

TEST_CASE("permutation: a moved-to permutation is the same permutation") {
  auto p = FeistelPermutation::Create(Key(5), 1000);
  REQUIRE(p.ok());
  std::vector<uint64_t> before;
  for (uint64_t x = 0; x < 1000; ++x) before.push_back(p->Permute(x));
  FeistelPermutation moved = std::move(*p);
  for (uint64_t x = 0; x < 1000; ++x) CHECK(moved.Permute(x) == before[x]);
}

namespace {

// docs/identifier.md §4 written directly over libsodium (crypto_generichash for the round
// keys, crypto_shorthash for the round function): the implementation this file tests
// computes SipHash itself for speed and must agree with libsodium everywhere.
class ReferencePermutation {
 public:
  ReferencePermutation(const Bytes& key, uint64_t domain) : domain_(domain) {
    while ((uint64_t{1} << (2 * half_bits_)) < domain) ++half_bits_;
    const std::string context = "tillit-identifier-v1-round";
    for (int i = 0; i < FeistelPermutation::kRounds; ++i) {
      Bytes message(context.begin(), context.end());
      message.push_back(static_cast<uint8_t>(i));
      REQUIRE(crypto_generichash(round_keys_[static_cast<size_t>(i)].data(), 16, message.data(),
                                 message.size(), key.data(), key.size()) == 0);
    }
  }

  uint64_t Permute(uint64_t x) const {
    uint64_t y = Encrypt(x);
    while (y >= domain_) y = Encrypt(y);
    return y;
  }

 private:
  uint64_t Round(int i, uint64_t half) const {
    const uint64_t message_value = (static_cast<uint64_t>(i) << 32) | half;
    uint8_t message[8];
    for (int b = 0; b < 8; ++b) message[b] = static_cast<uint8_t>(message_value >> (8 * b));
    uint8_t hash[8];
    crypto_shorthash(hash, message, 8, round_keys_[static_cast<size_t>(i)].data());
    uint64_t value = 0;
    for (int b = 7; b >= 0; --b) value = (value << 8) | hash[b];
    return value & ((uint64_t{1} << half_bits_) - 1);
  }

  uint64_t Encrypt(uint64_t x) const {
    const uint64_t mask = (uint64_t{1} << half_bits_) - 1;
    uint64_t left = x >> half_bits_, right = x & mask;
    for (int i = 0; i < FeistelPermutation::kRounds; ++i) {
      const uint64_t next = left ^ Round(i, right);
      left = right;
      right = next;
    }
    return (left << half_bits_) | right;
  }

  uint64_t domain_;
  int half_bits_ = FeistelPermutation::kMinHalfBits;
  std::array<std::array<uint8_t, 16>, FeistelPermutation::kRounds> round_keys_{};
};

}  // namespace

TEST_CASE("permutation: agrees with the definition over libsodium for random keys") {
  REQUIRE(sodium_init() >= 0);
  for (uint64_t domain : {uint64_t{5}, uint64_t{1000}, uint64_t{1} << 40, kPayloadCount}) {
    for (int k = 0; k < 8; ++k) {
      Bytes key(32);
      randombytes_buf(key.data(), key.size());
      auto fast = FeistelPermutation::Create(key, domain);
      REQUIRE(fast.ok());
      const ReferencePermutation reference(key, domain);
      for (int n = 0; n < 200; ++n) {
        const uint64_t x = randombytes_uniform(UINT32_MAX) * uint64_t{0x9E3779B9} % domain;
        INFO("domain ", domain, " x ", x);
        CHECK(fast->Permute(x) == reference.Permute(x));
      }
    }
  }
}

namespace {

using Lanes = FeistelPermutation::Lanes;

// Every kernel this machine can run; a kernel it cannot is reported, not silently skipped.
std::vector<Lanes> RunnableLanes() {
  std::vector<Lanes> lanes = {Lanes::kAuto, Lanes::kPortable};
  if (FeistelPermutation::Supported(Lanes::kAvx2)) {
    lanes.push_back(Lanes::kAvx2);
  } else {
    MESSAGE("this CPU or build has no AVX2: the AVX2 kernel is not tested here");
  }
  return lanes;
}

// PermuteBatch of xs (into a separate array and in place) against Permute of each value.
void CheckBatch(const FeistelPermutation& p, Lanes lanes, const std::vector<uint64_t>& xs) {
  std::vector<uint64_t> ys(xs.size(), ~uint64_t{0});
  p.PermuteBatch(xs, ys, lanes);
  std::vector<uint64_t> in_place = xs;
  p.PermuteBatch(in_place, in_place, lanes);
  size_t mismatches = 0, first = xs.size();
  for (size_t i = 0; i < xs.size(); ++i) {
    if (ys[i] != p.Permute(xs[i]) || in_place[i] != ys[i]) {
      ++mismatches;
      first = std::min(first, i);
    }
  }
  INFO("first mismatch at index ", first);
  CHECK(mismatches == 0);
}

std::vector<uint64_t> Range(uint64_t first, uint64_t count) {
  std::vector<uint64_t> v(count);
  std::iota(v.begin(), v.end(), first);
  return v;
}

// Runs `body` in a child process and tells whether it was killed by SIGABRT (a
// TILLIT_CHECK). In the child, doctest's crash handler is taken off SIGABRT (it would
// report a failure of its own) and stderr, where the check prints, is silenced.
bool Aborts(const std::function<void()>& body) {
  std::fflush(nullptr);
  const pid_t child = ::fork();
  REQUIRE(child >= 0);
  if (child == 0) {
    std::signal(SIGABRT, SIG_DFL);
    if (std::freopen("/dev/null", "w", stderr) == nullptr) ::_exit(3);
    body();
    ::_exit(0);
  }
  int status = 0;
  REQUIRE(::waitpid(child, &status, 0) == child);
  return WIFSIGNALED(status) && WTERMSIG(status) == SIGABRT;
}

}  // namespace

TEST_CASE("permutation: PermuteBatch gives Permute's values, with every kernel") {
  REQUIRE(sodium_init() >= 0);
  // Domain 5 (h = 2) walks most values several times; 1000 and 2^40 have other half
  // widths; the identifier domain walks about 1 value in 22.
  for (uint64_t domain : {uint64_t{5}, uint64_t{1000}, uint64_t{1} << 40, kPayloadCount}) {
    for (int k = 0; k < 4; ++k) {
      Bytes key(32);
      randombytes_buf(key.data(), key.size());
      auto p = FeistelPermutation::Create(key, domain);
      REQUIRE(p.ok());
      for (Lanes lanes : RunnableLanes()) {
        INFO("domain ", domain, ", kernel ", static_cast<int>(lanes));
        // Every length up to three groups of the widest kernel (16), for the tails.
        for (uint64_t n = 0; n <= 50 && n <= domain; ++n) CheckBatch(*p, lanes, Range(0, n));
        CheckBatch(*p, lanes, Range(0, std::min<uint64_t>(domain, 10000)));
        if (domain > 10000) {
          CheckBatch(*p, lanes, Range(domain - 10000, 10000));
          const uint64_t start =
              randombytes_uniform(UINT32_MAX) * uint64_t{0x9E3779B9} % (domain - 10000);
          CheckBatch(*p, lanes, Range(start, 10000));
        }
        // Not consecutive: scattered values with repeats.
        std::vector<uint64_t> scattered(1000);
        for (auto& x : scattered)
          x = randombytes_uniform(UINT32_MAX) * uint64_t{0x9E3779B9} % domain;
        scattered[500] = scattered[7];
        CheckBatch(*p, lanes, scattered);
      }
    }
  }
}

TEST_CASE("permutation: PermuteBatch known answers (docs/identifier.md §9), every kernel") {
  Bytes key(32);
  for (size_t i = 0; i < key.size(); ++i) key[i] = static_cast<uint8_t>(i);
  auto p = FeistelPermutation::Create(key, kPayloadCount);
  REQUIRE(p.ok());
  // Serials 0..4 and N - 1, each at several positions of a 40-value batch so that it meets
  // every lane of every kernel and the tail.
  const std::pair<uint64_t, uint64_t> vectors[] = {
      {0, 16364936856398629ULL}, {1, 6145772470207522ULL},
      {2, 12639648659166704ULL}, {3, 9122742838688111ULL},
      {4, 9550158356186890ULL},  {kPayloadCount - 1, 15034682636649575ULL},
  };
  for (Lanes lanes : RunnableLanes()) {
    for (size_t shift = 0; shift < 40; ++shift) {
      std::vector<uint64_t> xs(40);
      for (size_t i = 0; i < xs.size(); ++i) xs[i] = vectors[(i + shift) % 6].first;
      std::vector<uint64_t> ys(xs.size());
      p->PermuteBatch(xs, ys, lanes);
      for (size_t i = 0; i < xs.size(); ++i) {
        INFO("kernel ", static_cast<int>(lanes), " shift ", shift, " index ", i);
        CHECK(ys[i] == vectors[(i + shift) % 6].second);
      }
    }
  }
}

TEST_CASE("permutation: PermuteBatch aborts on a programmer error") {
  auto p = FeistelPermutation::Create(Key(1), 1000);
  REQUIRE(p.ok());
  const std::vector<uint64_t> xs = Range(0, 40);
  // The output shorter (or longer) than the input.
  CHECK(Aborts([&] {
    std::vector<uint64_t> ys(39);
    p->PermuteBatch(xs, ys);
  }));
  CHECK(Aborts([&] {
    std::vector<uint64_t> ys(41);
    p->PermuteBatch(xs, ys);
  }));
  // A value outside the domain, in a full group and in the tail.
  for (size_t at : {size_t{3}, size_t{39}}) {
    CHECK(Aborts([&] {
      std::vector<uint64_t> bad = xs;
      bad[at] = 1000;
      std::vector<uint64_t> ys(bad.size());
      p->PermuteBatch(bad, ys);
    }));
  }
  if (!FeistelPermutation::Supported(Lanes::kAvx2)) {
    CHECK(Aborts([&] {
      std::vector<uint64_t> ys(xs.size());
      p->PermuteBatch(xs, ys, Lanes::kAvx2);
    }));
  }
  // The same calls done right do not abort (the child exits normally).
  CHECK_FALSE(Aborts([&] {
    std::vector<uint64_t> ys(xs.size());
    p->PermuteBatch(xs, ys);
  }));
}
