// Activation codes and the activation QR text as the device reads them (docs/desk-api.md
// "Activation code"): 16 symbols of the identifier alphabet, shown in groups of four, and
// the QR text `tillit-activate:v1:<CODE>:<server URL>`, where an https URL may end with
// `#pin-sha256=<PIN>`, the pin of the issuer's TLS key (tillit/credential/tls_pin.h,
// docs/device.md "Trusting the issuer"). Pure functions; thread-safe.
#pragma once

#include <optional>
#include <string>
#include <string_view>

#include "tillit/bytes.h"
#include "tillit/result.h"

namespace tillit::platform {

inline constexpr size_t kActivationCodeSymbols = 16;

// Canonical activation code: 16 upper-case symbols, no separators.
// Accepts lower case, spaces and hyphens. Error: "invalidCode".
Result<std::string> CanonicalActivationCode(std::string_view text);

struct ActivationInput {
  std::string code;                  // canonical
  std::optional<std::string> server; // from the QR text, if it was one; never a fragment
  // The issuer's TLS pin (32 bytes) from the QR text's `#pin-sha256=` fragment; only with
  // an https:// server.
  std::optional<Bytes> tls_pin;
};

// Parses what the resident gives the device: a bare code or the activation QR text.
// Errors: "invalidCode" (bad code or QR text: no http(s) URL, a pin with an http:// URL,
// a malformed pin, any other URL fragment).
Result<ActivationInput> ParseActivationInput(std::string_view text);

// The bytes the device signs to prove possession of its new key (docs/desk-api.md step 2,
// DO NOT CHANGE): "tillit-activation-v1" || 0x00 || nonce (32) || SHA-256(code) (32) ||
// public key (32). Error: "invalidParameters" for a nonce or key of the wrong size.
Result<Bytes> ActivationSignedBytes(ByteView nonce, std::string_view canonical_code,
                                    ByteView public_key);

}  // namespace tillit::platform
