// Where tillit-server's commands find the issuer CA key (docs/operations.md §1.1, §1.2).
// Flags of `serve` and of every admin command that opens the issuer's keys:
//   --ca-key-passphrase-file FILE | --ca-key-passphrase-env NAME
//   --ca-pkcs11-module PATH --ca-pkcs11-token LABEL --ca-pkcs11-key LABEL
//       (--ca-pkcs11-pin-file FILE | --ca-pkcs11-pin-env NAME)
// and the admin command that encrypts a plain ca.key:
//   tillit-server admin --data DIR protect-ca-key
//       (--ca-key-passphrase-file FILE | --ca-key-passphrase-env NAME)
// Passphrases and PINs are read into SecretBytes and never printed, not even in errors.
#pragma once

#include <optional>
#include <string>
#include <vector>

#include "cli_options.h"
#include "tillit/result.h"
#include "tillit/service/issuer_keys.h"

namespace tillit::server_cli {

// Usage lines for the flags above, for the --help texts of the commands that take them
// (macros, so that the texts stay single string literals).
#define TILLIT_CA_KEY_USAGE                                                                  \
  "  The CA key (docs/operations.md §1.1), by default the plain file DIR/ca.key:\n"         \
  "  --ca-key-passphrase-file FILE | --ca-key-passphrase-env NAME\n"                        \
  "                the passphrase of DIR/ca.key.pem (FILE's content without one trailing\n" \
  "                newline, or the variable's value); a new DIR gets ca.key.pem\n"          \
  "  --ca-pkcs11-module PATH --ca-pkcs11-token LABEL --ca-pkcs11-key LABEL\n"               \
  "  --ca-pkcs11-pin-file FILE | --ca-pkcs11-pin-env NAME\n"                                \
  "                the CA key is in a PKCS#11 token (an HSM); signs with CKM_EDDSA\n"
#define TILLIT_CA_KEY_USAGE_REFERENCE \
  "  Also takes the CA key flags (see tillit-server admin --help).\n"

// `allowed` plus the CA key flags, for ParseOptions.
std::vector<std::string> WithCaKeyFlags(std::vector<std::string> allowed);

// Takes the CA key flags out of options.values (so a command's own checks see only its
// own flags) and reads the secrets they name: a file's content without one trailing "\n",
// or an environment variable's value (the value is then wiped in place and the variable
// unset; call it before starting threads). Errors (code "usage"; the message names the flag and
// never holds a secret): passphrase and PKCS#11 flags together, both sources of one secret,
// a PKCS#11 flag without the others, an unreadable file, an unset variable, an empty secret.
Result<service::CaKeyOptions> TakeCaKeyOptions(Options& options);

}  // namespace tillit::server_cli

namespace tillit::tools {

// Runs `args` (the whole argv) if it is `admin ... protect-ca-key` and returns the exit
// status (0 done, 1 runtime error, 2 usage error); an empty optional for any other command.
std::optional<int> RunCaKeyCommand(const std::vector<std::string>& args);

}  // namespace tillit::tools
