// The device's credential state (the "wallet"): which issuer, which identifier, and the
// certificate the issuer made for the sealed key. Stored as DIR/wallet.json, written
// atomically with mode 0600 (docs/device.md). Not thread-safe; one device process at a time.
#pragma once

#include <filesystem>
#include <optional>
#include <string>

#include "tillit/bytes.h"
#include "tillit/credential/certificate.h"
#include "tillit/result.h"

namespace tillit::platform {

struct WalletEntry {
  std::string server;  // issuer base URL
  Bytes certificate_der;
  Bytes ca_certificate_der;
  int64_t activated_at = 0;
  // The pin (32 bytes, tillit/credential/tls_pin.h) of the issuer's TLS key, fixed at
  // activation: from the activation QR, or the key the issuer presented then (trust on first
  // use). Every later connection requires it. Only for an https:// server; unset for http://
  // and in wallets written before pinning existed (those fall back to the system's CAs).
  std::optional<Bytes> tls_pin = std::nullopt;
};

// Creates the device's home directory with mode 0700 (or checks that an existing one is
// private to this user). Errors: "ioError", "insecurePermissions".
Status PrepareDeviceHome(const std::filesystem::path& dir);

// Checks `entry`'s certificate against its CA at `now` and returns what it certifies.
Result<credential::VerifiedHolderCertificate> VerifyWalletEntry(const WalletEntry& entry,
                                                               int64_t now);

// Reads DIR/wallet.json. Returns nullopt when there is none. Errors: "walletCorrupt" for a
// file that does not parse, or a "tlsPin" that is not a pin or is set for an http:// server
// (nothing is changed).
Result<std::optional<WalletEntry>> LoadWallet(const std::filesystem::path& dir);

// Writes DIR/wallet.json atomically (temp file, fsync, rename, directory fsync), mode 0600.
// Error: "invalidParameters" for a tls_pin that is not 32 bytes or with an http:// server.
Status SaveWallet(const std::filesystem::path& dir, const WalletEntry& entry);

// Removes DIR/wallet.json durably if present.
Status RemoveWallet(const std::filesystem::path& dir);

}  // namespace tillit::platform
