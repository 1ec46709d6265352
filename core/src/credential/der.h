// Internal to credential/: a structural DER checker (ITU-T X.690 §10, §11) that runs before
// OpenSSL sees a certificate. OpenSSL's decoder accepts BER, and re-encoding a decoded
// certificate reuses the bytes it decoded for names and extension values, so comparing the
// re-encoding with the input alone would miss non-DER encodings inside them.
//
// Thread safety: pure functions.
#pragma once

#include <vector>

#include "tillit/bytes.h"
#include "tillit/result.h"

namespace tillit::credential::internal {

// Ok iff `der` is exactly one TLV (nothing after it) encoded in DER as far as the encoding
// alone shows it, recursively through every constructed value:
//  - tags in low-tag form where possible, high-tag numbers minimal;
//  - definite lengths in the fewest octets (no indefinite form, no leading zero octets);
//  - BOOLEAN is one octet 00 or FF; INTEGER and ENUMERATED minimal; NULL empty; OBJECT
//    IDENTIFIER arcs minimal; BIT STRING with 0..7 unused bits that are zero;
//  - string, BIT STRING and OCTET STRING values primitive (no constructed strings);
//    SEQUENCE and SET constructed, other universal types primitive;
//  - SET elements in ascending order of their encodings (X.690 §11.6);
//  - UTCTime "YYMMDDHHMMSSZ" and GeneralizedTime "YYYYMMDDHHMMSSZ" (X.690 §11.7, §11.8 and
//    RFC 5280 §4.1.2.5: 'Z', seconds present, no fraction);
//  - PrintableString and IA5String within their character sets.
// What it cannot see without the schema (DEFAULT values written out, the contents of
// OCTET STRINGs) the certificate parser checks by re-encoding. Nesting deeper than 32
// levels is rejected. Errors: "invalidEncoding".
Status CheckStrictDer(ByteView der);

// The encodings (tag, length, contents) of the elements inside the constructed TLV `tlv`,
// for walking a value that CheckStrictDer accepted. Errors: "invalidEncoding".
Result<std::vector<ByteView>> DerElements(ByteView tlv);

}  // namespace tillit::credential::internal
