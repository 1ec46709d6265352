// Activation code parsing and the proof-of-possession byte string (tillit/platform/
// activation_code.h).
#include "tillit/platform/activation_code.h"

#include <cctype>

#include "tillit/credential/tls_pin.h"
#include "tillit/crypto/hash.h"
#include "tillit/identifier/identifier.h"

namespace tillit::platform {
namespace {

constexpr std::string_view kQrPrefix = "tillit-activate:v1:";
constexpr std::string_view kContext = "tillit-activation-v1";
constexpr std::string_view kPinFragment = "#pin-sha256=";

Error InvalidCode(std::string message) { return MakeError("invalidCode", std::move(message)); }

}  // namespace

Result<std::string> CanonicalActivationCode(std::string_view text) {
  std::string out;
  for (char c : text) {
    if (c == ' ' || c == '-') continue;
    const char upper = static_cast<char>(std::toupper(static_cast<unsigned char>(c)));
    if (identifier::SymbolValue(upper) < 0) {
      return InvalidCode("activation code contains a character outside its alphabet");
    }
    if (out.size() >= kActivationCodeSymbols) break;
    out += upper;
  }
  // Count again without the early stop, so "too long" is reported as such.
  size_t symbols = 0;
  for (char c : text) symbols += (c != ' ' && c != '-');
  if (symbols != kActivationCodeSymbols) {
    return InvalidCode("activation code must have 16 symbols (4 groups of 4)");
  }
  return out;
}

Result<ActivationInput> ParseActivationInput(std::string_view text) {
  if (text.substr(0, kQrPrefix.size()) != kQrPrefix) {
    TILLIT_TRY_ASSIGN(auto code, CanonicalActivationCode(text));
    return ActivationInput{std::move(code), std::nullopt, std::nullopt};
  }
  const std::string_view rest = text.substr(kQrPrefix.size());
  const size_t colon = rest.find(':');
  if (colon == std::string_view::npos) return InvalidCode("activation QR text has no server URL");
  TILLIT_TRY_ASSIGN(auto code, CanonicalActivationCode(rest.substr(0, colon)));
  std::string_view server = rest.substr(colon + 1);
  const bool https = server.substr(0, 8) == "https://";
  if (!https && server.substr(0, 7) != "http://") {
    return InvalidCode("activation QR text has no http(s) server URL");
  }
  // The only fragment a device understands is the TLS pin. Anything else is refused rather
  // than ignored: a fragment the device dropped could be a pin it failed to honour.
  std::optional<Bytes> pin;
  if (const size_t hash = server.find('#'); hash != std::string_view::npos) {
    const std::string_view fragment = server.substr(hash);
    server = server.substr(0, hash);
    if (fragment.substr(0, kPinFragment.size()) != kPinFragment) {
      return InvalidCode("activation QR text has a URL fragment other than #pin-sha256=");
    }
    if (!https) return InvalidCode("activation QR text pins TLS for an http:// server");
    auto parsed = credential::ParseTlsPin(fragment.substr(kPinFragment.size()));
    if (!parsed.ok()) {
      return InvalidCode("activation QR text has a malformed TLS pin (" + parsed.error().message +
                         ")");
    }
    pin = std::move(*parsed);
  }
  return ActivationInput{std::move(code), std::string(server), std::move(pin)};
}

Result<Bytes> ActivationSignedBytes(ByteView nonce, std::string_view canonical_code,
                                    ByteView public_key) {
  if (nonce.size() != 32) return MakeError("invalidParameters", "nonce must be 32 bytes");
  if (public_key.size() != 32) return MakeError("invalidParameters", "public key must be 32 bytes");
  Bytes out(kContext.begin(), kContext.end());
  out.push_back(0x00);
  out.insert(out.end(), nonce.begin(), nonce.end());
  const auto code_hash = crypto::Sha256(AsBytes(canonical_code));
  out.insert(out.end(), code_hash.begin(), code_hash.end());
  out.insert(out.end(), public_key.begin(), public_key.end());
  return out;
}

}  // namespace tillit::platform
