// Fuzz target: PNG and JPEG files handed to the device as screenshots (DecodeImage, then
// ReadQrCode on small results; tillit/platform/qr_scan.h). libpng and libjpeg are not
// instrumented; what is fuzzed is our use of them (magic detection, size caps before
// allocation, the setjmp error paths, colour conversion). Invariants: the documented error
// codes; a decoded image has width × height pixels within the caps.
#include <cstdint>
#include <string>

#include "fuzz/fuzz_support.h"
#include "tillit/platform/qr_scan.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  using namespace tillit;
  auto image = platform::DecodeImage(fuzz::AsView(data, size));
  if (!image.ok()) {
    FUZZ_CHECK(image.error().code == "imageUnreadable");
    return 0;
  }
  FUZZ_CHECK(image->width > 0 && image->height > 0);
  FUZZ_CHECK(image->width <= platform::kMaxImageSide && image->height <= platform::kMaxImageSide);
  FUZZ_CHECK(uint64_t{image->width} * image->height <= platform::kMaxImagePixels);
  FUZZ_CHECK(image->pixels.size() == uint64_t{image->width} * image->height);
  // zxing is slow on big pictures and not what this target is about.
  if (uint64_t{image->width} * image->height <= 256 * 256) {
    auto text = platform::ReadQrCode(*image);
    if (!text.ok()) FUZZ_CHECK(text.error().code == "qrNotFound");
  }
  return 0;
}
