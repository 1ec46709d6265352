// Validation of order requests (see order_request.h).
#include "order_request.h"

#include <arpa/inet.h>

#include <algorithm>

#include "tillit/identifier/identifier.h"
#include "tillit/utf8.h"

namespace tillit::service::internal {
namespace {

Error Invalid(std::string_view field, std::string_view what) {
  return MakeError("invalidParameters", std::string(field) + ": " + std::string(what));
}

// Longest IPv6 literal with an embedded IPv4 tail is 45 characters (INET6_ADDRSTRLEN - 1).
constexpr size_t kMaxIpChars = 45;

Status CheckUserData(std::string_view field, const Bytes& data) {
  if (data.empty() || data.size() > kMaxUserDataBytes) {
    return Invalid(field, "must be 1.." + std::to_string(kMaxUserDataBytes) + " bytes decoded");
  }
  return {};
}

}  // namespace

bool IsIpLiteral(std::string_view text) {
  if (text.empty() || text.size() > kMaxIpChars) return false;
  if (text.find('\0') != std::string_view::npos) return false;
  const std::string terminated(text);
  unsigned char buffer[sizeof(struct in6_addr)];
  return ::inet_pton(AF_INET, terminated.c_str(), buffer) == 1 ||
         ::inet_pton(AF_INET6, terminated.c_str(), buffer) == 1;
}

Result<ValidOrderRequest> ValidateOrderRequest(const OrderRequest& request) {
  ValidOrderRequest valid;
  if (request.action != OrderAction::kAuth && request.action != OrderAction::kSign) {
    return MakeError("invalidParameters", "action: must be auth or sign");
  }
  valid.action = request.action;

  if (!IsIpLiteral(request.end_user_ip)) {
    return Invalid("endUserIp", "must be an IPv4 or IPv6 address literal");
  }
  valid.end_user_ip = request.end_user_ip;

  if (request.min_assurance_level) {
    const int64_t level = *request.min_assurance_level;
    if (level < 1 || level > 3) return Invalid("requirement.minAssuranceLevel", "must be 1..3");
    valid.min_assurance_level = static_cast<int>(level);
  }

  if (request.required_identifier) {
    auto parsed = identifier::Identifier::Parse(*request.required_identifier);
    if (!parsed.ok()) {
      return Invalid("requirement.identifier",
                     "not a valid identifier (" + parsed.error().code + ")");
    }
    valid.required_identifier = parsed->ToString();
  }

  if (request.user_visible_data) {
    const Bytes& text = *request.user_visible_data;
    TILLIT_TRY(CheckUserData("userVisibleData", text));
    if (std::find(text.begin(), text.end(), uint8_t{0}) != text.end()) {
      return Invalid("userVisibleData", "contains a NUL character");
    }
    if (!IsValidUtf8(AsString(text))) return Invalid("userVisibleData", "not valid UTF-8");
    valid.user_visible_data = text;
  } else if (request.action == OrderAction::kSign) {
    return Invalid("userVisibleData", "required for sign");
  }

  if (request.user_non_visible_data) {
    TILLIT_TRY(CheckUserData("userNonVisibleData", *request.user_non_visible_data));
    valid.user_non_visible_data = *request.user_non_visible_data;
  }
  return valid;
}

}  // namespace tillit::service::internal
