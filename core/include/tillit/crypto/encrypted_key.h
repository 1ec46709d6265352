// Passphrase-encrypted Ed25519 private-key files: PKCS#8 EncryptedPrivateKeyInfo (RFC 5958
// §3) in PEM ("-----BEGIN ENCRYPTED PRIVATE KEY-----", RFC 7468 §11), encrypted with PBES2
// (RFC 8018 §6.2): scrypt (RFC 7914; N = 2^14, r = 8, p = 1, a 16-byte random salt) and
// AES-256-CBC. The format of `openssl pkcs8 -topk8 -scrypt`, so `openssl pkey -in FILE -passin
// ...` reads the files too. scrypt's parameters are the largest OpenSSL accepts when reading
// with its default 32 MiB memory limit; they slow guessing (tens of milliseconds and 16 MiB per
// guess) but do not make a weak passphrase strong. docs/operations.md §1 (ca.key.pem).
//
// Thread safety: pure functions.
#pragma once

#include <string>
#include <string_view>

#include "tillit/crypto/ed25519.h"
#include "tillit/crypto/secret.h"
#include "tillit/result.h"

namespace tillit::crypto {

// The key encrypted under `passphrase` (any bytes, at least one), as PEM text ending in a
// newline. Each call uses a fresh salt and IV. The text holds nothing secret in the clear.
// Errors: "invalidParameters" (empty passphrase), "internalError" (OpenSSL failed).
Result<std::string> EncryptSigningKey(const SigningKey& key, const SecretBytes& passphrase);

// The key in `pem` (as EncryptSigningKey writes it; any PBES2 scheme OpenSSL supports is
// read). Errors: "invalidKeyFile" (no ENCRYPTED PRIVATE KEY block, or not one that can be
// decoded), "decryptionFailed" (the passphrase is wrong: whatever the cause, including
// contents that do not decode after decryption, so nothing tells which part was wrong),
// "invalidKey" (it decrypts to a key that is not Ed25519).
Result<SigningKey> DecryptSigningKey(std::string_view pem, const SecretBytes& passphrase);

}  // namespace tillit::crypto
