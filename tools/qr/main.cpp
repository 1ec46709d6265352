// tillit-qr: computes animated login QR texts and renders any QR text.
//
//   tillit-qr login --start-token TOKEN --secret SECRET --seconds T
//   tillit-qr png --out FILE [--module-px N] TEXT
//   tillit-qr show TEXT
//   tillit-qr --help
//
// Exit status: 0 success, 1 the text cannot be encoded or the file cannot be written,
// 2 usage error. The QR format is docs/protocol.md §2.
#include <charconv>
#include <cstdint>
#include <cstdio>
#include <fstream>
#include <map>
#include <string>
#include <string_view>
#include <vector>

#include "tillit/platform/qr_render.h"
#include "tillit/protocol/login_qr.h"

namespace {

using namespace tillit;

constexpr const char* kUsage =
    "usage:\n"
    "  tillit-qr login --start-token TOKEN --secret SECRET --seconds T\n"
    "      Prints the login QR text for second T of an order: the qrStartToken and\n"
    "      qrStartSecret come from POST /rp/v1/auth or /rp/v1/sign (docs/protocol.md §2).\n"
    "      An e-service computes this on its server every second; the secret never goes\n"
    "      to a browser.\n"
    "  tillit-qr png --out FILE [--module-px N] TEXT\n"
    "      Writes TEXT as a QR code PNG (black on white, quiet zone included), N pixels per\n"
    "      module (1..32, default 6).\n"
    "  tillit-qr show TEXT\n"
    "      Draws TEXT as a QR code on the terminal.\n"
    "  tillit-qr --help\n"
    "      This text.\n"
    "Exit status: 0 success, 1 encoding or file error, 2 usage error.\n";

struct Usage {
  std::string message;
};

// --name VALUE options and positional arguments after the command.
struct Args {
  std::map<std::string, std::string> options;
  std::vector<std::string> positional;
};

Args ParseArgs(int argc, char** argv, int first) {
  Args args;
  for (int i = first; i < argc; ++i) {
    std::string_view a = argv[i];
    if (a.starts_with("--")) {
      if (i + 1 >= argc) throw Usage{std::string(a) + " needs a value"};
      if (!args.options.emplace(std::string(a.substr(2)), argv[i + 1]).second) {
        throw Usage{std::string(a) + " given twice"};
      }
      ++i;
    } else {
      args.positional.emplace_back(a);
    }
  }
  return args;
}

std::string Take(Args& args, const std::string& name) {
  auto it = args.options.find(name);
  if (it == args.options.end()) throw Usage{"missing --" + name};
  std::string value = it->second;
  args.options.erase(it);
  return value;
}

int64_t ParseInt(std::string_view text, int64_t min, int64_t max, std::string_view what) {
  int64_t value = 0;
  auto [end, ec] = std::from_chars(text.data(), text.data() + text.size(), value);
  if (ec != std::errc() || end != text.data() + text.size() || value < min || value > max) {
    throw Usage{std::string(what) + " must be a whole number from " + std::to_string(min) +
                " to " + std::to_string(max)};
  }
  return value;
}

void NoLeftovers(const Args& args, size_t positional) {
  if (!args.options.empty()) throw Usage{"unknown option --" + args.options.begin()->first};
  if (args.positional.size() != positional) {
    throw Usage{positional == 0 ? "unexpected argument " + args.positional.front()
                                : "expected exactly one TEXT argument"};
  }
}

int Fail(const Error& error) {
  std::fprintf(stderr, "tillit-qr: %s: %s\n", error.code.c_str(), error.message.c_str());
  return 1;
}

int Login(Args args) {
  std::string token = Take(args, "start-token");
  std::string secret = Take(args, "secret");
  int64_t t = ParseInt(Take(args, "seconds"), 0, protocol::kMaxQrSeconds, "--seconds");
  NoLeftovers(args, 0);
  if (!protocol::IsUuidV4(token)) throw Usage{"--start-token is not a qrStartToken (a UUID)"};
  if (secret.empty()) throw Usage{"--secret is empty"};
  std::printf("%s\n", protocol::FormatLoginQr(token, secret, t).c_str());
  return 0;
}

int Png(Args args) {
  std::string out = Take(args, "out");
  int module_px = 6;
  if (auto it = args.options.find("module-px"); it != args.options.end()) {
    module_px = static_cast<int>(ParseInt(it->second, 1, platform::kQrMaxModulePx, "--module-px"));
    args.options.erase(it);
  }
  NoLeftovers(args, 1);
  auto matrix = platform::EncodeQr(args.positional[0]);
  if (!matrix.ok()) return Fail(matrix.error());
  auto png = platform::RenderQrPng(*matrix, module_px);
  if (!png.ok()) return Fail(png.error());
  std::ofstream file(out, std::ios::binary | std::ios::trunc);
  file.write(reinterpret_cast<const char*>(png->data()), static_cast<std::streamsize>(png->size()));
  file.close();
  if (!file) return Fail(MakeError("ioError", "cannot write " + out));
  return 0;
}

int Show(Args args) {
  NoLeftovers(args, 1);
  auto matrix = platform::EncodeQr(args.positional[0]);
  if (!matrix.ok()) return Fail(matrix.error());
  std::fputs(platform::RenderQrTerminal(*matrix).c_str(), stdout);
  return 0;
}

int Run(int argc, char** argv) {
  if (argc < 2) throw Usage{"missing command"};
  std::string_view command = argv[1];
  for (int i = 1; i < argc; ++i) {
    std::string_view a = argv[i];
    if (a == "--help" || a == "-h" || (i == 1 && a == "help")) {
      std::fputs(kUsage, stdout);
      return 0;
    }
  }
  Args args = ParseArgs(argc, argv, 2);
  if (command == "login") return Login(std::move(args));
  if (command == "png") return Png(std::move(args));
  if (command == "show") return Show(std::move(args));
  throw Usage{"unknown command " + std::string(command)};
}

}  // namespace

int main(int argc, char** argv) {
  try {
    return Run(argc, argv);
  } catch (const Usage& usage) {
    std::fprintf(stderr, "tillit-qr: %s\n\n%s", usage.message.c_str(), kUsage);
    return 2;
  }
}
