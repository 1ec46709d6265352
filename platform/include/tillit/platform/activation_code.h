// Activation codes and the activation QR text as the device reads them (docs/desk-api.md
// "Activation code"): 16 symbols of the identifier alphabet, shown in groups of four, and
// the QR text `tillit-activate:v1:<CODE>:<server URL>`. Pure functions; thread-safe.
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
  std::optional<std::string> server; // from the QR text, if it was one
};

// Parses what the resident gives the device: a bare code or the activation QR text.
// Errors: "invalidCode" (bad code or QR text).
Result<ActivationInput> ParseActivationInput(std::string_view text);

// The bytes the device signs to prove possession of its new key (docs/desk-api.md step 2,
// DO NOT CHANGE): "tillit-activation-v1" || 0x00 || nonce (32) || SHA-256(code) (32) ||
// public key (32). Error: "invalidParameters" for a nonce or key of the wrong size.
Result<Bytes> ActivationSignedBytes(ByteView nonce, std::string_view canonical_code,
                                    ByteView public_key);

}  // namespace tillit::platform
