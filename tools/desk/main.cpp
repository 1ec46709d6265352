// tillit-desk: the enrolment desk on the command line (docs/desk.md). Each subcommand makes
// one call to the issuer's desk API (docs/desk-api.md) as an officer.
//
//   tillit-desk [--server URL] [--token TOKEN] SUBCOMMAND [ARGS...]
//   tillit-desk --help | help [SUBCOMMAND] | SUBCOMMAND --help
//
// Output: on success the server's JSON response on stdout, exit 0. On failure
// {"errorCode", "message", ...} on stdout, exit 1 (the server's errorCode, or networkError,
// badResponse, invalidParameters). Usage errors: a message on stderr, exit 2.
// The officer token is never printed.
#include <unistd.h>

#include <cpprest/json.h>

#include <cstdio>
#include <cstdlib>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "desk_client.h"
#include "desk_request.h"
#include "tillit/platform/qr_render.h"

namespace {

using tillit::desk::DeskRequest;
using web::json::value;

constexpr int kExitOk = 0;
constexpr int kExitFailed = 1;
constexpr int kExitUsage = 2;

constexpr std::string_view kServerEnv = "TILLIT_DESK_SERVER";
constexpr std::string_view kTokenEnv = "TILLIT_DESK_TOKEN";

void PrintUsage(std::FILE* out) {
  std::fprintf(out,
               "usage: tillit-desk [--server URL] [--token TOKEN] SUBCOMMAND [ARGS...]\n"
               "\n"
               "The enrolment desk on the command line: each subcommand makes one call to the\n"
               "issuer's desk API as an officer and prints the JSON answer.\n"
               "\n"
               "  --server URL    the issuer, e.g. http://127.0.0.1:8080 (default: $%s)\n"
               "  --token TOKEN   the officer's bearer token (default: $%s; prefer the\n"
               "                  variable: a command-line token is visible to other users in ps)\n"
               "\n"
               "subcommands:\n",
               kServerEnv.data(), kTokenEnv.data());
  for (const auto& s : tillit::desk::Subcommands()) {
    std::fprintf(out, "  %.*s\n", static_cast<int>(s.synopsis.size()), s.synopsis.data());
  }
  std::fprintf(out,
               "\n"
               "`tillit-desk SUBCOMMAND --help` or `tillit-desk help SUBCOMMAND` describes one.\n"
               "Exit status: 0 success (JSON answer on stdout); 1 failure ({\"errorCode\",\n"
               "\"message\"} on stdout); 2 usage error (message on stderr).\n");
}

void PrintSubcommandHelp(std::FILE* out, const tillit::desk::SubcommandHelp& s) {
  std::fprintf(out, "usage: tillit-desk [--server URL] [--token TOKEN] %.*s\n\n%.*s\n",
               static_cast<int>(s.synopsis.size()), s.synopsis.data(),
               static_cast<int>(s.help.size()), s.help.data());
}

int UsageError(const std::string& message, const tillit::desk::SubcommandHelp* subcommand) {
  std::fprintf(stderr, "tillit-desk: %s\n", message.c_str());
  if (subcommand != nullptr) {
    std::fprintf(stderr, "usage: tillit-desk [--server URL] [--token TOKEN] %.*s\n",
                 static_cast<int>(subcommand->synopsis.size()), subcommand->synopsis.data());
    std::fprintf(stderr, "(tillit-desk %.*s --help for details)\n",
                 static_cast<int>(subcommand->name.size()), subcommand->name.data());
  } else {
    PrintUsage(stderr);
  }
  return kExitUsage;
}

void PrintJson(const value& v) {
  const std::string text = v.serialize();
  std::fprintf(stdout, "%s\n", text.c_str());
  std::fflush(stdout);
}

int Fail(const std::string& code, const std::string& message) {
  value v = value::object();
  v["errorCode"] = value::string(code);
  v["message"] = value::string(message);
  PrintJson(v);
  return kExitFailed;
}

// A non-2xx answer: the server's body (docs/desk-api.md: {"errorCode", "details"}) with
// "message" and "httpStatus" added, so callers see every field the server gave (e.g. which
// person a duplicate points to).
int FailFromServer(int status, const value& body) {
  value out = body.is_object() ? body : value::object();
  if (!out.has_string_field("errorCode")) out["errorCode"] = value::string("httpError");
  if (!out.has_string_field("message")) {
    std::string message = "HTTP " + std::to_string(status);
    if (out.has_string_field("details")) message = out.at("details").as_string();
    out["message"] = value::string(message);
  }
  out["httpStatus"] = value::number(status);
  PrintJson(out);
  return kExitFailed;
}

// Draws the activation QR on stderr for the person's phone, if stderr is a terminal: the
// QR is for the eyes of the person at the desk, not for logs or pipes.
void DrawActivationQr(const value& body) {
  if (::isatty(STDERR_FILENO) != 1 || !body.has_string_field("activationQr")) return;
  auto qr = tillit::platform::EncodeQr(body.at("activationQr").as_string());
  if (!qr.ok()) {
    std::fprintf(stderr, "tillit-desk: cannot draw the activation QR: %s\n",
                 qr.error().message.c_str());
    return;
  }
  std::fprintf(stderr, "\n%s", tillit::platform::RenderQrTerminal(*qr).c_str());
  if (body.has_string_field("activationCode")) {
    std::fprintf(stderr, "activation code: %s", body.at("activationCode").as_string().c_str());
    if (body.has_string_field("expiresAt")) {
      std::fprintf(stderr, " (valid until %s)", body.at("expiresAt").as_string().c_str());
    }
    std::fprintf(stderr, "\n");
  }
  std::fprintf(stderr, "\n");
}

bool IsHelp(std::string_view arg) { return arg == "--help" || arg == "-h"; }

// Takes a global option (--server/--token, value as next argument or after '=') at args[i].
// Returns false if args[i] is not one; sets error on a missing value.
bool TakeGlobal(const std::vector<std::string>& args, size_t& i, std::optional<std::string>& server,
                std::optional<std::string>& token, std::string& error) {
  const std::string& arg = args[i];
  for (auto [name, slot] : {std::pair<std::string_view, std::optional<std::string>*>{"--server", &server},
                            {"--token", &token}}) {
    if (arg == name) {
      if (i + 1 >= args.size()) {
        error = std::string(name) + " needs a value";
      } else {
        *slot = args[++i];
      }
      return true;
    }
    if (arg.size() > name.size() && arg.compare(0, name.size(), name) == 0 &&
        arg[name.size()] == '=') {
      *slot = arg.substr(name.size() + 1);
      return true;
    }
  }
  return false;
}

int Run(const std::vector<std::string>& args) {
  std::optional<std::string> server;
  std::optional<std::string> token;
  std::string error;
  size_t i = 0;
  for (; i < args.size(); ++i) {
    if (IsHelp(args[i])) {
      PrintUsage(stdout);
      return kExitOk;
    }
    if (TakeGlobal(args, i, server, token, error)) {
      if (!error.empty()) return UsageError(error, nullptr);
      continue;
    }
    if (!args[i].empty() && args[i][0] == '-') {
      return UsageError("unknown option " + args[i], nullptr);
    }
    break;
  }
  if (i >= args.size()) return UsageError("no subcommand given", nullptr);
  const std::string name = args[i++];

  if (name == "help") {
    if (i >= args.size()) {
      PrintUsage(stdout);
      return kExitOk;
    }
    const auto* s = tillit::desk::FindSubcommand(args[i]);
    if (s == nullptr) return UsageError("unknown subcommand '" + args[i] + "'", nullptr);
    PrintSubcommandHelp(stdout, *s);
    return kExitOk;
  }
  const auto* subcommand = tillit::desk::FindSubcommand(name);
  if (subcommand == nullptr) return UsageError("unknown subcommand '" + name + "'", nullptr);

  // The subcommand's own arguments; global options may also follow the subcommand.
  std::vector<std::string> rest;
  bool options_done = false;
  for (; i < args.size(); ++i) {
    if (!options_done) {
      if (args[i] == "--") options_done = true;
      if (IsHelp(args[i])) {
        PrintSubcommandHelp(stdout, *subcommand);
        return kExitOk;
      }
      if (TakeGlobal(args, i, server, token, error)) {
        if (!error.empty()) return UsageError(error, subcommand);
        continue;
      }
    }
    rest.push_back(args[i]);
  }

  auto request = tillit::desk::BuildRequest(name, rest);
  if (!request.ok() && request.error().code == tillit::desk::kUsageError) {
    return UsageError(request.error().message, subcommand);
  }
  if (!server) {
    if (const char* env = std::getenv(kServerEnv.data()); env != nullptr && *env != '\0') server = env;
  }
  if (!token) {
    if (const char* env = std::getenv(kTokenEnv.data()); env != nullptr && *env != '\0') token = env;
  }
  if (!server) return UsageError("no server: give --server URL or set TILLIT_DESK_SERVER", subcommand);
  if (!token) return UsageError("no officer token: set TILLIT_DESK_TOKEN or give --token", subcommand);
  if (!request.ok()) return Fail(request.error().code, request.error().message);

  auto client = tillit::desk::DeskClient::Create(*server, *token);
  if (!client.ok()) return Fail(client.error().code, client.error().message);
  const DeskRequest& r = *request;
  auto response = client->Call(r.method, r.path, r.body);
  if (!response.ok()) return Fail(response.error().code, response.error().message);
  if (response->status < 200 || response->status > 299) {
    return FailFromServer(response->status, response->body);
  }
  const value body = response->body.is_null() ? value::object() : response->body;
  PrintJson(body);
  if (r.draws_activation_qr) DrawActivationQr(body);
  return kExitOk;
}

}  // namespace

int main(int argc, char** argv) {
  std::vector<std::string> args(argv + 1, argv + argc);
  try {
    return Run(args);
  } catch (const std::exception& e) {
    // Library exceptions are mapped where they arise; this is the last resort.
    return Fail("internalError", e.what());
  }
}
