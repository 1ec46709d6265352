// OrderService: login and signing orders (docs/protocol.md). The e-service side (Start,
// Collect, Cancel) and the device side (Scan, MarkShown, Decline, Respond) of one state
// machine:
//
//   outstandingTransaction --Scan--> started --MarkShown--> userSign --Respond--> complete
//        |   (30 s)                     |  (3 min from creation)  |
//        +--> failed: expiredTransaction, cancelled, userCancel, certificateErr
//
// Live orders are held in memory (short-lived; an fsync per transition would cap the
// issuer far below its CPU bound, docs/performance.md). A completed result is written with
// its audit entry in one durable transaction before Respond returns, and Collect falls back
// to storage for orders it no longer holds, so a completed result survives a restart.
// Finished orders are kept for 3 minutes after they finish, then forgotten (notFound).
// Expired orders are failed lazily when touched and swept out of memory on Start (from a
// heap of deadlines: only what is due is looked at). Completions are group-committed:
// concurrent Responds share one durable transaction, each returning only once its own
// result is durable. Only the OrderLimits::hot_results most recent completed orders keep
// their completionData in memory; Collect reads older ones back from storage, so memory
// stays bounded whatever the completion rate.
//
// Error codes: see docs/protocol.md §4 (e-service) and §7 (device). Errors never change an
// order, except the certificateErr cases the protocol defines as failing it (and the
// pending order an alreadyInProgress cancels).
//
// Audit: a completed order is audited ("loginCompleted"/"signCompleted", actor
// "rp:<rpId>", subject the identifier, detail {"orderRef", "credentialSerial"}) in the
// same durable transaction as its result. A certificateErr failure (a credential revoked,
// suspended, expired or below the level, at Scan or Respond, or a PIN lock reported by
// Decline) is audited durably as "loginRefused"/"signRefused" with a "reason"
// (revoked, suspended, expired, notYetValid, levelTooLow, pinLocked); a resident's decline
// as "loginDeclined"/"signDeclined" (reason userCancel). The order is failed
// first and stays failed even if that audit write fails, since refusing matters more than
// recording the refusal; the call then returns the storage error instead of
// "certificateErr", so the missing entry surfaces as a 503 and in the server log.
//
// Choices the protocol leaves open: at Scan the required identifier is checked before the
// credential's status, so somebody else's credential (revoked or not) gets
// identifierMismatch and never fails the order. The per-RP limit counts pending orders.
// userVisibleData and userNonVisibleData must be 1..kMaxUserDataBytes bytes when given.
// While a Respond is writing its result the order reads as pending (the hint it had);
// Cancel answers "invalidParameters" for it and alreadyInProgress does not cancel it.
//
// Thread safety: thread-safe; every method may run concurrently with every other. The
// referenced store, clock and keys must outlive the service.
#pragma once

#include <cstddef>
#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <string_view>

#include "tillit/bytes.h"
#include "tillit/crypto/hash.h"
#include "tillit/ports.h"
#include "tillit/protocol/signed_data.h"
#include "tillit/result.h"
#include "tillit/service/accounts.h"
#include "tillit/service/issuer_keys.h"
#include "tillit/storage/store.h"

namespace tillit::service {

using protocol::OrderAction;

// Largest userVisibleData and userNonVisibleData, decoded.
inline constexpr size_t kMaxUserDataBytes = 40000;

struct OrderLimits {
  int64_t scan_timeout_ms = 30'000;       // outstanding longer than this: expiredTransaction
  int64_t order_timeout_ms = 180'000;     // pending longer than this: expiredTransaction
  int64_t result_retention_ms = 180'000;  // a finished order stays collectable this long
  int64_t qr_max_age_seconds = 5;
  int64_t qr_max_skew_seconds = 1;
  int64_t signed_at_tolerance_seconds = 300;  // |signedAt - now| allowed at Respond
  size_t max_live_orders_per_rp = 50'000;     // beyond: tooManyRequests
  // The most recent completed orders whose completionData stays in memory; older ones are
  // read back from storage at collect (see the class comment).
  size_t hot_results = 4096;
};

struct OrderRequest {
  OrderAction action = OrderAction::kAuth;
  std::string end_user_ip;                           // IPv4 or IPv6 literal
  std::optional<int64_t> min_assurance_level;        // 1..3
  std::optional<std::string> required_identifier;    // any accepted spelling
  std::optional<Bytes> user_visible_data;            // UTF-8 text, no NUL; required for sign
  std::optional<Bytes> user_non_visible_data;
};

struct StartedOrder {
  std::string order_ref;
  std::string auto_start_token;
  std::string qr_start_token;
  std::string qr_start_secret;
};

enum class OrderStatus { kPending, kFailed, kComplete };
// "pending", "failed", "complete".
std::string_view OrderStatusName(OrderStatus status);

struct CollectAnswer {
  std::string order_ref;
  OrderStatus status = OrderStatus::kPending;
  std::string hint_code;             // empty when complete
  std::string completion_data_json;  // the completionData object (docs/protocol.md §4.2),
                                     // serialized; only when complete
};

// What the device shows and signs (docs/protocol.md §7.1).
struct ScannedOrder {
  std::string order_ref;
  Bytes challenge;  // 32 bytes
  OrderAction action = OrderAction::kAuth;
  std::string rp_id;
  std::string rp_name;
  std::optional<Bytes> user_visible_data;
  std::optional<crypto::Sha256Digest> user_non_visible_data_hash;
  int64_t expires_at = 0;  // Unix seconds: creation + order timeout
};

enum class DeclineReason {
  kUserCancel,  // "userCancel": the resident said no
  kPinLocked,   // "pinLocked": the key store locked after too many wrong PINs
};

class OrderService {
 public:
  // `issuer_url` is the issuer's public base URL, the "iss" of result JWSs.
  OrderService(server::storage::Store& store, const Clock& clock, const IssuerKeys& keys,
               std::string issuer_url, OrderLimits limits = {});
  ~OrderService();
  OrderService(const OrderService&) = delete;
  OrderService& operator=(const OrderService&) = delete;

  // --- e-service side (the RP is already authenticated) ---

  // Validates the request and creates an order. Errors: "invalidParameters",
  // "alreadyInProgress" (and the pending order for the same identifier fails with
  // "cancelled"), "tooManyRequests".
  Result<StartedOrder> Start(const RelyingParty& rp, const OrderRequest& request);

  // Errors: "invalidParameters" (order_ref not a UUID v4), "notFound" (unknown, another
  // RP's, or finished too long ago), storage errors (for the fallback read).
  Result<CollectAnswer> Collect(const RelyingParty& rp, std::string_view order_ref);

  // A pending order fails with "cancelled". Errors: "invalidParameters" (not a UUID, or the
  // order has finished), "notFound".
  Status Cancel(const RelyingParty& rp, std::string_view order_ref);

  // --- device side ---

  // Binds the order named by a scanned QR text to the credential (docs/protocol.md §2,
  // §7.1). Errors: "qrInvalid", "qrExpired", "orderNotActive", "notFound" (unknown
  // credential), "certificateErr" (the order fails), "identifierMismatch", storage errors.
  Result<ScannedOrder> ScanQr(std::string_view qr_text, std::string_view credential_serial);

  // The same-device start (docs/protocol.md §7.5). Errors as ScanQr ("qrInvalid" for an
  // unknown token).
  Result<ScannedOrder> ScanAutoStart(std::string_view auto_start_token,
                                     std::string_view credential_serial);

  // started -> userSign; harmless in userSign. Errors: "notFound" (unknown order or wrong
  // challenge), "orderNotActive".
  Status MarkShown(std::string_view order_ref, ByteView challenge);

  // The order fails with userCancel or certificateErr. Errors: as MarkShown.
  Status Decline(std::string_view order_ref, ByteView challenge, DeclineReason reason);

  // Verifies the device's response in the order of docs/protocol.md §7.4 and completes the
  // order. Errors: "notFound", "orderNotActive", "invalidParameters", "invalidSignature",
  // "certificateErr" (the order fails), storage errors (the order is unchanged).
  Status Respond(std::string_view order_ref, ByteView signed_data, ByteView signature,
                 std::string_view device_ip);

  // Runs every check of Respond, in its order (the order and challenge, its state, the
  // signed data against the order, the signature, the credential as stored now), and
  // stops there: nothing changes, and a credential that may not complete the order gives
  // "certificateErr" without failing it. For the micro-benchmark of response verification
  // (tools/bench, docs/performance.md) and for callers that want a dry run.
  // Errors: as Respond.
  Status CheckResponse(std::string_view order_ref, ByteView signed_data, ByteView signature);

  // Orders held in memory (live and recently finished), for metrics and tests.
  size_t OrdersInMemory() const;

 private:
  struct State;
  std::unique_ptr<State> state_;
};

}  // namespace tillit::service
