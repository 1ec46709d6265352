// IssuerKeys: the issuer's long-term secrets, kept as files in the data directory and
// created on first start (docs/operations.md §Data directory):
//   ca.key          Ed25519 seed of the issuer CA (32 bytes)
//   ca.pem          the self-signed CA certificate (PEM; ~10 years)
//   identifier.key  the identifier permutation key (32 bytes; fixed for the deployment's
//                   life: changing it changes every identifier, identifier/scheme.h)
//   result.key      Ed25519 seed of the result-signing key (32 bytes): signs the resultJws
//                   of login and signing results (docs/protocol.md §6); kept apart from the
//                   CA key so that a result key can be rotated without re-issuing credentials
//   pepper.key      HMAC key for hashing bearer tokens, API keys and activation secrets
//                   (32 bytes), so a copy of the database alone lets nobody act as anyone
// The directory is 0700 and every file 0600; files are written atomically (temp file,
// fsync, rename, fsync of the directory) and never overwritten once they exist.
//
// Thread safety: immutable after Load; all methods may be called concurrently.
#pragma once

#include <string>
#include <string_view>

#include "tillit/bytes.h"
#include "tillit/crypto/ed25519.h"
#include "tillit/crypto/secret.h"
#include "tillit/identifier/scheme.h"
#include "tillit/ports.h"
#include "tillit/result.h"

namespace tillit::service {

// What a stored hash is a hash of. The label is part of the HMAC input, so a token of one
// kind can never be presented as another. DO NOT CHANGE (hashes are in databases).
enum class SecretKind {
  kOfficerToken,      // "officer-token"
  kRelyingPartyKey,   // "rp-api-key"
  kActivationSecret,  // "activation-secret"
};

class IssuerKeys {
 public:
  // Creates `data_dir` (0700) if needed, then loads the key files, creating any that are
  // missing; the CA certificate is created with the CA key and is valid from now - 1 day
  // to now + 10 years by `clock`. Creation is serialised across processes by a lock file
  // (data_dir/keys.lock), so a server and an admin command starting at once agree.
  // Errors: "storageUnavailable" (a file cannot be read, written or locked),
  // "internalError" (a key file has the wrong size or the certificate does not match the
  // key: the directory was tampered with or mixed up; nothing is overwritten).
  static Result<IssuerKeys> LoadOrCreate(const std::string& data_dir, const Clock& clock);

  IssuerKeys(IssuerKeys&&) noexcept = default;
  IssuerKeys& operator=(IssuerKeys&&) noexcept = default;

  const crypto::SigningKey& ca_key() const { return ca_key_; }
  const Bytes& ca_certificate_der() const { return ca_certificate_der_; }
  const identifier::IdentifierScheme& scheme() const { return scheme_; }
  const crypto::SigningKey& result_key() const { return result_key_; }

  // HMAC-SHA-256(pepper, label(kind) || 0x00 || secret): the only form in which tokens,
  // API keys and activation secrets are stored. Deterministic, so storage looks rows up by
  // it; compare results with crypto::ConstantTimeEquals.
  Bytes HashSecret(SecretKind kind, std::string_view secret) const;

 private:
  IssuerKeys(crypto::SigningKey ca_key, Bytes ca_certificate_der,
             identifier::IdentifierScheme scheme, crypto::SigningKey result_key,
             crypto::SecretBytes pepper)
      : ca_key_(std::move(ca_key)),
        ca_certificate_der_(std::move(ca_certificate_der)),
        scheme_(std::move(scheme)),
        result_key_(std::move(result_key)),
        pepper_(std::move(pepper)) {}

  crypto::SigningKey ca_key_;
  Bytes ca_certificate_der_;
  identifier::IdentifierScheme scheme_;
  crypto::SigningKey result_key_;
  crypto::SecretBytes pepper_;
};

// The database file inside a data directory.
std::string DatabasePath(const std::string& data_dir);

}  // namespace tillit::service
