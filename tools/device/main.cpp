// tillit-device: the resident's device, simulated on Linux (issue 3 "Device").
//   tillit-device --home DIR activate --server URL --code CODE [--pin PIN]
//   tillit-device --home DIR show
//   tillit-device --home DIR change-pin [--pin OLD] [--new-pin NEW]
// Success: one JSON object on stdout, exit 0. Failure: {"errorCode", "message", …} on
// stdout, exit 1. Usage errors: text on stderr, exit 2. Layout of DIR in docs/device.md.
#include <fcntl.h>
#include <termios.h>
#include <unistd.h>

#include <cstdio>
#include <cstdlib>
#include <ctime>
#include <filesystem>
#include <iostream>
#include <map>
#include <optional>
#include <string>
#include <vector>

#include <cpprest/json.h>

#include "tillit/crypto/ed25519.h"
#include "tillit/crypto/pin_kdf.h"
#include "tillit/keystore.h"
#include "tillit/platform/activation_code.h"
#include "tillit/platform/file_keystore.h"
#include "tillit/platform/issuer_client.h"
#include "tillit/platform/wallet.h"
#include "tillit/ports.h"
#include "tillit/rfc3339.h"

namespace {

using namespace tillit;
using web::json::value;
namespace fs = std::filesystem;

constexpr const char* kUsage =
    "usage: tillit-device --home DIR COMMAND [options]\n"
    "\n"
    "The resident's eID device, simulated on Linux. DIR holds the PIN-sealed key\n"
    "(DIR/keystore/) and the certificate (DIR/wallet.json); it is created with mode 0700.\n"
    "\n"
    "commands:\n"
    "  activate --server URL --code CODE [--pin PIN]\n"
    "      Make a new key on this device, seal it under PIN, prove it to the issuer with the\n"
    "      activation code from the desk, and store the certificate the issuer makes.\n"
    "      CODE may also be the activation QR text (then --server may be left out).\n"
    "      Prints {\"identifier\", \"credentialSerial\"}.\n"
    "  show\n"
    "      Prints {\"identifier\", \"givenName\", \"surname\", \"assuranceLevel\",\n"
    "      \"credentialSerial\", \"notAfter\", \"server\"}.\n"
    "  change-pin [--pin OLD] [--new-pin NEW]\n"
    "      Re-seal the key under a new PIN. A wrong OLD counts as a wrong PIN.\n"
    "\n"
    "PINs: at least 6 digits, not a common PIN. Without --pin/--new-pin the device asks on\n"
    "the terminal without echo. After 5 wrong PINs in a row the key is destroyed and the\n"
    "device must be activated again.\n"
    "\n"
    "Errors: {\"errorCode\", \"message\"} on stdout, exit 1 (wrongPin adds \"attemptsLeft\").\n"
    "Usage errors: exit 2. TILLIT_DEVICE_KDF=interactive selects cheaper Argon2id settings\n"
    "for tests (default: the phone settings in docs/keystore.md).\n";

struct UsageError {
  std::string message;
};

void PrintJson(const value& v) { std::cout << v.serialize() << std::endl; }

int Fail(const Error& error, std::optional<int> attempts_left = std::nullopt) {
  value v = value::object();
  v["errorCode"] = value::string(error.code);
  v["message"] = value::string(error.message);
  if (attempts_left) v["attemptsLeft"] = value::number(*attempts_left);
  PrintJson(v);
  return 1;
}

crypto::PinKdfParams KdfParams() {
  const char* env = std::getenv("TILLIT_DEVICE_KDF");
  if (env && std::string(env) == "interactive") return crypto::PinKdfParams{1, 16 * 1024 * 1024};
  return crypto::kPinKdfPhoneDefault;
}

// Reads a PIN from the terminal without echo. Error "pinRequired" when there is none.
Result<std::string> PromptPin(const char* prompt) {
  int fd = ::open("/dev/tty", O_RDWR | O_CLOEXEC);
  if (fd < 0) return MakeError("pinRequired", "no terminal to ask for the PIN; pass --pin");
  termios old_attr{};
  const bool is_tty = ::tcgetattr(fd, &old_attr) == 0;
  if (is_tty) {
    termios quiet = old_attr;
    quiet.c_lflag &= ~static_cast<tcflag_t>(ECHO);
    ::tcsetattr(fd, TCSAFLUSH, &quiet);
  }
  (void)!::write(fd, prompt, std::char_traits<char>::length(prompt));
  std::string pin;
  char c;
  while (::read(fd, &c, 1) == 1 && c != '\n' && c != '\r' && pin.size() < 128) pin += c;
  if (is_tty) ::tcsetattr(fd, TCSAFLUSH, &old_attr);
  (void)!::write(fd, "\n", 1);
  ::close(fd);
  return pin;
}

Result<std::string> PinFrom(const std::map<std::string, std::string>& opts, const char* name,
                            const char* prompt) {
  auto it = opts.find(name);
  if (it != opts.end()) return it->second;
  return PromptPin(prompt);
}

int Activate(const fs::path& home, const std::map<std::string, std::string>& opts) {
  auto code_it = opts.find("--code");
  if (code_it == opts.end()) throw UsageError{"activate needs --code"};
  auto input = platform::ParseActivationInput(code_it->second);
  if (!input.ok()) return Fail(input.error());
  std::string server;
  auto server_it = opts.find("--server");
  if (server_it != opts.end()) server = server_it->second;
  if (input->server) {
    if (!server.empty() && server != *input->server) {
      return Fail(MakeError("invalidParameters", "--server differs from the server in the QR text"));
    }
    server = *input->server;
  }
  if (server.empty()) throw UsageError{"activate needs --server (or the activation QR text)"};

  if (auto prepared = platform::PrepareDeviceHome(home); !prepared.ok()) {
    return Fail(prepared.error());
  }
  auto existing = platform::LoadWallet(home);
  if (!existing.ok()) return Fail(existing.error());
  auto store = platform::FileKeyStore::Open(home / "keystore", KdfParams());
  if (!store.ok()) return Fail(store.error());
  // Activated means both halves: a certificate and the key it certifies. A wallet whose key
  // was destroyed (5 wrong PINs: "activate the eID again") is stale and gets replaced; a key
  // without a wallet is what a crash mid-activation leaves, and nothing can ever use it.
  if (existing->has_value() && (*store)->HasKey()) {
    return Fail(MakeError("alreadyActivated", "this device already holds an eID"));
  }
  auto pin = PinFrom(opts, "--pin", "Choose a PIN (at least 6 digits): ");
  if (!pin.ok()) return Fail(pin.error());
  // Check the PIN rules before anything costs a network call or a code attempt.
  if (auto valid = ValidateNewPin(*pin); !valid.ok()) return Fail(valid.error());

  auto client = platform::IssuerClient::Create(server);
  if (!client.ok()) return Fail(client.error());
  if ((*store)->HasKey()) {
    if (auto destroyed = (*store)->Destroy(); !destroyed.ok()) return Fail(destroyed.error());
  }
  auto challenge = (*client)->Challenge(input->code);
  if (!challenge.ok()) return Fail(challenge.error());

  // Seal the key before the issuer binds it, so an accepted key is never lost; undo on any
  // failure below so the device is either activated or untouched.
  const auto key = crypto::SigningKey::Generate();
  if (auto created = (*store)->Create(*pin, key); !created.ok()) return Fail(created.error());
  auto undo = [&](const Error& error) {
    (void)(*store)->Destroy();
    (void)platform::RemoveWallet(home);
    return Fail(error);
  };
  auto message = platform::ActivationSignedBytes(challenge->nonce, input->code,
                                                 key.verifying_key().bytes());
  if (!message.ok()) return undo(message.error());
  const auto signature = key.Sign(*message);
  auto done = (*client)->Complete(input->code, challenge->nonce, key.verifying_key().bytes(),
                                  signature.bytes());
  if (!done.ok()) return undo(done.error());

  platform::WalletEntry entry{server, done->certificate_der, done->ca_certificate_der,
                              SystemClock().NowUnixSeconds()};
  auto verified = platform::VerifyWalletEntry(entry, entry.activated_at);
  if (!verified.ok()) return undo(verified.error());
  if (!(verified->holder_key() == key.verifying_key()) ||
      verified->identifier().ToString() != done->identifier ||
      verified->serial_hex() != done->credential_serial) {
    return undo(MakeError("badResponse", "the issuer's certificate is not for this device's key"));
  }
  if (auto saved = platform::SaveWallet(home, entry); !saved.ok()) return undo(saved.error());

  value v = value::object();
  v["identifier"] = value::string(done->identifier);
  v["credentialSerial"] = value::string(done->credential_serial);
  PrintJson(v);
  return 0;
}

int Show(const fs::path& home) {
  auto wallet = platform::LoadWallet(home);
  if (!wallet.ok()) return Fail(wallet.error());
  if (!wallet->has_value()) {
    return Fail(MakeError("notActivated", "this device holds no eID; run activate"));
  }
  const auto& entry = **wallet;
  // Verify against the stored CA at the time of activation: show reports what the device
  // holds even after expiry; login checks status and time at the issuer.
  auto verified = platform::VerifyWalletEntry(entry, entry.activated_at);
  if (!verified.ok()) return Fail(verified.error());
  // A certificate without its key is no eID: say so instead of showing it as usable.
  auto store = platform::FileKeyStore::Open(home / "keystore", KdfParams());
  if (!store.ok()) return Fail(store.error());
  auto key = (*store)->PublicKey();
  if (!key.ok()) {
    if (key.error().code == "noKey") {
      return Fail(MakeError("notActivated", "this device holds no key; run activate"));
    }
    return Fail(key.error());  // pinLocked: destroyed after too many wrong PINs
  }
  if (!(*key == verified->holder_key())) {
    return Fail(MakeError("walletCorrupt", "wallet.json certifies another key than the stored one"));
  }
  value v = value::object();
  v["identifier"] = value::string(verified->identifier().ToString());
  v["givenName"] = value::string(verified->given_name());
  v["surname"] = value::string(verified->surname());
  v["assuranceLevel"] = value::number(verified->assurance_level());
  v["credentialSerial"] = value::string(verified->serial_hex());
  v["notAfter"] = value::string(FormatRfc3339(verified->not_after()));
  v["server"] = value::string(entry.server);
  PrintJson(v);
  return 0;
}

int ChangePin(const fs::path& home, const std::map<std::string, std::string>& opts) {
  if (auto prepared = platform::PrepareDeviceHome(home); !prepared.ok()) {
    return Fail(prepared.error());
  }
  auto store = platform::FileKeyStore::Open(home / "keystore", KdfParams());
  if (!store.ok()) return Fail(store.error());
  auto old_pin = PinFrom(opts, "--pin", "Current PIN: ");
  if (!old_pin.ok()) return Fail(old_pin.error());
  auto new_pin = PinFrom(opts, "--new-pin", "New PIN: ");
  if (!new_pin.ok()) return Fail(new_pin.error());
  auto changed = (*store)->ChangePin(*old_pin, *new_pin);
  if (!changed.ok()) {
    if (changed.error().code == "wrongPin") {
      auto left = (*store)->AttemptsLeft();
      return Fail(changed.error(), left.ok() ? std::optional<int>(*left) : std::nullopt);
    }
    if (changed.error().code == "noKey") {
      return Fail(MakeError("notActivated", "this device holds no key; run activate"));
    }
    return Fail(changed.error());
  }
  value v = value::object();
  v["status"] = value::string("changed");
  PrintJson(v);
  return 0;
}

int Run(int argc, char** argv) {
  std::vector<std::string> args(argv + 1, argv + argc);
  std::optional<fs::path> home;
  std::string command;
  std::map<std::string, std::string> opts;
  for (size_t i = 0; i < args.size(); ++i) {
    const std::string& a = args[i];
    if (a == "--help" || a == "-h" || a == "help") {
      std::cout << kUsage;
      return 0;
    }
    if (a.rfind("--", 0) == 0) {
      std::string name = a, val;
      if (auto eq = a.find('='); eq != std::string::npos) {
        name = a.substr(0, eq);
        val = a.substr(eq + 1);
      } else {
        if (i + 1 >= args.size()) throw UsageError{a + " needs a value"};
        val = args[++i];
      }
      if (name == "--home") {
        home = val;
      } else if (name == "--server" || name == "--code" || name == "--pin" || name == "--new-pin") {
        opts[name] = val;
      } else {
        throw UsageError{"unknown option " + name};
      }
      continue;
    }
    if (!command.empty()) throw UsageError{"unexpected argument " + a};
    command = a;
  }
  if (command.empty()) throw UsageError{"missing command"};
  if (!home) throw UsageError{"missing --home DIR"};
  auto allow = [&](std::initializer_list<const char*> allowed) {
    for (const auto& [name, _] : opts) {
      bool ok = false;
      for (const char* a : allowed) ok = ok || name == a;
      if (!ok) throw UsageError{name + " does not apply to " + command};
    }
  };
  if (command == "activate") {
    allow({"--server", "--code", "--pin"});
    return Activate(*home, opts);
  }
  if (command == "show") {
    allow({});
    return Show(*home);
  }
  if (command == "change-pin") {
    allow({"--pin", "--new-pin"});
    return ChangePin(*home, opts);
  }
  throw UsageError{"unknown command " + command};
}

}  // namespace

int main(int argc, char** argv) {
  try {
    return Run(argc, argv);
  } catch (const UsageError& e) {
    std::cerr << "tillit-device: " << e.message << "\n\n" << kUsage;
    return 2;
  } catch (const std::exception& e) {
    // Library exceptions (JSON, allocation) still answer with the one JSON error object.
    return Fail(MakeError("internalError", e.what()));
  }
}
