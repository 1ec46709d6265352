// The device's HTTP client to the issuer (cpprestsdk), for the calls in docs/desk-api.md
// "Device", and how it trusts an https:// issuer (docs/device.md "Trusting the issuer").
// Blocking; one instance per thread.
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

// How an https:// issuer is authenticated. TLS 1.2 or newer in either case.
struct TlsTrust {
  // The pin of the issuer's TLS key (32 bytes, tillit/credential/tls_pin.h). Set: the
  // server's certificate is accepted iff the SHA-256 of its SubjectPublicKeyInfo equals the
  // pin, and nothing else is checked — no chain, host name or validity dates. The pin, from
  // the activation QR or the first activation, is the trust (as a known_hosts line is for
  // SSH), so the issuer's certificate may be self-signed or renewed under the same key.
  std::optional<Bytes> pin;
  // Without a pin: a PEM file of CA certificates to verify the chain against; empty means
  // the system's trust store (OpenSSL's default paths, which honour SSL_CERT_FILE and
  // SSL_CERT_DIR). The certificate must also name the URL's host (DNS name or IP address).
  std::string ca_file;
};

class IssuerClient {
 public:
  // `server` is the issuer's base URL (http:// or https://); `trust` applies to https://
  // only. Errors: "invalidParameters" (not an http(s) URL; a pin or CA file with http://; a
  // pin that is not 32 bytes; both a pin and a CA file; a CA file without a certificate),
  // "ioError" (the CA file cannot be read).
  static Result<std::unique_ptr<IssuerClient>> Create(const std::string& server,
                                                      TlsTrust trust = {});
  ~IssuerClient();

  // Every call below may also fail with "tlsPinMismatch" (the server presented a key other
  // than the pinned one: another server, or the issuer replaced its key) or "tlsError" (any
  // other certificate or TLS handshake failure: untrusted chain, wrong host name, no TLS).

  // The pin of the TLS certificate the server presented on the latest connection over which
  // a call succeeded; nullopt for http:// or before any successful call. With a pin it is
  // that pin; without one it is what a device keeps for later calls (trust on first use).
  std::optional<Bytes> server_pin() const;

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
