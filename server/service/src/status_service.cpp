// StatusService: see tillit/service/status_service.h and docs/status.md.
#include "tillit/service/status_service.h"

#include <algorithm>
#include <utility>

#include "tillit/service/lifecycle_service.h"

namespace tillit::service {
namespace {

namespace st = server::storage;

constexpr size_t kSerialHexChars = 32;  // 16-byte serials (credential::kSerialSize)

bool IsSerial(std::string_view serial) {
  return serial.size() == kSerialHexChars &&
         std::ranges::all_of(serial, [](char c) {
           return (c >= '0' && c <= '9') || (c >= 'a' && c <= 'f');
         });
}

}  // namespace

credential::CrlEntry CrlEntryFor(const st::CredentialRow& row) {
  TILLIT_CHECK(row.status != st::CredentialStatus::kGood);
  credential::CrlEntry entry{.serial_hex = row.serial,
                             .revocation_time = row.status_changed_at.value_or(row.created_at),
                             .reason = credential::RevocationReason::kUnspecified};
  if (row.status == st::CredentialStatus::kSuspended) {
    entry.reason = credential::RevocationReason::kCertificateHold;
  } else if (row.status_reason && row.status_reason->starts_with(kReplacedReasonPrefix)) {
    entry.reason = credential::RevocationReason::kSuperseded;
  }
  return entry;
}

Result<CredentialStatusAnswer> StatusService::Status(std::string_view serial) const {
  if (!IsSerial(serial)) {
    return MakeError("invalidParameters", "serial: must be 32 lower-case hex characters");
  }
  TILLIT_TRY_ASSIGN(st::CredentialRow row, store_.Read([&](st::ReadTransaction& tx) {
    return store_.credentials().Get(tx, serial);
  }));
  const int64_t now = clock_.NowUnixSeconds();
  const int64_t changed_at = row.status_changed_at.value_or(row.created_at);
  // Revoked is final and matters for results from before expiry; expired is final too and
  // needs no issuer to know; suspended may still end (docs/status.md §2).
  if (row.status == st::CredentialStatus::kRevoked) return CredentialStatusAnswer{"revoked", changed_at};
  // Valid iff notBefore <= now < notAfter (docs/credential.md §5).
  if (now >= row.not_after) return CredentialStatusAnswer{"expired", row.not_after};
  if (row.status == st::CredentialStatus::kSuspended) {
    return CredentialStatusAnswer{"suspended", changed_at};
  }
  return CredentialStatusAnswer{"good", std::nullopt};
}

Result<std::shared_ptr<const CrlDocument>> StatusService::Crl() {
  std::lock_guard lock(mutex_);
  const int64_t now = clock_.NowUnixSeconds();
  // A clock that went back also makes a new one, so thisUpdate is never in the future.
  if (cached_ != nullptr && now >= cached_->this_update &&
      now - cached_->this_update < kCrlRefreshSeconds) {
    return cached_;
  }
  TILLIT_TRY_ASSIGN(std::vector<st::CredentialRow> rows, store_.Read([&](st::ReadTransaction& tx) {
    return store_.credentials().ListRevokedOrSuspended(tx);
  }));
  std::vector<credential::CrlEntry> entries;
  entries.reserve(rows.size());
  for (const st::CredentialRow& row : rows) entries.push_back(CrlEntryFor(row));
  // Unix time of generation, strictly increasing within the process even if the clock
  // stalls or steps back (RFC 5280 §5.2.3: monotonically increasing).
  const int64_t number = std::max(now, last_number_ + 1);
  auto document = std::make_shared<CrlDocument>();
  document->this_update = now;
  document->next_update = now + kCrlValiditySeconds;
  document->crl_number = number;
  TILLIT_TRY_ASSIGN(document->der,
                    credential::CreateCrl(keys_.ca_signer(), keys_.ca_certificate_der(), entries,
                                          document->this_update, document->next_update, number));
  last_number_ = number;
  cached_ = std::move(document);
  return cached_;
}

}  // namespace tillit::service
