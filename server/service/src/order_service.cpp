// OrderService: the login and signing state machine (see tillit/service/order_service.h,
// docs/protocol.md).
//
// Every order lives in one map behind one mutex, with indexes by qrStartToken,
// autoStartToken and (while pending) the required identifier, and a count of pending
// orders per relying party. The mutex is held only for map work and comparisons: random
// tokens, storage reads, signature verification, JSON and JWS building and the durable
// write all run outside it, so a critical section is a few hash lookups (docs/
// performance.md has the profile: the lock is not where the time goes). Respond decides
// its winner under the mutex by moving the order to the internal phase kCompleting; every
// other call then sees "orderNotActive" (devices) or "pending" (collect) until the write
// has succeeded (complete) or failed (back to the phase it came from).
//
// Timers: a min-heap of deadlines (the earliest moment each order may need expiring or
// forgetting) replaces a walk over every order; Start pops only what is due. Completed
// results are written through a CompletionWriter (group commit). A completed order keeps
// its completionData in memory only while it is among the OrderLimits::hot_results most
// recent ones (collect usually comes within a second or two); after that collect reads it
// back from order_results, where it is anyway. That bounds memory at any completion rate:
// orders are retained 3 minutes after they finish, which at thousands of logins a second
// would otherwise hold gigabytes of results. Validated holder keys and the names from
// holder certificates are kept per credential serial (see HolderKey, HolderNames), and the
// credential and holder rows that scan and respond read are kept until the store next
// writes persons or credentials (holder_cache.h).
#include "tillit/service/order_service.h"

#include <algorithm>
#include <deque>
#include <functional>
#include <mutex>
#include <queue>
#include <unordered_map>
#include <utility>
#include <vector>

#include "completion_writer.h"
#include "holder_cache.h"
#include "order_completion.h"
#include "order_request.h"
#include "stored_request.h"
#include "tillit/crypto/compare.h"
#include "tillit/crypto/ed25519.h"
#include "tillit/crypto/random.h"
#include "tillit/protocol/login_qr.h"

namespace tillit::service {
namespace {

using server::storage::CredentialRow;
using server::storage::CredentialStatus;
using server::storage::Durability;
using server::storage::OrderResultRow;
using server::storage::PersonRow;
using server::storage::ReadTransaction;
using server::storage::Transaction;

// At most this many deadlines are handled per Start, so that a burst of expiries (say after
// the clock jumped) is spread over several calls instead of stalling one.
constexpr size_t kSweepBudget = 1024;
// An order whose deadline passed while it was being completed is looked at again this
// much later.
constexpr int64_t kRecheckMs = 1000;
// Validated device keys kept (about 100 bytes each); when full the cache starts over.
constexpr size_t kHolderKeyCache = 100'000;
// Credentials (with their holders' rows) kept for scan and respond, about a kilobyte each;
// a full cache starts over. 20,000 is ten seconds of logins at 2,000 a second, more than
// the time between a scan and its respond.
constexpr size_t kHolderRecordsCache = 20'000;
// A credential serial is 32 lower-case hex characters; anything else is not looked up.
constexpr size_t kSerialChars = 32;

enum class Phase {
  kOutstanding,  // pending, outstandingTransaction
  kStarted,      // pending, started (bound to a credential, challenge issued)
  kUserSign,     // pending, userSign
  kCompleting,   // pending (as `resume_phase`): a Respond is writing the result
  kFailed,       // failed, `hint`
  kComplete,     // complete, `completion_json`
};

struct Order {
  // Fixed at Start.
  std::string order_ref;
  std::string rp_id;
  std::string rp_name;
  OrderAction action = OrderAction::kAuth;
  int min_assurance_level = 1;
  std::optional<std::string> required_identifier;  // canonical
  std::optional<Bytes> user_visible_data;
  std::optional<Bytes> user_non_visible_data;
  std::optional<crypto::Sha256Digest> visible_hash;
  std::optional<crypto::Sha256Digest> non_visible_hash;
  std::string auto_start_token;
  std::string qr_start_token;
  std::string qr_start_secret;
  int64_t created_ms = 0;

  Phase phase = Phase::kOutstanding;
  Phase resume_phase = Phase::kStarted;  // kCompleting: where a failed write returns to
  std::string hint;                      // kFailed
  int64_t finished_ms = 0;               // kFailed, kComplete
  std::string completion_json;           // kComplete; emptied when it leaves the hot results

  // Set at scan.
  std::string credential_serial;
  std::string credential_identifier;  // canonical
  Bytes holder_public_key;
  Bytes challenge;
  std::string start_text;
};

bool IsPending(Phase phase) { return phase != Phase::kFailed && phase != Phase::kComplete; }

std::string_view PendingHint(Phase phase) {
  switch (phase) {
    case Phase::kOutstanding:
      return "outstandingTransaction";
    case Phase::kStarted:
      return "started";
    case Phase::kUserSign:
      return "userSign";
    default:
      return "";
  }
}

bool IsCredentialSerial(std::string_view serial) {
  if (serial.size() != kSerialChars) return false;
  return std::all_of(serial.begin(), serial.end(),
                     [](char c) { return (c >= '0' && c <= '9') || (c >= 'a' && c <= 'f'); });
}

Error NotFound(std::string_view what) { return MakeError("notFound", std::string(what)); }
Error NotActive(std::string_view what) { return MakeError("orderNotActive", std::string(what)); }

bool SameDigest(const std::optional<crypto::Sha256Digest>& a,
                const std::optional<crypto::Sha256Digest>& b) {
  if (a.has_value() != b.has_value()) return false;
  return !a || crypto::ConstantTimeEquals(*a, *b);
}

// Why a credential may not complete an order (docs/protocol.md §3 certificateErr), or
// empty if it may.
std::string CredentialProblem(const CredentialRow& credential, int min_level, int64_t now_s) {
  switch (credential.status) {
    case CredentialStatus::kGood:
      break;
    case CredentialStatus::kSuspended:
      return "suspended";
    case CredentialStatus::kRevoked:
      return "revoked";
  }
  // Valid iff not_before <= now < not_after, as certificates are read (credential.h).
  if (now_s >= credential.not_after) return "expired";
  if (now_s < credential.not_before) return "notYetValid";
  if (credential.assurance_level < min_level) return "levelTooLow";
  return "";
}

}  // namespace

std::string_view OrderStatusName(OrderStatus status) {
  switch (status) {
    case OrderStatus::kPending:
      return "pending";
    case OrderStatus::kFailed:
      return "failed";
    case OrderStatus::kComplete:
      return "complete";
  }
  return "failed";  // unreachable
}

struct OrderService::State {
  State(server::storage::Store& store, const Clock& clock, const IssuerKeys& keys,
        std::string issuer_url, OrderLimits limits)
      : store(store), clock(clock), keys(keys), issuer_url(std::move(issuer_url)), limits(limits) {}

  server::storage::Store& store;
  const Clock& clock;
  const IssuerKeys& keys;
  const std::string issuer_url;
  const OrderLimits limits;

  mutable std::mutex mutex;
  // Everything below is guarded by `mutex`.
  std::unordered_map<std::string, std::shared_ptr<Order>> orders;      // by orderRef
  std::unordered_map<std::string, std::string> by_qr_token;            // -> orderRef
  std::unordered_map<std::string, std::string> by_auto_start_token;    // -> orderRef
  std::unordered_map<std::string, std::string> pending_by_identifier;  // required identifier
  std::unordered_map<std::string, size_t> pending_per_rp;
  // When each order may next need expiring or forgetting (never later than it really
  // does: deadlines only move later as an order progresses).
  struct Deadline {
    int64_t due_ms;
    std::shared_ptr<Order> order;
    bool operator>(const Deadline& other) const { return due_ms > other.due_ms; }
  };
  std::priority_queue<Deadline, std::vector<Deadline>, std::greater<>> deadlines;
  // The most recently completed orders, oldest first: only these hold completion_json.
  std::deque<std::weak_ptr<Order>> hot_results;

  internal::CompletionWriter writer{store};  // thread-safe on its own; not guarded by `mutex`
  // The credential and holder rows scan and respond read (thread-safe on its own).
  internal::HolderCache holders{store, kHolderRecordsCache};

  // Validated holder keys by credential serial (guarded by `key_mutex`, not `mutex`).
  // VerifyingKey::Create checks that the point is in the prime-order subgroup, a scalar
  // multiplication that costs as much as the signature check itself; a device's key never
  // changes, so it is validated once per process rather than once per login. An entry is
  // used only if its bytes are the ones bound to the order (read from the credential row).
  std::mutex key_mutex;
  std::unordered_map<std::string, crypto::VerifyingKey> holder_keys;

  // The holder's names from their certificate, by credential serial (guarded by
  // `key_mutex`), for the same reason: parsing the X.509 certificate at every completion
  // was about 15 % of the issuer's time. Used only if the certificate bytes are the ones
  // just read from the credential row.
  struct KnownCertificate {
    Bytes der;
    internal::CertificateNames names;
  };
  std::unordered_map<std::string, KnownCertificate> holder_names;

  Result<internal::CertificateNames> HolderNames(const CredentialRow& credential) {
    {
      std::lock_guard lock(key_mutex);
      auto it = holder_names.find(credential.serial);
      if (it != holder_names.end() && it->second.der == credential.certificate_der) {
        return it->second.names;
      }
    }
    TILLIT_TRY_ASSIGN(auto names, internal::NamesOfCertificate(credential.certificate_der));
    std::lock_guard lock(key_mutex);
    if (holder_names.size() >= kHolderKeyCache) holder_names.clear();
    holder_names.insert_or_assign(credential.serial,
                                  KnownCertificate{credential.certificate_der, names});
    return names;
  }

  Result<crypto::VerifyingKey> HolderKey(const std::string& serial, ByteView key_bytes) {
    {
      std::lock_guard lock(key_mutex);
      auto it = holder_keys.find(serial);
      if (it != holder_keys.end() && std::ranges::equal(it->second.bytes(), key_bytes)) {
        return it->second;
      }
    }
    TILLIT_TRY_ASSIGN(crypto::VerifyingKey key, crypto::VerifyingKey::Create(key_bytes));
    std::lock_guard lock(key_mutex);
    if (holder_keys.size() >= kHolderKeyCache) holder_keys.clear();
    holder_keys.insert_or_assign(serial, key);
    return key;
  }

  // --- helpers; all require `mutex` held ---

  // Moves a pending order to failed. Idempotent for finished orders (no-op).
  void Fail(Order& order, std::string hint, int64_t finished_ms) {
    if (!IsPending(order.phase)) return;
    Unpend(order);
    order.phase = Phase::kFailed;
    order.hint = std::move(hint);
    order.finished_ms = finished_ms;
    DropUserData(order);
  }

  void Complete(const std::shared_ptr<Order>& order, std::string completion_json,
                int64_t finished_ms) {
    Unpend(*order);
    order->phase = Phase::kComplete;
    order->completion_json = std::move(completion_json);
    order->finished_ms = finished_ms;
    DropUserData(*order);
    hot_results.push_back(order);
    while (hot_results.size() > limits.hot_results) {
      if (auto oldest = hot_results.front().lock()) {
        oldest->completion_json.clear();
        oldest->completion_json.shrink_to_fit();
      }
      hot_results.pop_front();
    }
  }

  // A finished order needs neither text again (up to 40 KB each): the scan answer and the
  // completion data are made while it is pending.
  static void DropUserData(Order& order) {
    order.user_visible_data.reset();
    order.user_non_visible_data.reset();
  }

  // Drops the order from the pending-only indexes (call exactly once, when it finishes).
  void Unpend(const Order& order) {
    if (order.required_identifier) {
      auto it = pending_by_identifier.find(*order.required_identifier);
      if (it != pending_by_identifier.end() && it->second == order.order_ref) {
        pending_by_identifier.erase(it);
      }
    }
    auto count = pending_per_rp.find(order.rp_id);
    TILLIT_CHECK(count != pending_per_rp.end() && count->second > 0);
    if (--count->second == 0) pending_per_rp.erase(count);
  }

  // Applies the timers: a pending order past its deadline fails with expiredTransaction
  // (finished at the deadline, so retention does not depend on when it was looked at).
  // Returns false if the order is finished and past retention: the caller must Forget it.
  bool Refresh(Order& order, int64_t now_ms) {
    if (order.phase == Phase::kOutstanding && now_ms - order.created_ms >= limits.scan_timeout_ms) {
      Fail(order, "expiredTransaction", order.created_ms + limits.scan_timeout_ms);
    } else if (IsPending(order.phase) && order.phase != Phase::kCompleting &&
               now_ms - order.created_ms >= limits.order_timeout_ms) {
      Fail(order, "expiredTransaction", order.created_ms + limits.order_timeout_ms);
    }
    return IsPending(order.phase) || now_ms - order.finished_ms < limits.result_retention_ms;
  }

  void Forget(const std::string& order_ref) {
    auto it = orders.find(order_ref);
    if (it == orders.end()) return;
    std::shared_ptr<Order> order = it->second;
    TILLIT_CHECK(!IsPending(order->phase));
    by_qr_token.erase(order->qr_start_token);
    by_auto_start_token.erase(order->auto_start_token);
    orders.erase(it);
  }

  // The order named by orderRef, timers applied; null if unknown or forgotten.
  std::shared_ptr<Order> Touch(std::string_view order_ref, int64_t now_ms) {
    auto it = orders.find(std::string(order_ref));
    if (it == orders.end()) return nullptr;
    std::shared_ptr<Order> order = it->second;
    if (!Refresh(*order, now_ms)) {
      Forget(order->order_ref);
      return nullptr;
    }
    return order;
  }

  std::shared_ptr<Order> TouchByToken(const std::unordered_map<std::string, std::string>& index,
                                      std::string_view token, int64_t now_ms) {
    auto it = index.find(std::string(token));
    if (it == index.end()) return nullptr;
    return Touch(it->second, now_ms);
  }

  // The earliest time `order` may need Refresh to change it or Forget to drop it.
  int64_t NextDeadline(const Order& order) const {
    switch (order.phase) {
      case Phase::kOutstanding:
        return order.created_ms + limits.scan_timeout_ms;
      case Phase::kStarted:
      case Phase::kUserSign:
      case Phase::kCompleting:
        return order.created_ms + limits.order_timeout_ms;
      case Phase::kFailed:
      case Phase::kComplete:
        return order.finished_ms + limits.result_retention_ms;
    }
    return order.created_ms;  // unreachable
  }

  // Expires and forgets the orders whose deadline has come (at most kSweepBudget of them).
  void Sweep(int64_t now_ms) {
    for (size_t budget = kSweepBudget;
         budget > 0 && !deadlines.empty() && deadlines.top().due_ms <= now_ms; --budget) {
      std::shared_ptr<Order> order = deadlines.top().order;
      deadlines.pop();
      auto it = orders.find(order->order_ref);
      if (it == orders.end() || it->second != order) continue;  // forgotten already
      if (!Refresh(*order, now_ms)) {
        Forget(order->order_ref);
        continue;
      }
      // Still here: a later deadline (or a completing order past its own: look again soon).
      const int64_t next = NextDeadline(*order);
      deadlines.push({next > now_ms ? next : now_ms + kRecheckMs, std::move(order)});
    }
  }

  // True if `order` is still the one held under its orderRef (not forgotten meanwhile),
  // with its timers applied.
  bool Current(Order& order, int64_t now_ms) {
    auto it = orders.find(order.order_ref);
    return it != orders.end() && it->second.get() == &order && Refresh(order, now_ms);
  }

  // The order bound to `challenge` under orderRef, for the device calls after scan.
  // "notFound" unless the order exists and has been scanned with exactly this challenge.
  Result<std::shared_ptr<Order>> TouchWithChallenge(std::string_view order_ref, ByteView challenge,
                                                    int64_t now_ms) {
    std::shared_ptr<Order> order = Touch(order_ref, now_ms);
    if (!order || order->challenge.empty() ||
        !crypto::ConstantTimeEquals(order->challenge, challenge)) {
      return NotFound("unknown order or wrong challenge");
    }
    return order;
  }

  // --- storage; called without `mutex` ---

  // The completed result of an order no longer in memory (a restart), if it belongs to
  // `rp_id` and is still within the retention time.
  Result<std::optional<server::storage::OrderResultRow>> RetainedResult(const std::string& rp_id,
                                                                        std::string_view order_ref,
                                                                        int64_t now_ms) {
    TILLIT_TRY_ASSIGN(auto row, store.Read([&](ReadTransaction& tx) {
      return store.order_results().Find(tx, order_ref);
    }));
    if (!row || row->rp_id != rp_id ||
        now_ms - row->completed_at * 1000 >= limits.result_retention_ms) {
      return std::optional<server::storage::OrderResultRow>();
    }
    return row;
  }

  // Records a refusal (certificateErr, outcome "Refused") or a resident's no (outcome
  // "Declined") durably: loginRefused, signDeclined, ... Nothing secret: the order, the
  // serial and a reason word.
  Status AuditRefusal(const Order& order, const std::string& subject,
                      const std::string& credential_serial, const std::string& reason,
                      int64_t now_s, std::string_view outcome = "Refused") {
    const std::string action =
        (order.action == OrderAction::kSign ? "sign" : "login") + std::string(outcome);
    const std::string detail = internal::AuditDetail({{"orderRef", order.order_ref},
                                                      {"credentialSerial", credential_serial},
                                                      {"reason", reason}});
    return store.Write(Durability::kDurable, [&](Transaction& tx) -> Status {
      auto appended = store.audit().Append(tx, {.at = now_s,
                                                .actor = "rp:" + order.rp_id,
                                                .action = action,
                                                .subject = subject,
                                                .detail_json = detail});
      if (!appended.ok()) return std::move(appended).error();
      return {};
    });
  }

  Result<ScannedOrder> Scan(std::shared_ptr<Order> order, std::string_view credential_serial,
                            std::string start_text);

  struct CheckedResponse {
    std::shared_ptr<Order> order;
    // The credential as stored now, with its holder's row if asked for.
    std::shared_ptr<const internal::HolderRecords> holder;
    std::string bound_identifier;
    std::string problem;  // CredentialProblem; empty if the credential may complete it
  };
  Result<CheckedResponse> Check(std::string_view order_ref, ByteView signed_data,
                                ByteView signature, bool with_person);
};

OrderService::OrderService(server::storage::Store& store, const Clock& clock,
                           const IssuerKeys& keys, std::string issuer_url, OrderLimits limits)
    : state_(std::make_unique<State>(store, clock, keys, std::move(issuer_url), limits)) {}

OrderService::~OrderService() = default;

size_t OrderService::OrdersInMemory() const {
  std::lock_guard lock(state_->mutex);
  return state_->orders.size();
}

Result<StartedOrder> OrderService::Start(const RelyingParty& rp, const OrderRequest& request) {
  TILLIT_TRY_ASSIGN(internal::ValidOrderRequest valid, internal::ValidateOrderRequest(request));
  State& s = *state_;

  auto order = std::make_shared<Order>();
  // Random tokens are drawn before the lock is taken (they cost a system call each).
  order->order_ref = protocol::GenerateUuidV4();
  order->qr_start_token = protocol::GenerateUuidV4();
  order->auto_start_token = protocol::GenerateUuidV4();
  order->rp_id = rp.id;
  order->rp_name = rp.name;
  order->action = valid.action;
  order->min_assurance_level = valid.min_assurance_level;
  order->required_identifier = std::move(valid.required_identifier);
  if (valid.user_visible_data) order->visible_hash = crypto::Sha256(*valid.user_visible_data);
  if (valid.user_non_visible_data) {
    order->non_visible_hash = crypto::Sha256(*valid.user_non_visible_data);
  }
  order->user_visible_data = std::move(valid.user_visible_data);
  order->user_non_visible_data = std::move(valid.user_non_visible_data);
  order->qr_start_secret = protocol::GenerateUuidV4();

  std::lock_guard lock(s.mutex);
  const int64_t now_ms = s.clock.NowUnixMillis();
  s.Sweep(now_ms);

  if (order->required_identifier) {
    auto it = s.pending_by_identifier.find(*order->required_identifier);
    if (it != s.pending_by_identifier.end()) {
      std::shared_ptr<Order> other = s.Touch(it->second, now_ms);
      if (other && IsPending(other->phase)) {
        // Two concurrent orders for one person are suspicious (docs/protocol.md §4.1): the
        // old one fails too. One that is writing its result is left to finish.
        if (other->phase != Phase::kCompleting) s.Fail(*other, "cancelled", now_ms);
        return MakeError("alreadyInProgress",
                         "another order for requirement.identifier is pending");
      }
    }
  }
  auto count = s.pending_per_rp.find(rp.id);
  if (count != s.pending_per_rp.end() && count->second >= s.limits.max_live_orders_per_rp) {
    return MakeError("tooManyRequests", "too many pending orders for this e-service");
  }

  // UUID v4 collisions are astronomically unlikely; retrying keeps the indexes exact anyway.
  while (s.orders.count(order->order_ref) != 0) order->order_ref = protocol::GenerateUuidV4();
  while (s.by_qr_token.count(order->qr_start_token) != 0) {
    order->qr_start_token = protocol::GenerateUuidV4();
  }
  while (s.by_auto_start_token.count(order->auto_start_token) != 0) {
    order->auto_start_token = protocol::GenerateUuidV4();
  }
  order->created_ms = now_ms;
  s.deadlines.push({s.NextDeadline(*order), order});

  s.orders.emplace(order->order_ref, order);
  s.by_qr_token.emplace(order->qr_start_token, order->order_ref);
  s.by_auto_start_token.emplace(order->auto_start_token, order->order_ref);
  if (order->required_identifier) {
    s.pending_by_identifier[*order->required_identifier] = order->order_ref;
  }
  ++s.pending_per_rp[rp.id];
  return StartedOrder{.order_ref = order->order_ref,
                      .auto_start_token = order->auto_start_token,
                      .qr_start_token = order->qr_start_token,
                      .qr_start_secret = order->qr_start_secret};
}

Result<CollectAnswer> OrderService::Collect(const RelyingParty& rp, std::string_view order_ref) {
  if (!protocol::IsUuidV4(order_ref)) {
    return MakeError("invalidParameters", "orderRef: not a lower-case UUID");
  }
  State& s = *state_;
  int64_t now_ms;
  bool completed_cold = false;
  {
    std::lock_guard lock(s.mutex);
    now_ms = s.clock.NowUnixMillis();
    std::shared_ptr<Order> order = s.Touch(order_ref, now_ms);
    if (order) {
      if (order->rp_id != rp.id) return NotFound("unknown order");
      CollectAnswer answer;
      answer.order_ref = order->order_ref;
      switch (order->phase) {
        case Phase::kFailed:
          answer.status = OrderStatus::kFailed;
          answer.hint_code = order->hint;
          break;
        case Phase::kComplete:
          if (order->completion_json.empty()) {
            // No longer among the hot results: read it back below, outside the lock.
            completed_cold = true;
            break;
          }
          answer.status = OrderStatus::kComplete;
          answer.completion_data_json = order->completion_json;
          break;
        case Phase::kCompleting:
          answer.status = OrderStatus::kPending;
          answer.hint_code = std::string(PendingHint(order->resume_phase));
          break;
        default:
          answer.status = OrderStatus::kPending;
          answer.hint_code = std::string(PendingHint(order->phase));
          break;
      }
      if (!completed_cold) return answer;
    }
  }
  if (completed_cold) {
    // In memory as complete, so its row is durable; memory decides the retention.
    TILLIT_TRY_ASSIGN(auto row, s.store.Read([&](ReadTransaction& tx) {
      return s.store.order_results().Find(tx, order_ref);
    }));
    if (!row || row->rp_id != rp.id) return MakeError("internalError", "completed result missing");
    return CollectAnswer{.order_ref = row->order_ref,
                         .status = OrderStatus::kComplete,
                         .hint_code = "",
                         .completion_data_json = std::move(row->completion_json)};
  }
  // Not in memory (a restart, or forgotten): a completed result may still be in storage.
  TILLIT_TRY_ASSIGN(auto row, s.RetainedResult(rp.id, order_ref, now_ms));
  if (!row) return NotFound("unknown order");
  return CollectAnswer{.order_ref = row->order_ref,
                       .status = OrderStatus::kComplete,
                       .hint_code = "",
                       .completion_data_json = std::move(row->completion_json)};
}

Status OrderService::Cancel(const RelyingParty& rp, std::string_view order_ref) {
  if (!protocol::IsUuidV4(order_ref)) {
    return MakeError("invalidParameters", "orderRef: not a lower-case UUID");
  }
  State& s = *state_;
  int64_t now_ms;
  {
    std::lock_guard lock(s.mutex);
    now_ms = s.clock.NowUnixMillis();
    std::shared_ptr<Order> order = s.Touch(order_ref, now_ms);
    if (order) {
      if (order->rp_id != rp.id) return NotFound("unknown order");
      if (order->phase == Phase::kCompleting) {
        // The device has answered and the result is being written; it cannot be taken
        // back. If the write fails the order is pending again and may be cancelled then.
        return MakeError("invalidParameters", "orderRef: the order is being completed");
      }
      if (!IsPending(order->phase)) {
        return MakeError("invalidParameters", "orderRef: the order has finished");
      }
      s.Fail(*order, "cancelled", now_ms);
      return {};
    }
  }
  // After a restart a completed order is known only to storage: still "finished".
  TILLIT_TRY_ASSIGN(auto row, s.RetainedResult(rp.id, order_ref, now_ms));
  if (row) return MakeError("invalidParameters", "orderRef: the order has finished");
  return NotFound("unknown order");
}

Result<ScannedOrder> OrderService::ScanQr(std::string_view qr_text,
                                          std::string_view credential_serial) {
  TILLIT_TRY_ASSIGN(protocol::LoginQr qr, protocol::ParseLoginQr(qr_text));
  State& s = *state_;
  std::shared_ptr<Order> order;
  {
    std::lock_guard lock(s.mutex);
    const int64_t now_ms = s.clock.NowUnixMillis();
    order = s.TouchByToken(s.by_qr_token, qr.qr_start_token, now_ms);
    if (!order) return MakeError("qrInvalid", "unknown qrStartToken");
    TILLIT_TRY(protocol::CheckLoginQrCode(qr, order->qr_start_secret));
    TILLIT_TRY(protocol::CheckLoginQrFresh(qr.t, now_ms - order->created_ms,
                                           s.limits.qr_max_age_seconds,
                                           s.limits.qr_max_skew_seconds));
    if (order->phase != Phase::kOutstanding) {
      return NotActive("the order has been scanned already or has finished");
    }
  }
  return s.Scan(std::move(order), credential_serial, std::string(qr_text));
}

Result<ScannedOrder> OrderService::ScanAutoStart(std::string_view auto_start_token,
                                                 std::string_view credential_serial) {
  if (!protocol::IsUuidV4(auto_start_token)) {
    return MakeError("qrInvalid", "autoStartToken: not a lower-case UUID");
  }
  State& s = *state_;
  std::shared_ptr<Order> order;
  {
    std::lock_guard lock(s.mutex);
    order = s.TouchByToken(s.by_auto_start_token, auto_start_token, s.clock.NowUnixMillis());
    if (!order) return MakeError("qrInvalid", "unknown autoStartToken");
    if (order->phase != Phase::kOutstanding) {
      return NotActive("the order has been scanned already or has finished");
    }
  }
  return s.Scan(std::move(order), credential_serial, "autostart." + std::string(auto_start_token));
}

// The part of a scan after the start checks: the credential (read without the lock), then
// binding the order if it is still outstanding.
Result<ScannedOrder> OrderService::State::Scan(std::shared_ptr<Order> order,
                                               std::string_view credential_serial,
                                               std::string start_text) {
  if (!IsCredentialSerial(credential_serial)) return NotFound("unknown credential");
  auto holder = holders.Credential(credential_serial);
  if (!holder.ok()) return std::move(holder).error();  // notFound or storage
  const CredentialRow* credential = &(*holder)->credential;

  // The identifier is checked before the credential's status so that a stranger's
  // credential, revoked or not, can never fail somebody else's order (docs/protocol.md
  // §7.1: identifierMismatch leaves the order unchanged).
  if (order->required_identifier && *order->required_identifier != credential->identifier) {
    return MakeError("identifierMismatch", "the order requires another person");
  }

  const int64_t now_ms = clock.NowUnixMillis();
  const std::string problem =
      CredentialProblem(*credential, order->min_assurance_level, now_ms / 1000);
  std::unique_lock lock(mutex);
  // The order may have moved on while the credential was read.
  if (!Current(*order, now_ms) || order->phase != Phase::kOutstanding) {
    return NotActive("the order has been scanned already or has finished");
  }
  if (!problem.empty()) {
    Fail(*order, "certificateErr", now_ms);
    lock.unlock();
    // The refusal stands even if it cannot be recorded; the caller then gets the storage
    // error (see the header).
    TILLIT_TRY(
        AuditRefusal(*order, credential->identifier, credential->serial, problem, now_ms / 1000));
    return MakeError("certificateErr", "the credential is " + problem);
  }

  order->phase = Phase::kStarted;
  order->credential_serial = credential->serial;
  order->credential_identifier = credential->identifier;
  order->holder_public_key = credential->holder_public_key;
  order->challenge = crypto::RandomBytes(protocol::kChallengeSize);
  order->start_text = std::move(start_text);

  ScannedOrder scanned{.order_ref = order->order_ref,
                       .challenge = order->challenge,
                       .action = order->action,
                       .rp_id = order->rp_id,
                       .rp_name = order->rp_name,
                       .user_visible_data = order->user_visible_data,
                       .user_non_visible_data_hash = order->non_visible_hash,
                       .expires_at = (order->created_ms + limits.order_timeout_ms) / 1000};
  return scanned;
}

Status OrderService::MarkShown(std::string_view order_ref, ByteView challenge) {
  State& s = *state_;
  std::lock_guard lock(s.mutex);
  TILLIT_TRY_ASSIGN(auto order,
                    s.TouchWithChallenge(order_ref, challenge, s.clock.NowUnixMillis()));
  if (order->phase == Phase::kStarted) {
    order->phase = Phase::kUserSign;
  } else if (order->phase != Phase::kUserSign) {
    return NotActive("the order is not waiting for the device");
  }
  return {};
}

Status OrderService::Decline(std::string_view order_ref, ByteView challenge, DeclineReason reason) {
  State& s = *state_;
  std::shared_ptr<Order> order;
  int64_t now_ms;
  {
    std::lock_guard lock(s.mutex);
    now_ms = s.clock.NowUnixMillis();
    TILLIT_TRY_ASSIGN(order, s.TouchWithChallenge(order_ref, challenge, now_ms));
    if (order->phase != Phase::kStarted && order->phase != Phase::kUserSign) {
      return NotActive("the order is not waiting for the device");
    }
    s.Fail(*order, reason == DeclineReason::kUserCancel ? "userCancel" : "certificateErr", now_ms);
  }
  // A decline is a login or sign result and is audited; a locked key store ends the order
  // as certificateErr, audited like every refusal. The fields read are fixed once the order
  // is bound.
  if (reason == DeclineReason::kUserCancel) {
    return s.AuditRefusal(*order, order->credential_identifier, order->credential_serial,
                          "userCancel", now_ms / 1000, "Declined");
  }
  return s.AuditRefusal(*order, order->credential_identifier, order->credential_serial, "pinLocked",
                        now_ms / 1000);
}

// Steps 1-5 of docs/protocol.md §7.4, changing nothing: what Respond and CheckResponse
// share. `problem` is why the credential may not complete the order (empty if it may).
Result<OrderService::State::CheckedResponse> OrderService::State::Check(std::string_view order_ref,
                                                                        ByteView signed_data,
                                                                        ByteView signature,
                                                                        bool with_person) {
  State& s = *this;
  // The order's binding is copied under the lock. Its fields fixed at Start and at scan
  // never change afterwards, so they are read without the lock later on.
  // 1. The order exists and the challenge in signedData is its challenge. (Bytes that do
  //    not parse have no challenge to compare: invalidParameters once the order is known.)
  auto parsed = protocol::ParseSignedData(signed_data);
  std::shared_ptr<Order> order;
  std::string bound_serial;
  Bytes bound_key;
  std::string bound_identifier;
  {
    std::lock_guard lock(s.mutex);
    const int64_t now_ms = s.clock.NowUnixMillis();
    if (!parsed.ok()) {
      if (!s.Touch(order_ref, now_ms)) return NotFound("unknown order or wrong challenge");
      return MakeError("invalidParameters", "signedData: " + parsed.error().message);
    }
    const protocol::SignedData& data = *parsed;
    TILLIT_TRY_ASSIGN(order, s.TouchWithChallenge(order_ref, data.challenge, now_ms));
    // 2. It takes a response.
    if (order->phase != Phase::kStarted && order->phase != Phase::kUserSign) {
      return NotActive("the order is not waiting for a response");
    }
    // 3. Every field is the order's (docs/protocol.md §5).
    const char* mismatch = nullptr;
    if (data.action != order->action) {
      mismatch = "action";
    } else if (data.order_ref != order->order_ref) {
      mismatch = "orderRef";
    } else if (data.rp_id != order->rp_id) {
      mismatch = "rpId";
    } else if (data.rp_name != order->rp_name) {
      mismatch = "rpName";
    } else if (data.credential_serial != order->credential_serial) {
      mismatch = "credentialSerial";
    } else if (data.start != order->start_text) {
      mismatch = "start";
    } else if (!SameDigest(data.visible_data_hash, order->visible_hash)) {
      mismatch = "visible";
    } else if (!SameDigest(data.non_visible_data_hash, order->non_visible_hash)) {
      mismatch = "nonVisible";
    }
    if (mismatch != nullptr) {
      return MakeError("invalidParameters",
                       std::string("signedData: ") + mismatch + " does not match the order");
    }
    const int64_t now_s = now_ms / 1000;
    if (data.signed_at < now_s - s.limits.signed_at_tolerance_seconds ||
        data.signed_at > now_s + s.limits.signed_at_tolerance_seconds) {
      return MakeError("invalidParameters", "signedData: signedAt too far from the issuer's clock");
    }
    bound_serial = order->credential_serial;
    bound_key = order->holder_public_key;
    bound_identifier = order->credential_identifier;
  }

  // 4. The signature, under the key bound at scan.
  {
    auto key = s.HolderKey(bound_serial, bound_key);
    auto sig = crypto::Signature::Parse(signature);
    if (!key.ok() || !sig.ok() || !key->Verify(signed_data, *sig).ok()) {
      return MakeError("invalidSignature", "the signature does not verify");
    }
  }

  // 5. The credential is still good, and its holder as stored. The person is read in the
  // same snapshot when the caller will complete the order (the completion data names
  // them: their own row, for the personnummer); a dry run needs only the credential.
  TILLIT_TRY_ASSIGN(auto holder, with_person ? s.holders.CredentialAndPerson(bound_serial)
                                             : s.holders.Credential(bound_serial));
  std::string problem = CredentialProblem(holder->credential, order->min_assurance_level,
                                          s.clock.NowUnixMillis() / 1000);
  return CheckedResponse{.order = std::move(order),
                         .holder = std::move(holder),
                         .bound_identifier = std::move(bound_identifier),
                         .problem = std::move(problem)};
}

Status OrderService::CheckResponse(std::string_view order_ref, ByteView signed_data,
                                   ByteView signature) {
  TILLIT_TRY_ASSIGN(auto checked,
                    state_->Check(order_ref, signed_data, signature, /*with_person=*/false));
  if (!checked.problem.empty()) {
    return MakeError("certificateErr", "the credential is " + checked.problem);
  }
  return {};
}

Status OrderService::Respond(std::string_view order_ref, ByteView signed_data, ByteView signature,
                             std::string_view device_ip) {
  State& s = *state_;
  TILLIT_TRY_ASSIGN(auto checked, s.Check(order_ref, signed_data, signature, /*with_person=*/true));
  const std::shared_ptr<Order>& order = checked.order;
  const std::string& problem = checked.problem;
  const std::string& bound_identifier = checked.bound_identifier;
  const std::string& bound_serial = checked.holder->credential.serial;
  const CredentialRow& credential = checked.holder->credential;
  const PersonRow& person = *checked.holder->person;  // asked for: with_person
  int64_t now_ms;

  // The winner: the first caller to find the order still waiting moves it on.
  {
    std::lock_guard lock(s.mutex);
    now_ms = s.clock.NowUnixMillis();
    if (!s.Current(*order, now_ms) ||
        (order->phase != Phase::kStarted && order->phase != Phase::kUserSign)) {
      return NotActive("the order is not waiting for a response");
    }
    if (!problem.empty()) {
      s.Fail(*order, "certificateErr", now_ms);
    } else {
      order->resume_phase = order->phase;
      order->phase = Phase::kCompleting;
    }
  }
  if (!problem.empty()) {
    TILLIT_TRY(s.AuditRefusal(*order, bound_identifier, bound_serial, problem, now_ms / 1000));
    return MakeError("certificateErr", "the credential is " + problem);
  }

  // The result, written with its audit entry in one durable transaction.
  const int64_t completed_at = now_ms / 1000;
  const bool sign = order->action == OrderAction::kSign;
  auto names = s.HolderNames(credential);
  Result<std::string> completion =
      !names.ok()
          ? Result<std::string>(names.error())
          : internal::BuildCompletionData({.issuer_url = s.issuer_url,
                                           .order_ref = order->order_ref,
                                           .rp_id = order->rp_id,
                                           .action = order->action,
                                           .credential = &credential,
                                           .person = &person,
                                           .signed_data = signed_data,
                                           .signature = signature,
                                           .device_ip = std::string(device_ip),
                                           .completed_at = completed_at,
                                           .user_visible_data = &order->user_visible_data,
                                           .user_non_visible_data = &order->user_non_visible_data,
                                           .names = names.ok() ? &*names : nullptr},
                                          s.keys.result_key());
  Status written = completion.ok() ? Status() : Status(completion.error());
  if (written.ok()) {
    const OrderResultRow row{.order_ref = order->order_ref,
                             .rp_id = order->rp_id,
                             .identifier = credential.identifier,
                             .credential_serial = credential.serial,
                             .action = std::string(protocol::OrderActionName(order->action)),
                             .completed_at = completed_at,
                             .completion_json = *completion};
    const server::storage::AuditEntry audit{
        .at = completed_at,
        .actor = "rp:" + order->rp_id,
        .action = sign ? "signCompleted" : "loginCompleted",
        .subject = credential.identifier,
        .detail_json = internal::AuditDetail(
            {{"orderRef", order->order_ref}, {"credentialSerial", credential.serial}})};
    // Durable before the device hears "complete", shared with concurrent completions.
    written = s.writer.Write(row, audit);
  }

  std::lock_guard lock(s.mutex);
  TILLIT_CHECK(order->phase == Phase::kCompleting);  // nothing else moves a completing order
  if (!written.ok()) {
    order->phase = order->resume_phase;  // the device may retry
    return written;
  }
  s.Complete(order, std::move(*completion), s.clock.NowUnixMillis());
  return {};
}

}  // namespace tillit::service
