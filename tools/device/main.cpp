// tillit-device: the resident's device, simulated on Linux (issue 3 "Device").
//   tillit-device --home DIR activate [--server URL] (--code CODE | --image FILE) [--pin PIN]
//                                      [--tls-ca FILE]
//   tillit-device --home DIR show
//   tillit-device --home DIR change-pin [--pin OLD] [--new-pin NEW]
//   tillit-device --home DIR scan (--qr TEXT | --image FILE) [--pin PIN] [--approve | --decline]
//   tillit-device --home DIR history [--pin PIN]
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
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include <cpprest/json.h>

#include "tillit/credential/tls_pin.h"
#include "tillit/crypto/ed25519.h"
#include "tillit/crypto/hash.h"
#include "tillit/crypto/pin_kdf.h"
#include "tillit/keystore.h"
#include "tillit/platform/activation_code.h"
#include "tillit/platform/file_keystore.h"
#include "tillit/platform/issuer_client.h"
#include "tillit/platform/qr_scan.h"
#include "tillit/platform/wallet.h"
#include "tillit/ports.h"
#include "tillit/protocol/history.h"
#include "tillit/protocol/login_qr.h"
#include "tillit/protocol/signed_data.h"
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
    "  activate --server URL (--code CODE | --image FILE) [--pin PIN] [--tls-ca FILE]\n"
    "      Make a new key on this device, seal it under PIN, prove it to the issuer with the\n"
    "      activation code from the desk, and store the certificate the issuer makes.\n"
    "      CODE may also be the activation QR text (then --server may be left out);\n"
    "      --image reads that QR text from a PNG or JPEG picture of it.\n"
    "      An https:// issuer: the QR text's #pin-sha256= pins the issuer's TLS key. With a\n"
    "      bare code its certificate must verify against the system's CAs (or the PEM CAs\n"
    "      in --tls-ca FILE), and the key it has then is pinned (trust on first use). All\n"
    "      later commands accept only the pinned key.\n"
    "      Prints {\"identifier\", \"credentialSerial\"}.\n"
    "  show\n"
    "      Prints {\"identifier\", \"givenName\", \"surname\", \"assuranceLevel\",\n"
    "      \"credentialSerial\", \"notAfter\", \"server\", \"tlsPin\"} (tlsPin: https only).\n"
    "  change-pin [--pin OLD] [--new-pin NEW]\n"
    "      Re-seal the key under a new PIN. A wrong OLD counts as a wrong PIN.\n"
    "  scan (--qr TEXT | --image FILE) [--pin PIN] [--approve | --decline]\n"
    "      Log in to an e-service or sign its text: TEXT is the e-service's QR code\n"
    "      (tillit.<token>.<t>.<code>), or FILE a PNG/JPEG screenshot of it. Shows who asks\n"
    "      and what on stderr and asks \"Approve? [y/N]\", then the PIN; --approve and\n"
    "      --decline answer without asking. Prints {\"result\": \"approved\"|\"declined\",\n"
    "      \"action\": \"auth\"|\"sign\", \"rp\", \"text\"} (text only when the e-service\n"
    "      sent one). Answers and the PIN come from the terminal, or one line each from\n"
    "      stdin when stdin is not a terminal.\n"
    "  history [--pin PIN]\n"
    "      The logins and signatures made with this eID (and the holder's earlier devices),\n"
    "      newest first, from the issuer; the PIN proves it is the holder who asks. Prints\n"
    "      {\"entries\": [{\"rp\", \"action\", \"completedAt\", \"text\", \"credentialSerial\"}]}.\n"
    "\n"
    "PINs: at least 6 digits, not a common PIN. Without --pin/--new-pin the device asks on\n"
    "the terminal without echo. After 5 wrong PINs in a row the key is destroyed and the\n"
    "device must be activated again.\n"
    "\n"
    "Errors: {\"errorCode\", \"message\"} on stdout, exit 1 (wrongPin adds \"attemptsLeft\").\n"
    "scan adds qrInvalid, qrExpired, orderNotActive, certificateErr, identifierMismatch,\n"
    "notFound, imageUnreadable, qrNotFound, ioError (docs/device.md). Over https://,\n"
    "tlsPinMismatch: the issuer presented another TLS key than the pinned one; tlsError:\n"
    "an untrusted certificate, a wrong host name or a failed TLS handshake.\n"
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
  auto image_it = opts.find("--image");
  if (code_it != opts.end() && image_it != opts.end()) {
    throw UsageError{"activate takes --code or --image, not both"};
  }
  if (code_it == opts.end() && image_it == opts.end()) {
    throw UsageError{"activate needs --code (or --image)"};
  }
  std::string code_text;
  if (code_it != opts.end()) {
    code_text = code_it->second;
  } else {
    auto read = platform::ReadQrCodeFromFile(image_it->second);
    if (!read.ok()) return Fail(read.error());
    code_text = std::move(*read);
  }
  auto input = platform::ParseActivationInput(code_text);
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

  // Trust in an https:// issuer: the pin from the QR text, else the CAs (system or --tls-ca)
  // for this one activation, whose key is then pinned (trust on first use).
  platform::TlsTrust trust;
  trust.pin = input->tls_pin;
  if (auto ca_it = opts.find("--tls-ca"); ca_it != opts.end()) {
    if (trust.pin) {
      return Fail(
          MakeError("invalidParameters",
                    "--tls-ca does not apply: the activation QR text pins the issuer's TLS key"));
    }
    if (server.rfind("https://", 0) != 0) {
      return Fail(MakeError("invalidParameters", "--tls-ca needs an https:// server"));
    }
    trust.ca_file = ca_it->second;
  }
  // Local checks only (the URL, the CA file): nothing reaches the issuer yet.
  auto client = platform::IssuerClient::Create(server, trust);
  if (!client.ok()) return Fail(client.error());

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
  if (server.rfind("https://", 0) == 0) {
    // The key the activation calls went over: the QR's pin, or the one seen first.
    entry.tls_pin = (*client)->server_pin();
    if (!entry.tls_pin) return undo(MakeError("tlsError", "no TLS key was seen during activation"));
  }
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
  if (entry.tls_pin) v["tlsPin"] = value::string(credential::FormatTlsPin(*entry.tls_pin));
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

// --- scan ---------------------------------------------------------------------------------

// A line typed by the person: on the terminal (without echo when `echo` is false) when stdin
// is one, else one line of stdin with the prompt on stderr, so scripts can pipe the answer
// and the PIN. nullopt when there is nothing to read (no terminal, stdin at its end).
std::optional<std::string> AskLine(const std::string& prompt, bool echo) {
  if (::isatty(STDIN_FILENO)) {
    int fd = ::open("/dev/tty", O_RDWR | O_CLOEXEC);
    if (fd < 0) return std::nullopt;
    termios old_attr{};
    const bool is_tty = ::tcgetattr(fd, &old_attr) == 0;
    if (is_tty && !echo) {
      termios quiet = old_attr;
      quiet.c_lflag &= ~static_cast<tcflag_t>(ECHO);
      ::tcsetattr(fd, TCSAFLUSH, &quiet);
    }
    (void)!::write(fd, prompt.data(), prompt.size());
    std::string line;
    char c;
    bool any = false;
    while (::read(fd, &c, 1) == 1) {
      any = true;
      if (c == '\n' || c == '\r') break;
      if (line.size() < 1024) line += c;
    }
    if (is_tty && !echo) {
      ::tcsetattr(fd, TCSAFLUSH, &old_attr);
      (void)!::write(fd, "\n", 1);
    }
    ::close(fd);
    if (!any) return std::nullopt;
    return line;
  }
  std::cerr << prompt << std::flush;
  std::string line;
  const bool got = static_cast<bool>(std::getline(std::cin, line));
  std::cerr << "\n" << std::flush;  // stdin is not echoed: end the prompt's line
  if (!got) return std::nullopt;
  if (!line.empty() && line.back() == '\r') line.pop_back();
  return line;
}

// Text from the issuer and the e-service made safe for a terminal: control characters
// (C0 but newline and tab, DEL, C1) and the bidirectional overrides, with which a text could
// move the cursor, recolour or reorder what is shown, are written as visible \u{XXXX}
// escapes. `text` is valid UTF-8 (IssuerClient checks it).
std::string ForTerminal(std::string_view text) {
  std::string out;
  size_t i = 0;
  while (i < text.size()) {
    const auto c = static_cast<unsigned char>(text[i]);
    const size_t len = c < 0x80 ? 1 : c < 0xE0 ? 2 : c < 0xF0 ? 3 : 4;
    uint32_t cp = len == 1 ? c : c & (0x7F >> len);
    for (size_t k = 1; k < len && i + k < text.size(); ++k) {
      cp = (cp << 6) | (static_cast<unsigned char>(text[i + k]) & 0x3F);
    }
    const bool hidden = (cp < 0x20 && cp != '\n' && cp != '\t') || (cp >= 0x7F && cp <= 0x9F) ||
                        cp == 0x200E || cp == 0x200F || (cp >= 0x202A && cp <= 0x202E) ||
                        (cp >= 0x2066 && cp <= 0x2069);
    if (hidden) {
      char buf[16];
      std::snprintf(buf, sizeof buf, "\\u{%04X}", static_cast<unsigned>(cp));
      out += buf;
    } else {
      out.append(text.substr(i, len));
    }
    i += len;
  }
  return out;
}

// What the device shows before the person decides: who asks, for what, and the text.
void ShowRequest(const platform::DeviceOrder& order) {
  std::cerr << "\n" << ForTerminal(order.rp_name)
            << (order.action == "sign" ? " asks you to sign this text:" : " asks you to log in")
            << (order.action == "auth" && order.user_visible_data ? ", with this text:" : "")
            << "\n";
  if (order.user_visible_data) {
    std::cerr << "----------------------------------------\n"
              << ForTerminal(AsString(*order.user_visible_data)) << "\n"
              << "----------------------------------------\n";
  }
  std::cerr << std::flush;
}

int PrintScanResult(const platform::DeviceOrder& order, bool approved) {
  value v = value::object();
  v["result"] = value::string(approved ? "approved" : "declined");
  v["action"] = value::string(order.action);
  v["rp"] = value::string(order.rp_name);
  if (order.user_visible_data) {
    v["text"] = value::string(std::string(AsString(*order.user_visible_data)));
  }
  PrintJson(v);
  return 0;
}

// The device's credential: a verified certificate whose key is in the key store (as
// `show` checks). Errors: notActivated, pinLocked, walletCorrupt, insecurePermissions, ...
struct DeviceCredential {
  platform::WalletEntry entry;
  credential::VerifiedHolderCertificate verified;
  std::unique_ptr<platform::FileKeyStore> store;
  std::string serial;  // the certificate's serial, lower-case hex
};

Result<DeviceCredential> LoadCredential(const fs::path& home) {
  TILLIT_TRY_ASSIGN(auto wallet, platform::LoadWallet(home));
  if (!wallet) return MakeError("notActivated", "this device holds no eID; run activate");
  TILLIT_TRY_ASSIGN(auto verified, platform::VerifyWalletEntry(*wallet, wallet->activated_at));
  TILLIT_TRY(platform::PrepareDeviceHome(home));
  TILLIT_TRY_ASSIGN(auto store, platform::FileKeyStore::Open(home / "keystore", KdfParams()));
  auto key = store->PublicKey();
  if (!key.ok()) {
    if (key.error().code == "noKey") {
      return MakeError("notActivated", "this device holds no key; run activate");
    }
    return std::move(key).error();  // pinLocked: destroyed after too many wrong PINs
  }
  if (!(*key == verified.holder_key())) {
    return MakeError("walletCorrupt", "wallet.json certifies another key than the stored one");
  }
  std::string serial = verified.serial_hex();
  return DeviceCredential{std::move(*wallet), std::move(verified), std::move(store),
                          std::move(serial)};
}

// The issuer client for an activated device: over https:// only the key pinned at
// activation is accepted (a wallet from before pinning falls back to the system's CAs).
Result<std::unique_ptr<platform::IssuerClient>> ClientFor(const platform::WalletEntry& entry) {
  return platform::IssuerClient::Create(entry.server, platform::TlsTrust{entry.tls_pin, {}});
}

// The PIN from --pin, else asked (AskLine, without echo), then the key unlocked with it and
// checked against the certificate. Errors: pinRequired, wrongPin (with `attempts_left`
// set), pinLocked, notActivated, walletCorrupt.
Result<crypto::SigningKey> UnlockWithPin(KeyStore& store,
                                         const std::map<std::string, std::string>& opts,
                                         const credential::VerifiedHolderCertificate& verified,
                                         std::optional<int>& attempts_left) {
  std::string pin;
  if (auto it = opts.find("--pin"); it != opts.end()) {
    pin = it->second;
  } else {
    auto typed = AskLine("PIN: ", false);
    if (!typed) return MakeError("pinRequired", "no terminal and no PIN on stdin; pass --pin");
    pin = std::move(*typed);
  }
  auto key = store.Unlock(pin);
  if (!key.ok()) {
    const Error& error = key.error();
    if (error.code == "wrongPin") {
      auto left = store.AttemptsLeft();
      std::string message = "wrong PIN";
      if (left.ok()) {
        attempts_left = *left;
        message += ": " + std::to_string(*left) + (*left == 1 ? " attempt" : " attempts") +
                   " left before the key is destroyed";
      }
      return MakeError("wrongPin", message);
    }
    if (error.code == "noKey") {
      return MakeError("notActivated", "this device holds no key; run activate");
    }
    return std::move(key).error();
  }
  if (!(key->verifying_key() == verified.holder_key())) {
    return MakeError("walletCorrupt", "wallet.json certifies another key than the stored one");
  }
  return std::move(*key);
}

int Scan(const fs::path& home, const std::map<std::string, std::string>& opts) {
  const bool approve = opts.count("--approve") != 0;
  const bool decline = opts.count("--decline") != 0;
  if (approve && decline) throw UsageError{"scan takes --approve or --decline, not both"};
  auto qr_it = opts.find("--qr");
  auto image_it = opts.find("--image");
  if (qr_it != opts.end() && image_it != opts.end()) {
    throw UsageError{"scan takes --qr or --image, not both"};
  }
  if (qr_it == opts.end() && image_it == opts.end()) throw UsageError{"scan needs --qr or --image"};
  if (decline && opts.count("--pin")) throw UsageError{"--pin does not apply to --decline"};

  // The picture and the QR text first: both are local, and a wrong picture should say so
  // whatever the state of the device. Only a well-formed login code reaches the issuer.
  std::string qr_text;
  if (qr_it != opts.end()) {
    qr_text = qr_it->second;
  } else {
    auto read = platform::ReadQrCodeFromFile(image_it->second);
    if (!read.ok()) return Fail(read.error());
    qr_text = std::move(*read);
  }
  if (auto parsed = protocol::ParseLoginQr(qr_text); !parsed.ok()) {
    return Fail(MakeError("qrInvalid", "not a Tillit login QR code: " + parsed.error().message));
  }

  auto credential = LoadCredential(home);
  if (!credential.ok()) return Fail(credential.error());
  auto& store = credential->store;
  auto& verified = credential->verified;
  const std::string& credential_serial = credential->serial;

  auto client = ClientFor(credential->entry);
  if (!client.ok()) return Fail(client.error());
  auto order = (*client)->ScanOrder(qr_text, credential_serial);
  if (!order.ok()) return Fail(order.error());
  if (auto shown = (*client)->MarkShown(order->order_ref, order->challenge); !shown.ok()) {
    return Fail(shown.error());
  }
  auto decline_order = [&](const std::string& reason) {
    return (*client)->Decline(order->order_ref, order->challenge, reason);
  };

  bool approved = approve;
  if (!approve && !decline) {
    ShowRequest(*order);
    auto answer = AskLine("Approve? [y/N] ", true);
    approved = answer && (*answer == "y" || *answer == "Y" || *answer == "yes");
  }
  if (!approved) {
    if (auto declined = decline_order("userCancel"); !declined.ok()) return Fail(declined.error());
    return PrintScanResult(*order, false);
  }

  // Asked for the PIN: show what it approves. (A wrong PIN leaves the order waiting in
  // userSign until it expires; scanning a fresh code retries.)
  if (approve && !opts.count("--pin")) ShowRequest(*order);
  std::optional<int> attempts_left;
  auto key = UnlockWithPin(*store, opts, verified, attempts_left);
  if (!key.ok()) {
    if (key.error().code == "pinLocked") {
      // The key is gone: tell the issuer, so the e-service sees certificateErr at once.
      auto declined = decline_order("pinLocked");
      std::string message = key.error().message;
      if (!declined.ok()) message += " (the issuer was not told: " + declined.error().message + ")";
      return Fail(MakeError("pinLocked", message));
    }
    return Fail(key.error(), attempts_left);
  }

  auto action = protocol::ParseOrderAction(order->action);
  if (!action.ok()) return Fail(MakeError("badResponse", "unknown action " + order->action));
  protocol::SignedData data;
  data.action = *action;
  data.order_ref = order->order_ref;
  data.challenge = order->challenge;
  data.rp_id = order->rp_id;
  data.rp_name = order->rp_name;
  data.credential_serial = credential_serial;
  data.start = qr_text;
  if (order->user_visible_data) data.visible_data_hash = crypto::Sha256(*order->user_visible_data);
  if (order->user_non_visible_data_hash) {
    crypto::Sha256Digest digest{};
    if (order->user_non_visible_data_hash->size() != digest.size()) {
      return Fail(MakeError("badResponse", "userNonVisibleDataHash is not 32 bytes"));
    }
    std::copy(order->user_non_visible_data_hash->begin(), order->user_non_visible_data_hash->end(),
              digest.begin());
    data.non_visible_data_hash = digest;
  }
  data.signed_at = SystemClock().NowUnixSeconds();
  auto signed_bytes = protocol::SerializeSignedData(data);
  if (!signed_bytes.ok()) {
    return Fail(MakeError("badResponse", "the order cannot be signed: " + signed_bytes.error().message));
  }
  const auto signature = key->Sign(*signed_bytes);
  if (auto done = (*client)->Respond(order->order_ref, *signed_bytes, signature.bytes()); !done.ok()) {
    return Fail(done.error());
  }
  return PrintScanResult(*order, true);
}

// --- history (docs/protocol.md §9) ---------------------------------------------------------

// The holder's logins and signatures, newest first, read from the issuer page by page; each
// page costs a nonce signed with the key, which the PIN unlocks once.
int History(const fs::path& home, const std::map<std::string, std::string>& opts) {
  auto credential = LoadCredential(home);
  if (!credential.ok()) return Fail(credential.error());
  auto client = ClientFor(credential->entry);
  if (!client.ok()) return Fail(client.error());
  std::optional<int> attempts_left;
  auto key = UnlockWithPin(*credential->store, opts, credential->verified, attempts_left);
  if (!key.ok()) return Fail(key.error(), attempts_left);

  // Enough for years of use; a longer history is cut here and says so.
  constexpr size_t kPageSize = 100;
  constexpr size_t kMaxEntries = 10'000;
  value entries = value::array();
  size_t count = 0;
  uint64_t offset = 0;
  bool truncated = false;
  for (;;) {
    auto nonce = (*client)->HistoryChallenge(credential->serial);
    if (!nonce.ok()) return Fail(nonce.error());
    auto message = protocol::HistorySignedMessage(*nonce, credential->serial);
    if (!message.ok()) return Fail(message.error());
    const auto signature = key->Sign(*message);
    auto page = (*client)->History(credential->serial, *nonce, signature.bytes(), kPageSize, offset);
    if (!page.ok()) return Fail(page.error());
    for (const auto& e : page->entries) {
      value v = value::object(/*keep_order=*/true);
      v["rp"] = value::string(e.rp);
      v["action"] = value::string(e.action);
      v["completedAt"] = value::string(e.completed_at);
      if (e.text) v["text"] = value::string(*e.text);
      v["credentialSerial"] = value::string(e.credential_serial);
      entries[count++] = std::move(v);
    }
    if (!page->next_offset) break;
    if (count >= kMaxEntries) {
      truncated = true;
      break;
    }
    offset = *page->next_offset;
  }
  value v = value::object(/*keep_order=*/true);
  v["entries"] = std::move(entries);
  if (truncated) v["truncated"] = value::boolean(true);
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
    if (a == "--approve" || a == "--decline") {
      opts[a] = "";
      continue;
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
      } else if (name == "--server" || name == "--code" || name == "--pin" || name == "--new-pin" ||
                 name == "--qr" || name == "--image" || name == "--tls-ca") {
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
    allow({"--server", "--code", "--image", "--pin", "--tls-ca"});
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
  if (command == "history") {
    allow({"--pin"});
    return History(*home, opts);
  }
  if (command == "scan") {
    allow({"--qr", "--image", "--pin", "--approve", "--decline"});
    return Scan(*home, opts);
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
