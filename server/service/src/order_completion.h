// Internal: the completionData of a completed order (docs/protocol.md §4.2) and the result
// JWS that covers it (§6).
//
// Thread safety: pure functions.
#pragma once

#include <cstdint>
#include <optional>
#include <string>

#include "tillit/bytes.h"
#include "tillit/crypto/ed25519.h"
#include "tillit/protocol/signed_data.h"
#include "tillit/result.h"
#include "tillit/storage/credentials.h"
#include "tillit/storage/persons.h"

namespace tillit::service::internal {

// The holder's names as their certificate states them (what completionData reports and
// tillit-verify compares). Errors: "internalError" (the stored certificate does not parse
// or has no names).
struct CertificateNames {
  std::string given_name;
  std::string surname;
};
Result<CertificateNames> NamesOfCertificate(ByteView certificate_der);

struct CompletionInput {
  std::string issuer_url;
  std::string order_ref;
  std::string rp_id;
  protocol::OrderAction action = protocol::OrderAction::kAuth;
  const server::storage::CredentialRow* credential = nullptr;  // the bound credential
  const server::storage::PersonRow* person = nullptr;          // its holder
  ByteView signed_data;
  ByteView signature;
  std::string device_ip;
  int64_t completed_at = 0;  // Unix seconds
  const std::optional<Bytes>* user_visible_data = nullptr;
  const std::optional<Bytes>* user_non_visible_data = nullptr;
  // NamesOfCertificate(credential->certificate_der), if the caller has it already (parsing
  // an X.509 certificate is a sizeable share of a completion); null: parsed here.
  const CertificateNames* names = nullptr;
};

// completionData as serialized JSON, members in the order of docs/protocol.md §4.2, with
// "resultJws" last: a compact JWS by `result_key` over
//   {"iss", "aud": rpId, "sub": grouped identifier, "iat": completed_at, "orderRef",
//    "action", "completionData": every member above but resultJws}.
// The names are the certificate's (what tillit-verify compares them with); the
// personalNumber is the person row's, when linked; the level is the credential's.
// Errors: "internalError" (a stored identifier or certificate that does not parse).
Result<std::string> BuildCompletionData(const CompletionInput& input,
                                        const crypto::SigningKey& result_key);

}  // namespace tillit::service::internal
