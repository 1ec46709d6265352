// The canonical payload a device signs to complete a login or signing order
// (docs/protocol.md §5, byte layout there; DO NOT CHANGE version 1). Domain-separated by
// its context string, versioned, length-prefixed and bounds-checked: every field has one
// encoding, so two different payloads never share bytes.
//
// Thread safety: all functions are pure and thread-safe.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

#include "tillit/bytes.h"
#include "tillit/crypto/hash.h"
#include "tillit/result.h"

namespace tillit::protocol {

// "tillit-signed-data" followed by a 0x00 byte: 19 bytes.
inline constexpr std::string_view kSignedDataContext = "tillit-signed-data";
inline constexpr uint8_t kSignedDataVersion = 1;
inline constexpr size_t kChallengeSize = 32;
inline constexpr size_t kMaxRpIdBytes = 64;
inline constexpr size_t kMaxRpNameBytes = 256;
inline constexpr size_t kMaxStartBytes = 256;

enum class OrderAction : uint8_t {
  kAuth = 1,  // "auth"
  kSign = 2,  // "sign"
};

// "auth" or "sign".
std::string_view OrderActionName(OrderAction action);
// Inverse of OrderActionName. Errors: "invalidParameters".
Result<OrderAction> ParseOrderAction(std::string_view name);

struct SignedData {
  OrderAction action = OrderAction::kAuth;
  std::string order_ref;                     // 36 bytes (a UUID)
  Bytes challenge;                           // kChallengeSize bytes
  std::string rp_id;                         // 1..kMaxRpIdBytes
  std::string rp_name;                       // 1..kMaxRpNameBytes, valid UTF-8
  std::string credential_serial;             // 32 lower-case hex characters
  std::string start;                         // 1..kMaxStartBytes printable ASCII: the QR text
                                             // scanned, or "autostart.<autoStartToken>"
  std::optional<crypto::Sha256Digest> visible_data_hash;      // SHA-256(userVisibleData)
  std::optional<crypto::Sha256Digest> non_visible_data_hash;  // SHA-256(userNonVisibleData)
  int64_t signed_at = 0;                     // Unix seconds, the device's clock

  friend bool operator==(const SignedData&, const SignedData&) = default;
};

// The bytes of docs/protocol.md §5. Errors: "invalidParameters" for a field outside its
// bounds (the same rules ParseSignedData enforces), so Serialize never emits bytes that
// Parse would refuse.
Result<Bytes> SerializeSignedData(const SignedData& data);

// Strict parser: rejects a wrong context or version, an unknown action, truncation, a field
// outside its bounds, a flag other than 0/1, a non-zero hash after flag 0, and trailing
// bytes. Unverified: the signature over these bytes is checked separately.
// Errors: "invalidSignedData" (the message names the field).
Result<SignedData> ParseSignedData(ByteView bytes);

}  // namespace tillit::protocol
