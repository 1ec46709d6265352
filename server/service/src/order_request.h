// Internal: validation of an e-service's order request (docs/protocol.md §4.1) into the
// canonical form the order service keeps. Errors are "invalidParameters" with messages
// "<field>: <what>", fields named as in the JSON (endUserIp, requirement.minAssuranceLevel,
// requirement.identifier, userVisibleData, userNonVisibleData). Messages never quote values.
//
// Thread safety: pure functions.
#pragma once

#include <optional>
#include <string>
#include <string_view>

#include "tillit/bytes.h"
#include "tillit/result.h"
#include "tillit/service/order_service.h"

namespace tillit::service::internal {

struct ValidOrderRequest {
  OrderAction action = OrderAction::kAuth;
  std::string end_user_ip;
  int min_assurance_level = 1;
  std::optional<std::string> required_identifier;  // canonical
  std::optional<Bytes> user_visible_data;
  std::optional<Bytes> user_non_visible_data;
};

Result<ValidOrderRequest> ValidateOrderRequest(const OrderRequest& request);

// True iff text is an IPv4 or IPv6 address literal (inet_pton).
bool IsIpLiteral(std::string_view text);

}  // namespace tillit::service::internal
