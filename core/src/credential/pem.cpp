// PEM encoding of certificates (RFC 7468 §5), strict on input; see certificate.h.
#include <string>
#include <vector>

#include "tillit/credential/certificate.h"

namespace tillit::credential {
namespace {

constexpr std::string_view kBegin = "-----BEGIN CERTIFICATE-----";
constexpr std::string_view kEnd = "-----END CERTIFICATE-----";
constexpr size_t kLineLength = 64;      // what we write (RFC 7468 §2)
constexpr size_t kMaxLineLength = 76;   // what we accept (the MIME limit some writers use)
constexpr size_t kMaxPemSize = 32 * 1024;

Error InvalidPem(std::string message) { return MakeError("invalidPem", std::move(message)); }

}  // namespace

std::string CertificateToPem(ByteView der) {
  const std::string body = Base64Encode(der);
  std::string pem;
  pem.reserve(body.size() + body.size() / kLineLength + kBegin.size() + kEnd.size() + 4);
  pem.append(kBegin).push_back('\n');
  for (size_t i = 0; i < body.size(); i += kLineLength) {
    pem.append(body, i, kLineLength).push_back('\n');
  }
  pem.append(kEnd).push_back('\n');
  return pem;
}

Result<Bytes> CertificateFromPem(std::string_view pem) {
  if (pem.size() > kMaxPemSize) return InvalidPem("PEM text too long");
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
  if (lines.size() < 3 || lines.front() != kBegin || lines.back() != kEnd) {
    return InvalidPem("not exactly one BEGIN/END CERTIFICATE block and nothing else");
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
  TILLIT_TRY(ParseCertificate(*der));
  return der;
}

}  // namespace tillit::credential
