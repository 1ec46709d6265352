// The signed-data payload of docs/protocol.md §5; see signed_data.h.
//
// One rule set (FieldProblem) is applied by both SerializeSignedData and ParseSignedData, so
// everything the issuer or a device emits parses, and everything that parses re-serializes
// to the same bytes.
#include "tillit/protocol/signed_data.h"

#include <algorithm>
#include <cstddef>
#include <cstdint>
#include <string>
#include <utility>

#include "tillit/utf8.h"
#include "tillit/protocol/login_qr.h"

namespace tillit::protocol {
namespace {

// The context string is written with its terminating 0x00 so that no other context that
// merely starts with "tillit-signed-data" can produce the same prefix.
constexpr size_t kContextBytes = kSignedDataContext.size() + 1;
constexpr size_t kOrderRefBytes = 36;
constexpr size_t kSerialHexChars = 32;

bool IsLowerHex(std::string_view text) {
  return std::all_of(text.begin(), text.end(),
                     [](char c) { return (c >= '0' && c <= '9') || (c >= 'a' && c <= 'f'); });
}

bool IsPrintableAscii(std::string_view text) {
  return std::all_of(text.begin(), text.end(), [](char c) { return c >= 0x20 && c <= 0x7e; });
}

bool InBounds(std::string_view text, size_t max_bytes) {
  return !text.empty() && text.size() <= max_bytes;
}

// The first field of `data` outside its bounds, with the reason, or nullopt. The action is
// checked here for Serialize: an OrderAction may hold any byte via static_cast.
std::optional<std::string> FieldProblem(const SignedData& data) {
  if (data.action != OrderAction::kAuth && data.action != OrderAction::kSign) {
    return "action is neither auth (1) nor sign (2)";
  }
  // The issuer only ever makes lower-case v4 UUIDs (§1), so anything else cannot match.
  if (data.order_ref.size() != kOrderRefBytes || !IsUuidV4(data.order_ref)) {
    return "orderRef is not a lower-case UUID v4";
  }
  if (data.challenge.size() != kChallengeSize) return "challenge is not 32 bytes";
  if (!InBounds(data.rp_id, kMaxRpIdBytes)) return "rpId is not 1..64 bytes";
  if (!InBounds(data.rp_name, kMaxRpNameBytes)) return "rpName is not 1..256 bytes";
  if (!IsValidUtf8(data.rp_name)) {
    return "rpName is not well-formed UTF-8";
  }
  if (data.credential_serial.size() != kSerialHexChars || !IsLowerHex(data.credential_serial)) {
    return "credentialSerial is not 32 lower-case hex characters";
  }
  if (!InBounds(data.start, kMaxStartBytes)) return "start is not 1..256 bytes";
  if (!IsPrintableAscii(data.start)) return "start is not printable ASCII";
  return std::nullopt;
}

// --- writing -----------------------------------------------------------------------------

void PutU8(Bytes& out, uint8_t value) { out.push_back(value); }

void PutU16(Bytes& out, uint16_t value) {
  out.push_back(static_cast<uint8_t>(value >> 8));
  out.push_back(static_cast<uint8_t>(value));
}

void PutRaw(Bytes& out, ByteView bytes) { out.insert(out.end(), bytes.begin(), bytes.end()); }

// Only called after FieldProblem, which bounds every string far below 65536 bytes.
void PutStr16(Bytes& out, std::string_view text) {
  PutU16(out, static_cast<uint16_t>(text.size()));
  PutRaw(out, AsBytes(text));
}

void PutOptionalHash(Bytes& out, const std::optional<crypto::Sha256Digest>& hash) {
  PutU8(out, hash ? 1 : 0);
  PutRaw(out, hash ? *hash : crypto::Sha256Digest{});
}

// Two's complement, big-endian: the conversion to uint64_t is well defined (C++20).
void PutI64(Bytes& out, int64_t value) {
  const auto bits = static_cast<uint64_t>(value);
  for (int shift = 56; shift >= 0; shift -= 8) out.push_back(static_cast<uint8_t>(bits >> shift));
}

// --- reading -----------------------------------------------------------------------------

// A bounds-checked cursor over the input (in the manner of BoringSSL's CBS): every read
// either takes exactly the bytes it asks for or fails and leaves nothing half-read.
class Reader {
 public:
  explicit Reader(ByteView in) : in_(in) {}

  bool Take(size_t n, ByteView& out) {
    if (in_.size() < n) return false;
    out = in_.first(n);
    in_ = in_.subspan(n);
    return true;
  }
  bool TakeU8(uint8_t& out) {
    ByteView b;
    if (!Take(1, b)) return false;
    out = b[0];
    return true;
  }
  bool TakeStr16(std::string& out) {
    ByteView len;
    ByteView body;
    if (!Take(2, len) || !Take((size_t{len[0]} << 8) | len[1], body)) return false;
    out.assign(AsString(body));
    return true;
  }
  bool TakeI64(int64_t& out) {
    ByteView b;
    if (!Take(8, b)) return false;
    uint64_t bits = 0;
    for (uint8_t byte : b) bits = (bits << 8) | byte;
    out = static_cast<int64_t>(bits);
    return true;
  }
  bool empty() const { return in_.empty(); }

 private:
  ByteView in_;
};

Error Invalid(std::string_view what) {
  return MakeError("invalidSignedData", "signedData: " + std::string(what));
}

Status ReadHeader(Reader& in, OrderAction& action) {
  ByteView context;
  if (!in.Take(kContextBytes, context)) return Invalid("context is truncated");
  if (AsString(context.first(kSignedDataContext.size())) != kSignedDataContext ||
      context.back() != 0) {
    return Invalid("wrong context string");
  }
  uint8_t version;
  uint8_t action_byte;
  if (!in.TakeU8(version)) return Invalid("version is truncated");
  if (version != kSignedDataVersion) return Invalid("unknown version");
  if (!in.TakeU8(action_byte)) return Invalid("action is truncated");
  if (action_byte != static_cast<uint8_t>(OrderAction::kAuth) &&
      action_byte != static_cast<uint8_t>(OrderAction::kSign)) {
    return Invalid("unknown action");
  }
  action = static_cast<OrderAction>(action_byte);
  return {};
}

// The flag byte and 32 hash bytes. A zero hash after flag 0 is required so that "absent"
// has one encoding only.
Result<std::optional<crypto::Sha256Digest>> ReadOptionalHash(Reader& in, std::string_view what) {
  uint8_t flag;
  ByteView hash;
  if (!in.TakeU8(flag) || !in.Take(crypto::Sha256Digest{}.size(), hash)) {
    return Invalid(std::string(what) + " is truncated");
  }
  if (flag > 1) return Invalid(std::string(what) + " flag is neither 0 nor 1");
  if (flag == 0) {
    if (std::any_of(hash.begin(), hash.end(), [](uint8_t b) { return b != 0; })) {
      return Invalid(std::string(what) + " hash is non-zero with flag 0");
    }
    return std::optional<crypto::Sha256Digest>();
  }
  crypto::Sha256Digest digest;
  std::copy(hash.begin(), hash.end(), digest.begin());
  return std::optional<crypto::Sha256Digest>(digest);
}

Status ReadFields(Reader& in, SignedData& data) {
  ByteView challenge;
  if (!in.TakeStr16(data.order_ref)) return Invalid("orderRef is truncated");
  if (!in.Take(kChallengeSize, challenge)) return Invalid("challenge is truncated");
  data.challenge.assign(challenge.begin(), challenge.end());
  if (!in.TakeStr16(data.rp_id)) return Invalid("rpId is truncated");
  if (!in.TakeStr16(data.rp_name)) return Invalid("rpName is truncated");
  if (!in.TakeStr16(data.credential_serial)) return Invalid("credentialSerial is truncated");
  if (!in.TakeStr16(data.start)) return Invalid("start is truncated");
  return {};
}

}  // namespace

std::string_view OrderActionName(OrderAction action) {
  return action == OrderAction::kSign ? "sign" : "auth";
}

Result<OrderAction> ParseOrderAction(std::string_view name) {
  if (name == "auth") return OrderAction::kAuth;
  if (name == "sign") return OrderAction::kSign;
  return MakeError("invalidParameters", "action must be \"auth\" or \"sign\"");
}

Result<Bytes> SerializeSignedData(const SignedData& data) {
  if (auto problem = FieldProblem(data)) return MakeError("invalidParameters", *problem);
  Bytes out;
  PutRaw(out, AsBytes(kSignedDataContext));
  PutU8(out, 0);
  PutU8(out, kSignedDataVersion);
  PutU8(out, static_cast<uint8_t>(data.action));
  PutStr16(out, data.order_ref);
  PutRaw(out, data.challenge);
  PutStr16(out, data.rp_id);
  PutStr16(out, data.rp_name);
  PutStr16(out, data.credential_serial);
  PutStr16(out, data.start);
  PutOptionalHash(out, data.visible_data_hash);
  PutOptionalHash(out, data.non_visible_data_hash);
  PutI64(out, data.signed_at);
  return out;
}

Result<SignedData> ParseSignedData(ByteView bytes) {
  Reader in(bytes);
  SignedData data;
  TILLIT_TRY(ReadHeader(in, data.action));
  TILLIT_TRY(ReadFields(in, data));
  TILLIT_TRY_ASSIGN(data.visible_data_hash, ReadOptionalHash(in, "visible"));
  TILLIT_TRY_ASSIGN(data.non_visible_data_hash, ReadOptionalHash(in, "nonVisible"));
  if (!in.TakeI64(data.signed_at)) return Invalid("signedAt is truncated");
  if (!in.empty()) return Invalid("trailing bytes");
  if (auto problem = FieldProblem(data)) return Invalid(*problem);
  return data;
}

}  // namespace tillit::protocol
