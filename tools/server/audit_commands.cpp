// audit-verify, backup and the periodic checkpoints (see audit_commands.h). Each command
// prints one JSON object on stdout; a runtime error prints {"errorCode", "details"} on
// stdout and a line on stderr.
#include "ca_key_options.h"
#include "cli_options.h"
#include "audit_commands.h"

#include <cpprest/json.h>
#include <sys/stat.h>

#include <iostream>
#include <map>
#include <memory>

#include "tillit/ports.h"
#include "tillit/rfc3339.h"
#include "tillit/service/issuer_keys.h"
#include "tillit/storage/sqlite_store.h"

namespace tillit::tools {
namespace {

namespace st = server::storage;
using web::json::value;

constexpr const char* kAuditVerifyUsage =
    "usage: tillit-server admin --data DIR audit-verify\n"
    "  Checks the whole audit log: the hash chain entry by entry, every signed checkpoint\n"
    "  (signature by the result key, and that it pins the chain's entry at its seq), and that\n"
    "  no checkpoint pins an entry beyond the end. Prints {\"ok\": true, \"entries\", \"head\",\n"
    "  \"checkpoints\", \"lastCheckpoint\"} (exit 0) or {\"ok\": false, \"firstBrokenSeq\",\n"
    "  \"reason\"} (exit 1). Progress on stderr for long logs. Runs beside a live server.\n"
    TILLIT_CA_KEY_USAGE_REFERENCE;
constexpr const char* kBackupUsage =
    "usage: tillit-server admin --data DIR backup FILE\n"
    "  Writes a consistent copy of the database to FILE (never overwritten) while the server\n"
    "  runs, through FILE.tmp, fsync and rename. Progress on stderr. The copy holds no keys:\n"
    "  back up ca.key (or ca.key.pem), ca.pem, identifier.key, pepper.key and result.key\n"
    "  as well\n"
    "  (docs/operations.md §6). Prints {\"backup\": FILE, \"pages\", \"bytes\"}.\n";

value CheckpointJson(const st::AuditCheckpoint& c) {
  value v = value::object(/*keep_order=*/true);
  v["seq"] = value::number(c.seq);
  v["hash"] = value::string(HexEncode(c.entry_hash));
  v["signedAt"] = value::string(FormatRfc3339(c.signed_at));
  v["keyId"] = value::string(c.key_id);
  return v;
}

int AuditVerify(const std::string& data_dir, const service::CaKeyOptions& ca_key) {
  SystemClock clock;
  if (auto present = server_cli::RequireDatabase(data_dir); !present.ok()) return server_cli::FailJson(present.error());
  // IssuerKeys creates missing keys; in a restored directory without its key files that
  // would mint a new CA and result key. Refuse instead: the keys must be copied first.
  auto exists = [&](const char* name) {
    struct stat st {};
    return ::stat((data_dir + "/" + name).c_str(), &st) == 0;
  };
  for (const char* name : {"ca.pem", "identifier.key", "pepper.key", "result.key"}) {
    if (!exists(name)) {
      return server_cli::FailJson(MakeError("notFound", std::string("no ") + name + " in " + data_dir +
                                            ": copy the key files with the database"));
    }
  }
  // The CA key is a file (plain or encrypted) unless it is in a token.
  if (!ca_key.pkcs11 && !exists("ca.key") && !exists("ca.key.pem")) {
    return server_cli::FailJson(MakeError("notFound", "no ca.key or ca.key.pem in " + data_dir +
                                          ": copy the key files with the database"));
  }
  auto keys = service::IssuerKeys::LoadOrCreate(data_dir, clock, ca_key);
  if (!keys.ok()) return server_cli::FailJson(keys.error());
  auto store = st::OpenSqliteStore({.path = service::DatabasePath(data_dir), .clock = &clock});
  if (!store.ok()) return server_cli::FailJson(store.error());
  service::AuditService audit(**store, clock, *keys);
  auto verified = audit.Verify([](const service::AuditVerifyProgress& p) {
    // Only long logs (more than one batch) are worth a progress line.
    if (p.total > st::kMaxAuditReadRows) {
      std::cerr << "tillit-server: audit-verify: " << p.verified << "/" << p.total
                << " entries\n";
    }
  });
  if (!verified.ok()) return server_cli::FailJson(verified.error());
  value v = value::object(/*keep_order=*/true);
  v["ok"] = value::boolean(verified->ok);
  if (!verified->ok) {
    v["firstBrokenSeq"] = value::number(verified->first_broken_seq);
    v["reason"] = value::string(verified->reason);
    server_cli::PrintJson(v);
    std::cerr << "tillit-server: audit log broken at seq " << verified->first_broken_seq << ": "
              << verified->reason << "\n";
    return 1;
  }
  v["entries"] = value::number(verified->entries);
  value head = value::object(/*keep_order=*/true);
  head["seq"] = value::number(verified->head.seq);
  head["hash"] = value::string(HexEncode(verified->head.entry_hash));
  v["head"] = head;
  v["checkpoints"] = value::number(verified->checkpoints);
  v["lastCheckpoint"] =
      verified->last_checkpoint ? CheckpointJson(*verified->last_checkpoint) : value::null();
  // Entries after the last checkpoint are chained but not pinned: their removal from the
  // end would go unnoticed. Worth seeing.
  const uint64_t pinned = verified->last_checkpoint ? verified->last_checkpoint->seq : 0;
  v["entriesAfterLastCheckpoint"] = value::number(verified->entries - pinned);
  server_cli::PrintJson(v);
  return 0;
}

int Backup(const std::string& data_dir, const std::string& file) {
  SystemClock clock;
  if (auto present = server_cli::RequireDatabase(data_dir); !present.ok()) return server_cli::FailJson(present.error());
  auto store = st::OpenSqliteStore({.path = service::DatabasePath(data_dir), .clock = &clock});
  if (!store.ok()) return server_cli::FailJson(store.error());
  uint64_t pages = 0;
  int shown = -1;
  Status done = (*store)->Backup(file, [&](const st::BackupProgress& p) {
    pages = p.total_pages;
    const int percent =
        p.total_pages == 0 ? 100 : static_cast<int>(p.copied_pages * 100 / p.total_pages);
    if (percent != shown) {
      shown = percent;
      std::cerr << "tillit-server: backup: " << p.copied_pages << "/" << p.total_pages
                << " pages (" << percent << "%)\n";
    }
  });
  if (!done.ok()) return server_cli::FailJson(done.error());
  struct stat st {};
  const uint64_t bytes = ::stat(file.c_str(), &st) == 0 ? static_cast<uint64_t>(st.st_size) : 0;
  std::cerr << "tillit-server: backup written to " << file
            << "; it holds no keys: back up the key files of " << data_dir
            << " too (docs/operations.md §6)\n";
  value v = value::object(/*keep_order=*/true);
  v["backup"] = value::string(file);
  v["pages"] = value::number(pages);
  v["bytes"] = value::number(bytes);
  server_cli::PrintJson(v);
  return 0;
}

}  // namespace

std::optional<int> RunAuditCommand(const std::vector<std::string>& args) {
  if (args.size() < 2 || args[1] != "admin") return std::nullopt;
  const std::string command = server_cli::CommandOf(args, 2);
  if (command != "audit-verify" && command != "backup") return std::nullopt;
  const char* usage = command == "backup" ? kBackupUsage : kAuditVerifyUsage;
  server_cli::Options options;
  // backup copies the database only and needs no key.
  const std::vector<std::string> allowed =
      command == "backup" ? std::vector<std::string>{"--data"} : server_cli::WithCaKeyFlags({"--data"});
  if (auto error = server_cli::ParseOptions(args, 2, allowed, 2, options)) {
    return server_cli::UsageError(*error, usage);
  }
  const std::string data = options.values["--data"];
  if (options.help) {
    std::cout << usage;
    return 0;
  }
  if (data.empty()) return server_cli::UsageError("--data is required", usage);
  if (command == "audit-verify") {
    if (options.positional.size() != 1) return server_cli::UsageError("audit-verify takes no arguments", usage);
    auto ca_key = server_cli::TakeCaKeyOptions(options);
    if (!ca_key.ok()) return server_cli::UsageError(ca_key.error().message, usage);
    return AuditVerify(data, *ca_key);
  }
  if (options.positional.size() != 2 || options.positional[1].empty()) {
    return server_cli::UsageError("backup takes one FILE", usage);
  }
  return Backup(data, options.positional[1]);
}

std::optional<std::chrono::seconds> ParseCheckpointInterval(const std::string& text) {
  if (text.empty() || text.size() > 8 || text.find_first_not_of("0123456789") != std::string::npos) {
    return std::nullopt;
  }
  const long value = std::stol(text);
  if (value > 31'536'000) return std::nullopt;
  return std::chrono::seconds(value);
}

PeriodicCheckpoints::PeriodicCheckpoints(service::AuditService& audit,
                                         std::chrono::seconds interval)
    : audit_(audit), interval_(interval) {
  if (interval_.count() == 0) return;
  thread_ = std::thread([this] {
    std::unique_lock lock(mutex_);
    for (;;) {
      if (wake_.wait_for(lock, interval_, [this] { return stopping_; })) return;
      lock.unlock();
      Write();
      lock.lock();
    }
  });
}

PeriodicCheckpoints::~PeriodicCheckpoints() { Stop(); }

void PeriodicCheckpoints::Stop() {
  if (stopped_) return;
  stopped_ = true;
  {
    std::lock_guard lock(mutex_);
    stopping_ = true;
  }
  wake_.notify_all();
  if (thread_.joinable()) thread_.join();
  if (interval_.count() != 0) Write();
}

void PeriodicCheckpoints::Write() {
  auto written = audit_.Checkpoint();
  if (!written.ok()) {
    std::cerr << "tillit-server: audit checkpoint: " << written.error().code << ": "
              << written.error().message << "\n";
  }
}

}  // namespace tillit::tools
