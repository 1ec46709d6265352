// The offline-desk admin commands of tillit-server (docs/offline-desk.md):
//   tillit-server admin --data DIR lease-block --desk NAME --size N [--out FILE]
//   tillit-server admin --data DIR load-lease FILE [--central-ca CA.pem]
//   tillit-server admin --data DIR export-sync FILE
//   tillit-server admin --data DIR import-sync FILE
//   tillit-server admin --data DIR leases
#pragma once

#include <optional>
#include <string>
#include <vector>

namespace tillit::tools {

// Runs `args` (the whole argv) if it is `admin` with one of the commands above and returns
// the exit status (0 ok, 1 runtime error or import conflicts, 2 usage error); an empty
// optional if it is some other command, which the caller handles.
std::optional<int> RunOfflineDeskCommand(const std::vector<std::string>& args);

}  // namespace tillit::tools
