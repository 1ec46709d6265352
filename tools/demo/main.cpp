// tillit-demo: a short, real demonstration of what core does today — what tools/run.sh
// runs until the issuer server takes its place. Every step uses the production code paths
// with fresh keys; the "must fail" steps show the checks that protect the holder.
#include <cstdio>
#include <cstring>
#include <string>

#include "tillit/bytes.h"
#include "tillit/crypto/aead.h"
#include "tillit/crypto/ed25519.h"
#include "tillit/crypto/random.h"
#include "tillit/identifier/identifier.h"
#include "tillit/identifier/scheme.h"
#include "tillit/identifier/swedish.h"

namespace {

using namespace tillit;

void Line(const char* label, const std::string& value) {
  std::printf("  %-34s %s\n", label, value.c_str());
}

const char* Outcome(bool ok) { return ok ? "accepted" : "rejected"; }

int Run() {
  std::printf("Tillit demo: identifiers, signatures and sealing with fresh keys\n\n");

  // 1. Identifiers from a fresh permutation key: consecutive serials, unguessable numbers.
  const Bytes key = crypto::RandomBytes(identifier::IdentifierScheme::kKeySize);
  auto scheme = identifier::IdentifierScheme::Create(key);
  if (!scheme.ok()) {
    std::fprintf(stderr, "demo: %s\n", scheme.error().message.c_str());
    return 1;
  }
  std::printf("Identifiers for serials 0..4 under a fresh key:\n");
  std::string first;
  for (uint64_t serial = 0; serial < 5; ++serial) {
    auto id = scheme->FromSerial(serial);
    if (!id.ok()) return 1;
    if (serial == 0) first = id->ToString();
    auto back = scheme->SerialOf(*id);
    Line(("serial " + std::to_string(serial)).c_str(),
         id->Grouped() + "   (maps back to serial " + std::to_string(back.ok() ? *back : 0) + ")");
  }

  std::printf("\nParsing accepts what people type; the check character catches typos:\n");
  std::string typed = identifier::Identifier::Parse(first)->Grouped();
  for (auto& c : typed) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  Line(("\"" + typed + "\"").c_str(), Outcome(identifier::Identifier::Parse(typed).ok()));
  std::string swapped = first;
  std::swap(swapped[4], swapped[5]);
  if (swapped != first) {
    auto r = identifier::Identifier::Parse(swapped);
    Line(("\"" + swapped + "\" (two swapped)").c_str(),
         std::string(Outcome(r.ok())) + (r.ok() ? "" : ": " + r.error().message));
  }
  std::string substituted = first;
  substituted[7] = substituted[7] == 'A' ? 'B' : 'A';
  {
    auto r = identifier::Identifier::Parse(substituted);
    Line(("\"" + substituted + "\" (one changed)").c_str(),
         std::string(Outcome(r.ok())) + (r.ok() ? "" : ": " + r.error().message));
  }
  {
    // A personnummer can never be read as an identifier, and the other way round.
    auto r = identifier::Identifier::Parse("19811218-9876");
    Line("\"19811218-9876\" as identifier", Outcome(r.ok()));
  }

  // 2. Ed25519: the device's key signs, anyone with the public key verifies.
  std::printf("\nEd25519 signature (libsodium):\n");
  const auto signing_key = crypto::SigningKey::Generate();
  const std::string message = "Logga in hos Exempelkommun som " + first;
  const auto signature = signing_key.Sign(AsBytes(message));
  Line("public key", Base64UrlEncode(signing_key.verifying_key().bytes()));
  Line("signature", Base64UrlEncode(signature.bytes()).substr(0, 43) + "...");
  Line("verify original message",
       Outcome(signing_key.verifying_key().Verify(AsBytes(message), signature).ok()));
  std::string altered = message;
  altered.back() ^= 1;
  Line("verify altered message (must fail)",
       Outcome(signing_key.verifying_key().Verify(AsBytes(altered), signature).ok()));
  const auto other_key = crypto::SigningKey::Generate();
  Line("verify with another key (must fail)",
       Outcome(other_key.verifying_key().Verify(AsBytes(message), signature).ok()));

  // 3. XChaCha20-Poly1305 sealing: how the device keeps its private key at rest.
  std::printf("\nXChaCha20-Poly1305 sealing (nonce chosen inside, never by the caller):\n");
  const auto aead_key = crypto::AeadKey::Generate();
  const std::string secret = "the private key would go here";
  const Bytes sealed = crypto::Seal(aead_key, AsBytes(secret), AsBytes("tillit-demo"));
  Line("sealed size", std::to_string(sealed.size()) + " bytes (24 nonce + " +
                          std::to_string(secret.size()) + " text + 16 tag)");
  auto opened = crypto::Open(aead_key, sealed, AsBytes("tillit-demo"));
  Line("open with the right key", Outcome(opened.ok() && AsString(*opened) == secret));
  Bytes tampered = sealed;
  tampered[30] ^= 0x01;
  Line("open tampered (must fail)", Outcome(crypto::Open(aead_key, tampered, AsBytes("tillit-demo")).ok()));
  Line("open with other context (must fail)",
       Outcome(crypto::Open(aead_key, sealed, AsBytes("other")).ok()));
  std::printf("\nNext: tools/test.sh runs every test; build/bin/tillit-id --help.\n");
  return 0;
}

}  // namespace

int main(int argc, char** argv) {
  if (argc > 1 && (std::strcmp(argv[1], "--help") == 0 || std::strcmp(argv[1], "-h") == 0)) {
    std::printf(
        "usage: tillit-demo\n\n"
        "Demonstrates the core library with fresh keys: national identifiers from serials,\n"
        "typo detection, Ed25519 sign/verify and XChaCha20-Poly1305 sealing, including the\n"
        "cases that must fail. Takes no arguments; prints to stdout; exit 0 on success.\n");
    return 0;
  }
  if (argc > 1) {
    std::fprintf(stderr, "tillit-demo: takes no arguments (see --help)\n");
    return 2;
  }
  return Run();
}
