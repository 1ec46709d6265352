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
  // Sized once and written by index: appending a character at a time cost a capacity
  // check per character, and results carry kilobytes of base64 (docs/performance.md §4.7).
  const size_t full = data.size() / 3;
  const size_t rest = data.size() - full * 3;
  const size_t tail = rest == 0 ? 0 : (pad ? 4 : rest + 1);
  std::string out(full * 4 + tail, '\0');
  char* o = out.data();
  const uint8_t* in = data.data();
  for (size_t n = 0; n < full; ++n, in += 3, o += 4) {
    const uint32_t v = (uint32_t{in[0]} << 16) | (uint32_t{in[1]} << 8) | in[2];
    o[0] = alphabet[(v >> 18) & 63];
    o[1] = alphabet[(v >> 12) & 63];
    o[2] = alphabet[(v >> 6) & 63];
    o[3] = alphabet[v & 63];
  }
  if (rest != 0) {
    const uint32_t v = (uint32_t{in[0]} << 16) | (rest == 2 ? uint32_t{in[1]} << 8 : 0);
    o[0] = alphabet[(v >> 18) & 63];
    o[1] = alphabet[(v >> 12) & 63];
    if (rest == 2) o[2] = alphabet[(v >> 6) & 63];
    if (pad) {
      if (rest == 1) o[2] = '=';
      o[3] = '=';
    }
  }
  return out;
}

Error BadEncoding(const char* what) { return MakeError("invalidEncoding", what); }

// Decodes unpadded base64 text (padding already stripped and checked by the caller).
Result<Bytes> Decode64(std::string_view text, const std::array<int8_t, 256>& table) {
  if (text.size() % 4 == 1) return BadEncoding("base64 text has an impossible length");
  Bytes out(text.size() * 3 / 4);
  uint8_t* o = out.data();
  const auto value = [&](char c) { return table[static_cast<uint8_t>(c)]; };
  size_t i = 0;
  // Four characters at a time: one check of all four (a negative entry is outside the
  // alphabet), then three bytes.
  for (; i + 4 <= text.size(); i += 4, o += 3) {
    const int a = value(text[i]), b = value(text[i + 1]), c = value(text[i + 2]),
              d = value(text[i + 3]);
    if ((a | b | c | d) < 0) {
      return BadEncoding("base64 text contains a character outside its alphabet");
    }
    const uint32_t v = (static_cast<uint32_t>(a) << 18) | (static_cast<uint32_t>(b) << 12) |
                       (static_cast<uint32_t>(c) << 6) | static_cast<uint32_t>(d);
    o[0] = static_cast<uint8_t>(v >> 16);
    o[1] = static_cast<uint8_t>(v >> 8);
    o[2] = static_cast<uint8_t>(v);
  }
  const size_t rest = text.size() - i;  // 0, 2 or 3 characters: 0, 1 or 2 bytes
  if (rest != 0) {
    uint32_t acc = 0;
    for (size_t k = 0; k < rest; ++k) {
      const int v = value(text[i + k]);
      if (v < 0) return BadEncoding("base64 text contains a character outside its alphabet");
      acc = (acc << 6) | static_cast<uint32_t>(v);
    }
    // Leftover bits must be zero, or two encodings would decode to the same bytes.
    if (rest == 2) {
      if ((acc & 0xf) != 0) return BadEncoding("base64 text has non-zero trailing bits");
      o[0] = static_cast<uint8_t>(acc >> 4);
    } else {
      if ((acc & 0x3) != 0) return BadEncoding("base64 text has non-zero trailing bits");
      o[0] = static_cast<uint8_t>(acc >> 10);
      o[1] = static_cast<uint8_t>(acc >> 2);
    }
  }
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
