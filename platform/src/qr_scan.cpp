// Image decoding (libpng's simplified API, libjpeg-turbo) and QR reading (zxing-cpp) for
// tillit/platform/qr_scan.h. The only file that includes png.h, jpeglib.h and zxing's
// reader headers.
//
// libjpeg reports fatal errors through error_exit, which by default calls exit(); here it
// longjmps back to DecodeJpeg instead. Everything that lives across the setjmp is on the
// heap behind a pointer set before setjmp (JpegDecoder), so a longjmp skips no destructor
// and reads no indeterminate local. libpng's simplified API does its own setjmp internally
// and reports failure as a return value.
#define ZX_USE_UTF8
#include "tillit/platform/qr_scan.h"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <csetjmp>
#include <cstdio>
#include <cstring>
#include <exception>
#include <memory>
#include <string>

// jpeglib.h needs size_t and FILE declared first.
#include <jpeglib.h>
#include <png.h>

#include <ZXing/BarcodeFormat.h>
#include <ZXing/DecodeHints.h>
#include <ZXing/ImageView.h>
#include <ZXing/ReadBarcode.h>
#include <ZXing/Result.h>

namespace tillit::platform {
namespace {

constexpr uint8_t kPngSignature[8] = {0x89, 'P', 'N', 'G', '\r', '\n', 0x1A, '\n'};
// SOI followed by the first byte of the next marker.
constexpr uint8_t kJpegSignature[3] = {0xFF, 0xD8, 0xFF};

// A progressive JPEG may carry any number of scans, each a pass over the whole coefficient
// buffer: a few kilobytes can cost minutes (libjpeg-turbo's "-maxscans" advice). Real
// encoders write at most a few dozen.
constexpr int kMaxJpegScans = 500;
// libjpeg's working memory (progressive coefficient buffers are the large part). With no
// backing store configured, going over makes libjpeg fail instead of allocating.
constexpr long kMaxJpegMemory = 512L * 1024 * 1024;

Error Unreadable(const std::string& why) {
  return MakeError("imageUnreadable", "the image cannot be read: " + why);
}

bool StartsWith(ByteView data, const uint8_t* magic, size_t n) {
  return data.size() >= n && std::memcmp(data.data(), magic, n) == 0;
}

// The caps of qr_scan.h, checked on the header's dimensions before any pixel buffer exists.
Status CheckDimensions(uint64_t width, uint64_t height) {
  if (width == 0 || height == 0) return Unreadable("zero width or height");
  if (width > kMaxImageSide || height > kMaxImageSide || width * height > kMaxImagePixels) {
    return Unreadable(std::to_string(width) + "x" + std::to_string(height) +
                      " pixels exceeds the limit (" + std::to_string(kMaxImageSide) +
                      " per side, " + std::to_string(kMaxImagePixels) + " in all)");
  }
  return {};
}

// --- PNG ------------------------------------------------------------------------------

// Frees the png_image's libpng state on every path (png_image_free is idempotent).
struct PngImageGuard {
  png_image* image;
  ~PngImageGuard() { png_image_free(image); }
};

Result<LumaImage> DecodePng(ByteView data) {
  png_image image;
  std::memset(&image, 0, sizeof image);
  image.version = PNG_IMAGE_VERSION;
  PngImageGuard guard{&image};
  // Reads the signature and every chunk up to the first IDAT; allocates no pixel memory.
  if (!png_image_begin_read_from_memory(&image, data.data(), data.size())) {
    return Unreadable(std::string("PNG: ") + image.message);
  }
  TILLIT_TRY(CheckDimensions(image.width, image.height));
  // 8-bit sRGB grey; an alpha channel is composited over white (a transparent screenshot
  // background is what a person sees as light).
  image.format = PNG_FORMAT_GRAY;
  LumaImage out;
  out.width = image.width;
  out.height = image.height;
  out.pixels.resize(static_cast<size_t>(image.width) * image.height);
  const png_color white{255, 255, 255};
  if (!png_image_finish_read(&image, &white, out.pixels.data(),
                             static_cast<png_int_32>(image.width), nullptr)) {
    return Unreadable(std::string("PNG: ") + image.message);
  }
  if (image.warning_or_error & PNG_IMAGE_ERROR) {
    return Unreadable(std::string("PNG: ") + image.message);
  }
  return out;
}

// --- JPEG -----------------------------------------------------------------------------

struct JpegDecoder {
  jpeg_decompress_struct cinfo;
  jpeg_error_mgr err;
  jpeg_progress_mgr progress;
  std::jmp_buf jump;
  char message[JMSG_LENGTH_MAX] = {};
  bool created = false;

  ~JpegDecoder() {
    if (created) jpeg_destroy_decompress(&cinfo);
  }
};

JpegDecoder* DecoderOf(j_common_ptr cinfo) { return static_cast<JpegDecoder*>(cinfo->client_data); }

[[noreturn]] void JpegErrorExit(j_common_ptr cinfo) {
  JpegDecoder* d = DecoderOf(cinfo);
  (*cinfo->err->format_message)(cinfo, d->message);
  std::longjmp(d->jump, 1);
}

// Warnings (level -1) are corrupt data that libjpeg would paper over — most importantly a
// truncated file, which it completes with grey. A QR code read from a damaged picture is
// not worth the doubt, so every warning is fatal. Trace messages (level >= 0) are ignored.
void JpegEmitMessage(j_common_ptr cinfo, int msg_level) {
  if (msg_level < 0) JpegErrorExit(cinfo);
}

void JpegOutputMessage(j_common_ptr) {}  // never print to stderr

void JpegProgress(j_common_ptr cinfo) {
  auto* dinfo = reinterpret_cast<j_decompress_ptr>(cinfo);
  if (dinfo->input_scan_number > kMaxJpegScans) {
    JpegDecoder* d = DecoderOf(cinfo);
    std::snprintf(d->message, sizeof d->message, "more than %d progressive scans",
                  kMaxJpegScans);
    std::longjmp(d->jump, 1);
  }
}

Result<LumaImage> DecodeJpeg(ByteView data) {
  // Everything touched between setjmp and a longjmp lives behind these two pointers, which
  // are not modified after setjmp.
  const auto decoder = std::make_unique<JpegDecoder>();
  const auto out = std::make_unique<LumaImage>();
  JpegDecoder* d = decoder.get();
  d->cinfo.err = jpeg_std_error(&d->err);
  d->err.error_exit = JpegErrorExit;
  d->err.emit_message = JpegEmitMessage;
  d->err.output_message = JpegOutputMessage;
  d->cinfo.client_data = d;
  if (setjmp(d->jump) != 0) {
    return Unreadable(std::string("JPEG: ") + d->message);
  }
  jpeg_create_decompress(&d->cinfo);
  d->created = true;
  d->cinfo.mem->max_memory_to_use = kMaxJpegMemory;
  d->progress.progress_monitor = JpegProgress;
  d->cinfo.progress = &d->progress;
  jpeg_mem_src(&d->cinfo, data.data(), static_cast<unsigned long>(data.size()));
  if (jpeg_read_header(&d->cinfo, TRUE) != JPEG_HEADER_OK) {
    return Unreadable("JPEG: no image");
  }
  if (auto dims = CheckDimensions(d->cinfo.image_width, d->cinfo.image_height); !dims.ok()) {
    return dims.error();
  }
  d->cinfo.out_color_space = JCS_GRAYSCALE;
  jpeg_start_decompress(&d->cinfo);
  if (d->cinfo.output_components != 1 || d->cinfo.output_width != d->cinfo.image_width ||
      d->cinfo.output_height != d->cinfo.image_height) {
    return Unreadable("JPEG: unexpected output layout");
  }
  out->width = d->cinfo.output_width;
  out->height = d->cinfo.output_height;
  out->pixels.resize(static_cast<size_t>(out->width) * out->height);
  while (d->cinfo.output_scanline < d->cinfo.output_height) {
    JSAMPROW row = out->pixels.data() + static_cast<size_t>(d->cinfo.output_scanline) * out->width;
    if (jpeg_read_scanlines(&d->cinfo, &row, 1) != 1) return Unreadable("JPEG: short read");
  }
  jpeg_finish_decompress(&d->cinfo);
  return std::move(*out);
}

double QuadArea(const ZXing::Position& p) {
  // Shoelace formula over the four corners.
  double twice = 0;
  for (int i = 0; i < 4; ++i) {
    const auto& a = p[i];
    const auto& b = p[(i + 1) % 4];
    twice += static_cast<double>(a.x) * b.y - static_cast<double>(b.x) * a.y;
  }
  return twice < 0 ? -twice / 2 : twice / 2;
}

}  // namespace

Result<LumaImage> DecodeImage(ByteView file_bytes) {
  if (file_bytes.size() > kMaxImageFileBytes) return Unreadable("the file is too large");
  if (StartsWith(file_bytes, kPngSignature, sizeof kPngSignature)) return DecodePng(file_bytes);
  if (StartsWith(file_bytes, kJpegSignature, sizeof kJpegSignature)) return DecodeJpeg(file_bytes);
  return Unreadable("neither PNG nor JPEG");
}

Result<std::string> ReadQrCode(const LumaImage& image) {
  if (image.width == 0 || image.height == 0 || image.width > kMaxImageSide ||
      image.height > kMaxImageSide ||
      image.pixels.size() != static_cast<size_t>(image.width) * image.height) {
    return MakeError("invalidParameters", "the image is empty or its buffer does not match its size");
  }
  try {
    ZXing::ImageView view(image.pixels.data(), static_cast<int>(image.width),
                          static_cast<int>(image.height), ZXing::ImageFormat::Lum);
    const auto hints = ZXing::DecodeHints()
                           .setFormats(ZXing::BarcodeFormat::QRCode)
                           .setTryHarder(true)
                           .setTryRotate(true);
    const ZXing::Results results = ZXing::ReadBarcodes(view, hints);
    const ZXing::Result* best = nullptr;
    double best_area = -1;
    for (const auto& r : results) {
      if (!r.isValid() || r.format() != ZXing::BarcodeFormat::QRCode) continue;
      const double area = QuadArea(r.position());
      if (area > best_area) {
        best = &r;
        best_area = area;
      }
    }
    if (best == nullptr) return MakeError("qrNotFound", "no readable QR code in the image");
    return best->text();
  } catch (const std::exception& e) {
    return MakeError("qrNotFound", std::string("no readable QR code in the image: ") + e.what());
  }
}

Result<std::string> ReadQrCodeFromFile(const std::filesystem::path& path) {
  const int fd = ::open(path.c_str(), O_RDONLY | O_CLOEXEC);
  if (fd < 0) {
    return MakeError("ioError", "cannot open " + path.string() + ": " + std::strerror(errno));
  }
  struct Closer {
    int fd;
    ~Closer() { ::close(fd); }
  } closer{fd};
  struct stat st {};
  if (::fstat(fd, &st) != 0) {
    return MakeError("ioError", "cannot stat " + path.string() + ": " + std::strerror(errno));
  }
  if (!S_ISREG(st.st_mode)) return MakeError("ioError", path.string() + " is not a regular file");
  if (static_cast<uint64_t>(st.st_size) > kMaxImageFileBytes) {
    return Unreadable("the file is larger than " + std::to_string(kMaxImageFileBytes) + " bytes");
  }
  // Read up to one byte past the cap: the file may grow between fstat and read.
  Bytes bytes(static_cast<size_t>(st.st_size) + 1);
  size_t got = 0;
  for (;;) {
    if (got == bytes.size()) {
      if (bytes.size() > kMaxImageFileBytes) {
        return Unreadable("the file is larger than " + std::to_string(kMaxImageFileBytes) +
                          " bytes");
      }
      bytes.resize(std::min<size_t>(bytes.size() * 2, kMaxImageFileBytes + 1));
    }
    const ssize_t n = ::read(fd, bytes.data() + got, bytes.size() - got);
    if (n < 0) {
      if (errno == EINTR) continue;
      return MakeError("ioError", "cannot read " + path.string() + ": " + std::strerror(errno));
    }
    if (n == 0) break;
    got += static_cast<size_t>(n);
  }
  bytes.resize(got);
  TILLIT_TRY_ASSIGN(auto image, DecodeImage(bytes));
  return ReadQrCode(image);
}

}  // namespace tillit::platform
