// The device's HTTP client to the issuer (cpprestsdk), for the calls in docs/desk-api.md
// "Device". Blocking; one instance per thread.
#pragma once

#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "tillit/bytes.h"
#include "tillit/result.h"

namespace tillit::platform {

struct ActivationChallenge {
  Bytes nonce;  // 32 bytes
  std::string identifier;
  std::string expires_at;
};

struct ActivationResult {
  std::string identifier;
  std::string credential_serial;
  Bytes certificate_der;
  Bytes ca_certificate_der;
};

// An order as the device receives it at scan (docs/protocol.md §7.1).
struct DeviceOrder {
  std::string order_ref;
  Bytes challenge;     // 32 bytes
  std::string action;  // "auth" or "sign"
  std::string rp_id;
  std::string rp_name;
  std::optional<Bytes> user_visible_data;
  std::optional<Bytes> user_non_visible_data_hash;  // 32 bytes
  std::string expires_at;                           // RFC 3339
};

// One login or signature in the holder's history (docs/protocol.md §9).
struct DeviceHistoryEntry {
  std::string rp;       // the e-service's name
  std::string rp_id;
  std::string action;   // "auth" or "sign"
  std::string completed_at;  // RFC 3339
  std::optional<std::string> text;  // the text shown (and signed), valid UTF-8
  std::string credential_serial;    // which of the holder's credentials completed it
};

struct DeviceHistoryPage {
  std::vector<DeviceHistoryEntry> entries;  // newest first
  std::optional<uint64_t> next_offset;      // set when more entries follow
};

class IssuerClient {
 public:
  // `server` is the issuer's base URL (http:// or https://). Error: "invalidParameters".
  static Result<std::unique_ptr<IssuerClient>> Create(const std::string& server);
  ~IssuerClient();

  // POST /device/v1/activation/challenge. Server errors come back with the server's
  // errorCode (e.g. "invalidCode", "codeExpired"); no connection → "networkError"; a reply
  // that is not the documented JSON → "badResponse".
  Result<ActivationChallenge> Challenge(const std::string& code);

  // POST /device/v1/activation/complete with the proof of possession.
  Result<ActivationResult> Complete(const std::string& code, ByteView nonce, ByteView public_key,
                                    ByteView signature);

  // POST /device/v1/orders/scan with {"qrText", "credentialSerial"}. Server errors come back
  // with their errorCode (qrInvalid, qrExpired, orderNotActive, certificateErr,
  // identifierMismatch, notFound, ...).
  Result<DeviceOrder> ScanOrder(const std::string& qr_text, const std::string& credential_serial);

  // POST /device/v1/orders/shown.
  Status MarkShown(const std::string& order_ref, ByteView challenge);

  // POST /device/v1/orders/decline; reason is "userCancel" or "pinLocked".
  Status Decline(const std::string& order_ref, ByteView challenge, const std::string& reason);

  // POST /device/v1/orders/respond.
  Status Respond(const std::string& order_ref, ByteView signed_data, ByteView signature);

  // POST /device/v1/history/challenge → a 32-byte nonce (docs/protocol.md §9). Server
  // errors come back with their errorCode (notFound, tooManyRequests, ...).
  Result<Bytes> HistoryChallenge(const std::string& credential_serial);

  // POST /device/v1/history with the signature over protocol::HistorySignedMessage(nonce,
  // serial): one page of at most `limit` entries after `offset`. Server errors as their
  // errorCode (notFound, invalidSignature, certificateErr, ...); every field of the answer
  // is checked ("badResponse").
  Result<DeviceHistoryPage> History(const std::string& credential_serial, ByteView nonce,
                                    ByteView signature, size_t limit, uint64_t offset);

 private:
  struct Impl;
  explicit IssuerClient(std::unique_ptr<Impl> impl);
  std::unique_ptr<Impl> impl_;
};

}  // namespace tillit::platform
