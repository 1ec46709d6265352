// Shared service helpers; see service_util.h.
#include "service_util.h"

#include "tillit/crypto/random.h"
#include "tillit/identifier/identifier.h"

namespace tillit::service::internal {
namespace {

constexpr size_t kMaxReasonBytes = 1000;
constexpr size_t kActivationHandleSymbols = 6;
constexpr size_t kActivationSecretSymbols = 10;

}  // namespace

Status AppendAudit(server::storage::Store& store, server::storage::Transaction& tx, int64_t at,
                   std::string actor, std::string action, std::string subject,
                   std::string detail_json) {
  auto appended = store.audit().Append(tx, {.at = at,
                                            .actor = std::move(actor),
                                            .action = std::move(action),
                                            .subject = std::move(subject),
                                            .detail_json = std::move(detail_json)});
  if (!appended.ok()) return std::move(appended).error();
  return {};
}

Result<std::string> CheckReason(std::string_view reason) {
  size_t b = reason.find_first_not_of(" \t\r\n");
  if (b == std::string_view::npos)
    return MakeError("invalidParameters", "reason: must not be empty");
  size_t e = reason.find_last_not_of(" \t\r\n");
  if (reason.size() > kMaxReasonBytes) return MakeError("invalidParameters", "reason: too long");
  return std::string(reason.substr(b, e - b + 1));
}

std::string RandomSymbols(size_t n) {
  std::string out;
  for (size_t i = 0; i < n; ++i) {
    out.push_back(identifier::kAlphabet[crypto::RandomUniform(
        static_cast<uint32_t>(identifier::kAlphabet.size()))]);
  }
  return out;
}

Result<IssuedIdentifier> NewActivationCode(server::storage::Store& store, const IssuerKeys& keys,
                                           server::storage::Transaction& tx,
                                           const std::string& identifier,
                                           const std::string& enrolment_id, int64_t now) {
  std::string handle;
  for (int attempt = 0;; ++attempt) {
    if (attempt == 8) return MakeError("internalError", "no free activation handle");
    handle = RandomSymbols(kActivationHandleSymbols);
    TILLIT_TRY_ASSIGN(auto taken, store.activation_codes().FindByHandle(tx, handle));
    if (!taken) break;
  }
  std::string secret = RandomSymbols(kActivationSecretSymbols);
  int64_t expires_at = now + kActivationCodeLifetimeSeconds;
  TILLIT_TRY(store.activation_codes().Insert(
      tx, {.handle = handle,
           .secret_hash = keys.HashSecret(SecretKind::kActivationSecret, handle + secret),
           .identifier = identifier,
           .enrolment_id = enrolment_id,
           .created_at = now,
           .expires_at = expires_at}));
  std::string code = handle + secret;
  std::string grouped;
  for (size_t i = 0; i < code.size(); ++i) {
    if (i > 0 && i % 4 == 0) grouped.push_back('-');
    grouped.push_back(code[i]);
  }
  return IssuedIdentifier{
      .identifier = identifier, .activation_code = grouped, .expires_at = expires_at};
}

}  // namespace tillit::service::internal
