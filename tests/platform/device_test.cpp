// The device's activation input parsing, proof-of-possession bytes and wallet file.
#include <doctest/doctest.h>

#include <sys/stat.h>

#include <filesystem>
#include <fstream>
#include <iterator>
#include <string>
#include <utility>
#include <vector>

#include "temp_dir.h"
#include "tillit/credential/tls_pin.h"
#include "tillit/crypto/ed25519.h"
#include "tillit/crypto/hash.h"
#include "tillit/crypto/random.h"
#include "tillit/platform/activation_code.h"
#include "tillit/platform/wallet.h"

using namespace tillit;
namespace fs = std::filesystem;

TEST_CASE("activation code: canonical form accepts what people type") {
  CHECK(*platform::CanonicalActivationCode("K7F2-9XAM-C4P8-RT3N") == "K7F29XAMC4P8RT3N");
  CHECK(*platform::CanonicalActivationCode("k7f2 9xam c4p8 rt3n") == "K7F29XAMC4P8RT3N");
}

TEST_CASE("activation code: rejects bad input with invalidCode") {
  for (auto bad : {"", "K7F2-9XAM-C4P8-RT3", "K7F2-9XAM-C4P8-RT3NX", "K7F2-9XAM-C4P8-RT3O",
                   "K7F2_9XAM_C4P8_RT3N", "K7F2-9XAM-C4P8-RT3\xc3\xa5", "----------------"}) {
    INFO(bad);
    auto r = platform::CanonicalActivationCode(bad);
    REQUIRE_FALSE(r.ok());
    CHECK(r.error().code == "invalidCode");
  }
}

TEST_CASE("activation QR text carries code and server") {
  auto r = platform::ParseActivationInput("tillit-activate:v1:K7F2-9XAM-C4P8-RT3N:http://127.0.0.1:8080");
  REQUIRE(r.ok());
  CHECK(r->code == "K7F29XAMC4P8RT3N");
  CHECK(*r->server == "http://127.0.0.1:8080");
  auto bare = platform::ParseActivationInput("K7F29XAMC4P8RT3N");
  REQUIRE(bare.ok());
  CHECK_FALSE(bare->server.has_value());
  for (auto bad : {"tillit-activate:v1:K7F29XAMC4P8RT3N", "tillit-activate:v1:K7F29XAMC4P8RT3N:ftp://x",
                   "tillit-activate:v2:K7F29XAMC4P8RT3N:http://x", "tillit-activate:v1::http://x"}) {
    INFO(bad);
    CHECK_FALSE(platform::ParseActivationInput(bad).ok());
  }
}

TEST_CASE("activation QR text: an https URL may carry the issuer's TLS pin") {
  const Bytes pin = crypto::RandomBytes(32);
  const std::string pin_text = credential::FormatTlsPin(pin);
  auto r = platform::ParseActivationInput(
      "tillit-activate:v1:K7F2-9XAM-C4P8-RT3N:https://id.example:8443#pin-sha256=" + pin_text);
  REQUIRE(r.ok());
  CHECK(r->code == "K7F29XAMC4P8RT3N");
  CHECK(*r->server == "https://id.example:8443");  // the fragment is not part of the URL
  REQUIRE(r->tls_pin.has_value());
  CHECK(*r->tls_pin == pin);
  // https without a pin (a TLS proxy the server cannot see behind): the system's CAs decide.
  auto bare =
      platform::ParseActivationInput("tillit-activate:v1:K7F29XAMC4P8RT3N:https://id.example");
  REQUIRE(bare.ok());
  CHECK(*bare->server == "https://id.example");
  CHECK_FALSE(bare->tls_pin.has_value());
  auto http =
      platform::ParseActivationInput("tillit-activate:v1:K7F29XAMC4P8RT3N:http://127.0.0.1:8080");
  REQUIRE(http.ok());
  CHECK_FALSE(http->tls_pin.has_value());
}

TEST_CASE("activation QR text: a bad pin or fragment is invalidCode") {
  const Bytes pin(32, 0xA5);
  const std::string good = credential::FormatTlsPin(pin);
  std::string flipped_tail = good;
  flipped_tail.back() = 'B';  // sets a bit past the 32 bytes
  const std::string prefix = "tillit-activate:v1:K7F29XAMC4P8RT3N:";
  const std::vector<std::pair<std::string, std::string>> cases = {
      {"pin with http://", "http://127.0.0.1:8080#pin-sha256=" + good},
      {"other fragment", "https://id.example#section"},
      {"empty fragment", "https://id.example#"},
      {"other hash name", "https://id.example#pin-sha1=" + good},
      {"upper-case name", "https://id.example#PIN-SHA256=" + good},
      {"empty pin", "https://id.example#pin-sha256="},
      {"truncated pin", "https://id.example#pin-sha256=" + good.substr(0, 42)},
      {"long pin", "https://id.example#pin-sha256=" + good + "A"},
      {"padded pin", "https://id.example#pin-sha256=" + good + "="},
      {"standard base64", "https://id.example#pin-sha256=" + good.substr(0, 41) + "+/"},
      {"stray bits", "https://id.example#pin-sha256=" + flipped_tail},
      {"trailing text", "https://id.example#pin-sha256=" + good + "&x=1"},
      {"second fragment", "https://id.example#pin-sha256=" + good + "#pin-sha256=" + good},
      {"space", "https://id.example#pin-sha256= " + good.substr(1)},
  };
  for (const auto& [what, url] : cases) {
    INFO(what);
    auto r = platform::ParseActivationInput(prefix + url);
    REQUIRE_FALSE(r.ok());
    CHECK(r.error().code == "invalidCode");
  }
  // The messages say what is wrong.
  CHECK(platform::ParseActivationInput(prefix + cases[0].second).error().message.find("http://") !=
        std::string::npos);
  CHECK(platform::ParseActivationInput(prefix + cases[1].second).error().message.find("fragment") !=
        std::string::npos);
  CHECK(platform::ParseActivationInput(prefix + cases[6].second).error().message.find("pin") !=
        std::string::npos);
}

TEST_CASE("proof-of-possession bytes follow docs/desk-api.md exactly") {
  const Bytes nonce(32, 0x11), key(32, 0x22);
  auto bytes = platform::ActivationSignedBytes(nonce, "K7F29XAMC4P8RT3N", key);
  REQUIRE(bytes.ok());
  const std::string context = "tillit-activation-v1";
  REQUIRE(bytes->size() == context.size() + 1 + 32 + 32 + 32);
  CHECK(AsString(ByteView(*bytes).first(context.size())) == context);
  CHECK((*bytes)[context.size()] == 0);
  const auto hash = crypto::Sha256(AsBytes("K7F29XAMC4P8RT3N"));
  CHECK(std::equal(hash.begin(), hash.end(), bytes->begin() + context.size() + 33));
  CHECK(Bytes(bytes->end() - 32, bytes->end()) == key);
  CHECK_FALSE(platform::ActivationSignedBytes(Bytes(31), "K7F29XAMC4P8RT3N", key).ok());
  CHECK_FALSE(platform::ActivationSignedBytes(nonce, "K7F29XAMC4P8RT3N", Bytes(33)).ok());
}

namespace {
// A device home that does not exist yet (PrepareDeviceHome creates it), in a fresh directory.
struct DeviceHome {
  testing::TempDir parent{"tillit-device-test"};
  fs::path path = parent.file("home");
};
}  // namespace

TEST_CASE("wallet: round trip, private file, damaged file refused and left alone") {
  DeviceHome dir;
  REQUIRE(platform::PrepareDeviceHome(dir.path).ok());
  struct stat st{};
  REQUIRE(::stat(dir.path.c_str(), &st) == 0);
  CHECK((st.st_mode & 0777) == 0700);
  auto none = platform::LoadWallet(dir.path);
  REQUIRE(none.ok());
  CHECK_FALSE(none->has_value());

  platform::WalletEntry entry{"http://127.0.0.1:8080", Bytes{1, 2, 3}, Bytes{4, 5}, 1700000000};
  REQUIRE(platform::SaveWallet(dir.path, entry).ok());
  REQUIRE(::stat((dir.path / "wallet.json").c_str(), &st) == 0);
  CHECK((st.st_mode & 0777) == 0600);
  auto loaded = platform::LoadWallet(dir.path);
  REQUIRE(loaded.ok());
  REQUIRE(loaded->has_value());
  CHECK((*loaded)->server == entry.server);
  CHECK((*loaded)->certificate_der == entry.certificate_der);
  CHECK((*loaded)->ca_certificate_der == entry.ca_certificate_der);
  CHECK((*loaded)->activated_at == entry.activated_at);
  // Garbage bytes are not a certificate: verification must refuse them.
  CHECK_FALSE(platform::VerifyWalletEntry(**loaded, 1700000000).ok());

  for (const std::string& damaged : {std::string("{"), std::string("[]"),
                                    std::string("{\"version\":2}"),
                                    std::string("{\"version\":1,\"server\":\"x\",\"certificate\":\"@@\",\"caCertificate\":\"AA==\"}")}) {
    INFO(damaged);
    { std::ofstream(dir.path / "wallet.json", std::ios::trunc) << damaged; }
    auto r = platform::LoadWallet(dir.path);
    REQUIRE_FALSE(r.ok());
    CHECK(r.error().code == "walletCorrupt");
  }
  REQUIRE(platform::RemoveWallet(dir.path).ok());
  CHECK_FALSE(fs::exists(dir.path / "wallet.json"));
}

TEST_CASE("wallet: the TLS pin round-trips; old wallets load; a bad pin is walletCorrupt") {
  DeviceHome dir;
  REQUIRE(platform::PrepareDeviceHome(dir.path).ok());
  const Bytes pin = crypto::RandomBytes(32);
  platform::WalletEntry entry{"https://id.example", Bytes{1, 2, 3}, Bytes{4, 5}, 1700000000, pin};
  REQUIRE(platform::SaveWallet(dir.path, entry).ok());
  {
    std::ifstream in(dir.path / "wallet.json");
    const std::string text((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
    CHECK(text.find("\"tlsPin\":\"" + credential::FormatTlsPin(pin) + "\"") != std::string::npos);
  }
  auto loaded = platform::LoadWallet(dir.path);
  REQUIRE(loaded.ok());
  REQUIRE(loaded->has_value());
  REQUIRE((*loaded)->tls_pin.has_value());
  CHECK(*(*loaded)->tls_pin == pin);

  // No pin (http://): no field written, none read.
  entry = {"http://127.0.0.1:8080", Bytes{1, 2, 3}, Bytes{4, 5}, 1700000000, std::nullopt};
  REQUIRE(platform::SaveWallet(dir.path, entry).ok());
  {
    std::ifstream in(dir.path / "wallet.json");
    const std::string text((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
    CHECK(text.find("tlsPin") == std::string::npos);
  }
  loaded = platform::LoadWallet(dir.path);
  REQUIRE(loaded.ok());
  CHECK_FALSE((*loaded)->tls_pin.has_value());

  // A wallet written before pinning (https, no tlsPin) still loads, without a pin.
  const std::string head =
      R"({"version":1,"server":"https://id.example","certificate":"AQID","caCertificate":"BAU=","activatedAt":1700000000)";
  { std::ofstream(dir.path / "wallet.json", std::ios::trunc) << head << "}"; }
  loaded = platform::LoadWallet(dir.path);
  REQUIRE(loaded.ok());
  REQUIRE(loaded->has_value());
  CHECK_FALSE((*loaded)->tls_pin.has_value());

  const std::string good = credential::FormatTlsPin(pin);
  for (const std::string& bad :
       {std::string(R"(,"tlsPin":")") + good.substr(1) + "\"",
        std::string(R"(,"tlsPin":")") + good + "=\"", std::string(R"(,"tlsPin":"")"),
        std::string(R"(,"tlsPin":null)"), std::string(R"(,"tlsPin":42)"),
        std::string(R"(,"tlsPin":")") + Base64Encode(pin) + "\""}) {
    INFO(bad);
    { std::ofstream(dir.path / "wallet.json", std::ios::trunc) << head << bad << "}"; }
    auto r = platform::LoadWallet(dir.path);
    REQUIRE_FALSE(r.ok());
    CHECK(r.error().code == "walletCorrupt");
  }
  // A pin for an http:// server is damage too (it could never be used).
  {
    std::string http_head = head;
    http_head.replace(http_head.find("https://id.example"), 18, "http://id.example");
    std::ofstream(dir.path / "wallet.json", std::ios::trunc)
        << http_head << R"(,"tlsPin":")" << good << "\"}";
  }
  auto r = platform::LoadWallet(dir.path);
  REQUIRE_FALSE(r.ok());
  CHECK(r.error().code == "walletCorrupt");

  // SaveWallet never writes what LoadWallet would refuse.
  for (const platform::WalletEntry& bad_entry :
       {platform::WalletEntry{"http://id.example", Bytes{1}, Bytes{2}, 0, pin},
        platform::WalletEntry{"https://id.example", Bytes{1}, Bytes{2}, 0, Bytes(31)}}) {
    auto saved = platform::SaveWallet(dir.path, bad_entry);
    REQUIRE_FALSE(saved.ok());
    CHECK(saved.error().code == "invalidParameters");
  }
}

TEST_CASE("wallet: a shared home directory is refused") {
  DeviceHome dir;
  fs::create_directories(dir.path);
  fs::permissions(dir.path, fs::perms::owner_all | fs::perms::group_read | fs::perms::group_exec);
  auto r = platform::PrepareDeviceHome(dir.path);
  REQUIRE_FALSE(r.ok());
  CHECK(r.error().code == "insecurePermissions");
}
