// IssuerKeys: the issuer's long-term secrets, kept as files in the data directory and
// created on first start (docs/operations.md §1 Data directory):
//   ca.key          Ed25519 seed of the issuer CA (32 bytes), or instead
//   ca.key.pem      the same key encrypted under a passphrase (crypto/encrypted_key.h), or
//                   neither: the CA key is in a PKCS#11 token (pkcs11_signer.h)
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
// Thread safety: immutable after Load; all methods may be called concurrently (the CA
// signer serialises itself where it must).
#pragma once

#include <memory>
#include <optional>
#include <string>
#include <string_view>

#include "tillit/bytes.h"
#include "tillit/crypto/ed25519.h"
#include "tillit/crypto/secret.h"
#include "tillit/crypto/signer.h"
#include "tillit/identifier/scheme.h"
#include "tillit/ports.h"
#include "tillit/result.h"
#include "tillit/service/pkcs11_signer.h"

namespace tillit::service {

// Where the CA key comes from. Neither set: the plain file ca.key (created if no CA key
// exists). At most one may be set.
struct CaKeyOptions {
  // Unlocks ca.key.pem; on first start, creates ca.key.pem (the plain seed never touches
  // the disk). Never logged.
  std::optional<crypto::SecretBytes> passphrase;
  // The CA key is in this PKCS#11 token; the data directory holds no CA key file.
  std::optional<Pkcs11KeyOptions> pkcs11;
};

// What a stored hash is a hash of. The label is part of the HMAC input, so a token of one
// kind can never be presented as another. DO NOT CHANGE (hashes are in databases).
enum class SecretKind {
  kOfficerToken,      // "officer-token"
  kRelyingPartyKey,   // "rp-api-key"
  kActivationSecret,  // "activation-secret"
};

class IssuerKeys {
 public:
  // Creates `data_dir` (0700) if needed, then opens the CA key from the source `ca_key`
  // names and loads the other key files, creating any that are missing; the CA certificate
  // is created with the CA key and is valid from now - 1 day to now + 10 years by `clock`.
  // The CA key is opened first, so a locked key changes nothing on disk. Creation is
  // serialised across processes by a lock file (data_dir/keys.lock), so a server and an
  // admin command starting at once agree.
  // Errors: "storageUnavailable" (a file cannot be read, written or locked),
  // "caKeyLocked" (ca.key.pem exists and no passphrase was given, or the passphrase does
  // not unlock it; the token refused the PIN), "invalidParameters" (a passphrase for a
  // plain ca.key, which must first be encrypted with ProtectCaKey; both sources set),
  // "internalError" (a key file has the wrong size or is not a key; ca.key and ca.key.pem
  // both exist, or a CA key file and a token key; ca.pem exists without any CA key or does
  // not match the CA key: the directory was tampered with or mixed up; nothing is
  // overwritten), and Pkcs11Signer::Open's errors ("signerUnavailable", "notFound", ...).
  static Result<IssuerKeys> LoadOrCreate(const std::string& data_dir, const Clock& clock,
                                         const CaKeyOptions& ca_key = {});

  // Encrypts the plain CA key data_dir/ca.key under `passphrase` into ca.key.pem (atomic
  // write, fsync, directory fsync), checks that the new file decrypts with the passphrase to
  // the same key, then removes ca.key and fsyncs the directory (unlinking does not erase
  // the blocks: see docs/operations.md §1.2). Interrupted after the write, it can be run
  // again: an existing ca.key.pem that holds the same key is kept. Returns the CA's public
  // key. Errors: "notFound" (no ca.key: nothing to protect, or already protected),
  // "invalidParameters" (empty passphrase), "caKeyLocked" (a ca.key.pem left by an earlier
  // run does not open with this passphrase), "internalError" (ca.key malformed, ca.pem not
  // its certificate, or a ca.key.pem holding another key), "storageUnavailable".
  static Result<crypto::VerifyingKey> ProtectCaKey(const std::string& data_dir,
                                                   const crypto::SecretBytes& passphrase);

  IssuerKeys(IssuerKeys&&) noexcept = default;
  IssuerKeys& operator=(IssuerKeys&&) noexcept = default;

  // Signs certificates, CRLs and leases with the CA key, wherever it is.
  const crypto::Signer& ca_signer() const { return *ca_signer_; }
  const crypto::VerifyingKey& ca_verifying_key() const { return ca_signer_->verifying_key(); }
  const Bytes& ca_certificate_der() const { return ca_certificate_der_; }
  const identifier::IdentifierScheme& scheme() const { return scheme_; }
  const crypto::SigningKey& result_key() const { return result_key_; }

  // HMAC-SHA-256(pepper, label(kind) || 0x00 || secret): the only form in which tokens,
  // API keys and activation secrets are stored. Deterministic, so storage looks rows up by
  // it; compare results with crypto::ConstantTimeEquals.
  Bytes HashSecret(SecretKind kind, std::string_view secret) const;

 private:
  IssuerKeys(std::unique_ptr<crypto::Signer> ca_signer, Bytes ca_certificate_der,
             identifier::IdentifierScheme scheme, crypto::SigningKey result_key,
             crypto::SecretBytes pepper)
      : ca_signer_(std::move(ca_signer)),
        ca_certificate_der_(std::move(ca_certificate_der)),
        scheme_(std::move(scheme)),
        result_key_(std::move(result_key)),
        pepper_(std::move(pepper)) {}

  std::unique_ptr<crypto::Signer> ca_signer_;  // never null
  Bytes ca_certificate_der_;
  identifier::IdentifierScheme scheme_;
  crypto::SigningKey result_key_;
  crypto::SecretBytes pepper_;
};

// The database file inside a data directory.
std::string DatabasePath(const std::string& data_dir);

}  // namespace tillit::service
