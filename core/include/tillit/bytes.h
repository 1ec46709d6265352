// Byte containers and the strict text codecs used on every wire format: hex, base64
// (RFC 4648 §4, padded) and base64url (RFC 4648 §5, unpadded).
//
// Decoders are strict: they reject bad alphabet characters, wrong lengths, missing or
// extra padding and non-zero unused bits, so every byte string has exactly one accepted
// encoding (no malleability through the codec).
#pragma once

#include <cstdint>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "tillit/result.h"

namespace tillit {

using Bytes = std::vector<uint8_t>;
using ByteView = std::span<const uint8_t>;

// Views the bytes of a string without copying.
inline ByteView AsBytes(std::string_view s) {
  return {reinterpret_cast<const uint8_t*>(s.data()), s.size()};
}
inline std::string_view AsString(ByteView b) {
  return {reinterpret_cast<const char*>(b.data()), b.size()};
}
inline Bytes ToBytes(std::string_view s) { return Bytes(s.begin(), s.end()); }

// Lower-case hex.
std::string HexEncode(ByteView data);
// Accepts upper or lower case; rejects odd length and any other character.
// Errors: "invalidEncoding".
Result<Bytes> HexDecode(std::string_view text);

// Standard alphabet with '=' padding.
std::string Base64Encode(ByteView data);
// Errors: "invalidEncoding" (bad character, bad length, bad padding, non-zero pad bits).
Result<Bytes> Base64Decode(std::string_view text);

// URL-safe alphabet, no padding (as in JWS, RFC 7515 §2).
std::string Base64UrlEncode(ByteView data);
// Rejects '=' padding, '+', '/', whitespace and non-zero trailing bits.
// Errors: "invalidEncoding".
Result<Bytes> Base64UrlDecode(std::string_view text);

}  // namespace tillit
