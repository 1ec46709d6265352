// RFC 3339 timestamps in UTC ("2026-11-29T05:34:22Z"), the one time format on every wire
// (REST answers, device output). Pure; thread-safe.
#pragma once

#include <cstdint>
#include <string>

namespace tillit {

// Formats Unix seconds as RFC 3339 UTC with a "Z" suffix and whole seconds.
std::string FormatRfc3339(int64_t unix_seconds);

}  // namespace tillit
