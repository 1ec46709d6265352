// Validation of order requests (see order_request.h).
#include "order_request.h"

#include <arpa/inet.h>

#include <algorithm>

#include "tillit/identifier/identifier.h"

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

bool IsValidUtf8(ByteView text) {
  size_t i = 0;
  while (i < text.size()) {
    const uint8_t b = text[i];
    if (b < 0x80) {
      ++i;
      continue;
    }
    size_t length;
    uint32_t cp;
    uint32_t min;
    if ((b & 0xE0) == 0xC0) {
      length = 2, cp = b & 0x1F, min = 0x80;
    } else if ((b & 0xF0) == 0xE0) {
      length = 3, cp = b & 0x0F, min = 0x800;
    } else if ((b & 0xF8) == 0xF0) {
      length = 4, cp = b & 0x07, min = 0x10000;
    } else {
      return false;  // a continuation byte or 0xF8..0xFF where a sequence must start
    }
    if (text.size() - i < length) return false;
    for (size_t k = 1; k < length; ++k) {
      const uint8_t c = text[i + k];
      if ((c & 0xC0) != 0x80) return false;
      cp = (cp << 6) | (c & 0x3F);
    }
    if (cp < min || cp > 0x10FFFF || (cp >= 0xD800 && cp <= 0xDFFF)) return false;
    i += length;
  }
  return true;
}

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
    if (!IsValidUtf8(text)) return Invalid("userVisibleData", "not valid UTF-8");
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
