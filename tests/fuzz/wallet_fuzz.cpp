// Fuzz target: the device's wallet.json (LoadWallet, docs/device.md) read from a scratch
// directory, then VerifyWalletEntry on whatever it loaded (the certificate against the CA
// the file names). Invariants: the documented error code; nothing throws.
#include <cstdint>
#include <string>

#include "fuzz/fuzz_support.h"
#include "fuzz/fuzz_tempdir.h"
#include "tillit/platform/wallet.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  using namespace tillit;
  const std::filesystem::path& dir = fuzz::ScratchDirectory();
  fuzz::WriteScratchFile(dir, "wallet.json", fuzz::AsText(data, size));
  auto wallet = platform::LoadWallet(dir);
  if (!wallet.ok()) {
    FUZZ_CHECK(wallet.error().code == "walletCorrupt");
    return 0;
  }
  FUZZ_CHECK(wallet->has_value());
  constexpr int64_t kNow = 1748772000;  // 2025-06-01T10:00:00Z, fuzz_seed_gen's clock
  auto verified = platform::VerifyWalletEntry(**wallet, kNow);
  if (verified.ok()) FUZZ_CHECK(verified->identifier().ToString().size() == 12);
  return 0;
}
