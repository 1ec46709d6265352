// TLS key pins (docs/http.md §TLS): the SHA-256 of a certificate's DER-encoded
// SubjectPublicKeyInfo, the "pin-sha256" of RFC 7469 §2.4. The server puts the pin of its
// TLS certificate in the activation QR; the device then accepts the issuer's TLS
// certificate only if its key has that pin. Pinning the key rather than the certificate
// lets an operator renew the certificate under the same key without breaking devices.
// Pure functions; thread-safe.
#pragma once

#include <string>
#include <string_view>

#include "tillit/bytes.h"
#include "tillit/result.h"

namespace tillit::credential {

inline constexpr size_t kTlsPinSize = 32;
inline constexpr size_t kTlsPinTextSize = 43;  // base64url of 32 bytes, unpadded

// The pin of a DER certificate (any key type: the TLS certificate need not be Ed25519).
// Errors: "invalidCertificate" (not one DER certificate, or trailing bytes).
Result<Bytes> TlsPinOfCertificate(ByteView certificate_der);

// The first certificate of a PEM file's text (the leaf, when the file holds a chain).
// Errors: "invalidPem", "invalidCertificate".
Result<Bytes> TlsPinOfPemCertificate(std::string_view pem);

// The text form: unpadded base64url, 43 characters.
std::string FormatTlsPin(ByteView pin);

// Inverse of FormatTlsPin; accepts exactly 43 base64url characters that decode to 32
// bytes (no padding, no other alphabet, no trailing bits set). Error: "invalidPin".
Result<Bytes> ParseTlsPin(std::string_view text);

}  // namespace tillit::credential
