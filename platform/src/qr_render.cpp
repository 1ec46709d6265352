// QR encoding with zxing-cpp and the terminal, SVG and PNG renderers (qr_render.h).
// The only file that includes zxing's writer headers.
#include "tillit/platform/qr_render.h"

#include <ZXing/BarcodeFormat.h>
#include <ZXing/BitMatrix.h>
#include <ZXing/CharacterSet.h>
#include <ZXing/MultiFormatWriter.h>

#include <algorithm>
#include <array>
#include <cstddef>
#include <exception>
#include <string>

#include "tillit/check.h"
#include "tillit/utf8.h"

namespace tillit::platform {
namespace {

// MultiFormatWriter's QR ECC scale is 0..8 in pairs: 3 and 4 select level M (zxing-cpp 1.4,
// MultiFormatWriter.cpp; checked by tests/platform/qr_render_test.cpp through the decoder).
constexpr int kZxingEccLevelM = 4;

bool IsAscii(std::string_view text) {
  for (unsigned char c : text) {
    if (c >= 0x80) return false;
  }
  return true;
}

// --- PNG (ISO/IEC 15948; RFC 2083) -----------------------------------------------------

uint32_t Crc32(ByteView data, uint32_t crc = 0) {
  static const std::array<uint32_t, 256> kTable = [] {
    std::array<uint32_t, 256> table{};
    for (uint32_t n = 0; n < 256; ++n) {
      uint32_t c = n;
      for (int k = 0; k < 8; ++k) c = (c & 1) ? 0xEDB88320u ^ (c >> 1) : c >> 1;
      table[n] = c;
    }
    return table;
  }();
  crc = ~crc;
  for (uint8_t b : data) crc = kTable[(crc ^ b) & 0xFF] ^ (crc >> 8);
  return ~crc;
}

uint32_t Adler32(ByteView data) {
  constexpr uint32_t kMod = 65521;
  uint32_t a = 1;
  uint32_t b = 0;
  for (uint8_t byte : data) {
    a = (a + byte) % kMod;
    b = (b + a) % kMod;
  }
  return (b << 16) | a;
}

void PutU32Be(Bytes& out, uint32_t v) {
  out.push_back(static_cast<uint8_t>(v >> 24));
  out.push_back(static_cast<uint8_t>(v >> 16));
  out.push_back(static_cast<uint8_t>(v >> 8));
  out.push_back(static_cast<uint8_t>(v));
}

void PutChunk(Bytes& out, std::string_view type, ByteView data) {
  PutU32Be(out, static_cast<uint32_t>(data.size()));
  const size_t type_at = out.size();
  out.insert(out.end(), type.begin(), type.end());
  out.insert(out.end(), data.begin(), data.end());
  PutU32Be(out, Crc32(ByteView(out).subspan(type_at)));
}

// A zlib stream (RFC 1950) holding raw in deflate stored blocks (RFC 1951 §3.2.4).
Bytes ZlibStored(ByteView raw) {
  constexpr size_t kMaxStoredBlock = 65535;
  Bytes out;
  out.reserve(raw.size() + raw.size() / kMaxStoredBlock * 5 + 16);
  out.push_back(0x78);  // CM = 8 (deflate), CINFO = 7 (32 KiB window)
  out.push_back(0x01);  // FLEVEL = 0, FCHECK makes 0x7801 a multiple of 31
  size_t at = 0;
  do {
    const size_t len = std::min(kMaxStoredBlock, raw.size() - at);
    const bool final = at + len == raw.size();
    out.push_back(final ? 0x01 : 0x00);  // BFINAL, BTYPE = 00 (stored)
    out.push_back(static_cast<uint8_t>(len));
    out.push_back(static_cast<uint8_t>(len >> 8));
    out.push_back(static_cast<uint8_t>(~len));
    out.push_back(static_cast<uint8_t>(~len >> 8));
    out.insert(out.end(), raw.begin() + static_cast<ptrdiff_t>(at),
               raw.begin() + static_cast<ptrdiff_t>(at + len));
    at += len;
  } while (at < raw.size());
  PutU32Be(out, Adler32(raw));
  return out;
}

}  // namespace

QrMatrix::QrMatrix(int size) : size_(size) {
  TILLIT_CHECK(size > 0);
  modules_.assign(static_cast<size_t>(size) * static_cast<size_t>(size), 0);
}

bool QrMatrix::IsDark(int x, int y) const {
  TILLIT_CHECK(x >= 0 && x < size_ && y >= 0 && y < size_);
  return modules_[static_cast<size_t>(y) * static_cast<size_t>(size_) + static_cast<size_t>(x)] != 0;
}

void QrMatrix::SetDark(int x, int y, bool dark) {
  TILLIT_CHECK(x >= 0 && x < size_ && y >= 0 && y < size_);
  modules_[static_cast<size_t>(y) * static_cast<size_t>(size_) + static_cast<size_t>(x)] =
      dark ? 1 : 0;
}

Result<QrMatrix> EncodeQr(std::string_view text) {
  if (text.empty()) return MakeError("invalidParameters", "QR text is empty");
  const bool ascii = IsAscii(text);
  if (!ascii && !IsValidUtf8(text)) {
    return MakeError("invalidParameters", "QR text is not valid UTF-8");
  }
  ZXing::BitMatrix bits;
  try {
    ZXing::MultiFormatWriter writer(ZXing::BarcodeFormat::QRCode);
    // Margin 0 and width/height 0: one pixel per module, no margin; the quiet zone is added
    // below so that its width does not depend on zxing's scaling rules.
    writer.setEccLevel(kZxingEccLevelM).setMargin(0);
    if (!ascii) writer.setEncoding(ZXing::CharacterSet::UTF8);
    bits = writer.encode(std::string(text), 0, 0);
  } catch (const std::exception& e) {
    // zxing throws std::invalid_argument for "Data too big" (over capacity) and for
    // characters it cannot encode.
    return MakeError("invalidParameters",
                     std::string("QR text cannot be encoded (") + std::to_string(text.size()) +
                         " bytes; at most 2331 fit at level M): " + e.what());
  }
  if (bits.width() <= 0 || bits.width() != bits.height()) {
    return MakeError("internalError", "QR encoder returned a non-square matrix");
  }
  QrMatrix matrix(bits.width() + 2 * kQrQuietZone);
  for (int y = 0; y < bits.height(); ++y) {
    for (int x = 0; x < bits.width(); ++x) {
      if (bits.get(x, y)) matrix.SetDark(x + kQrQuietZone, y + kQrQuietZone, true);
    }
  }
  return matrix;
}

std::string RenderQrTerminal(const QrMatrix& matrix) {
  // Glyphs draw the *light* modules; dark modules stay terminal background (see header).
  static constexpr std::string_view kBothLight = "\u2588";   // █
  static constexpr std::string_view kTopLight = "\u2580";    // ▀
  static constexpr std::string_view kBottomLight = "\u2584"; // ▄
  static constexpr std::string_view kBothDark = " ";
  const int size = matrix.size();
  std::string out;
  out.reserve(static_cast<size_t>((size + 1) / 2) * (static_cast<size_t>(size) * 3 + 1));
  for (int y = 0; y < size; y += 2) {
    for (int x = 0; x < size; ++x) {
      const bool top_light = !matrix.IsDark(x, y);
      // An odd size leaves the last line's lower half outside the symbol: draw it light,
      // as an extra row of quiet zone.
      const bool bottom_light = y + 1 >= size || !matrix.IsDark(x, y + 1);
      if (top_light && bottom_light) {
        out += kBothLight;
      } else if (top_light) {
        out += kTopLight;
      } else if (bottom_light) {
        out += kBottomLight;
      } else {
        out += kBothDark;
      }
    }
    out += '\n';
  }
  return out;
}

std::string RenderQrSvg(const QrMatrix& matrix, int module_px) {
  TILLIT_CHECK(module_px >= 1 && module_px <= kQrMaxModulePx);
  const int size = matrix.size();
  const std::string px = std::to_string(size * module_px);
  const std::string n = std::to_string(size);
  std::string out;
  out += "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n";
  out += "<svg xmlns=\"http://www.w3.org/2000/svg\" version=\"1.1\" width=\"" + px +
         "\" height=\"" + px + "\" viewBox=\"0 0 " + n + " " + n +
         "\" shape-rendering=\"crispEdges\">\n";
  out += "<rect width=\"" + n + "\" height=\"" + n + "\" fill=\"#ffffff\"/>\n";
  // One path, one horizontal run of dark modules per subpath: small and exact.
  out += "<path fill=\"#000000\" d=\"";
  for (int y = 0; y < size; ++y) {
    int x = 0;
    while (x < size) {
      if (!matrix.IsDark(x, y)) {
        ++x;
        continue;
      }
      int run = 1;
      while (x + run < size && matrix.IsDark(x + run, y)) ++run;
      out += "M" + std::to_string(x) + " " + std::to_string(y) + "h" + std::to_string(run) +
             "v1h-" + std::to_string(run) + "z";
      x += run;
    }
  }
  out += "\"/>\n</svg>\n";
  return out;
}

Result<Bytes> RenderQrPng(const QrMatrix& matrix, int module_px) {
  if (module_px < 1 || module_px > kQrMaxModulePx) {
    return MakeError("invalidParameters", "module_px must be in [1, " +
                                              std::to_string(kQrMaxModulePx) + "]");
  }
  const size_t width = static_cast<size_t>(matrix.size()) * static_cast<size_t>(module_px);
  const size_t row_bytes = (width + 7) / 8;

  // Scanlines: filter type 0 (None), then 1-bit samples MSB first; 1 = white.
  Bytes raw;
  raw.reserve((row_bytes + 1) * width);
  Bytes row(row_bytes);
  for (int my = 0; my < matrix.size(); ++my) {
    std::fill(row.begin(), row.end(), 0);
    for (size_t px = 0; px < width; ++px) {
      const int mx = static_cast<int>(px / static_cast<size_t>(module_px));
      if (!matrix.IsDark(mx, my)) row[px / 8] |= static_cast<uint8_t>(0x80u >> (px % 8));
    }
    for (int k = 0; k < module_px; ++k) {
      raw.push_back(0);
      raw.insert(raw.end(), row.begin(), row.end());
    }
  }

  Bytes png = {0x89, 'P', 'N', 'G', '\r', '\n', 0x1A, '\n'};
  Bytes ihdr;
  PutU32Be(ihdr, static_cast<uint32_t>(width));
  PutU32Be(ihdr, static_cast<uint32_t>(width));
  ihdr.push_back(1);  // bit depth
  ihdr.push_back(0);  // colour type: greyscale
  ihdr.push_back(0);  // compression: deflate
  ihdr.push_back(0);  // filter method 0
  ihdr.push_back(0);  // no interlace
  PutChunk(png, "IHDR", ihdr);
  PutChunk(png, "IDAT", ZlibStored(raw));
  PutChunk(png, "IEND", {});
  return png;
}

}  // namespace tillit::platform
