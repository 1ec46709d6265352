// The animated login QR code (docs/protocol.md §2):
//   tillit.<qrStartToken>.<t>.<qrAuthCode>
// with qrAuthCode = lower-case hex of HMAC-SHA256(key = ASCII qrStartSecret, message =
// ASCII t). The e-service formats a new code every second; the issuer parses the scanned
// text and checks the code and its age. Also the UUID v4 tokens of an order.
//
// Thread safety: all functions are pure and thread-safe.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>

#include "tillit/result.h"

namespace tillit::protocol {

// The QR text prefix, including the dot. DO NOT CHANGE (printed QR readers match it).
inline constexpr std::string_view kLoginQrPrefix = "tillit.";
// Largest t accepted by ParseLoginQr: orders live 3 minutes, so anything above this is
// garbage and not worth converting.
inline constexpr int64_t kMaxQrSeconds = 999999;

// A fresh random UUID version 4 (RFC 9562 §5.4) in lower case, 36 characters: orderRef,
// autoStartToken, qrStartToken and qrStartSecret.
std::string GenerateUuidV4();

// True iff text is a lower-case UUID in 8-4-4-4-12 form with version 4 and the RFC 9562
// variant (what GenerateUuidV4 makes).
bool IsUuidV4(std::string_view text);

// The qrAuthCode for second t: 64 lower-case hex characters.
std::string QrAuthCode(std::string_view qr_start_secret, int64_t t);

// The full QR text for second t (t >= 0).
std::string FormatLoginQr(std::string_view qr_start_token, std::string_view qr_start_secret,
                          int64_t t);

// A scanned QR text split into its parts. Unverified: only CheckLoginQrCode says whether the
// code is right.
struct LoginQr {
  std::string qr_start_token;  // IsUuidV4
  int64_t t = 0;               // 0..kMaxQrSeconds
  std::string qr_auth_code;    // 64 lower-case hex characters
};

// Parses exactly "tillit." UUIDv4 "." t "." 64-lower-hex, where t is decimal without a
// sign or leading zeros ("0" itself is fine) and at most kMaxQrSeconds. Nothing may precede
// or follow (no whitespace, no trailing newline). At most 256 bytes are looked at.
// Errors: "qrInvalid".
Result<LoginQr> ParseLoginQr(std::string_view text);

// Ok iff qr.qr_auth_code is QrAuthCode(qr_start_secret, qr.t), compared in constant time.
// Errors: "qrInvalid".
[[nodiscard]] Status CheckLoginQrCode(const LoginQr& qr, std::string_view qr_start_secret);

// The freshness rule of docs/protocol.md §2: ok iff current - max_age <= t <= current +
// max_skew, where current = floor(elapsed_ms / 1000) and elapsed_ms is the time since the
// order was created (negative elapsed counts as 0). Errors: "qrExpired".
[[nodiscard]] Status CheckLoginQrFresh(int64_t t, int64_t elapsed_ms, int64_t max_age_seconds = 5,
                                       int64_t max_skew_seconds = 1);

}  // namespace tillit::protocol
