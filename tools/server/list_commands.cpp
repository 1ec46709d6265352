// list-officers and list-rps (see list_commands.h). One JSON object on stdout; a runtime
// error prints {"errorCode", "details"} on stdout and a line on stderr (cli_options.h).
#include "list_commands.h"

#include <cpprest/json.h>

#include <iostream>

#include "cli_options.h"
#include "tillit/ports.h"
#include "tillit/service/issuer_keys.h"
#include "tillit/storage/sqlite_store.h"

namespace tillit::tools {
namespace {

namespace st = server::storage;
using web::json::value;

constexpr const char* kListOfficersUsage =
    "usage: tillit-server admin --data DIR list-officers\n"
    "  Prints {\"officers\": [{\"officerId\", \"name\", \"organisation\", \"role\", \"createdAt\",\n"
    "  \"revokedAt\"}]}: every officer, revoked ones included, ordered by id; times in Unix\n"
    "  seconds, revokedAt null while active. No token: only its hash is stored. Reads the\n"
    "  database only (no key, no CA key flags); runs beside a live server.\n";
constexpr const char* kListRpsUsage =
    "usage: tillit-server admin --data DIR list-rps\n"
    "  Prints {\"relyingParties\": [{\"rpId\", \"name\", \"clientSubject\", \"createdAt\",\n"
    "  \"revokedAt\"}]}: every e-service, revoked ones included, ordered by id; times in Unix\n"
    "  seconds, clientSubject and revokedAt null when there is none. No API key: only its\n"
    "  hash is stored. Reads the database only (no key, no CA key flags); runs beside a live\n"
    "  server.\n";

value OptionalNumber(const std::optional<int64_t>& n) {
  return n ? value::number(*n) : value::null();
}

value OfficerJson(const st::OfficerRow& row) {
  value v = value::object(/*keep_order=*/true);
  v["officerId"] = value::string(row.id);
  v["name"] = value::string(row.name);
  v["organisation"] = value::string(row.organisation);
  v["role"] = value::string(std::string(st::OfficerRoleName(row.role)));
  v["createdAt"] = value::number(row.created_at);
  v["revokedAt"] = OptionalNumber(row.revoked_at);
  return v;
}

value RelyingPartyJson(const st::RelyingPartyRow& row) {
  value v = value::object(/*keep_order=*/true);
  v["rpId"] = value::string(row.id);
  v["name"] = value::string(row.name);
  v["clientSubject"] = row.client_subject ? value::string(*row.client_subject) : value::null();
  v["createdAt"] = value::number(row.created_at);
  v["revokedAt"] = OptionalNumber(row.revoked_at);
  return v;
}

}  // namespace

std::optional<int> RunListCommand(const std::vector<std::string>& args) {
  if (args.size() < 2 || args[1] != "admin") return std::nullopt;
  const std::string command = server_cli::CommandOf(args, 2);
  if (command != "list-officers" && command != "list-rps") return std::nullopt;
  const bool rps = command == "list-rps";
  const char* usage = rps ? kListRpsUsage : kListOfficersUsage;
  server_cli::Options options;
  if (auto error = server_cli::ParseOptions(args, 2, {"--data"}, 1, options)) {
    return server_cli::UsageError(*error, usage);
  }
  if (options.help) {
    std::cout << usage;
    return 0;
  }
  const std::string data = options.values["--data"];
  if (data.empty()) return server_cli::UsageError("--data is required", usage);
  if (Status present = server_cli::RequireDatabase(data); !present.ok()) {
    return server_cli::FailJson(present.error());
  }
  SystemClock clock;
  auto store = st::OpenSqliteStore({.path = service::DatabasePath(data), .clock = &clock});
  if (!store.ok()) return server_cli::FailJson(store.error());
  auto rows = (*store)->Read([&](st::ReadTransaction& tx) -> Result<std::vector<value>> {
    std::vector<value> out;
    if (rps) {
      TILLIT_TRY_ASSIGN(auto parties, (*store)->relying_parties().List(tx));
      for (const auto& party : parties) out.push_back(RelyingPartyJson(party));
    } else {
      TILLIT_TRY_ASSIGN(auto officers, (*store)->officers().List(tx));
      for (const auto& officer : officers) out.push_back(OfficerJson(officer));
    }
    return out;
  });
  if (!rows.ok()) return server_cli::FailJson(rows.error());
  value out = value::object();
  out[rps ? "relyingParties" : "officers"] = value::array(std::move(*rows));
  server_cli::PrintJson(out);
  return 0;
}

}  // namespace tillit::tools
