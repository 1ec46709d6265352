// The device's HTTP client to the issuer (cpprestsdk), for the calls in docs/desk-api.md
// "Device". Blocking; one instance per thread.
#pragma once

#include <memory>
#include <string>

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

 private:
  struct Impl;
  explicit IssuerClient(std::unique_ptr<Impl> impl);
  std::unique_ptr<Impl> impl_;
};

}  // namespace tillit::platform
