// Fuzz target: the issuer's result JWS as tillit-verify and e-services read it
// (ParseCompactJws, VerifyCompactJws; docs/protocol.md §6) and the JWK key member
// (ParsePublicJwk). The key is the fixed one whose signed examples are in the seed corpus
// (tests/fuzz/data/result_key.bin, written by fuzz_seed_gen), so mutated valid tokens reach
// the signature check. Invariants: the documented error codes; a verified JWS returns exactly
// the parsed payload; a key accepted from a JWK serializes back to the same x.
#include <cstdint>
#include <string>

#include "fuzz/fuzz_support.h"
#include "tillit/protocol/jws.h"

namespace {

const tillit::crypto::VerifyingKey& ResultKey() {
  static const tillit::crypto::VerifyingKey key = [] {
    const std::string raw = tillit::fuzz::ReadDataFile("result_key.bin");
    auto created = tillit::crypto::VerifyingKey::Create(tillit::AsBytes(raw));
    FUZZ_CHECK(created.ok());
    return *created;
  }();
  return key;
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  using namespace tillit;
  const std::string_view text = fuzz::AsText(data, size);

  auto jwk = protocol::ParsePublicJwk("OKP", "Ed25519", text);
  if (jwk.ok()) {
    FUZZ_CHECK(Base64UrlEncode(jwk->bytes()) == text);
    FUZZ_CHECK(protocol::SerializePublicJwk(*jwk).find(std::string(text)) != std::string::npos);
  } else {
    FUZZ_CHECK(jwk.error().code == "invalidJwk");
  }

  auto jws = protocol::ParseCompactJws(text);
  if (!jws.ok()) {
    FUZZ_CHECK(jws.error().code == "invalidJws");
    return 0;
  }
  FUZZ_CHECK(!jws->alg.empty());
  FUZZ_CHECK(!jws->signature.empty());
  FUZZ_CHECK(text.substr(0, jws->signing_input.size()) == jws->signing_input);
  auto payload = protocol::VerifyCompactJws(*jws, ResultKey());
  if (payload.ok()) {
    FUZZ_CHECK(*payload == jws->payload);
    FUZZ_CHECK(jws->alg == "EdDSA");
  } else {
    FUZZ_CHECK(payload.error().code == "invalidJws" || payload.error().code == "invalidSignature");
  }
  return 0;
}
