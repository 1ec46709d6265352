// The offline-desk admin commands (see offline_desk.h, docs/offline-desk.md). Each prints
// one JSON object on stdout; on failure also {"errorCode", "details"} on stdout and a line
// on stderr.
#include "ca_key_options.h"
#include "cli_options.h"
#include "offline_desk.h"

#include <cpprest/json.h>
#include <fcntl.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <fstream>
#include <iostream>
#include <map>
#include <memory>
#include <sstream>

#include "tillit/credential/certificate.h"
#include "tillit/ports.h"
#include "tillit/service/issuer_keys.h"
#include "tillit/service/lease_service.h"
#include "tillit/storage/sqlite_store.h"

namespace tillit::tools {
namespace {

using server_cli::Options;

using web::json::value;

// Lease files are at most ~2 MB; a sync file holds a desk's persons (a few KB each).
constexpr size_t kMaxLeaseFileBytes = 8u << 20;
constexpr size_t kMaxSyncFileBytes = 512u << 20;
constexpr size_t kMaxCaFileBytes = 64u << 10;

constexpr const char* kUsage =
    "usage: tillit-server admin --data DIR lease-block --desk NAME --size N [--out FILE]\n"
    "       tillit-server admin --data DIR load-lease FILE [--central-ca CA.pem]\n"
    "       tillit-server admin --data DIR export-sync FILE\n"
    "       tillit-server admin --data DIR import-sync FILE\n"
    "       tillit-server admin --data DIR leases\n"
    "  Offline desks (docs/offline-desk.md).\n";
constexpr const char* kLeaseBlockUsage =
    "usage: tillit-server admin --data DIR lease-block --desk NAME --size N [--out FILE]\n"
    "  Central: reserves N (1..100000) identifier serials for desk NAME and writes the signed\n"
    "  lease file to FILE (created, never overwritten; mode 0600), or to stdout without --out.\n"
    "  The file holds the desk's sync key: hand it over like a secret.\n"
    TILLIT_CA_KEY_USAGE_REFERENCE;
constexpr const char* kLoadLeaseUsage =
    "usage: tillit-server admin --data DIR load-lease FILE [--central-ca CA.pem]\n"
    "  Desk: verifies the lease file and makes its identifiers available to Issue. The first\n"
    "  lease needs the centre's CA certificate (its /.well-known/tillit-ca.pem), which is\n"
    "  then pinned: later leases must be signed by the same CA.\n"
    TILLIT_CA_KEY_USAGE_REFERENCE;
constexpr const char* kExportSyncUsage =
    "usage: tillit-server admin --data DIR export-sync FILE\n"
    "  Desk: writes every person issued from leases to FILE, for import-sync at the centre.\n"
    TILLIT_CA_KEY_USAGE_REFERENCE;
constexpr const char* kImportSyncUsage =
    "usage: tillit-server admin --data DIR import-sync FILE\n"
    "  Central: imports a desk's sync file. Idempotent. Exit 1 if any person conflicts with\n"
    "  a central person (listed in \"conflicts\"; the others are imported).\n"
    TILLIT_CA_KEY_USAGE_REFERENCE;
constexpr const char* kLeasesUsage =
    "usage: tillit-server admin --data DIR leases\n"
    "  Lists the leases made here (with imported counts) and loaded here (with used counts).\n"
    TILLIT_CA_KEY_USAGE_REFERENCE;

const std::map<std::string, const char*>& Commands() {
  static const std::map<std::string, const char*> commands{
      {"lease-block", kLeaseBlockUsage}, {"load-lease", kLoadLeaseUsage},
      {"export-sync", kExportSyncUsage}, {"import-sync", kImportSyncUsage},
      {"leases", kLeasesUsage}};
  return commands;
}

utility::string_t T(std::string_view s) { return utility::conversions::to_string_t(std::string(s)); }
value Str(std::string_view s) { return value::string(T(s)); }
value Num(uint64_t n) { return value::number(n); }

Result<std::string> ReadFile(const std::string& path, size_t max_bytes) {
  std::ifstream in(path, std::ios::binary);
  if (!in) return MakeError("storageUnavailable", "cannot read " + path);
  std::string text;
  char buffer[65536];
  while (in.read(buffer, sizeof buffer) || in.gcount() > 0) {
    text.append(buffer, static_cast<size_t>(in.gcount()));
    if (text.size() > max_bytes) return MakeError("invalidParameters", path + " is too large");
  }
  if (in.bad()) return MakeError("storageUnavailable", "cannot read " + path);
  return text;
}

Status WriteAll(int fd, std::string_view text, const std::string& path) {
  while (!text.empty()) {
    ssize_t n = ::write(fd, text.data(), text.size());
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) return MakeError("storageUnavailable", "cannot write " + path);
    text.remove_prefix(static_cast<size_t>(n));
  }
  if (::fsync(fd) != 0) return MakeError("storageUnavailable", "cannot sync " + path);
  return {};
}

// Writes `text` to `path` atomically (temporary file, fsync, rename), replacing it.
Status WriteFileAtomically(const std::string& path, std::string_view text) {
  std::string tmp = path + ".tmp-XXXXXX";
  int fd = ::mkstemp(tmp.data());
  if (fd < 0) return MakeError("storageUnavailable", "cannot create a file beside " + path);
  Status written = WriteAll(fd, text, path);
  ::close(fd);
  if (written.ok() && ::rename(tmp.c_str(), path.c_str()) != 0) {
    written = MakeError("storageUnavailable", "cannot rename into " + path);
  }
  if (!written.ok()) ::unlink(tmp.c_str());
  return written;
}

// A strict decimal in [-2^62, 2^62] (so "0" and "-5" reach the service, which refuses
// them with a reason), or nothing.
std::optional<int64_t> ParseInteger(const std::string& text) {
  std::string digits = text;
  bool negative = false;
  if (!digits.empty() && digits[0] == '-') {
    negative = true;
    digits.erase(0, 1);
  }
  if (digits.empty() || digits.size() > 18 || digits.find_first_not_of("0123456789") != std::string::npos) {
    return std::nullopt;
  }
  int64_t n = std::stoll(digits);
  return negative ? -n : n;
}

struct Opened {
  SystemClock clock;
  std::unique_ptr<service::IssuerKeys> keys;
  std::unique_ptr<server::storage::Store> store;
  std::unique_ptr<service::LeaseService> leases;
};

Result<std::unique_ptr<Opened>> Open(const std::string& data_dir,
                                     const service::CaKeyOptions& ca_key) {
  auto opened = std::make_unique<Opened>();
  TILLIT_TRY_ASSIGN(auto keys, service::IssuerKeys::LoadOrCreate(data_dir, opened->clock, ca_key));
  opened->keys = std::make_unique<service::IssuerKeys>(std::move(keys));
  TILLIT_TRY_ASSIGN(opened->store, server::storage::OpenSqliteStore(
                                       {.path = service::DatabasePath(data_dir),
                                        .clock = &opened->clock}));
  opened->leases =
      std::make_unique<service::LeaseService>(*opened->store, opened->clock, *opened->keys);
  return opened;
}

value LeaseInfoJson(const service::LeaseInfo& info, const char* count_name) {
  value v = value::object(/*keep_order=*/true);
  v[U("leaseId")] = Str(info.lease_id);
  v[U("desk")] = Str(info.desk);
  v[U("firstSerial")] = Str(std::to_string(info.first_serial));
  v[U("size")] = Num(info.size);
  v[U("createdAt")] = value::number(info.created_at);
  v[T(count_name)] = Num(info.count);
  return v;
}

int LeaseBlock(Opened& is, Options& options, const char* usage) {
  if (!options.values.count("--desk")) return server_cli::UsageError("--desk is required", usage);
  if (!options.values.count("--size")) return server_cli::UsageError("--size is required", usage);
  auto size = ParseInteger(options.values["--size"]);
  if (!size) return server_cli::UsageError("--size must be a number", usage);
  // Claim the output file before leasing, so a bad path wastes no serials and an
  // existing file (perhaps an earlier lease) is never overwritten.
  int fd = -1;
  const std::string out = options.values.count("--out") ? options.values["--out"] : "";
  if (!out.empty()) {
    fd = ::open(out.c_str(), O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0600);
    if (fd < 0) {
      return server_cli::FailJson(MakeError("storageUnavailable",
                            "cannot create " + out + ": " + std::strerror(errno)));
    }
  }
  auto lease = is.leases->LeaseBlock(options.values["--desk"], *size);
  if (!lease.ok()) {
    if (fd >= 0) {
      ::close(fd);
      ::unlink(out.c_str());
    }
    if (lease.error().code == "invalidParameters") return server_cli::UsageError(lease.error().message, usage);
    return server_cli::FailJson(lease.error());
  }
  if (fd < 0) {
    std::cout << lease->text;
    std::cout.flush();
    return 0;
  }
  Status written = WriteAll(fd, lease->text, out);
  ::close(fd);
  if (!written.ok()) return server_cli::FailJson(written.error());
  value v = value::object(/*keep_order=*/true);
  v[U("leaseId")] = Str(lease->lease_id);
  v[U("desk")] = Str(lease->desk);
  v[U("firstSerial")] = Str(std::to_string(lease->first_serial));
  v[U("size")] = Num(lease->size);
  v[U("file")] = Str(out);
  server_cli::PrintJson(v);
  return 0;
}

int LoadLease(Opened& is, Options& options) {
  auto text = ReadFile(options.positional[1], kMaxLeaseFileBytes);
  if (!text.ok()) return server_cli::FailJson(text.error());
  std::optional<Bytes> ca;
  if (options.values.count("--central-ca")) {
    auto pem = ReadFile(options.values["--central-ca"], kMaxCaFileBytes);
    if (!pem.ok()) return server_cli::FailJson(pem.error());
    auto der = credential::CertificateFromPem(*pem);
    if (!der.ok()) return server_cli::FailJson(MakeError("invalidParameters", "--central-ca: " + der.error().message));
    ca = std::move(*der);
  }
  auto loaded = is.leases->LoadLease(*text, ca);
  if (!loaded.ok()) return server_cli::FailJson(loaded.error());
  value v = value::object(/*keep_order=*/true);
  v[U("leaseId")] = Str(loaded->lease_id);
  v[U("desk")] = Str(loaded->desk);
  v[U("firstSerial")] = Str(std::to_string(loaded->first_serial));
  v[U("size")] = Num(loaded->size);
  v[U("available")] = Num(loaded->available);
  server_cli::PrintJson(v);
  return 0;
}

int ExportSync(Opened& is, Options& options) {
  auto exported = is.leases->ExportSync();
  if (!exported.ok()) return server_cli::FailJson(exported.error());
  if (Status written = WriteFileAtomically(options.positional[1], exported->text); !written.ok()) {
    return server_cli::FailJson(written.error());
  }
  value v = value::object(/*keep_order=*/true);
  v[U("desk")] = Str(exported->desk);
  v[U("persons")] = Num(exported->persons);
  v[U("file")] = Str(options.positional[1]);
  server_cli::PrintJson(v);
  return 0;
}

int ImportSync(Opened& is, Options& options) {
  auto text = ReadFile(options.positional[1], kMaxSyncFileBytes);
  if (!text.ok()) return server_cli::FailJson(text.error());
  auto summary = is.leases->ImportSync(*text);
  if (!summary.ok()) return server_cli::FailJson(summary.error());
  value conflicts = value::array(summary->conflicts.size());
  for (size_t i = 0; i < summary->conflicts.size(); ++i) {
    const auto& c = summary->conflicts[i];
    value item = value::object(/*keep_order=*/true);
    item[U("identifier")] = Str(c.identifier);
    item[U("reason")] = Str(c.reason);
    if (!c.existing_identifier.empty()) item[U("existingIdentifier")] = Str(c.existing_identifier);
    conflicts[i] = item;
  }
  value v = value::object(/*keep_order=*/true);
  v[U("desk")] = Str(summary->desk);
  v[U("records")] = Num(summary->records);
  v[U("imported")] = Num(summary->imported);
  v[U("alreadyImported")] = Num(summary->already_imported);
  v[U("conflicts")] = conflicts;
  server_cli::PrintJson(v);
  if (!summary->conflicts.empty()) {
    std::cerr << "tillit-server: " << summary->conflicts.size()
              << " person(s) conflict with central persons and were not imported\n";
    return 1;
  }
  return 0;
}

int Leases(Opened& is) {
  auto leases = is.leases->ListLeases();
  if (!leases.ok()) return server_cli::FailJson(leases.error());
  value leased = value::array(leases->leased.size());
  for (size_t i = 0; i < leases->leased.size(); ++i) {
    leased[i] = LeaseInfoJson(leases->leased[i], "imported");
  }
  value loaded = value::array(leases->loaded.size());
  for (size_t i = 0; i < leases->loaded.size(); ++i) {
    loaded[i] = LeaseInfoJson(leases->loaded[i], "used");
  }
  value v = value::object(/*keep_order=*/true);
  v[U("leased")] = leased;
  v[U("loaded")] = loaded;
  server_cli::PrintJson(v);
  return 0;
}

}  // namespace

std::optional<int> RunOfflineDeskCommand(const std::vector<std::string>& args) {
  if (args.size() < 2 || args[1] != "admin") return std::nullopt;
  const std::string command = server_cli::CommandOf(args, 2);
  auto found = Commands().find(command);
  if (found == Commands().end()) return std::nullopt;
  const char* usage = found->second;

  std::vector<std::string> allowed{"--data"};
  size_t files = 0;  // positional arguments after the command
  if (command == "lease-block") {
    allowed.insert(allowed.end(), {"--desk", "--size", "--out"});
  } else if (command == "load-lease") {
    allowed.push_back("--central-ca");
    files = 1;
  } else if (command == "export-sync" || command == "import-sync") {
    files = 1;
  }
  Options options;
  if (auto error =
          server_cli::ParseOptions(args, 2, server_cli::WithCaKeyFlags(allowed), 2, options)) {
    return server_cli::UsageError(*error, usage);
  }
  if (options.help) {
    std::cout << usage;
    return 0;
  }
  if (!options.values.count("--data")) return server_cli::UsageError("--data is required", usage);
  auto ca_key = server_cli::TakeCaKeyOptions(options);
  if (!ca_key.ok()) return server_cli::UsageError(ca_key.error().message, usage);
  if (options.positional.size() != 1 + files) {
    return server_cli::UsageError(files == 1 ? command + " takes one FILE" : command + " takes no FILE", usage);
  }

  auto opened = Open(options.values["--data"], *ca_key);
  if (!opened.ok()) return server_cli::FailJson(opened.error());
  Opened& is = **opened;
  if (command == "lease-block") return LeaseBlock(is, options, usage);
  if (command == "load-lease") return LoadLease(is, options);
  if (command == "export-sync") return ExportSync(is, options);
  if (command == "import-sync") return ImportSync(is, options);
  return Leases(is);
}

}  // namespace tillit::tools
