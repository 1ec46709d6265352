// Constant-time comparison for MACs, tokens, challenges and hashes (style.md, crypto
// hygiene rule 3). Thread-safe.
#pragma once

#include "tillit/bytes.h"

namespace tillit::crypto {

// True iff a and b have the same length and the same contents. The running time depends on
// the lengths (which are treated as public) but not on the contents.
bool ConstantTimeEquals(ByteView a, ByteView b);

}  // namespace tillit::crypto
