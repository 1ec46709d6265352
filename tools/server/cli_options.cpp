// See cli_options.h.
#include "cli_options.h"

#include <sys/stat.h>

#include <iostream>

#include "tillit/service/issuer_keys.h"

namespace tillit::server_cli {

std::optional<std::string> ParseOptions(const std::vector<std::string>& args, size_t from,
                                        const std::vector<std::string>& allowed,
                                        size_t max_positional, Options& out) {
  for (size_t i = from; i < args.size(); ++i) {
    const std::string& a = args[i];
    if (a == "--help" || a == "-h") {
      out.help = true;
      continue;
    }
    if (a.rfind("--", 0) == 0) {
      bool known = false;
      for (const auto& name : allowed) known = known || name == a;
      if (!known) return "unknown option " + a;
      if (i + 1 >= args.size()) return a + " needs a value";
      if (out.values.count(a)) return a + " given twice";
      out.values[a] = args[++i];
      continue;
    }
    if (out.positional.size() >= max_positional) return "unexpected argument " + a;
    out.positional.push_back(a);
  }
  return std::nullopt;
}

std::string CommandOf(const std::vector<std::string>& args, size_t from) {
  for (size_t i = from; i < args.size(); ++i) {
    if (args[i] == "--help" || args[i] == "-h") continue;
    if (args[i].rfind("--", 0) == 0) {
      ++i;
      continue;
    }
    return args[i];
  }
  return "";
}

void PrintJson(const web::json::value& v) {
  std::cout << v.serialize() << "\n";
  std::cout.flush();
}

int UsageError(const std::string& message, const char* usage) {
  std::cerr << "tillit-server: " << message << "\n" << usage;
  return 2;
}

int FailJson(const Error& error) {
  web::json::value v = web::json::value::object(/*keep_order=*/true);
  v["errorCode"] = web::json::value::string(error.code);
  v["details"] = web::json::value::string(error.message);
  PrintJson(v);
  std::cerr << "tillit-server: " << error.code << ": " << error.message << "\n";
  return 1;
}

Status RequireDatabase(const std::string& data_dir) {
  struct stat st {};
  if (::stat(service::DatabasePath(data_dir).c_str(), &st) != 0) {
    return MakeError("notFound", "no database in " + data_dir);
  }
  return {};
}

}  // namespace tillit::server_cli
