// Internal to credential/: the strict certificate parser behind ParseCertificate, which also
// hands the decoded OpenSSL object and a few profile facts to issuing and verification.
//
// Thread safety: pure function; the result is owned by the caller.
#pragma once

#include <string>
#include <vector>

#include "credential/openssl_util.h"
#include "tillit/bytes.h"
#include "tillit/credential/certificate.h"
#include "tillit/result.h"

namespace tillit::credential::internal {

struct StrictCertificate {
  X509Ptr x509;  // decoded from exactly the input bytes, which are DER
  ParsedCertificate parsed;
  // Subject attribute types in order, as dotted OIDs (the profile checks allow a fixed set).
  std::vector<std::string> subject_attribute_oids;
  bool policy_qualifiers = false;      // some PolicyInformation carries qualifiers
  bool public_key_parameters = false;  // the key's AlgorithmIdentifier has parameters
  bool basic_constraints_critical = false;
};

// See ParseCertificate in tillit/credential/certificate.h. Errors: "invalidCertificate".
Result<StrictCertificate> ParseStrict(ByteView der);

// Ok iff a standard extension's value (`value`, the extnValue contents) decodes and
// re-encodes to the same bytes; extensions OpenSSL does not know pass. This catches what
// CheckStrictDer cannot see, e.g. basicConstraints with cA FALSE written out.
// Errors: "invalidCertificate" (the message names `oid`).
Status CheckExtensionReencodes(X509_EXTENSION* extension, ByteView value, const std::string& oid);

// The dotted text of an OID, e.g. "2.5.4.5". Never fails for a decoded OID.
std::string OidText(const ASN1_OBJECT* oid);

}  // namespace tillit::credential::internal
