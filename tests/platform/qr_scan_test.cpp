// Tests of qr_scan.h: QR codes rendered by qr_render.h read back from PNG and JPEG files,
// also as part of larger "screenshots" (RGB, RGBA with transparency, greyscale 16-bit,
// baseline and progressive JPEG written here with libpng/libjpeg); and the refusals:
// empty, random, truncated, corrupt and oversized images, no QR, missing file.
#include "tillit/platform/qr_scan.h"

#include <doctest/doctest.h>
#include <jpeglib.h>
#include <png.h>

#include <cstdio>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <random>
#include <string>
#include <vector>

#include "temp_dir.h"
#include "tillit/platform/qr_render.h"

namespace tillit::platform {
namespace {

namespace fs = std::filesystem;
using testing::TempDir;

const std::string kLoginQr =
    "tillit.67df3917-fa0d-44e5-b327-edcc928297f8.0."
    "dc69358e712458a66a7525beef148ae8526b1c71610eff2c16cdffb4cdac9bf8";
const std::string kActivationQr = "tillit-activate:v1:K7F2-9XAM-C4P8-RT3N:http://127.0.0.1:8443";

// An RGBA canvas the tests paint screenshots on.
struct Canvas {
  int width;
  int height;
  std::vector<uint8_t> rgba;

  Canvas(int w, int h, uint8_t r, uint8_t g, uint8_t b, uint8_t a = 255)
      : width(w), height(h), rgba(static_cast<size_t>(w) * static_cast<size_t>(h) * 4) {
    for (size_t i = 0; i < rgba.size(); i += 4) {
      rgba[i] = r;
      rgba[i + 1] = g;
      rgba[i + 2] = b;
      rgba[i + 3] = a;
    }
  }
  void Fill(int x0, int y0, int w, int h, uint8_t r, uint8_t g, uint8_t b, uint8_t a = 255) {
    for (int y = y0; y < y0 + h && y < height; ++y) {
      for (int x = x0; x < x0 + w && x < width; ++x) {
        uint8_t* p = &rgba[(static_cast<size_t>(y) * static_cast<size_t>(width) + static_cast<size_t>(x)) * 4];
        p[0] = r;
        p[1] = g;
        p[2] = b;
        p[3] = a;
      }
    }
  }
  // The QR symbol (quiet zone drawn white and opaque), scale pixels per module, at (x0, y0).
  void DrawQr(const QrMatrix& m, int scale, int x0, int y0) {
    Fill(x0, y0, m.size() * scale, m.size() * scale, 255, 255, 255);
    for (int my = 0; my < m.size(); ++my) {
      for (int mx = 0; mx < m.size(); ++mx) {
        if (m.IsDark(mx, my)) Fill(x0 + mx * scale, y0 + my * scale, scale, scale, 20, 20, 30);
      }
    }
  }
  std::vector<uint8_t> Rgb() const {
    std::vector<uint8_t> out;
    out.reserve(rgba.size() / 4 * 3);
    for (size_t i = 0; i < rgba.size(); i += 4) out.insert(out.end(), &rgba[i], &rgba[i + 3]);
    return out;
  }
};

Bytes WritePng(const Canvas& c, bool alpha) {
  png_image image;
  std::memset(&image, 0, sizeof image);
  image.version = PNG_IMAGE_VERSION;
  image.width = static_cast<png_uint_32>(c.width);
  image.height = static_cast<png_uint_32>(c.height);
  image.format = alpha ? PNG_FORMAT_RGBA : PNG_FORMAT_RGB;
  const std::vector<uint8_t> pixels = alpha ? c.rgba : c.Rgb();
  png_alloc_size_t size = 0;
  REQUIRE(png_image_write_to_memory(&image, nullptr, &size, 0, pixels.data(), 0, nullptr));
  Bytes out(size);
  REQUIRE(png_image_write_to_memory(&image, out.data(), &size, 0, pixels.data(), 0, nullptr));
  out.resize(size);
  return out;
}

// 16-bit linear greyscale, to cover a bit depth and colour type RenderQrPng never writes.
Bytes WritePngGrey16(const Canvas& c) {
  png_image image;
  std::memset(&image, 0, sizeof image);
  image.version = PNG_IMAGE_VERSION;
  image.width = static_cast<png_uint_32>(c.width);
  image.height = static_cast<png_uint_32>(c.height);
  image.format = PNG_FORMAT_LINEAR_Y;
  std::vector<png_uint_16> pixels(static_cast<size_t>(c.width) * static_cast<size_t>(c.height));
  for (size_t i = 0; i < pixels.size(); ++i) pixels[i] = static_cast<png_uint_16>(c.rgba[i * 4] * 257);
  png_alloc_size_t size = 0;
  REQUIRE(png_image_write_to_memory(&image, nullptr, &size, 0, pixels.data(), 0, nullptr));
  Bytes out(size);
  REQUIRE(png_image_write_to_memory(&image, out.data(), &size, 0, pixels.data(), 0, nullptr));
  out.resize(size);
  return out;
}

// Colour (or greyscale) JPEG at the given quality, baseline or progressive.
Bytes WriteJpeg(const Canvas& c, int quality, bool progressive, bool grey = false) {
  jpeg_compress_struct cinfo;
  jpeg_error_mgr err;
  cinfo.err = jpeg_std_error(&err);
  jpeg_create_compress(&cinfo);
  unsigned char* buffer = nullptr;
  unsigned long size = 0;
  jpeg_mem_dest(&cinfo, &buffer, &size);
  cinfo.image_width = static_cast<JDIMENSION>(c.width);
  cinfo.image_height = static_cast<JDIMENSION>(c.height);
  cinfo.input_components = grey ? 1 : 3;
  cinfo.in_color_space = grey ? JCS_GRAYSCALE : JCS_RGB;
  jpeg_set_defaults(&cinfo);
  jpeg_set_quality(&cinfo, quality, TRUE);
  if (progressive) jpeg_simple_progression(&cinfo);
  jpeg_start_compress(&cinfo, TRUE);
  std::vector<uint8_t> pixels = c.Rgb();
  if (grey) {
    std::vector<uint8_t> y(static_cast<size_t>(c.width) * static_cast<size_t>(c.height));
    for (size_t i = 0; i < y.size(); ++i) y[i] = pixels[i * 3];
    pixels = std::move(y);
  }
  const size_t stride = static_cast<size_t>(c.width) * static_cast<size_t>(cinfo.input_components);
  while (cinfo.next_scanline < cinfo.image_height) {
    JSAMPROW row = pixels.data() + cinfo.next_scanline * stride;
    jpeg_write_scanlines(&cinfo, &row, 1);
  }
  jpeg_finish_compress(&cinfo);
  jpeg_destroy_compress(&cinfo);
  Bytes out(buffer, buffer + size);
  std::free(buffer);
  return out;
}

Bytes RenderPng(const std::string& text, int module_px) {
  auto m = EncodeQr(text);
  REQUIRE(m.ok());
  auto png = RenderQrPng(*m, module_px);
  REQUIRE(png.ok());
  return *png;
}

QrMatrix Matrix(const std::string& text) {
  auto m = EncodeQr(text);
  REQUIRE(m.ok());
  return *m;
}

// A desktop screenshot: grey background, a title bar, some "text" blocks, and the QR code
// at 3 pixels per module in the middle of a white card.
Canvas Screenshot(const std::string& text, uint8_t alpha_background = 255) {
  Canvas c(1280, 800, 0xEE, 0xEE, 0xF0, alpha_background);
  c.Fill(0, 0, 1280, 40, 0x33, 0x44, 0x66);
  for (int i = 0; i < 8; ++i) c.Fill(60, 80 + i * 30, 300 - i * 20, 12, 0x88, 0x88, 0x88);
  c.Fill(420, 120, 460, 560, 255, 255, 255);
  c.DrawQr(Matrix(text), 3, 470, 200);
  return c;
}

uint32_t Crc32(const uint8_t* p, size_t n) {
  uint32_t c = 0xFFFFFFFFu;
  for (size_t i = 0; i < n; ++i) {
    c ^= p[i];
    for (int k = 0; k < 8; ++k) c = (c & 1) ? 0xEDB88320u ^ (c >> 1) : c >> 1;
  }
  return ~c;
}

void PutU32(Bytes& out, uint32_t v) {
  for (int s = 24; s >= 0; s -= 8) out.push_back(static_cast<uint8_t>(v >> s));
}

void PutChunk(Bytes& out, const char* type, const Bytes& data) {
  PutU32(out, static_cast<uint32_t>(data.size()));
  const size_t at = out.size();
  out.insert(out.end(), type, type + 4);
  out.insert(out.end(), data.begin(), data.end());
  PutU32(out, Crc32(out.data() + at, out.size() - at));
}

// A well-formed PNG header (valid CRCs) claiming width × height 8-bit grey pixels, followed
// by a small IDAT and IEND: only the dimension cap can refuse it before the pixels.
Bytes PngClaiming(uint32_t width, uint32_t height) {
  Bytes png = {0x89, 'P', 'N', 'G', '\r', '\n', 0x1A, '\n'};
  Bytes ihdr;
  PutU32(ihdr, width);
  PutU32(ihdr, height);
  ihdr.insert(ihdr.end(), {8, 0, 0, 0, 0});
  PutChunk(png, "IHDR", ihdr);
  // A zlib stream of one stored block holding a single filter byte.
  PutChunk(png, "IDAT", {0x78, 0x01, 0x01, 0x01, 0x00, 0xFE, 0xFF, 0x00, 0x00, 0x01, 0x00, 0x01});
  PutChunk(png, "IEND", {});
  return png;
}

void CheckReads(const TempDir& dir, const std::string& name, const Bytes& file,
                const std::string& text) {
  INFO(name);
  const auto path = dir.Write(name, AsString(file));
  auto read = ReadQrCodeFromFile(path);
  REQUIRE_MESSAGE(read.ok(), (read.ok() ? "" : read.error().code + ": " + read.error().message));
  CHECK(*read == text);
}

void CheckRefused(const Bytes& file, const std::string& code) {
  auto decoded = DecodeImage(file);
  if (!decoded.ok()) {
    CHECK(decoded.error().code == code);
    return;
  }
  auto read = ReadQrCode(*decoded);
  REQUIRE_FALSE(read.ok());
  CHECK(read.error().code == code);
}

TEST_CASE("RenderQrPng output reads back for login, activation and other texts") {
  TempDir dir("tillit-qrscan");
  const std::vector<std::string> texts = {
      kLoginQr,
      "tillit.0c9b8a7d-6e5f-4a3b-9c2d-1e0f9a8b7c6d.179."
      "0000000000000000000000000000000000000000000000000000000000000000",
      kActivationQr,
      "hello",
      "Gr\xc3\xbc\xc3\x9f" "e fr\xc3\xa5n Malm\xc3\xb6",  // UTF-8 with ECI
      std::string(1200, 'x'),
  };
  int i = 0;
  for (const auto& text : texts) {
    for (int px : {1, 4, 9}) {
      CheckReads(dir, "qr" + std::to_string(i++) + ".png", RenderPng(text, px), text);
    }
  }
}

TEST_CASE("DecodeImage gives the luminance of a rendered PNG") {
  auto m = Matrix("hello");
  auto png = RenderQrPng(m, 2);
  REQUIRE(png.ok());
  auto image = DecodeImage(*png);
  REQUIRE(image.ok());
  CHECK(image->width == static_cast<uint32_t>(m.size() * 2));
  CHECK(image->height == image->width);
  REQUIRE(image->pixels.size() == static_cast<size_t>(image->width) * image->height);
  for (int y = 0; y < m.size(); ++y) {
    for (int x = 0; x < m.size(); ++x) {
      const uint8_t v = image->pixels[static_cast<size_t>(y * 2) * image->width + static_cast<size_t>(x * 2)];
      CHECK(v == (m.IsDark(x, y) ? 0 : 255));
    }
  }
}

TEST_CASE("screenshots: QR inside a larger canvas, RGB, RGBA, 16-bit grey, JPEG") {
  TempDir dir("tillit-qrscan");
  CheckReads(dir, "shot-rgb.png", WritePng(Screenshot(kLoginQr), false), kLoginQr);
  CheckReads(dir, "shot-act.png", WritePng(Screenshot(kActivationQr), false), kActivationQr);
  CheckReads(dir, "shot-grey16.png", WritePngGrey16(Screenshot(kLoginQr)), kLoginQr);
  CheckReads(dir, "shot.jpg", WriteJpeg(Screenshot(kLoginQr), 90, false), kLoginQr);
  CheckReads(dir, "shot-progressive.jpg", WriteJpeg(Screenshot(kLoginQr), 90, true), kLoginQr);
  CheckReads(dir, "shot-grey.jpg", WriteJpeg(Screenshot(kActivationQr), 85, false, true),
             kActivationQr);
  // The name does not matter, the magic bytes do.
  CheckReads(dir, "really-a-jpeg.png", WriteJpeg(Screenshot(kLoginQr), 90, false), kLoginQr);
}

TEST_CASE("RGBA: a transparent background is composited over white") {
  TempDir dir("tillit-qrscan");
  // Fully transparent *black* background: read without compositing, the light quiet zone
  // around the symbol would be black and the code unreadable.
  Canvas c(400, 300, 0, 0, 0, 0);
  auto m = Matrix(kLoginQr);
  for (int my = 0; my < m.size(); ++my) {
    for (int mx = 0; mx < m.size(); ++mx) {
      if (m.IsDark(mx, my)) c.Fill(60 + mx * 4, 20 + my * 4, 4, 4, 0, 0, 0, 255);
    }
  }
  const Bytes png = WritePng(c, true);
  auto image = DecodeImage(png);
  REQUIRE(image.ok());
  CHECK(image->pixels[0] == 255);
  CheckReads(dir, "transparent.png", png, kLoginQr);
  CheckReads(dir, "shot-rgba.png", WritePng(Screenshot(kLoginQr, 128), true), kLoginQr);
}

TEST_CASE("several QR codes: the largest wins") {
  TempDir dir("tillit-qrscan");
  Canvas c(900, 500, 255, 255, 255);
  c.DrawQr(Matrix("small"), 2, 20, 20);
  c.DrawQr(Matrix(kLoginQr), 5, 300, 20);
  c.DrawQr(Matrix("also small"), 2, 20, 300);
  CheckReads(dir, "several.png", WritePng(c, false), kLoginQr);
}

TEST_CASE("no QR code: qrNotFound") {
  TempDir dir("tillit-qrscan");
  Canvas blank(640, 480, 0xEE, 0xEE, 0xF0);
  blank.Fill(0, 0, 640, 40, 0x33, 0x44, 0x66);
  const auto path = dir.Write("blank.png", AsString(WritePng(blank, false)));
  auto read = ReadQrCodeFromFile(path);
  REQUIRE_FALSE(read.ok());
  CHECK(read.error().code == "qrNotFound");

  Canvas noise(300, 300, 0, 0, 0);
  std::mt19937 rng(7);
  for (size_t i = 0; i < noise.rgba.size(); i += 4) {
    const auto v = static_cast<uint8_t>(rng() & 1 ? 255 : 0);
    noise.rgba[i] = noise.rgba[i + 1] = noise.rgba[i + 2] = v;
  }
  CheckRefused(WriteJpeg(noise, 90, false), "qrNotFound");
}

TEST_CASE("unreadable images: empty, random, truncated, corrupt") {
  CheckRefused({}, "imageUnreadable");
  std::mt19937 rng(42);
  Bytes random(4096);
  for (auto& b : random) b = static_cast<uint8_t>(rng());
  CheckRefused(random, "imageUnreadable");
  // Random bytes behind each format's magic.
  Bytes fake_png = {0x89, 'P', 'N', 'G', '\r', '\n', 0x1A, '\n'};
  fake_png.insert(fake_png.end(), random.begin(), random.end());
  CheckRefused(fake_png, "imageUnreadable");
  Bytes fake_jpeg = {0xFF, 0xD8, 0xFF};
  fake_jpeg.insert(fake_jpeg.end(), random.begin(), random.end());
  CheckRefused(fake_jpeg, "imageUnreadable");
  CheckRefused(Bytes(fake_png.begin(), fake_png.begin() + 8), "imageUnreadable");
  CheckRefused(Bytes(fake_jpeg.begin(), fake_jpeg.begin() + 3), "imageUnreadable");

  const Bytes png = RenderPng(kLoginQr, 4);
  for (size_t cut : {png.size() / 2, png.size() - 13, size_t{40}}) {
    INFO("PNG cut at " << cut);
    CheckRefused(Bytes(png.begin(), png.begin() + static_cast<long>(cut)), "imageUnreadable");
  }
  Bytes flipped = png;
  flipped[png.size() / 2] ^= 0x01;  // the IDAT CRC no longer matches
  CheckRefused(flipped, "imageUnreadable");

  for (bool progressive : {false, true}) {
    const Bytes jpeg = WriteJpeg(Screenshot(kLoginQr), 90, progressive);
    for (size_t cut : {jpeg.size() / 2, jpeg.size() - 2, size_t{200}}) {
      INFO("JPEG (progressive " << progressive << ") cut at " << cut);
      CheckRefused(Bytes(jpeg.begin(), jpeg.begin() + static_cast<long>(cut)), "imageUnreadable");
    }
  }
}

TEST_CASE("oversized images are refused from the header, before any pixel buffer") {
  struct Case {
    uint32_t width, height;
  };
  for (const Case c : {Case{100000, 100000}, Case{kMaxImageSide + 1, 1}, Case{1, kMaxImageSide + 1},
                       Case{10000, 10000}, Case{0xFFFFFFF0u, 0x7FFFFFFFu}}) {
    INFO(c.width << "x" << c.height);
    auto r = DecodeImage(PngClaiming(c.width, c.height));
    REQUIRE_FALSE(r.ok());
    CHECK(r.error().code == "imageUnreadable");
    if (c.width <= 0x7FFFFFFFu) {  // libpng itself refuses widths above 2^31 - 1
      CHECK(r.error().message.find("exceeds the limit") != std::string::npos);
    }
  }
  // The same header path in JPEG: a real 20000 × 1 JPEG.
  Canvas wide(20000, 1, 255, 255, 255);
  auto r = DecodeImage(WriteJpeg(wide, 90, false, true));
  REQUIRE_FALSE(r.ok());
  CHECK(r.error().code == "imageUnreadable");
  CHECK(r.error().message.find("exceeds the limit") != std::string::npos);
  // Just under the per-side cap is fine.
  Canvas ok(kMaxImageSide, 1, 255, 255, 255);
  auto fine = DecodeImage(WriteJpeg(ok, 90, false, true));
  REQUIRE(fine.ok());
  CHECK(fine->width == kMaxImageSide);
}

TEST_CASE("files: missing, a directory, too large") {
  TempDir dir("tillit-qrscan");
  auto missing = ReadQrCodeFromFile(dir.file("nope.png"));
  REQUIRE_FALSE(missing.ok());
  CHECK(missing.error().code == "ioError");
  auto directory = ReadQrCodeFromFile(dir.path());
  REQUIRE_FALSE(directory.ok());
  CHECK(directory.error().code == "ioError");
  auto empty = ReadQrCodeFromFile(dir.Write("empty.png", {}));
  REQUIRE_FALSE(empty.ok());
  CHECK(empty.error().code == "imageUnreadable");
  // A sparse file over the byte cap is refused without reading it.
  const std::string big = dir.file("big.png");
  { std::ofstream(big, std::ios::binary) << "x"; }
  fs::resize_file(big, kMaxImageFileBytes + 1);
  auto too_big = ReadQrCodeFromFile(big);
  REQUIRE_FALSE(too_big.ok());
  CHECK(too_big.error().code == "imageUnreadable");
}

TEST_CASE("ReadQrCode checks its argument") {
  CHECK(ReadQrCode(LumaImage{}).error().code == "invalidParameters");
  LumaImage wrong{10, 10, Bytes(99, 255)};
  CHECK(ReadQrCode(wrong).error().code == "invalidParameters");
  LumaImage white{10, 10, Bytes(100, 255)};
  CHECK(ReadQrCode(white).error().code == "qrNotFound");
}

}  // namespace
}  // namespace tillit::platform
