// Internal: the transport's diagnostic log (stderr). Details that clients must not see
// (exception texts, internal error messages) go here. Thread-safe: one write per line.
#pragma once

#include <string_view>

namespace tillit::server::api::internal {

// Writes "tillit http: <message>\n" to stderr as a single write, so lines from concurrent
// threads do not interleave.
void LogError(std::string_view message);

}  // namespace tillit::server::api::internal
