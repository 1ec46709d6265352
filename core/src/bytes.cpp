// Strict hex and base64 codecs (see tillit/bytes.h). Written here rather than taken from
// libsodium so that strictness (canonical padding bits, no whitespace) is ours to test.
#include "tillit/bytes.h"

#include <array>

namespace tillit {
namespace {

constexpr char kHexDigits[] = "0123456789abcdef";
constexpr char kBase64Std[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
constexpr char kBase64Url[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_";

int HexValue(char c) {
  if (c >= '0' && c <= '9') return c - '0';
  if (c >= 'a' && c <= 'f') return c - 'a' + 10;
  if (c >= 'A' && c <= 'F') return c - 'A' + 10;
  return -1;
}

std::array<int8_t, 256> ReverseTable(const char* alphabet) {
  std::array<int8_t, 256> table{};
  table.fill(-1);
  for (int i = 0; i < 64; ++i) table[static_cast<uint8_t>(alphabet[i])] = static_cast<int8_t>(i);
  return table;
}

std::string Encode64(ByteView data, const char* alphabet, bool pad) {
  std::string out;
  out.reserve((data.size() + 2) / 3 * 4);
  size_t i = 0;
  for (; i + 3 <= data.size(); i += 3) {
    uint32_t v = (uint32_t{data[i]} << 16) | (uint32_t{data[i + 1]} << 8) | data[i + 2];
    out += alphabet[(v >> 18) & 63];
    out += alphabet[(v >> 12) & 63];
    out += alphabet[(v >> 6) & 63];
    out += alphabet[v & 63];
  }
  const size_t rest = data.size() - i;
  if (rest == 1) {
    uint32_t v = uint32_t{data[i]} << 16;
    out += alphabet[(v >> 18) & 63];
    out += alphabet[(v >> 12) & 63];
    if (pad) out += "==";
  } else if (rest == 2) {
    uint32_t v = (uint32_t{data[i]} << 16) | (uint32_t{data[i + 1]} << 8);
    out += alphabet[(v >> 18) & 63];
    out += alphabet[(v >> 12) & 63];
    out += alphabet[(v >> 6) & 63];
    if (pad) out += '=';
  }
  return out;
}

Error BadEncoding(const char* what) { return MakeError("invalidEncoding", what); }

// Decodes unpadded base64 text (padding already stripped and checked by the caller).
Result<Bytes> Decode64(std::string_view text, const std::array<int8_t, 256>& table) {
  if (text.size() % 4 == 1) return BadEncoding("base64 text has an impossible length");
  Bytes out;
  out.reserve(text.size() * 3 / 4);
  uint32_t acc = 0;
  int bits = 0;
  for (char c : text) {
    const int v = table[static_cast<uint8_t>(c)];
    if (v < 0) return BadEncoding("base64 text contains a character outside its alphabet");
    acc = (acc << 6) | static_cast<uint32_t>(v);
    bits += 6;
    if (bits >= 8) {
      bits -= 8;
      out.push_back(static_cast<uint8_t>(acc >> bits));
      acc &= (1u << bits) - 1;
    }
  }
  // Leftover bits must be zero, or two encodings would decode to the same bytes.
  if (acc != 0) return BadEncoding("base64 text has non-zero trailing bits");
  return out;
}

}  // namespace

std::string HexEncode(ByteView data) {
  std::string out;
  out.reserve(data.size() * 2);
  for (uint8_t b : data) {
    out += kHexDigits[b >> 4];
    out += kHexDigits[b & 15];
  }
  return out;
}

Result<Bytes> HexDecode(std::string_view text) {
  if (text.size() % 2 != 0) return BadEncoding("hex text has an odd length");
  Bytes out;
  out.reserve(text.size() / 2);
  for (size_t i = 0; i < text.size(); i += 2) {
    const int hi = HexValue(text[i]);
    const int lo = HexValue(text[i + 1]);
    if (hi < 0 || lo < 0) return BadEncoding("hex text contains a non-hex character");
    out.push_back(static_cast<uint8_t>(hi << 4 | lo));
  }
  return out;
}

std::string Base64Encode(ByteView data) { return Encode64(data, kBase64Std, true); }

Result<Bytes> Base64Decode(std::string_view text) {
  static const auto table = ReverseTable(kBase64Std);
  if (text.size() % 4 != 0) return BadEncoding("padded base64 length is not a multiple of 4");
  size_t pad = 0;
  while (pad < 2 && pad < text.size() && text[text.size() - 1 - pad] == '=') ++pad;
  return Decode64(text.substr(0, text.size() - pad), table);
}

std::string Base64UrlEncode(ByteView data) { return Encode64(data, kBase64Url, false); }

Result<Bytes> Base64UrlDecode(std::string_view text) {
  static const auto table = ReverseTable(kBase64Url);
  return Decode64(text, table);
}

}  // namespace tillit
