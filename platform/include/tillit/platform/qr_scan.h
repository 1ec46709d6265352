// Reading a QR code from a picture, as a phone camera would: a PNG (libpng) or JPEG
// (libjpeg-turbo) screenshot or photo, converted to 8-bit luminance and decoded with
// zxing-cpp. `tillit-device scan --image` and `activate --image` use it.
//
// Images come from outside (a screenshot a test or a person hands over), so decoding is
// defensive: the format is recognised by its magic bytes, not the file name; dimensions
// are capped before any pixel buffer is allocated; libpng/libjpeg errors are caught
// (their longjmp/exit paths never escape) and become "imageUnreadable".
//
// Thread safety: all functions are thread-safe (no shared state).
#pragma once

#include <cstdint>
#include <filesystem>
#include <string>

#include "tillit/bytes.h"
#include "tillit/result.h"

namespace tillit::platform {

// Largest image accepted, in pixels (width × height) and per side, and in file bytes.
inline constexpr uint64_t kMaxImagePixels = 40'000'000;
inline constexpr uint32_t kMaxImageSide = 16'384;
inline constexpr uint64_t kMaxImageFileBytes = 64ull * 1024 * 1024;

// An 8-bit greyscale image, row-major, width × height bytes.
struct LumaImage {
  uint32_t width = 0;
  uint32_t height = 0;
  Bytes pixels;
};

// Decodes a PNG (any colour type and bit depth, interlaced or not; alpha composited over
// white) or a baseline/progressive JPEG to luminance. Errors: "imageUnreadable" (neither
// format, corrupt or truncated data, over the caps).
Result<LumaImage> DecodeImage(ByteView file_bytes);

// The text of the QR code in the image. When several QR codes are visible, the largest
// one wins. Errors: "qrNotFound" (no readable QR code), "invalidParameters" (zero size or
// a pixel buffer that does not match width × height).
Result<std::string> ReadQrCode(const LumaImage& image);

// Reads the file (at most kMaxImageFileBytes), decodes it and reads the QR code.
// Errors: "ioError" (cannot read the file), "imageUnreadable", "qrNotFound".
Result<std::string> ReadQrCodeFromFile(const std::filesystem::path& path);

}  // namespace tillit::platform
