// The history request's signed bytes (tillit/protocol/history.h; docs/protocol.md §9).
#include "tillit/protocol/history.h"

#include <string>

namespace tillit::protocol {
namespace {

// The trailing NUL is part of the context. DO NOT CHANGE.
constexpr std::string_view kHistoryContext{"tillit-history-v1\0", 18};
constexpr size_t kSerialChars = 32;

bool IsLowerHex(std::string_view s) {
  for (char c : s) {
    if (!((c >= '0' && c <= '9') || (c >= 'a' && c <= 'f'))) return false;
  }
  return true;
}

}  // namespace

Result<Bytes> HistorySignedMessage(ByteView nonce, std::string_view credential_serial) {
  if (nonce.size() != kHistoryNonceSize) {
    return MakeError("invalidParameters", "history nonce: must be 32 bytes");
  }
  if (credential_serial.size() != kSerialChars || !IsLowerHex(credential_serial)) {
    return MakeError("invalidParameters", "credentialSerial: must be 32 lower-case hex characters");
  }
  Bytes out;
  out.reserve(kHistoryContext.size() + nonce.size() + credential_serial.size());
  for (char c : kHistoryContext) out.push_back(static_cast<uint8_t>(c));
  for (uint8_t b : nonce) out.push_back(b);  // (insert() trips a false GCC 12 warning)
  for (char c : credential_serial) out.push_back(static_cast<uint8_t>(c));
  return out;
}

}  // namespace tillit::protocol
