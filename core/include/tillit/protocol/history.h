// What a device signs to read its holder's history of logins and signatures from the
// issuer (docs/protocol.md §9):
//   "tillit-history-v1" 0x00 || nonce (32 bytes, the issuer's) || credentialSerial (32
//   ASCII bytes, lower-case hex)
// 82 bytes. The context string keeps this signature apart from the device key's other
// signatures (activation "tillit-activation-v1", orders "tillit-signed-data"), so none can
// be replayed as another. DO NOT CHANGE (version 1; a new layout gets a new context).
//
// Thread safety: pure.
#pragma once

#include <cstddef>
#include <string_view>

#include "tillit/bytes.h"
#include "tillit/result.h"

namespace tillit::protocol {

inline constexpr size_t kHistoryNonceSize = 32;

// Errors: "invalidParameters" unless `nonce` is kHistoryNonceSize bytes and
// `credential_serial` 32 lower-case hex characters.
Result<Bytes> HistorySignedMessage(ByteView nonce, std::string_view credential_serial);

}  // namespace tillit::protocol
