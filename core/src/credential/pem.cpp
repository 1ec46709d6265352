// PEM encoding of certificates (RFC 7468 §5) and CRLs (§6), strict on input; see
// certificate.h and crl.h.
#include <string>
#include <vector>

#include "tillit/credential/certificate.h"
#include "tillit/credential/crl.h"

namespace tillit::credential {
namespace {

constexpr size_t kLineLength = 64;      // what we write (RFC 7468 §2)
constexpr size_t kMaxLineLength = 76;   // what we accept (the MIME limit some writers use)
constexpr size_t kMaxCertificatePemSize = 32 * 1024;
// Base64 of kMaxCrlSize with line breaks, and the two boundary lines.
constexpr size_t kMaxCrlPemSize = kMaxCrlSize / 3 * 4 + kMaxCrlSize / 32 + 1024;

Error InvalidPem(std::string message) { return MakeError("invalidPem", std::move(message)); }

std::string Begin(std::string_view label) { return "-----BEGIN " + std::string(label) + "-----"; }
std::string End(std::string_view label) { return "-----END " + std::string(label) + "-----"; }

std::string Encode(ByteView der, std::string_view label) {
  const std::string body = Base64Encode(der);
  std::string pem;
  pem.reserve(body.size() + body.size() / kLineLength + 2 * label.size() + 40);
  pem.append(Begin(label)).push_back('\n');
  for (size_t i = 0; i < body.size(); i += kLineLength) {
    pem.append(body, i, kLineLength).push_back('\n');
  }
  pem.append(End(label)).push_back('\n');
  return pem;
}

// The bytes of the one `label` block that `pem` consists of; the contents are not checked.
Result<Bytes> Decode(std::string_view pem, std::string_view label, size_t max_size) {
  if (pem.size() > max_size) return InvalidPem("PEM text too long");
  // Split into lines ending in LF or CRLF; the last line may lack its line break.
  std::vector<std::string_view> lines;
  while (!pem.empty()) {
    const size_t lf = pem.find('\n');
    std::string_view line = pem.substr(0, lf);
    pem.remove_prefix(lf == std::string_view::npos ? pem.size() : lf + 1);
    if (!line.empty() && line.back() == '\r') line.remove_suffix(1);
    lines.push_back(line);
  }
  // Only line breaks may follow the END line.
  while (!lines.empty() && lines.back().empty()) lines.pop_back();
  if (lines.size() < 3 || lines.front() != Begin(label) || lines.back() != End(label)) {
    return InvalidPem("not exactly one BEGIN/END " + std::string(label) +
                      " block and nothing else");
  }
  std::string body;
  for (size_t i = 1; i + 1 < lines.size(); ++i) {
    const std::string_view line = lines[i];
    if (line.empty() || line.size() > kMaxLineLength) {
      return InvalidPem("bad base64 line length in PEM");
    }
    body.append(line);
  }
  // A second block, headers or stray text show up here as characters outside base64.
  Result<Bytes> der = Base64Decode(body);
  if (!der.ok()) return InvalidPem("PEM body is not strict base64");
  return der;
}

}  // namespace

std::string CertificateToPem(ByteView der) { return Encode(der, "CERTIFICATE"); }

Result<Bytes> CertificateFromPem(std::string_view pem) {
  TILLIT_TRY_ASSIGN(Bytes der, Decode(pem, "CERTIFICATE", kMaxCertificatePemSize));
  TILLIT_TRY(ParseCertificate(der));
  return der;
}

std::string CrlToPem(ByteView der) { return Encode(der, "X509 CRL"); }

Result<Bytes> CrlFromPem(std::string_view pem) { return Decode(pem, "X509 CRL", kMaxCrlPemSize); }

}  // namespace tillit::credential
