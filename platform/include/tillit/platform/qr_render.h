// QR codes for people to scan: encode text into a QR symbol (zxing-cpp, error correction
// level M) and render it for a terminal (Unicode half blocks), as SVG, or as PNG.
//
// Used for the activation QR the desk shows (docs/desk-api.md §Activation code) and, later,
// the login QR a device simulator shows. The symbol always carries its quiet zone
// (kQrQuietZone light modules on every side, ISO/IEC 18004 §7.3.8), so every renderer
// draws exactly the matrix and phones find the finder patterns without extra margins.
//
// Thread safety: all functions are pure and thread-safe.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "tillit/bytes.h"
#include "tillit/result.h"

namespace tillit::platform {

// Light modules around the symbol on each side (the minimum ISO/IEC 18004 asks for).
inline constexpr int kQrQuietZone = 4;
// Largest module_px accepted by the SVG and PNG renderers: an image of the largest symbol
// (version 40, 185 modules with the quiet zone) stays under 5920 × 5920 pixels (~4.4 MB PNG).
inline constexpr int kQrMaxModulePx = 32;

// A square QR symbol including its quiet zone: size() modules per side, row-major.
class QrMatrix {
 public:
  // A size × size matrix, all modules light. size must be positive (checked).
  explicit QrMatrix(int size);

  // Modules per side, quiet zone included (21 + 2·kQrQuietZone for the smallest symbol).
  int size() const { return size_; }
  // Whether module (x, y) is dark; x is the column, y the row, both in [0, size()) (checked).
  bool IsDark(int x, int y) const;
  // Sets module (x, y); same bounds as IsDark.
  void SetDark(int x, int y, bool dark);

 private:
  int size_;
  std::vector<uint8_t> modules_;  // 1 = dark
};

// Encodes text (UTF-8; the exact bytes are the payload) as a QR symbol at error correction
// level M with a kQrQuietZone quiet zone, choosing the smallest version that fits. ASCII
// text (all Tillit payloads) is encoded without an ECI header so that every phone reader
// takes it as is; any other text gets the UTF-8 ECI (ISO/IEC 18004 §7.4.2).
// Errors: "invalidParameters" (empty text, text that is not valid UTF-8, or more than a
// version-40-M symbol holds: 2331 bytes of arbitrary text, more for digits and upper-case
// alphanumerics).
Result<QrMatrix> EncodeQr(std::string_view text);

// Renders the matrix for a terminal with Unicode half blocks (▀ ▄ █ and space), two module
// rows per line, one module per column, each line ending in '\n'. Dark modules are drawn as
// the terminal's background (a space) and light ones as block glyphs, i.e. the symbol is
// dark-on-light on a terminal with light text on a dark background (the usual default),
// which is what phone scanners need. The quiet zone is included.
std::string RenderQrTerminal(const QrMatrix& matrix);

// Renders the matrix as a standalone SVG document: black modules on a white background,
// module_px pixels per module, crisp edges. module_px in [1, kQrMaxModulePx] (checked).
std::string RenderQrSvg(const QrMatrix& matrix, int module_px);

// Renders the matrix as a 1-bit greyscale PNG (black on white), module_px pixels per
// module. The image data is stored uncompressed (deflate stored blocks, RFC 1951 §3.2.4),
// which keeps the encoder small and is fine for images of this size.
// Errors: "invalidParameters" (module_px outside [1, kQrMaxModulePx]).
Result<Bytes> RenderQrPng(const QrMatrix& matrix, int module_px);

}  // namespace tillit::platform
