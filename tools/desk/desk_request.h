// The tillit-desk subcommands: their help texts, and the translation of a subcommand's
// arguments into one desk API request (docs/desk.md, docs/desk-api.md). No I/O.
#pragma once

#include <cpprest/json.h>

#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "tillit/result.h"

namespace tillit::desk {

// Error code of a command line that does not fit a subcommand's synopsis (exit status 2).
inline constexpr std::string_view kUsageError = "usage";

// One call of the desk API.
struct DeskRequest {
  std::string method;  // "GET" or "POST"
  std::string path;    // absolute, path segments percent-encoded
  std::optional<web::json::value> body;
  bool draws_activation_qr = false;  // `issue`: draw the response's activationQr
};

// A subcommand's name, one-line synopsis and help text.
struct SubcommandHelp {
  std::string_view name;
  std::string_view synopsis;
  std::string_view help;
};

// Every subcommand, in the order the program's help lists them.
const std::vector<SubcommandHelp>& Subcommands();

// The help of subcommand name, or nullptr if there is no such subcommand.
const SubcommandHelp* FindSubcommand(std::string_view name);

// Builds the request of subcommand name from its arguments (the program's global options
// already removed). Options take their value as the next argument or after '='; "--" ends
// the options.
// Errors: kUsageError (unknown subcommand or option, missing or repeated option or argument,
// conflicting options), "invalidParameters" (a value that is malformed on its face, e.g. an
// --evidence that is not TYPE:NUMBER:COUNTRY:EXPIRY or an unknown evidence type or check).
Result<DeskRequest> BuildRequest(std::string_view name, const std::vector<std::string>& args);

}  // namespace tillit::desk
