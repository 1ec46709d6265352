// IssuerKeys' CA key sources (docs/operations.md §1.1, §1.2): the plain ca.key, ca.key.pem
// under a passphrase (created, reloaded, locked, refused with the wrong passphrase without
// touching the disk), the ambiguous directories that must be refused, and ProtectCaKey's
// conversion of a plain key, including a rerun after an interruption.
#include <doctest/doctest.h>
#include <sys/stat.h>
#include <unistd.h>

#include <filesystem>
#include <fstream>
#include <iterator>
#include <map>
#include <string>

#include "temp_dir.h"
#include "tillit/credential/certificate.h"
#include "tillit/credential/crl.h"
#include "tillit/crypto/encrypted_key.h"
#include "tillit/crypto/random.h"
#include "tillit/ports.h"
#include "tillit/service/issuer_keys.h"

namespace tillit::service {
namespace {

namespace fs = std::filesystem;

constexpr int64_t kNow = 1748772000;  // 2025-06-01T10:00:00Z
constexpr std::string_view kPassphrase = "a long passphrase: 7f3c9e1d";

crypto::SecretBytes Secret(std::string_view text) {
  return crypto::SecretBytes::CopyFrom(AsBytes(text), crypto::InsecureSecretAccess::Get());
}

CaKeyOptions WithPassphrase(std::string_view passphrase) {
  CaKeyOptions options;
  options.passphrase = Secret(passphrase);
  return options;
}

std::string CodeOf(const auto& result) { return result.ok() ? "ok" : result.error().code; }

std::string ReadText(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  return {std::istreambuf_iterator<char>(in), std::istreambuf_iterator<char>()};
}

// The issuer's data directory, not yet existing (IssuerKeys creates it), in a fresh one.
class DataDir {
 public:
  std::string data() const { return root_.file("data"); }
  std::string file(const char* name) const { return data() + "/" + name; }
  bool has(const char* name) const { return fs::exists(file(name)); }

  // Every file's name, content and modification time: "nothing changed on disk".
  std::map<std::string, std::string> Snapshot() const {
    std::map<std::string, std::string> out;
    for (const auto& entry : fs::directory_iterator(data())) {
      struct stat st {};
      REQUIRE(::stat(entry.path().c_str(), &st) == 0);
      out[entry.path().filename().string()] =
          ReadText(entry.path().string()) + "@" + std::to_string(st.st_mtim.tv_sec) + "." +
          std::to_string(st.st_mtim.tv_nsec);
    }
    return out;
  }

 private:
  tillit::testing::TempDir root_{"tillit-issuer-keys-test"};
};

void CheckSigns(const IssuerKeys& keys) {
  auto crl = credential::CreateCrl(keys.ca_signer(), keys.ca_certificate_der(), {}, kNow,
                                   kNow + 3600, 1);
  REQUIRE_MESSAGE(crl.ok(), crl.error().message);
  CHECK(credential::ParseAndVerifyCrl(*crl, keys.ca_certificate_der(), kNow).ok());
}

}  // namespace

TEST_CASE("a passphrase on first start creates only ca.key.pem, which reloads to the same CA") {
  DataDir dir;
  FixedClock clock(kNow);
  Bytes certificate;
  {
    auto keys = IssuerKeys::LoadOrCreate(dir.data(), clock, WithPassphrase(kPassphrase));
    REQUIRE_MESSAGE(keys.ok(), keys.error().message);
    certificate = keys->ca_certificate_der();
    auto ca = credential::VerifyCaCertificate(certificate, kNow);
    REQUIRE(ca.ok());
    CHECK(ca->ca_key() == keys->ca_verifying_key());
    CheckSigns(*keys);
  }
  CHECK_FALSE(dir.has("ca.key"));
  REQUIRE(dir.has("ca.key.pem"));
  struct stat st {};
  REQUIRE(::stat(dir.file("ca.key.pem").c_str(), &st) == 0);
  CHECK((st.st_mode & 0777) == 0600);
  const std::string pem = ReadText(dir.file("ca.key.pem"));
  CHECK(pem.rfind("-----BEGIN ENCRYPTED PRIVATE KEY-----", 0) == 0);
  CHECK(pem.find(std::string(kPassphrase)) == std::string::npos);

  auto reloaded = IssuerKeys::LoadOrCreate(dir.data(), clock, WithPassphrase(kPassphrase));
  REQUIRE_MESSAGE(reloaded.ok(), reloaded.error().message);
  CHECK(reloaded->ca_certificate_der() == certificate);
  CheckSigns(*reloaded);
  // The file is the CA key itself, readable with the passphrase.
  auto key = crypto::DecryptSigningKey(pem, Secret(kPassphrase));
  REQUIRE(key.ok());
  CHECK(key->verifying_key() == reloaded->ca_verifying_key());
}

TEST_CASE("ca.key.pem without its passphrase is locked, and nothing on disk changes") {
  DataDir dir;
  FixedClock clock(kNow);
  REQUIRE(IssuerKeys::LoadOrCreate(dir.data(), clock, WithPassphrase(kPassphrase)).ok());
  const auto before = dir.Snapshot();

  auto missing = IssuerKeys::LoadOrCreate(dir.data(), clock);
  REQUIRE_FALSE(missing.ok());
  CHECK(missing.error().code == "caKeyLocked");
  CHECK(missing.error().message.find("--ca-key-passphrase-file") != std::string::npos);
  CHECK(missing.error().message.find("--ca-key-passphrase-env") != std::string::npos);

  for (std::string_view wrong : {"a long passphrase: 7f3c9e1e", "x", "a long passphrase: 7f3c9e1d\n"}) {
    CAPTURE(wrong);
    auto locked = IssuerKeys::LoadOrCreate(dir.data(), clock, WithPassphrase(wrong));
    REQUIRE_FALSE(locked.ok());
    CHECK(locked.error().code == "caKeyLocked");
    // The message names the key file; the random temporary directory in that path may
    // hold any letter, so look for the passphrase in the rest of the message only.
    std::string message = locked.error().message;
    for (auto at = message.find(dir.data()); at != std::string::npos; at = message.find(dir.data())) {
      message.erase(at, dir.data().size());
    }
    CHECK(message.find(std::string(wrong)) == std::string::npos);
    CHECK(message.find(std::string(kPassphrase)) == std::string::npos);
  }
  CHECK(dir.Snapshot() == before);
}

TEST_CASE("ambiguous or mismatched CA key files are refused") {
  FixedClock clock(kNow);
  SUBCASE("ca.key and ca.key.pem both present") {
    DataDir dir;
    REQUIRE(IssuerKeys::LoadOrCreate(dir.data(), clock, WithPassphrase(kPassphrase)).ok());
    { std::ofstream(dir.file("ca.key"), std::ios::binary) << std::string(32, 'k'); }
    const auto before = dir.Snapshot();
    CHECK(CodeOf(IssuerKeys::LoadOrCreate(dir.data(), clock)) == "internalError");
    CHECK(CodeOf(IssuerKeys::LoadOrCreate(dir.data(), clock, WithPassphrase(kPassphrase))) ==
          "internalError");
    CHECK(dir.Snapshot() == before);
  }
  SUBCASE("a passphrase for a plain ca.key") {
    DataDir dir;
    REQUIRE(IssuerKeys::LoadOrCreate(dir.data(), clock).ok());
    const auto before = dir.Snapshot();
    CHECK(CodeOf(IssuerKeys::LoadOrCreate(dir.data(), clock, WithPassphrase(kPassphrase))) ==
          "invalidParameters");
    CHECK(dir.Snapshot() == before);
  }
  SUBCASE("ca.pem without any CA key is not given a new key") {
    DataDir dir;
    REQUIRE(IssuerKeys::LoadOrCreate(dir.data(), clock).ok());
    fs::remove(dir.file("ca.key"));
    const auto before = dir.Snapshot();
    CHECK(CodeOf(IssuerKeys::LoadOrCreate(dir.data(), clock)) == "internalError");
    CHECK(CodeOf(IssuerKeys::LoadOrCreate(dir.data(), clock, WithPassphrase(kPassphrase))) ==
          "internalError");
    CHECK(dir.Snapshot() == before);
  }
  SUBCASE("ca.key.pem holding another key than ca.pem's") {
    DataDir dir;
    REQUIRE(IssuerKeys::LoadOrCreate(dir.data(), clock, WithPassphrase(kPassphrase)).ok());
    const std::string other =
        crypto::EncryptSigningKey(crypto::SigningKey::Generate(), Secret(kPassphrase)).value();
    { std::ofstream(dir.file("ca.key.pem"), std::ios::binary | std::ios::trunc) << other; }
    CHECK(CodeOf(IssuerKeys::LoadOrCreate(dir.data(), clock, WithPassphrase(kPassphrase))) ==
          "internalError");
  }
  SUBCASE("ca.key.pem that is not an encrypted key") {
    DataDir dir;
    REQUIRE(IssuerKeys::LoadOrCreate(dir.data(), clock, WithPassphrase(kPassphrase)).ok());
    { std::ofstream(dir.file("ca.key.pem"), std::ios::binary | std::ios::trunc) << "garbage\n"; }
    CHECK(CodeOf(IssuerKeys::LoadOrCreate(dir.data(), clock, WithPassphrase(kPassphrase))) ==
          "internalError");
  }
}

TEST_CASE("ProtectCaKey encrypts a plain ca.key and removes it") {
  DataDir dir;
  FixedClock clock(kNow);
  Bytes certificate;
  crypto::VerifyingKey ca_key = crypto::SigningKey::Generate().verifying_key();
  {
    auto keys = IssuerKeys::LoadOrCreate(dir.data(), clock);
    REQUIRE(keys.ok());
    certificate = keys->ca_certificate_der();
    ca_key = keys->ca_verifying_key();
  }
  CHECK(CodeOf(IssuerKeys::ProtectCaKey(dir.data(), crypto::SecretBytes())) == "invalidParameters");
  CHECK(dir.has("ca.key"));

  auto protected_key = IssuerKeys::ProtectCaKey(dir.data(), Secret(kPassphrase));
  REQUIRE_MESSAGE(protected_key.ok(), protected_key.error().message);
  CHECK(*protected_key == ca_key);
  CHECK_FALSE(dir.has("ca.key"));
  CHECK(dir.has("ca.key.pem"));

  auto reloaded = IssuerKeys::LoadOrCreate(dir.data(), clock, WithPassphrase(kPassphrase));
  REQUIRE_MESSAGE(reloaded.ok(), reloaded.error().message);
  CHECK(reloaded->ca_certificate_der() == certificate);
  CHECK(reloaded->ca_verifying_key() == ca_key);
  CHECK(CodeOf(IssuerKeys::LoadOrCreate(dir.data(), clock)) == "caKeyLocked");

  // Nothing left to protect.
  CHECK(CodeOf(IssuerKeys::ProtectCaKey(dir.data(), Secret(kPassphrase))) == "notFound");
  CHECK(CodeOf(IssuerKeys::ProtectCaKey(dir.data() + "-none", Secret(kPassphrase))) ==
        "notFound");
  CHECK_FALSE(fs::exists(dir.data() + "-none"));
}

TEST_CASE("ProtectCaKey resumes after an interruption and refuses a foreign ca.key.pem") {
  DataDir dir;
  FixedClock clock(kNow);
  REQUIRE(IssuerKeys::LoadOrCreate(dir.data(), clock).ok());
  const std::string seed = ReadText(dir.file("ca.key"));
  auto key = crypto::SigningKey::FromSeed(
      crypto::SecretBytes::CopyFrom(AsBytes(seed), crypto::InsecureSecretAccess::Get()));
  REQUIRE(key.ok());

  SUBCASE("interrupted after writing ca.key.pem: the rerun keeps it and removes ca.key") {
    const std::string pem = crypto::EncryptSigningKey(*key, Secret(kPassphrase)).value();
    { std::ofstream(dir.file("ca.key.pem"), std::ios::binary) << pem; }
    CHECK(CodeOf(IssuerKeys::ProtectCaKey(dir.data(), Secret("another passphrase"))) ==
          "caKeyLocked");
    CHECK(dir.has("ca.key"));
    REQUIRE(IssuerKeys::ProtectCaKey(dir.data(), Secret(kPassphrase)).ok());
    CHECK_FALSE(dir.has("ca.key"));
    CHECK(ReadText(dir.file("ca.key.pem")) == pem);
    CHECK(IssuerKeys::LoadOrCreate(dir.data(), clock, WithPassphrase(kPassphrase)).ok());
  }
  SUBCASE("a ca.key.pem of another key is never taken for this one") {
    const std::string pem =
        crypto::EncryptSigningKey(crypto::SigningKey::Generate(), Secret(kPassphrase)).value();
    { std::ofstream(dir.file("ca.key.pem"), std::ios::binary) << pem; }
    CHECK(CodeOf(IssuerKeys::ProtectCaKey(dir.data(), Secret(kPassphrase))) == "internalError");
    CHECK(dir.has("ca.key"));
  }
  SUBCASE("a ca.key that is not ca.pem's key is not protected") {
    { std::ofstream(dir.file("ca.key"), std::ios::binary | std::ios::trunc) << std::string(32, 'x'); }
    CHECK(CodeOf(IssuerKeys::ProtectCaKey(dir.data(), Secret(kPassphrase))) == "internalError");
    CHECK_FALSE(dir.has("ca.key.pem"));
  }
}

}  // namespace tillit::service
