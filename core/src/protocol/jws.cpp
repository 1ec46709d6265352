// Compact JWS with EdDSA/Ed25519 and Ed25519 JWKs (RFC 7515, RFC 8037, RFC 7638); see jws.h.
#include "tillit/protocol/jws.h"

#include <optional>
#include <string>
#include <utility>

#include "protocol/json_string_object.h"
#include "tillit/crypto/hash.h"

namespace tillit::protocol {
namespace {

constexpr std::string_view kAlg = "EdDSA";

Error InvalidJws(std::string message) { return MakeError("invalidJws", std::move(message)); }

// The three parts of a compact JWS, still encoded.
struct JwsParts {
  std::string_view header;
  std::string_view payload;
  std::string_view signature;
};

std::optional<JwsParts> SplitParts(std::string_view text) {
  const size_t first = text.find('.');
  if (first == std::string_view::npos) return std::nullopt;
  const size_t second = text.find('.', first + 1);
  if (second == std::string_view::npos || text.find('.', second + 1) != std::string_view::npos) {
    return std::nullopt;
  }
  return JwsParts{text.substr(0, first), text.substr(first + 1, second - first - 1),
                  text.substr(second + 1)};
}

Result<Bytes> DecodePart(std::string_view part, std::string_view what) {
  Result<Bytes> decoded = Base64UrlDecode(part);
  if (!decoded) return InvalidJws(std::string(what) + " is not strict base64url");
  return decoded;
}

// "kid" and "typ" are optional; an empty value is refused because UnverifiedJws uses the
// empty string for "absent", and one header must not have two readings.
Result<std::string> OptionalMember(const internal::JsonStringObject& header,
                                   std::string_view name) {
  const auto it = header.find(name);
  if (it == header.end()) return std::string();
  if (it->second.empty()) return InvalidJws("empty \"" + std::string(name) + "\" in the header");
  return it->second;
}

// RFC 7515 §4.1.11: a verifier must understand every "crit" extension; we understand none,
// so any "crit" is refused rather than silently ignored.
Status ReadHeader(ByteView header_bytes, UnverifiedJws& jws) {
  Result<internal::JsonStringObject> header =
      internal::ParseJsonStringObject(AsString(header_bytes));
  if (!header) return InvalidJws("header: " + header.error().message);
  if (header->contains("crit")) return InvalidJws("the header has \"crit\"");
  const auto alg = header->find("alg");
  if (alg == header->end()) return InvalidJws("the header has no \"alg\"");
  jws.alg = alg->second;
  TILLIT_TRY_ASSIGN(jws.kid, OptionalMember(*header, "kid"));
  TILLIT_TRY_ASSIGN(jws.typ, OptionalMember(*header, "typ"));
  return {};
}

}  // namespace

std::string JwkThumbprint(const crypto::VerifyingKey& key) {
  // RFC 7638 §3.2: the required members only, in lexicographic order, no whitespace.
  const std::string canonical =
      R"({"crv":"Ed25519","kty":"OKP","x":")" + Base64UrlEncode(key.bytes()) + R"("})";
  return Base64UrlEncode(crypto::Sha256(AsBytes(canonical)));
}

std::string SerializePublicJwk(const crypto::VerifyingKey& key) {
  // Every value is base64url or a constant, so nothing needs JSON escaping.
  return R"({"kty":"OKP","crv":"Ed25519","x":")" + Base64UrlEncode(key.bytes()) + R"(","kid":")" +
         JwkThumbprint(key) + R"(","use":"sig","alg":"EdDSA"})";
}

Result<crypto::VerifyingKey> ParsePublicJwk(std::string_view kty, std::string_view crv,
                                            std::string_view x) {
  if (kty != "OKP") return MakeError("invalidJwk", "kty is not \"OKP\"");
  if (crv != "Ed25519") return MakeError("invalidJwk", "crv is not \"Ed25519\"");
  Result<Bytes> bytes = Base64UrlDecode(x);
  if (!bytes) return MakeError("invalidJwk", "x is not strict base64url");
  Result<crypto::VerifyingKey> key = crypto::VerifyingKey::Create(*bytes);
  if (!key)
    return MakeError("invalidJwk", "x is not an Ed25519 public key: " + key.error().message);
  return key;
}

std::string SignCompactJws(const crypto::SigningKey& key, ByteView payload) {
  const std::string header =
      R"({"alg":"EdDSA","kid":")" + JwkThumbprint(key.verifying_key()) + R"(","typ":"JWT"})";
  const std::string signing_input =
      Base64UrlEncode(AsBytes(header)) + "." + Base64UrlEncode(payload);
  const crypto::Signature signature = key.Sign(AsBytes(signing_input));
  return signing_input + "." + Base64UrlEncode(signature.bytes());
}

Result<UnverifiedJws> ParseCompactJws(std::string_view text) {
  if (text.size() > kMaxJwsBytes) return InvalidJws("longer than kMaxJwsBytes");
  const std::optional<JwsParts> parts = SplitParts(text);
  if (!parts) return InvalidJws("not three dot-separated parts");
  if (parts->signature.empty()) return InvalidJws("empty signature part");

  UnverifiedJws jws;
  TILLIT_TRY_ASSIGN(const Bytes header, DecodePart(parts->header, "header"));
  TILLIT_TRY_ASSIGN(jws.payload, DecodePart(parts->payload, "payload"));
  TILLIT_TRY_ASSIGN(jws.signature, DecodePart(parts->signature, "signature"));
  TILLIT_TRY(ReadHeader(header, jws));
  jws.signing_input = std::string(text.substr(0, parts->header.size() + 1 + parts->payload.size()));
  return jws;
}

Result<Bytes> VerifyCompactJws(const UnverifiedJws& jws, const crypto::VerifyingKey& key) {
  // UnverifiedJws is a plain struct a caller could assemble by hand, so the fields are
  // re-derived from the signed bytes: only bytes the signature covers may come out.
  Result<UnverifiedJws> signed_jws =
      ParseCompactJws(jws.signing_input + "." + Base64UrlEncode(jws.signature));
  if (!signed_jws || signed_jws->alg != jws.alg || signed_jws->kid != jws.kid ||
      signed_jws->typ != jws.typ || signed_jws->payload != jws.payload) {
    return InvalidJws("the fields do not match the signing input");
  }
  // The key fixes the algorithm; "alg" is checked only so that a header claiming anything
  // else (none, HS256, ...) is refused instead of being verified as EdDSA anyway.
  if (jws.alg != kAlg) return InvalidJws("alg is not \"EdDSA\"");
  if (!jws.kid.empty() && jws.kid != JwkThumbprint(key)) {
    return InvalidJws("kid does not name this key");
  }
  Result<crypto::Signature> signature = crypto::Signature::Parse(jws.signature);
  if (!signature) return MakeError("invalidSignature", "the JWS signature is not 64 bytes");
  if (!key.Verify(AsBytes(jws.signing_input), *signature)) {
    return MakeError("invalidSignature", "the JWS signature does not verify");
  }
  return std::move(signed_jws->payload);
}

}  // namespace tillit::protocol
