// tillit-server's account listings (docs/operations.md §3):
//   tillit-server admin --data DIR list-officers
//   tillit-server admin --data DIR list-rps
// They read the database only (no key is opened, so they take no CA key flags) and, like
// audit-verify and backup, refuse a DIR without a database instead of starting a new issuer.
#pragma once

#include <optional>
#include <string>
#include <vector>

namespace tillit::tools {

// Runs `args` (the whole argv) if it is `admin` with list-officers or list-rps and returns
// the exit status (0 ok, 1 runtime error, 2 usage error); an empty optional for any other
// command, which the caller handles.
std::optional<int> RunListCommand(const std::vector<std::string>& args);

}  // namespace tillit::tools
