// HistoryService: a person's own history of logins and signatures made with their eID
// (docs/protocol.md §9): which e-service, when, log in or sign, and the text signed. The
// device proves possession of its key: it asks for a nonce for its credential serial,
// signs protocol::HistorySignedMessage(nonce, serial) with the key (which needs the PIN)
// and reads one page per nonce. Every credential of the person shares one history (the
// results are read by identifier), so a replacement phone sees what the old one did.
//
// Nonces: 32 random bytes, bound to the serial they were asked for, single use (consumed
// by the first Read that names them, whatever its outcome), valid for nonce_ttl; kept in
// memory (a restart forgets them; the device asks again), at most max_nonces at once.
//
// Error codes (docs/protocol.md §9): invalidParameters, notFound (unknown serial; unknown,
// used, expired or another serial's nonce), invalidSignature, certificateErr (the
// credential is not good, or outside its validity), tooManyRequests, storage errors.
//
// Thread safety: thread-safe; the store and clock must outlive the service.
#pragma once

#include <cstddef>
#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "tillit/bytes.h"
#include "tillit/ports.h"
#include "tillit/result.h"
#include "tillit/storage/store.h"

namespace tillit::service {

inline constexpr size_t kDefaultHistoryPage = 50;
inline constexpr size_t kMaxHistoryPage = 100;

struct HistoryLimits {
  int64_t nonce_ttl_ms = 60'000;
  size_t max_nonces = 10'000;  // outstanding across all devices; more: tooManyRequests
};

// One completed login or signature.
struct HistoryEntry {
  std::string rp_id;
  std::string rp_name;  // as the e-service is registered now (its name when shown may differ)
  std::string action;   // "auth" or "sign"
  int64_t completed_at = 0;
  std::optional<std::string> text;  // userVisibleData as UTF-8, when the order had one
  std::string credential_serial;    // the credential (device) that completed it
};

struct HistoryPage {
  std::vector<HistoryEntry> entries;  // newest first
  std::optional<size_t> next_offset;  // set when more entries follow
};

class HistoryService {
 public:
  HistoryService(server::storage::Store& store, const Clock& clock, HistoryLimits limits = {});
  ~HistoryService();

  // A fresh nonce bound to `credential_serial`. Errors: invalidParameters (not 32
  // lower-case hex characters), notFound (no such credential), tooManyRequests.
  Result<Bytes> Challenge(std::string_view credential_serial);

  // One page of the history of the credential's holder, newest first: at most `limit`
  // (1..kMaxHistoryPage) entries after skipping `offset`. Checked in this order: the
  // inputs' shapes (invalidParameters); the nonce, consumed here (notFound); the
  // credential (notFound); the signature over HistorySignedMessage(nonce, serial) under
  // its key (invalidSignature); its status and validity (certificateErr). A successful
  // read is recorded in the audit log (historyViewed: the serial and the number of
  // entries, nothing else).
  Result<HistoryPage> Read(std::string_view credential_serial, ByteView nonce,
                           ByteView signature, size_t limit, size_t offset);

 private:
  struct State;
  std::unique_ptr<State> state_;
};

}  // namespace tillit::service
