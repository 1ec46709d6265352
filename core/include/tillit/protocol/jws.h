// Compact JWS (RFC 7515) with EdDSA over Ed25519 (RFC 8037) and Ed25519 JWKs: how the issuer
// signs login and signing results so an e-service can check them offline
// (docs/protocol.md §6). Only "EdDSA" is produced or accepted; there is no algorithm choice
// to get wrong ("alg": "none" and HMAC confusion are impossible by construction).
//
// Thread safety: all functions are pure and thread-safe.
#pragma once

#include <string>
#include <string_view>

#include "tillit/bytes.h"
#include "tillit/crypto/ed25519.h"
#include "tillit/result.h"

namespace tillit::protocol {

// Largest compact JWS ParseCompactJws looks at (results are well under 100 KiB).
inline constexpr size_t kMaxJwsBytes = 512 * 1024;

// The RFC 7638 thumbprint of the key's JWK: base64url (no padding) of
// SHA-256("{\"crv\":\"Ed25519\",\"kty\":\"OKP\",\"x\":\"<base64url key>\"}"). Used as "kid".
std::string JwkThumbprint(const crypto::VerifyingKey& key);

// The public JWK of key as one JSON object, members in this order:
// {"kty":"OKP","crv":"Ed25519","x":"…","kid":"<thumbprint>","use":"sig","alg":"EdDSA"}
std::string SerializePublicJwk(const crypto::VerifyingKey& key);

// A JWK's public key from its members (the caller parsed the JSON): kty must be "OKP", crv
// "Ed25519", x the base64url 32-byte key passing VerifyingKey::Create. Errors: "invalidJwk".
Result<crypto::VerifyingKey> ParsePublicJwk(std::string_view kty, std::string_view crv,
                                            std::string_view x);

// BASE64URL(header) "." BASE64URL(payload) "." BASE64URL(signature), header exactly
// {"alg":"EdDSA","kid":"<JwkThumbprint(key)>","typ":"JWT"}. Any payload bytes are signed
// as given (the caller serializes its JSON).
std::string SignCompactJws(const crypto::SigningKey& key, ByteView payload);

// A compact JWS split and decoded. Unverified.
struct UnverifiedJws {
  std::string alg;
  std::string kid;  // empty if the header has none
  std::string typ;  // empty if the header has none
  Bytes payload;
  std::string signing_input;  // the first two parts with their dot, as signed
  Bytes signature;
};

// Splits and decodes a compact JWS: exactly three parts, each strict base64url (the
// signature part non-empty), at most kMaxJwsBytes. The header must be a JSON object whose
// members are all strings (no escapes other than \" \\ \/ \b \f \n \r \t \uXXXX, no
// duplicate names), with "alg" present and no "crit" member. Errors: "invalidJws".
Result<UnverifiedJws> ParseCompactJws(std::string_view text);

// Checks a parsed JWS: alg must be "EdDSA", and if the header has a kid it must equal
// JwkThumbprint(key); then the signature over signing_input. Returns the payload.
// Errors: "invalidJws" (alg, kid), "invalidSignature".
Result<Bytes> VerifyCompactJws(const UnverifiedJws& jws, const crypto::VerifyingKey& key);

}  // namespace tillit::protocol
