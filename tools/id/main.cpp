// tillit-id: validates Tillit identifiers and prints the identifiers of a range of serials.
//
//   tillit-id check ID...
//   tillit-id sample --count N [--start S] [--key HEX64]
//   tillit-id --help
//
// Exit status: 0 success, 1 an identifier given to `check` is invalid, 2 usage error.
// The format is specified in docs/identifier.md.
#include <algorithm>
#include <charconv>
#include <cstdint>
#include <cstdio>
#include <cstring>
#include <numeric>
#include <string>
#include <string_view>
#include <vector>

#include "tillit/bytes.h"
#include "tillit/identifier/identifier.h"
#include "tillit/identifier/scheme.h"

namespace {

using tillit::identifier::Identifier;
using tillit::identifier::IdentifierScheme;

// A published test key. Identifiers issued in production use a secret key; these never are.
constexpr std::string_view kDefaultTestKeyHex =
    "000102030405060708090a0b0c0d0e0f101112131415161718191a1b1c1d1e1f";

void PrintUsage(std::FILE* out) {
  std::fprintf(out,
               "usage:\n"
               "  tillit-id check ID...\n"
               "      Validates each identifier (lower case, spaces and hyphens accepted) and\n"
               "      prints its canonical form, or 'invalid: <input>: <code>: <reason>'.\n"
               "      Exit 0 if all are valid, 1 otherwise.\n"
               "  tillit-id sample --count N [--start S] [--key HEX64]\n"
               "      Prints the identifiers of serials S .. S+N-1 (default S = 0), one per\n"
               "      line, canonical form, under the 32-byte permutation key given as 64 hex\n"
               "      digits. Default key (a published TEST key, never for production):\n"
               "      %.*s\n"
               "  tillit-id --help\n"
               "      This text.\n"
               "Exit status: 0 success, 1 invalid identifier (check), 2 usage error.\n",
               static_cast<int>(kDefaultTestKeyHex.size()), kDefaultTestKeyHex.data());
}

int UsageError(const std::string& message) {
  std::fprintf(stderr, "tillit-id: %s\n", message.c_str());
  PrintUsage(stderr);
  return 2;
}

// Decimal digits only (no sign, no spaces), fitting in uint64_t.
bool ParseUint64(std::string_view text, uint64_t& out) {
  if (text.empty()) return false;
  for (char c : text) {
    if (c < '0' || c > '9') return false;
  }
  const auto [end, ec] = std::from_chars(text.data(), text.data() + text.size(), out);
  return ec == std::errc() && end == text.data() + text.size();
}

int Check(const std::vector<std::string_view>& args) {
  if (args.empty()) return UsageError("check: no identifiers given");
  std::string out;
  bool all_valid = true;
  for (std::string_view arg : args) {
    auto id = Identifier::Parse(arg);
    if (id.ok()) {
      out += id->ToString();
    } else {
      all_valid = false;
      out += "invalid: ";
      out += arg;
      out += ": ";
      out += id.error().code;
      out += ": ";
      out += id.error().message;
    }
    out += '\n';
  }
  std::fwrite(out.data(), 1, out.size(), stdout);
  return all_valid ? 0 : 1;
}

int Sample(const std::vector<std::string_view>& args) {
  bool have_count = false;
  uint64_t count = 0;
  uint64_t start = 0;
  std::string_view key_hex = kDefaultTestKeyHex;
  for (size_t i = 0; i < args.size(); ++i) {
    std::string_view name = args[i];
    std::string_view value;
    if (const size_t eq = name.find('='); name.starts_with("--") && eq != std::string_view::npos) {
      value = name.substr(eq + 1);
      name = name.substr(0, eq);
    } else if (name == "--count" || name == "--start" || name == "--key") {
      if (i + 1 == args.size())
        return UsageError("sample: " + std::string(name) + " needs a value");
      value = args[++i];
    } else {
      return UsageError("sample: unknown argument '" + std::string(name) + "'");
    }
    if (name == "--count") {
      if (!ParseUint64(value, count)) {
        return UsageError("sample: --count must be a non-negative integer, got '" +
                          std::string(value) + "'");
      }
      have_count = true;
    } else if (name == "--start") {
      if (!ParseUint64(value, start)) {
        return UsageError("sample: --start must be a non-negative integer, got '" +
                          std::string(value) + "'");
      }
    } else if (name == "--key") {
      key_hex = value;
    } else {
      return UsageError("sample: unknown argument '" + std::string(name) + "'");
    }
  }
  if (!have_count) return UsageError("sample: --count is required");
  if (start > IdentifierScheme::kCapacity || count > IdentifierScheme::kCapacity - start) {
    return UsageError("sample: serials " + std::to_string(start) + " + " + std::to_string(count) +
                      " go beyond the capacity " + std::to_string(IdentifierScheme::kCapacity));
  }
  auto key = tillit::HexDecode(key_hex);
  if (!key.ok() || key->size() != IdentifierScheme::kKeySize) {
    return UsageError("sample: --key must be 64 hex digits (32 bytes)");
  }
  auto scheme = IdentifierScheme::Create(*key);
  if (!scheme.ok()) return UsageError("sample: " + scheme.error().message);

  constexpr size_t kLine = tillit::identifier::kLength + 1;
  constexpr uint64_t kBatch = 1 << 16;  // lines per write: ~850 kB
  std::string buffer;
  buffer.reserve(kBatch * kLine);
  std::vector<uint64_t> serials;
  for (uint64_t done = 0; done < count;) {
    serials.resize(static_cast<size_t>(std::min(kBatch, count - done)));
    std::iota(serials.begin(), serials.end(), start + done);
    auto ids = scheme->FromSerials(serials);
    TILLIT_CHECK(ids.ok());  // the range was checked above
    buffer.clear();
    for (const auto& id : *ids) {
      buffer += id.ToString();
      buffer += '\n';
    }
    if (std::fwrite(buffer.data(), 1, buffer.size(), stdout) != buffer.size()) return 1;
    done += serials.size();
  }
  return std::fflush(stdout) == 0 ? 0 : 1;
}

}  // namespace

int main(int argc, char** argv) {
  std::vector<std::string_view> args(argv + 1, argv + argc);
  if (args.empty()) return UsageError("no command given");
  const std::string_view command = args.front();
  args.erase(args.begin());
  if (command == "--help" || command == "-h" || command == "help") {
    PrintUsage(stdout);
    return 0;
  }
  if (command == "check") return Check(args);
  if (command == "sample") return Sample(args);
  return UsageError("unknown command '" + std::string(command) + "'");
}
