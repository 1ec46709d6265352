// The CA key flags and `admin protect-ca-key` (see ca_key_options.h).
#include "ca_key_options.h"

#include <cpprest/json.h>
#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <cstdlib>
#include <cstring>
#include <iostream>
#include <string_view>

#include "tillit/crypto/secret.h"

namespace tillit::server_cli {
namespace {

using crypto::InsecureSecretAccess;

constexpr const char* kPassphraseFile = "--ca-key-passphrase-file";
constexpr const char* kPassphraseEnv = "--ca-key-passphrase-env";
constexpr const char* kModule = "--ca-pkcs11-module";
constexpr const char* kToken = "--ca-pkcs11-token";
constexpr const char* kKey = "--ca-pkcs11-key";
constexpr const char* kPinFile = "--ca-pkcs11-pin-file";
constexpr const char* kPinEnv = "--ca-pkcs11-pin-env";
// A passphrase or PIN file is small; anything larger is a wrong path.
constexpr size_t kMaxSecretFileBytes = 64 * 1024;

Error Usage(std::string message) { return MakeError("usage", std::move(message)); }

// The file's bytes without one trailing "\n".
Result<crypto::SecretBytes> ReadSecretFile(const std::string& flag, const std::string& path) {
  auto read = crypto::ReadSecretFile(path, kMaxSecretFileBytes);
  if (!read.ok()) return Usage(flag + ": " + read.error().message);
  if (!*read) return Usage(flag + ": cannot open " + path + ": " + std::strerror(ENOENT));
  ByteView bytes = (*read)->Expose(InsecureSecretAccess::Get());
  if (!bytes.empty() && bytes.back() == '\n') bytes = bytes.first(bytes.size() - 1);
  if (bytes.empty()) return Usage(flag + ": " + path + " is empty");
  return crypto::SecretBytes::CopyFrom(bytes, InsecureSecretAccess::Get());
}

// The variable's value, which is then wiped where it lies and the variable removed: the
// process's children do not inherit it, and /proc/PID/environ (which shows the memory of
// the initial environment, where the value sits) no longer holds it. The parent that set
// it still does; the file flags avoid the environment altogether (docs/operations.md §1.1).
// explicit_bzero rather than sodium_memzero: only core/src includes sodium.h (style.md);
// both are writes the compiler may not drop. Called while the process has one thread.
Result<crypto::SecretBytes> ReadSecretEnv(const std::string& flag, const std::string& name) {
  char* value = std::getenv(name.c_str());
  if (value == nullptr) return Usage(flag + ": the environment variable " + name + " is not set");
  if (*value == '\0') return Usage(flag + ": the environment variable " + name + " is empty");
  crypto::SecretBytes secret = crypto::SecretBytes::CopyFrom(
      AsBytes(std::string_view(value)), InsecureSecretAccess::Get());
  ::explicit_bzero(value, std::strlen(value));
  ::unsetenv(name.c_str());
  return secret;
}

// One secret from FILE_FLAG or ENV_FLAG (exactly one), or nullopt if neither is given.
Result<std::optional<crypto::SecretBytes>> TakeSecret(Options& options, const char* file_flag,
                                                      const char* env_flag) {
  auto file = options.values.extract(file_flag);
  auto env = options.values.extract(env_flag);
  if (file && env) {
    return Usage(std::string("give ") + file_flag + " or " + env_flag + ", not both");
  }
  if (file) {
    TILLIT_TRY_ASSIGN(auto secret, ReadSecretFile(file_flag, file.mapped()));
    return std::optional<crypto::SecretBytes>(std::move(secret));
  }
  if (env) {
    TILLIT_TRY_ASSIGN(auto secret, ReadSecretEnv(env_flag, env.mapped()));
    return std::optional<crypto::SecretBytes>(std::move(secret));
  }
  return std::optional<crypto::SecretBytes>();
}

}  // namespace

std::vector<std::string> WithCaKeyFlags(std::vector<std::string> allowed) {
  allowed.insert(allowed.end(),
                 {kPassphraseFile, kPassphraseEnv, kModule, kToken, kKey, kPinFile, kPinEnv});
  return allowed;
}

Result<service::CaKeyOptions> TakeCaKeyOptions(Options& options) {
  service::CaKeyOptions out;
  const bool any_pkcs11 = options.values.count(kModule) || options.values.count(kToken) ||
                          options.values.count(kKey) || options.values.count(kPinFile) ||
                          options.values.count(kPinEnv);
  const bool any_passphrase =
      options.values.count(kPassphraseFile) || options.values.count(kPassphraseEnv);
  if (any_pkcs11 && any_passphrase) {
    return Usage("the CA key is either encrypted (--ca-key-passphrase-*) or in a PKCS#11 token "
                 "(--ca-pkcs11-*), not both");
  }
  TILLIT_TRY_ASSIGN(out.passphrase, TakeSecret(options, kPassphraseFile, kPassphraseEnv));
  if (!any_pkcs11) return out;

  for (const char* flag : {kModule, kToken, kKey}) {
    if (!options.values.count(flag) || options.values[flag].empty()) {
      return Usage(std::string(flag) + " is required with the other --ca-pkcs11-* flags");
    }
  }
  service::Pkcs11KeyOptions pkcs11;
  pkcs11.module_path = options.values.extract(kModule).mapped();
  pkcs11.token_label = options.values.extract(kToken).mapped();
  pkcs11.key_label = options.values.extract(kKey).mapped();
  TILLIT_TRY_ASSIGN(auto pin, TakeSecret(options, kPinFile, kPinEnv));
  if (!pin) {
    return Usage(std::string(kPinFile) + " FILE or " + kPinEnv +
                 " NAME is required with --ca-pkcs11-module");
  }
  pkcs11.pin = std::move(*pin);
  out.pkcs11 = std::move(pkcs11);
  return out;
}

}  // namespace tillit::server_cli

namespace tillit::tools {
namespace {

using web::json::value;

constexpr const char* kProtectUsage =
    "usage: tillit-server admin --data DIR protect-ca-key "
    "(--ca-key-passphrase-file FILE | --ca-key-passphrase-env NAME)\n"
    "  Encrypts the plain CA key DIR/ca.key under the passphrase into DIR/ca.key.pem\n"
    "  (PKCS#8, scrypt and AES-256-CBC; `openssl pkey` reads it), checks that it reads back\n"
    "  as the same key, then removes ca.key. Unlinking does not erase the old blocks on the\n"
    "  disk (docs/operations.md §1.2). Afterwards every command that opens the keys needs\n"
    "  the passphrase; a running server keeps the key it loaded. If interrupted, run it\n"
    "  again.\n"
    "  Prints {\"caKeyFile\": \"ca.key.pem\", \"removed\": \"ca.key\", \"caPublicKey\": HEX}.\n";

int UsageError(const std::string& message) { return server_cli::UsageError(message, kProtectUsage); }

}  // namespace

std::optional<int> RunCaKeyCommand(const std::vector<std::string>& args) {
  if (args.size() < 2 || args[1] != "admin") return std::nullopt;
  if (server_cli::CommandOf(args, 2) != "protect-ca-key") return std::nullopt;
  server_cli::Options options;
  if (auto error = server_cli::ParseOptions(
          args, 2, {"--data", "--ca-key-passphrase-file", "--ca-key-passphrase-env"}, 1,
          options)) {
    return UsageError(*error);
  }
  if (options.help) {
    std::cout << kProtectUsage;
    return 0;
  }
  const std::string data = options.values["--data"];
  options.values.erase("--data");
  if (data.empty()) return UsageError("--data is required");
  auto ca_key = server_cli::TakeCaKeyOptions(options);
  if (!ca_key.ok()) return UsageError(ca_key.error().message);
  if (!ca_key->passphrase) {
    return UsageError("protect-ca-key needs --ca-key-passphrase-file FILE or "
                      "--ca-key-passphrase-env NAME");
  }
  auto protected_key = service::IssuerKeys::ProtectCaKey(data, *ca_key->passphrase);
  if (!protected_key.ok()) return server_cli::FailJson(protected_key.error());
  value v = value::object(/*keep_order=*/true);
  v["caKeyFile"] = value::string("ca.key.pem");
  v["removed"] = value::string("ca.key");
  v["caPublicKey"] = value::string(HexEncode(protected_key->bytes()));
  server_cli::PrintJson(v);
  return 0;
}

}  // namespace tillit::tools
