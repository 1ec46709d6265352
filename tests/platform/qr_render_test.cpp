// Tests of qr_render.h: every renderer's output decodes back (with zxing-cpp's reader) to the
// text that was encoded, the symbol is level M with a 4-module quiet zone, and bad input is
// refused with a clear error.
#define ZX_USE_UTF8
#include "tillit/platform/qr_render.h"

#include <ZXing/BarcodeFormat.h>
#include <ZXing/DecodeHints.h>
#include <ZXing/ImageView.h>
#include <ZXing/ReadBarcode.h>
#include <ZXing/Result.h>

#include <cstdint>
#include <string>
#include <vector>

#include "doctest/doctest.h"

namespace tillit::platform {
namespace {

struct Image {
  int width = 0;
  int height = 0;
  std::vector<uint8_t> luma;  // 0 black, 255 white
};

// Modules as pixels, scale pixels per module.
Image FromMatrix(const QrMatrix& m, int scale) {
  Image img;
  img.width = img.height = m.size() * scale;
  img.luma.assign(static_cast<size_t>(img.width) * static_cast<size_t>(img.height), 255);
  for (int y = 0; y < img.height; ++y) {
    for (int x = 0; x < img.width; ++x) {
      if (m.IsDark(x / scale, y / scale)) img.luma[static_cast<size_t>(y * img.width + x)] = 0;
    }
  }
  return img;
}

ZXing::Result Decode(const Image& img) {
  ZXing::ImageView view(img.luma.data(), img.width, img.height, ZXing::ImageFormat::Lum);
  return ZXing::ReadBarcode(
      view, ZXing::DecodeHints().setFormats(ZXing::BarcodeFormat::QRCode).setTryHarder(true));
}

uint32_t ReadU32Be(const Bytes& b, size_t at) {
  REQUIRE(at + 4 <= b.size());
  return (uint32_t{b[at]} << 24) | (uint32_t{b[at + 1]} << 16) | (uint32_t{b[at + 2]} << 8) |
         uint32_t{b[at + 3]};
}

uint32_t Crc32(const uint8_t* p, size_t n) {
  uint32_t c = 0xFFFFFFFFu;
  for (size_t i = 0; i < n; ++i) {
    c ^= p[i];
    for (int k = 0; k < 8; ++k) c = (c & 1) ? 0xEDB88320u ^ (c >> 1) : c >> 1;
  }
  return ~c;
}

// A strict reader for exactly what RenderQrPng writes: signature, IHDR (1-bit grey),
// IDAT as a zlib stream of stored blocks, IEND; every CRC and the Adler-32 checked.
Image ParsePng(const Bytes& png) {
  const Bytes sig = {0x89, 'P', 'N', 'G', '\r', '\n', 0x1A, '\n'};
  REQUIRE(png.size() > sig.size());
  REQUIRE(std::equal(sig.begin(), sig.end(), png.begin()));
  size_t at = sig.size();
  Image img;
  Bytes idat;
  std::vector<std::string> types;
  while (at < png.size()) {
    const uint32_t len = ReadU32Be(png, at);
    REQUIRE(at + 12 + len <= png.size());
    const std::string type(png.begin() + static_cast<long>(at + 4),
                           png.begin() + static_cast<long>(at + 8));
    CHECK(ReadU32Be(png, at + 8 + len) == Crc32(png.data() + at + 4, len + 4));
    const uint8_t* data = png.data() + at + 8;
    types.push_back(type);
    if (type == "IHDR") {
      REQUIRE(len == 13);
      img.width = static_cast<int>(ReadU32Be(png, at + 8));
      img.height = static_cast<int>(ReadU32Be(png, at + 12));
      CHECK(data[8] == 1);   // bit depth
      CHECK(data[9] == 0);   // greyscale
      CHECK(data[12] == 0);  // no interlace
    } else if (type == "IDAT") {
      idat.insert(idat.end(), data, data + len);
    }
    at += 12 + len;
  }
  REQUIRE(types == std::vector<std::string>{"IHDR", "IDAT", "IEND"});

  // zlib header, stored blocks, Adler-32.
  REQUIRE(idat.size() >= 6);
  CHECK(((idat[0] << 8) | idat[1]) % 31 == 0);
  CHECK((idat[0] & 0x0F) == 8);
  Bytes raw;
  size_t p = 2;
  bool final = false;
  while (!final) {
    REQUIRE(p + 5 <= idat.size());
    final = (idat[p] & 1) != 0;
    REQUIRE((idat[p] & 0x06) == 0);  // stored
    const size_t len = idat[p + 1] | (idat[p + 2] << 8);
    const size_t nlen = idat[p + 3] | (idat[p + 4] << 8);
    REQUIRE((len ^ nlen) == 0xFFFF);
    p += 5;
    REQUIRE(p + len <= idat.size());
    raw.insert(raw.end(), idat.begin() + static_cast<long>(p),
               idat.begin() + static_cast<long>(p + len));
    p += len;
  }
  REQUIRE(p + 4 == idat.size());
  uint32_t a = 1, b = 0;
  for (uint8_t byte : raw) {
    a = (a + byte) % 65521;
    b = (b + a) % 65521;
  }
  CHECK(ReadU32Be(idat, p) == ((b << 16) | a));

  const size_t row_bytes = (static_cast<size_t>(img.width) + 7) / 8;
  REQUIRE(raw.size() == (row_bytes + 1) * static_cast<size_t>(img.height));
  img.luma.resize(static_cast<size_t>(img.width) * static_cast<size_t>(img.height));
  for (int y = 0; y < img.height; ++y) {
    const uint8_t* row = raw.data() + static_cast<size_t>(y) * (row_bytes + 1);
    REQUIRE(row[0] == 0);  // filter None
    for (int x = 0; x < img.width; ++x) {
      const bool white = (row[1 + x / 8] >> (7 - x % 8)) & 1;
      img.luma[static_cast<size_t>(y * img.width + x)] = white ? 255 : 0;
    }
  }
  return img;
}

// Reads the terminal rendering back into modules: glyphs are light halves.
QrMatrix ParseTerminal(const std::string& text, int size) {
  QrMatrix m(size);
  int y = 0;
  size_t at = 0;
  while (at < text.size()) {
    const size_t eol = text.find('\n', at);
    REQUIRE(eol != std::string::npos);
    const std::string line = text.substr(at, eol - at);
    int x = 0;
    size_t i = 0;
    while (i < line.size()) {
      bool top_light = false;
      bool bottom_light = false;
      if (line.compare(i, 1, " ") == 0) {
        i += 1;
      } else if (line.compare(i, 3, "\u2588") == 0) {
        top_light = bottom_light = true;
        i += 3;
      } else if (line.compare(i, 3, "\u2580") == 0) {
        top_light = true;
        i += 3;
      } else if (line.compare(i, 3, "\u2584") == 0) {
        bottom_light = true;
        i += 3;
      } else {
        FAIL("unexpected glyph in terminal rendering");
      }
      REQUIRE(x < size);
      m.SetDark(x, y, !top_light);
      if (y + 1 < size) {
        m.SetDark(x, y + 1, !bottom_light);
      } else {
        CHECK(bottom_light);  // padding row of an odd size is light
      }
      ++x;
    }
    CHECK(x == size);
    y += 2;
    at = eol + 1;
  }
  CHECK(y >= size);
  return m;
}

const std::string kActivation =
    "tillit-activate:v1:K7F29XAMC4P8RT3N:https://tillit.example.se:8443";

TEST_CASE("EncodeQr: matrix decodes back, level M, quiet zone of 4 light modules") {
  auto m = EncodeQr(kActivation);
  REQUIRE(m.ok());
  CHECK((m->size() - 2 * kQrQuietZone - 17) % 4 == 0);  // 21, 25, ... modules + quiet zone
  for (int i = 0; i < m->size(); ++i) {
    for (int q = 0; q < kQrQuietZone; ++q) {
      CHECK_FALSE(m->IsDark(i, q));
      CHECK_FALSE(m->IsDark(q, i));
      CHECK_FALSE(m->IsDark(i, m->size() - 1 - q));
      CHECK_FALSE(m->IsDark(m->size() - 1 - q, i));
    }
  }
  // The finder pattern's corner starts right inside the quiet zone.
  CHECK(m->IsDark(kQrQuietZone, kQrQuietZone));
  const auto r = Decode(FromMatrix(*m, 4));
  REQUIRE(r.isValid());
  CHECK(r.text() == kActivation);
  CHECK(r.ecLevel() == "M");
}

TEST_CASE("EncodeQr: long, numeric and UTF-8 texts round-trip") {
  std::string long_text;
  for (int i = 0; long_text.size() < 2000; ++i) long_text += "tillit." + std::to_string(i) + ";";
  long_text.resize(2000);
  const std::string digits(5000, '7');  // numeric mode holds far more than byte mode
  const std::string utf8 = "Amal Hassan \u0623\u0645\u0644 \u062D\u0633\u0646 \u00C5sa \u00D6berg";
  for (const std::string& text : {long_text, digits, utf8, std::string("x")}) {
    CAPTURE(text.size());
    auto m = EncodeQr(text);
    REQUIRE(m.ok());
    const auto r = Decode(FromMatrix(*m, 3));
    REQUIRE(r.isValid());
    CHECK(r.text() == text);
  }
}

TEST_CASE("EncodeQr: empty, over-capacity and invalid UTF-8 text are refused") {
  auto empty = EncodeQr("");
  REQUIRE_FALSE(empty.ok());
  CHECK(empty.error().code == "invalidParameters");
  CHECK(empty.error().message.find("empty") != std::string::npos);

  CHECK(EncodeQr(std::string(2331, 'a')).ok());  // version 40-M byte capacity
  auto big = EncodeQr(std::string(2332, 'a'));
  REQUIRE_FALSE(big.ok());
  CHECK(big.error().code == "invalidParameters");
  CHECK(big.error().message.find("2332 bytes") != std::string::npos);
  CHECK_FALSE(EncodeQr(std::string(100000, 'a')).ok());

  for (const std::string bad : {"a\xC3", "\xC0\x80", "\xED\xA0\x80", "\xF4\x90\x80\x80", "\xFF"}) {
    auto r = EncodeQr(bad);
    REQUIRE_FALSE(r.ok());
    CHECK(r.error().code == "invalidParameters");
  }
}

TEST_CASE("RenderQrPng: a valid PNG that decodes back to the text") {
  auto m = EncodeQr(kActivation);
  REQUIRE(m.ok());
  for (int module_px : {1, 3, 8}) {
    CAPTURE(module_px);
    auto png = RenderQrPng(*m, module_px);
    REQUIRE(png.ok());
    const Image img = ParsePng(*png);
    CHECK(img.width == m->size() * module_px);
    CHECK(img.height == img.width);
    CHECK(img.luma == FromMatrix(*m, module_px).luma);
    if (module_px > 1) {
      const auto r = Decode(img);
      REQUIRE(r.isValid());
      CHECK(r.text() == kActivation);
    }
  }
  // Largest symbol at a large scale spans several stored blocks.
  auto big = EncodeQr(std::string(2331, 'z'));
  REQUIRE(big.ok());
  auto png = RenderQrPng(*big, 4);
  REQUIRE(png.ok());
  const Image img = ParsePng(*png);
  CHECK(img.luma == FromMatrix(*big, 4).luma);
  const auto r = Decode(img);
  REQUIRE(r.isValid());
  CHECK(r.text() == std::string(2331, 'z'));

  for (int bad : {0, -1, kQrMaxModulePx + 1}) {
    auto e = RenderQrPng(*m, bad);
    REQUIRE_FALSE(e.ok());
    CHECK(e.error().code == "invalidParameters");
  }
}

TEST_CASE("RenderQrTerminal: half blocks, two rows a line, light modules drawn") {
  auto m = EncodeQr(kActivation);
  REQUIRE(m.ok());
  const std::string t = RenderQrTerminal(*m);
  const QrMatrix back = ParseTerminal(t, m->size());
  for (int y = 0; y < m->size(); ++y) {
    for (int x = 0; x < m->size(); ++x) CHECK(back.IsDark(x, y) == m->IsDark(x, y));
  }
  // The quiet zone's top rows are full blocks (light).
  CHECK(t.compare(0, 3, "\u2588") == 0);
  const auto r = Decode(FromMatrix(back, 4));
  REQUIRE(r.isValid());
  CHECK(r.text() == kActivation);

  // An odd matrix size gives (size + 1) / 2 lines.
  QrMatrix odd(3);
  odd.SetDark(1, 2, true);
  CHECK(RenderQrTerminal(odd) == "\u2588\u2588\u2588\n\u2588\u2584\u2588\n");
}

TEST_CASE("RenderQrSvg: a standalone SVG with one unit-square run per dark stretch") {
  QrMatrix m(3);
  m.SetDark(0, 0, true);
  m.SetDark(1, 0, true);
  m.SetDark(2, 2, true);
  const std::string svg = RenderQrSvg(m, 5);
  CHECK(svg.find("width=\"15\" height=\"15\" viewBox=\"0 0 3 3\"") != std::string::npos);
  CHECK(svg.find("d=\"M0 0h2v1h-2zM2 2h1v1h-1z\"") != std::string::npos);
  CHECK(svg.find("fill=\"#ffffff\"") != std::string::npos);
  CHECK(svg.rfind("</svg>\n") == svg.size() - 7);

  auto real = EncodeQr(kActivation);
  REQUIRE(real.ok());
  const std::string big = RenderQrSvg(*real, 4);
  CHECK(big.find("<svg") != std::string::npos);
}

}  // namespace
}  // namespace tillit::platform
