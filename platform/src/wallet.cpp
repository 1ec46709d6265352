// wallet.json: the device's credential state (tillit/platform/wallet.h). JSON because it holds
// public data only (certificates, URL) and people debugging a device read it.
#include "tillit/platform/wallet.h"

#include <unistd.h>

#include <cpprest/json.h>

#include "secure_file.h"
#include "tillit/credential/tls_pin.h"

namespace tillit::platform {
namespace {

constexpr std::string_view kWalletFile = "wallet.json";
constexpr size_t kMaxWalletBytes = 64 * 1024;
constexpr int kWalletVersion = 1;

Error Corrupt(const std::string& what) {
  return MakeError("walletCorrupt", "wallet.json is damaged: " + what);
}

}  // namespace

Status PrepareDeviceHome(const std::filesystem::path& dir) {
  TILLIT_TRY_ASSIGN(int fd, internal::OpenPrivateDirectory(dir));
  ::close(fd);
  return Status();
}

Result<credential::VerifiedHolderCertificate> VerifyWalletEntry(const WalletEntry& entry,
                                                               int64_t now) {
  return credential::VerifyHolderCertificate(entry.certificate_der, entry.ca_certificate_der,
                                             now);
}

Result<std::optional<WalletEntry>> LoadWallet(const std::filesystem::path& dir) {
  std::error_code ec;
  if (!std::filesystem::exists(dir / kWalletFile, ec)) return std::optional<WalletEntry>();
  TILLIT_TRY_ASSIGN(int fd, internal::OpenPrivateDirectory(dir));
  auto data = internal::ReadSmallFile(fd, kWalletFile, kMaxWalletBytes, "walletCorrupt");
  ::close(fd);
  if (!data.ok()) return std::move(data).error();
  if (!data->has_value()) return std::optional<WalletEntry>();
  try {
    const auto json = web::json::value::parse(std::string(AsString(**data)));
    if (!json.is_object()) return Corrupt("not a JSON object");
    const auto& obj = json.as_object();
    auto field = [&](const char* name) -> Result<std::string> {
      auto it = obj.find(name);
      if (it == obj.end() || !it->second.is_string()) return Corrupt(std::string(name) + " missing");
      return it->second.as_string();
    };
    auto version = obj.find("version");
    if (version == obj.end() || !version->second.is_integer() ||
        version->second.as_integer() != kWalletVersion) {
      return Corrupt("unknown version");
    }
    WalletEntry entry;
    TILLIT_TRY_ASSIGN(entry.server, field("server"));
    TILLIT_TRY_ASSIGN(auto cert, field("certificate"));
    TILLIT_TRY_ASSIGN(auto ca, field("caCertificate"));
    auto cert_der = Base64Decode(cert);
    auto ca_der = Base64Decode(ca);
    if (!cert_der.ok() || !ca_der.ok()) return Corrupt("certificate is not base64");
    entry.certificate_der = std::move(*cert_der);
    entry.ca_certificate_der = std::move(*ca_der);
    auto at = obj.find("activatedAt");
    if (at != obj.end() && at->second.is_integer()) entry.activated_at = at->second.as_number().to_int64();
    // Optional, so that wallets from before TLS pinning still load. A present but unusable
    // pin is damage, not absence: ignoring it would silently drop the device to weaker trust.
    if (auto pin = obj.find("tlsPin"); pin != obj.end()) {
      if (!pin->second.is_string()) return Corrupt("tlsPin is not a string");
      auto parsed = credential::ParseTlsPin(pin->second.as_string());
      if (!parsed.ok()) return Corrupt("tlsPin is not a TLS pin");
      if (entry.server.rfind("https://", 0) != 0) {
        return Corrupt("tlsPin for a server that is not https://");
      }
      entry.tls_pin = std::move(*parsed);
    }
    return std::optional<WalletEntry>(std::move(entry));
  } catch (const std::exception&) {
    return Corrupt("not valid JSON");
  }
}

Status SaveWallet(const std::filesystem::path& dir, const WalletEntry& entry) {
  // Never write what LoadWallet would call damaged.
  if (entry.tls_pin && (entry.tls_pin->size() != credential::kTlsPinSize ||
                        entry.server.rfind("https://", 0) != 0)) {
    return MakeError("invalidParameters", "a TLS pin is 32 bytes and only for an https:// server");
  }
  web::json::value json = web::json::value::object();
  json["version"] = web::json::value::number(kWalletVersion);
  json["server"] = web::json::value::string(entry.server);
  json["certificate"] = web::json::value::string(Base64Encode(entry.certificate_der));
  json["caCertificate"] = web::json::value::string(Base64Encode(entry.ca_certificate_der));
  json["activatedAt"] = web::json::value::number(static_cast<int64_t>(entry.activated_at));
  if (entry.tls_pin) {
    json["tlsPin"] = web::json::value::string(credential::FormatTlsPin(*entry.tls_pin));
  }
  const std::string text = json.serialize() + "\n";
  TILLIT_TRY_ASSIGN(int fd, internal::OpenPrivateDirectory(dir));
  Status status = internal::WriteFileAtomically(fd, kWalletFile, AsBytes(text));
  ::close(fd);
  return status;
}

Status RemoveWallet(const std::filesystem::path& dir) {
  TILLIT_TRY_ASSIGN(int fd, internal::OpenPrivateDirectory(dir));
  auto exists = internal::FileExists(fd, kWalletFile);
  Status status;
  if (!exists.ok()) {
    status = std::move(exists).error();
  } else if (*exists) {
    status = internal::RemoveDurably(fd, kWalletFile);
  }
  ::close(fd);
  return status;
}

}  // namespace tillit::platform
