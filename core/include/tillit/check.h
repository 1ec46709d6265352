// TILLIT_CHECK: aborts on a broken invariant (a programmer error). Not for bad input:
// bad input is reported with a Result.
#pragma once

namespace tillit::internal {
[[noreturn]] void CheckFailed(const char* condition, const char* file, int line);
}  // namespace tillit::internal

#define TILLIT_CHECK(condition)                                            \
  do {                                                                     \
    if (!(condition)) ::tillit::internal::CheckFailed(#condition, __FILE__, __LINE__); \
  } while (false)
