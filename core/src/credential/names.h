// Internal to credential/: the rules for the person and CA names written into certificates
// (docs/credential.md §4), shared by issuing and verification so both apply the same rules.
//
// Thread safety: pure functions.
#pragma once

#include <cstddef>
#include <optional>
#include <string>
#include <string_view>

#include "tillit/result.h"

namespace tillit::credential::internal {

// Ok iff `name` is 1..kMaxNameBytes bytes of well-formed UTF-8 without control characters
// (C0, DEL, C1, U+2028/U+2029), bidirectional overrides and isolates (U+200E, U+200F,
// U+202A..U+202E, U+2066..U+2069) or U+FEFF, and does not begin or end with a space. The
// excluded characters would let a name display as something else. `what` names the field
// in the message. Errors: `error_code`.
Status CheckName(std::string_view name, std::string_view what, const char* error_code);

// The holder's commonName: "<given_name> <surname>", cut to kMaxCommonNameChars code points
// (ub-common-name, RFC 5280 Appendix A) and stripped of a trailing space left by the cut.
// Both names must have passed CheckName.
std::string HolderCommonName(std::string_view given_name, std::string_view surname);

}  // namespace tillit::credential::internal
