// Tests for tillit/crypto/pin_kdf.h: Argon2id known answers computed with the reference
// implementation (the `argon2` CLI from the P-H-C repository, Debian package argon2), so a
// change of algorithm, version or parameter mapping (which would make every sealed key on
// every device unreadable) fails here; plus determinism, separation and the parameter
// checks. Parameters are tiny to keep the test fast; the timing of the phone default is a
// skipped case (run `core_crypto_pin_kdf_test --no-skip` to measure; docs/keystore.md).
#include <doctest/doctest.h>

#include <chrono>
#include <cstdio>
#include <string>

#include "tillit/bytes.h"
#include "tillit/crypto/aead.h"
#include "tillit/crypto/pin_kdf.h"
#include "tillit/crypto/secret.h"

using namespace tillit;
using namespace tillit::crypto;

namespace {

constexpr PinKdfParams kFast{1, kPinKdfMinMemLimitBytes};
const Bytes kSalt = ToBytes("tillit-salt-0001");

std::string KeyHex(const AeadKey& key) {
  const auto access = InsecureSecretAccess::Get();
  return HexEncode(key.key_bytes(access).Expose(access));
}

std::string Derive(std::string_view pin, ByteView salt, const PinKdfParams& params) {
  auto key = DerivePinKey(pin, salt, params);
  REQUIRE(key.ok());
  return KeyHex(*key);
}

}  // namespace

TEST_CASE("DerivePinKey: Argon2id v1.3 known answers (reference implementation)") {
  // printf %s 482915 | argon2 tillit-salt-0001 -id -t 1 -k 8 -p 1 -l 32 -r
  CHECK(Derive("482915", kSalt, {1, 8 * 1024}) ==
        "2a5a2b9f632e95464b6c7ff8cba3f0ffd4aebe65fe8965309285c358a11dcce9");
  // printf %s 482915 | argon2 tillit-salt-0001 -id -t 2 -k 64 -p 1 -l 32 -r
  CHECK(Derive("482915", kSalt, {2, 64 * 1024}) ==
        "7ae6d25df073019be5f64f71becc44aaffc1003a3d9b791ae6995cc40f01dfef");
  // printf %s 482916 | argon2 tillit-salt-0001 -id -t 2 -k 64 -p 1 -l 32 -r
  CHECK(Derive("482916", kSalt, {2, 64 * 1024}) ==
        "cdcbec3097969ec91a928194cef2b435e3c8e9520d18be908cc3e7ac95762cc1");
}

TEST_CASE("DerivePinKey: deterministic; pin, salt and params each change the key") {
  const std::string base = Derive("739214", kSalt, kFast);
  CHECK(Derive("739214", kSalt, kFast) == base);
  CHECK(Derive("739215", kSalt, kFast) != base);
  CHECK(Derive("7392140", kSalt, kFast) != base);
  Bytes other_salt = kSalt;
  other_salt.back() ^= 0x01;
  CHECK(Derive("739214", other_salt, kFast) != base);
  CHECK(Derive("739214", kSalt, {2, kPinKdfMinMemLimitBytes}) != base);
  CHECK(Derive("739214", kSalt, {1, 2 * kPinKdfMinMemLimitBytes}) != base);
  // The empty PIN is allowed here (policy is ValidateNewPin's job) and is not special.
  CHECK(Derive("", kSalt, kFast) != base);
}

TEST_CASE("DerivePinKey: the derived key seals and opens") {
  auto key = DerivePinKey("739214", kSalt, kFast);
  REQUIRE(key.ok());
  auto again = DerivePinKey("739214", kSalt, kFast);
  REQUIRE(again.ok());
  const Bytes sealed = Seal(*key, AsBytes("seed"), AsBytes("ad"));
  auto opened = Open(*again, sealed, AsBytes("ad"));
  REQUIRE(opened.ok());
  CHECK(AsString(*opened) == "seed");
}

TEST_CASE("DerivePinKey: the salt must have exactly 16 bytes") {
  for (size_t size : {size_t{0}, size_t{8}, size_t{15}, size_t{17}, size_t{32}}) {
    INFO("salt size " << size);
    const Bytes salt(size, 0x5a);
    auto key = DerivePinKey("739214", salt, kFast);
    REQUIRE_FALSE(key.ok());
    CHECK(key.error().code == "invalidParameters");
  }
}

TEST_CASE("DerivePinKey / ValidatePinKdfParams: parameter limits") {
  const PinKdfParams bad[] = {
      {0, kPinKdfMinMemLimitBytes},                       // ops below libsodium's minimum
      {kPinKdfMaxOpsLimit + 1, kPinKdfMinMemLimitBytes},  // ops above our maximum
      {1, kPinKdfMinMemLimitBytes - 1024},                // memory below libsodium's minimum
      {1, 0},
      {1, kPinKdfMaxMemLimitBytes + 1024},  // memory above our maximum
      {1, kPinKdfMinMemLimitBytes + 1},     // not a whole number of KiB
      {UINT64_MAX, SIZE_MAX},
  };
  for (const auto& params : bad) {
    INFO("ops " << params.ops_limit << " mem " << params.mem_limit_bytes);
    auto status = ValidatePinKdfParams(params);
    REQUIRE_FALSE(status.ok());
    CHECK(status.error().code == "invalidParameters");
    auto key = DerivePinKey("739214", kSalt, params);
    REQUIRE_FALSE(key.ok());
    CHECK(key.error().code == "invalidParameters");
  }
  CHECK(ValidatePinKdfParams(kFast).ok());
  CHECK(ValidatePinKdfParams({kPinKdfMaxOpsLimit, kPinKdfMaxMemLimitBytes}).ok());
  CHECK(ValidatePinKdfParams(kPinKdfPhoneDefault).ok());
  CHECK(kPinKdfPhoneDefault == PinKdfParams{3, 64 * 1024 * 1024});
}

TEST_CASE("timing: one derivation with kPinKdfPhoneDefault" * doctest::skip()) {
  // Prints, does not assert: a measurement for docs/keystore.md, not a test.
  for (int i = 0; i < 5; ++i) {
    const auto start = std::chrono::steady_clock::now();
    auto key = DerivePinKey("739214", kSalt, kPinKdfPhoneDefault);
    const auto ms = std::chrono::duration<double, std::milli>(
                        std::chrono::steady_clock::now() - start)
                        .count();
    REQUIRE(key.ok());
    std::printf("Argon2id ops=%llu mem=%zu MiB: %.0f ms\n",
                static_cast<unsigned long long>(kPinKdfPhoneDefault.ops_limit),
                kPinKdfPhoneDefault.mem_limit_bytes >> 20, ms);
  }
}
