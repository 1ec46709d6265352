// Command-line parsing shared by tillit-server's commands (serve, admin and its
// subcommands): `--flag VALUE` options from an allowed list, positional arguments, --help.
#pragma once

#include <cpprest/json.h>

#include <cstddef>
#include <map>
#include <optional>
#include <string>
#include <vector>

#include "tillit/result.h"

namespace tillit::server_cli {

struct Options {
  std::map<std::string, std::string> values;  // "--flag" -> value
  std::vector<std::string> positional;
  bool help = false;
};

// Reads args[from..]: "--help"/"-h" set help; "--flag VALUE" for a flag in `allowed`
// (each at most once); anything else is positional, at most max_positional of them.
// Returns a usage message for anything else, nullopt on success.
std::optional<std::string> ParseOptions(const std::vector<std::string>& args, size_t from,
                                        const std::vector<std::string>& allowed,
                                        size_t max_positional, Options& out);

// The command word of `admin ...` (args[from..]): the first argument that is neither an
// option nor an option's value; "" if none.
std::string CommandOf(const std::vector<std::string>& args, size_t from);

// The admin commands' output conventions (docs/operations.md): one JSON object per line on
// stdout; a usage error prints the message and the usage text on stderr and exits 2; a
// runtime error prints {"errorCode", "details"} on stdout, the same on stderr, and exits 1.
void PrintJson(const web::json::value& v);
int UsageError(const std::string& message, const char* usage);
int FailJson(const Error& error);

// For the commands that inspect a deployment and never start one (audit-verify, backup,
// list-officers, list-rps): "notFound" if DIR holds no database.
Status RequireDatabase(const std::string& data_dir);

}  // namespace tillit::server_cli
