// The animated login QR code and order UUIDs (docs/protocol.md §1, §2); see login_qr.h.
#include "tillit/protocol/login_qr.h"

#include <cstddef>
#include <cstdint>
#include <optional>
#include <string>
#include <utility>

#include "tillit/bytes.h"
#include "tillit/check.h"
#include "tillit/crypto/hash.h"
#include "tillit/crypto/random.h"

namespace tillit::protocol {
namespace {

constexpr size_t kUuidLength = 36;
constexpr size_t kAuthCodeLength = 64;
// Beyond this no well-formed QR text exists (7 + 36 + 1 + 6 + 1 + 64 = 115), so longer
// input is refused before any work is done on it.
constexpr size_t kMaxQrTextBytes = 256;
constexpr size_t kMaxQrSecondsDigits = 6;  // digits of kMaxQrSeconds
static_assert(kMaxQrSeconds == 999999);

bool IsLowerHexDigit(char c) { return (c >= '0' && c <= '9') || (c >= 'a' && c <= 'f'); }

bool IsLowerHex(std::string_view text, size_t length) {
  if (text.size() != length) return false;
  for (char c : text) {
    if (!IsLowerHexDigit(c)) return false;
  }
  return true;
}

// Decimal without sign, whitespace or leading zeros ("0" itself is fine), so every t has
// exactly one spelling and the HMAC message is exactly what the e-service formatted.
std::optional<int64_t> ParseSeconds(std::string_view digits) {
  if (digits.empty() || digits.size() > kMaxQrSecondsDigits) return std::nullopt;
  if (digits.size() > 1 && digits[0] == '0') return std::nullopt;
  int64_t value = 0;
  for (char c : digits) {
    if (c < '0' || c > '9') return std::nullopt;
    value = value * 10 + (c - '0');
  }
  return value;
}

Error QrInvalid(std::string message) { return MakeError("qrInvalid", std::move(message)); }

}  // namespace

std::string GenerateUuidV4() {
  Bytes raw = crypto::RandomBytes(16);
  raw[6] = static_cast<uint8_t>((raw[6] & 0x0f) | 0x40);  // version 4 (RFC 9562 §5.4)
  raw[8] = static_cast<uint8_t>((raw[8] & 0x3f) | 0x80);  // variant 10xx (RFC 9562 §4.1)
  const std::string hex = HexEncode(raw);
  return hex.substr(0, 8) + "-" + hex.substr(8, 4) + "-" + hex.substr(12, 4) + "-" +
         hex.substr(16, 4) + "-" + hex.substr(20, 12);
}

bool IsUuidV4(std::string_view text) {
  if (text.size() != kUuidLength) return false;
  for (size_t i = 0; i < text.size(); ++i) {
    const bool dash_position = i == 8 || i == 13 || i == 18 || i == 23;
    if (dash_position ? text[i] != '-' : !IsLowerHexDigit(text[i])) return false;
  }
  const char variant = text[19];
  return text[14] == '4' && (variant == '8' || variant == '9' || variant == 'a' || variant == 'b');
}

std::string QrAuthCode(std::string_view qr_start_secret, int64_t t) {
  const std::string message = std::to_string(t);
  return HexEncode(crypto::HmacSha256(AsBytes(qr_start_secret), AsBytes(message)));
}

// The ranges are checked rather than reported because the string return type cannot carry
// an error, and a code the issuer's ParseLoginQr would refuse is a bug in the caller.
std::string FormatLoginQr(std::string_view qr_start_token, std::string_view qr_start_secret,
                          int64_t t) {
  TILLIT_CHECK(IsUuidV4(qr_start_token));
  TILLIT_CHECK(t >= 0 && t <= kMaxQrSeconds);
  return std::string(kLoginQrPrefix) + std::string(qr_start_token) + "." + std::to_string(t) + "." +
         QrAuthCode(qr_start_secret, t);
}

Result<LoginQr> ParseLoginQr(std::string_view text) {
  if (text.size() > kMaxQrTextBytes) return QrInvalid("QR text is too long");
  if (!text.starts_with(kLoginQrPrefix)) return QrInvalid("QR text lacks the tillit. prefix");
  std::string_view rest = text.substr(kLoginQrPrefix.size());

  const std::string_view token = rest.substr(0, kUuidLength);
  if (!IsUuidV4(token)) return QrInvalid("qrStartToken is not a lower-case UUID v4");
  rest.remove_prefix(token.size());
  if (!rest.starts_with('.')) return QrInvalid("no dot after qrStartToken");
  rest.remove_prefix(1);

  const size_t dot = rest.find('.');
  if (dot == std::string_view::npos) return QrInvalid("no dot after t");
  const std::optional<int64_t> t = ParseSeconds(rest.substr(0, dot));
  if (!t) return QrInvalid("t is not a canonical decimal in 0..999999");

  const std::string_view code = rest.substr(dot + 1);
  if (!IsLowerHex(code, kAuthCodeLength)) return QrInvalid("qrAuthCode is not 64 lower-case hex");
  return LoginQr{std::string(token), *t, std::string(code)};
}

Status CheckLoginQrCode(const LoginQr& qr, std::string_view qr_start_secret) {
  // A hand-built LoginQr gets the same shape checks as a parsed one: a negative t or an
  // upper-case code would otherwise give a second spelling of the same HMAC input or tag.
  if (qr.t < 0 || qr.t > kMaxQrSeconds || !IsLowerHex(qr.qr_auth_code, kAuthCodeLength)) {
    return QrInvalid("malformed QR code");
  }
  // Decoding the received (public) hex and comparing raw tags keeps the comparison in
  // constant time without hex-encoding the secret-dependent expected tag.
  const Bytes tag = HexDecode(qr.qr_auth_code).value();
  const std::string message = std::to_string(qr.t);
  if (!crypto::VerifyHmacSha256(AsBytes(qr_start_secret), AsBytes(message), tag)) {
    return QrInvalid("qrAuthCode does not match");
  }
  return {};
}

Status CheckLoginQrFresh(int64_t t, int64_t elapsed_ms, int64_t max_age_seconds,
                         int64_t max_skew_seconds) {
  TILLIT_CHECK(max_age_seconds >= 0 && max_skew_seconds >= 0);
  // A server clock that stepped back behaves as if the order had just been created.
  const int64_t current = elapsed_ms < 0 ? 0 : elapsed_ms / 1000;
  // current >= 0 and both bounds are >= 0, so neither line below can overflow.
  const int64_t oldest = current - max_age_seconds;
  const int64_t newest =
      max_skew_seconds > INT64_MAX - current ? INT64_MAX : current + max_skew_seconds;
  if (t < oldest || t > newest) {
    return MakeError("qrExpired", "t = " + std::to_string(t) + " is outside [" +
                                      std::to_string(oldest) + ", " + std::to_string(newest) + "]");
  }
  return {};
}

}  // namespace tillit::protocol
