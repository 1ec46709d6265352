// Three-letter country codes as ICAO Doc 9303 Part 3 §5 uses them on travel documents:
// every ISO 3166-1 alpha-3 code, plus ICAO's own codes for British nationality classes
// (GBD, GBN, GBO, GBP, GBS), international organisations (UNO, UNA, UNK, EUE, XBA, XCC,
// XCE, XCO, XDC, XEC, XES, XIM, XMP, XOM, XPO), Kosovo (RKS) and the holder statuses
// XXA (stateless), XXB (refugee, 1951 Convention), XXC (other refugee), XXX (unspecified).
//
// Germany is "D" in a machine-readable zone (padded "D<<"); this library stores DEU, and
// ParseCountryCode accepts the MRZ form so a desk that copies the MRZ gets DEU.
//
// Thread safety: all functions are pure.
#pragma once

#include <string>
#include <string_view>

#include "tillit/result.h"

namespace tillit::enrolment {

// True if `code` is a canonical (upper-case, three-letter) code in the list above.
bool IsKnownCountryCode(std::string_view code);

// True for XXA, XXB, XXC and XXX: they describe the holder's status and are valid as a
// nationality, but no state or organisation issues documents under them.
bool IsHolderStatusCode(std::string_view code);

// Parses a code typed at the desk or copied from an MRZ: trims spaces, upper-cases, drops
// trailing MRZ filler '<', and maps "D" to "DEU". Returns the canonical code.
// Errors: "invalidParameters" naming `field` when the result is not a known code.
Result<std::string> ParseCountryCode(std::string_view text, std::string_view field);

}  // namespace tillit::enrolment
