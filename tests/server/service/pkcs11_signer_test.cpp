// The CA key in a PKCS#11 token (pkcs11_signer.h, docs/operations.md §1.1), against a
// private SoftHSM2 token made for this test (Debian's softhsm2 and opensc: the token with
// softhsm2-util, the Ed25519 key pair with pkcs11-tool). IssuerKeys creates ca.pem with the
// token key, holder certificates and CRLs verify against it, and every misconfiguration
// (wrong PIN, module, token or key label, a P-256 key, a CA key file beside the token, a
// ca.pem of another key) fails with a clear code and no PIN in any message.
//
// Without SoftHSM2 those tests pass with a message, unless CI=true, where they fail.
//
// The faults SoftHSM2 cannot show on demand (a hung C_Sign, chosen error codes, a wrong
// signature length, two tokens with one label, a growing slot list, a module initialised by
// another library) are played by a fake module (fake_pkcs11.h), loaded like a real one.
#include <dlfcn.h>
#include <doctest/doctest.h>
#include <p11-kit/pkcs11.h>
#include <unistd.h>

#include <atomic>
#include <chrono>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <string>
#include <thread>
#include <vector>

#include "server/service/fake_pkcs11.h"
#include "temp_dir.h"

#include "tillit/credential/certificate.h"
#include "tillit/credential/crl.h"
#include "tillit/crypto/random.h"
#include "tillit/identifier/identifier.h"
#include "tillit/ports.h"
#include "tillit/service/issuer_keys.h"
#include "tillit/service/pkcs11_signer.h"

// In the sanitizer build: SoftHSM2 2.6.1 leaks a few bytes per C_SignInit (an ASN1_STRING,
// allocated through libcrypto). tests/lsan.supp suppresses leaks from libsofthsm2.so, which
// LeakSanitizer can see only with full unwinding (libcrypto has no frame pointers).
extern "C" const char* __lsan_default_options() { return "fast_unwind_on_malloc=0"; }

namespace tillit::service {
namespace {

namespace fs = std::filesystem;

constexpr int64_t kNow = 1748772000;  // 2025-06-01T10:00:00Z
constexpr const char* kToken = "tillit-test";
constexpr const char* kPin = "pin-5e81c0";
constexpr const char* kSoPin = "so-pin-93ad27";

bool InCi() {
  const char* ci = std::getenv("CI");
  return ci != nullptr && std::string(ci) == "true";
}

std::string Quote(const std::string& s) { return "'" + s + "'"; }

// A SoftHSM2 token in a temporary directory (SOFTHSM2_CONF points there for the whole
// process), holding Ed25519 keys "ca" and "other" and a P-256 key "p256". Made once.
class SoftHsm {
 public:
  static const SoftHsm& Get() {
    static SoftHsm instance;
    return instance;
  }
  bool available() const { return !module_.empty(); }
  const std::string& module() const { return module_; }
  const std::string& why_not() const { return why_not_; }

 private:
  SoftHsm() {
    for (const char* candidate : {"/usr/lib/softhsm/libsofthsm2.so",
                                  "/usr/lib/x86_64-linux-gnu/softhsm/libsofthsm2.so"}) {
      if (fs::exists(candidate)) {
        module_ = candidate;
        break;
      }
    }
    if (module_.empty()) {
      why_not_ = "libsofthsm2.so not found (Debian package softhsm2)";
      return;
    }
    char tmpl[] = "/tmp/tillit-softhsm-test-XXXXXX";
    REQUIRE(::mkdtemp(tmpl) != nullptr);
    root_ = tmpl;
    fs::create_directory(root_ + "/tokens");
    const std::string conf = root_ + "/softhsm2.conf";
    std::ofstream(conf) << "directories.tokendir = " << root_ << "/tokens\n"
                        << "objectstore.backend = file\nlog.level = ERROR\n";
    ::setenv("SOFTHSM2_CONF", conf.c_str(), 1);
    const std::string quiet = " >" + Quote(root_ + "/setup.log") + " 2>&1";
    const std::string tool = "pkcs11-tool --module " + Quote(module_) + " --token-label " + kToken +
                             " --login --pin " + kPin + " --keypairgen ";
    const std::vector<std::string> commands = {
        std::string("softhsm2-util --init-token --free --label ") + kToken + " --pin " + kPin +
            " --so-pin " + kSoPin + quiet,
        tool + "--key-type EC:edwards25519 --label ca --id 01" + quiet,
        tool + "--key-type EC:edwards25519 --label other --id 02" + quiet,
        tool + "--key-type EC:prime256v1 --label p256 --id 03" + quiet,
    };
    for (const std::string& command : commands) {
      if (std::system(command.c_str()) != 0) {
        why_not_ = "token set-up failed (softhsm2-util and pkcs11-tool: Debian packages "
                   "softhsm2 and opensc): " + command;
        module_.clear();
        return;
      }
    }
  }
  ~SoftHsm() {
    std::error_code ignored;
    if (!root_.empty()) fs::remove_all(root_, ignored);
  }

  std::string module_;
  std::string root_;
  std::string why_not_;
};

// True if the token is there; otherwise fails under CI and says why elsewhere.
bool HaveSoftHsm() {
  const SoftHsm& hsm = SoftHsm::Get();
  if (hsm.available()) return true;
  if (InCi()) FAIL("SoftHSM2 is required under CI: " << hsm.why_not());
  MESSAGE("skipped: " << hsm.why_not());
  return false;
}

Pkcs11KeyOptions Options(std::string key_label = "ca", std::string pin = kPin) {
  Pkcs11KeyOptions options;
  options.module_path = SoftHsm::Get().module();
  options.token_label = kToken;
  options.key_label = std::move(key_label);
  options.pin = crypto::SecretBytes::CopyFrom(AsBytes(pin), crypto::InsecureSecretAccess::Get());
  return options;
}

CaKeyOptions InToken(Pkcs11KeyOptions options = Options()) {
  CaKeyOptions ca_key;
  ca_key.pkcs11 = std::move(options);
  return ca_key;
}

// The issuer's data directory, not yet existing (IssuerKeys creates it), in a fresh one.
struct DataDir {
  tillit::testing::TempDir root{"tillit-pkcs11-test"};
  std::string data() const { return root.file("data"); }
};

std::string CodeOf(const auto& result) { return result.ok() ? "ok" : result.error().code; }

// The error's code, after checking that its message holds no PIN.
template <typename T>
std::string CheckedCode(const Result<T>& result) {
  if (result.ok()) return "ok";
  CAPTURE(result.error().message);
  CHECK(result.error().message.find(kPin) == std::string::npos);
  CHECK(result.error().message.find("wrong-pin") == std::string::npos);
  return result.error().code;
}

}  // namespace

TEST_CASE("IssuerKeys with the CA key in a SoftHSM2 token") {
  if (!HaveSoftHsm()) return;
  DataDir dir;
  FixedClock clock(kNow);
  Bytes certificate;
  {
    auto keys = IssuerKeys::LoadOrCreate(dir.data(), clock, InToken());
    REQUIRE_MESSAGE(keys.ok(), keys.error().message);
    certificate = keys->ca_certificate_der();
    CHECK(fs::exists(dir.data() + "/ca.pem"));
    CHECK_FALSE(fs::exists(dir.data() + "/ca.key"));
    CHECK_FALSE(fs::exists(dir.data() + "/ca.key.pem"));
    auto ca = credential::VerifyCaCertificate(certificate, kNow);
    REQUIRE(ca.ok());
    CHECK(ca->ca_key() == keys->ca_verifying_key());

    // A holder certificate, signed in the token, verifies against ca.pem.
    const crypto::SigningKey holder = crypto::SigningKey::Generate();
    credential::HolderCertificateRequest request{
        .identifier = identifier::Identifier::FromPayload(42).value(),
        .given_name = "Amal",
        .surname = "Hassan",
        .assurance_level = 3,
        .evidence_class = std::nullopt,
        .holder_key = holder.verifying_key(),
        .serial = {},
        .not_before = kNow - 60,
        .not_after = kNow + 86400};
    request.serial.fill(0x42);
    auto der = credential::IssueHolderCertificate(keys->ca_signer(), certificate, request);
    REQUIRE_MESSAGE(der.ok(), der.error().message);
    auto verified = credential::VerifyHolderCertificate(*der, certificate, kNow);
    REQUIRE_MESSAGE(verified.ok(), verified.error().message);
    CHECK(verified->given_name() == "Amal");

    auto crl = credential::CreateCrl(keys->ca_signer(), certificate,
                                     {{.serial_hex = verified->serial_hex(),
                                       .revocation_time = kNow,
                                       .reason = credential::RevocationReason::kKeyCompromise}},
                                     kNow, kNow + 3600, 1);
    REQUIRE_MESSAGE(crl.ok(), crl.error().message);
    auto parsed = credential::ParseAndVerifyCrl(*crl, certificate, kNow);
    REQUIRE(parsed.ok());
    CHECK(parsed->Find(verified->serial_hex()) != nullptr);

    // One session, shared by threads: signing is serialised, every signature good.
    std::vector<std::thread> threads;
    std::atomic<int> good{0};
    for (int t = 0; t < 4; ++t) {
      threads.emplace_back([&keys, &good, t] {
        for (int i = 0; i < 10; ++i) {
          const Bytes message = crypto::RandomBytes(32 + t);
          auto signature = keys->ca_signer().Sign(message);
          if (signature.ok() && keys->ca_verifying_key().Verify(message, *signature).ok()) ++good;
        }
      });
    }
    for (auto& thread : threads) thread.join();
    CHECK(good == 40);
  }
  // A restart finds the same certificate and key.
  auto reloaded = IssuerKeys::LoadOrCreate(dir.data(), clock, InToken());
  REQUIRE_MESSAGE(reloaded.ok(), reloaded.error().message);
  CHECK(reloaded->ca_certificate_der() == certificate);
}

TEST_CASE("a token that cannot be used is a clear error, never a PIN in a message") {
  if (!HaveSoftHsm()) return;
  // No other signer is open here: a second login to a token already logged in by this
  // process would not check the PIN (PKCS#11 login state is per application).
  CHECK(CheckedCode(Pkcs11Signer::Open(Options("ca", "wrong-pin"))) == "caKeyLocked");

  Pkcs11KeyOptions no_module = Options();
  no_module.module_path = "/nonexistent/libpkcs11.so";
  CHECK(CheckedCode(Pkcs11Signer::Open(no_module)) == "signerUnavailable");

  Pkcs11KeyOptions not_a_module = Options();
  not_a_module.module_path = "libc.so.6";
  CHECK(CheckedCode(Pkcs11Signer::Open(not_a_module)) == "signerUnavailable");

  Pkcs11KeyOptions no_token = Options();
  no_token.token_label = "no-such-token";
  CHECK(CheckedCode(Pkcs11Signer::Open(no_token)) == "signerUnavailable");

  CHECK(CheckedCode(Pkcs11Signer::Open(Options("no-such-key"))) == "notFound");
  CHECK(CheckedCode(Pkcs11Signer::Open(Options("p256"))) == "invalidKey");

  // And through IssuerKeys, which then writes nothing.
  DataDir dir;
  FixedClock clock(kNow);
  CHECK(CheckedCode(IssuerKeys::LoadOrCreate(dir.data(), clock,
                                             InToken(Options("ca", "wrong-pin")))) ==
        "caKeyLocked");
  CHECK_FALSE(fs::exists(dir.data() + "/ca.pem"));
  CHECK_FALSE(fs::exists(dir.data() + "/identifier.key"));
}

TEST_CASE("a token key beside a CA key file, or not matching ca.pem, is refused") {
  if (!HaveSoftHsm()) return;
  FixedClock clock(kNow);
  SUBCASE("ca.key and a token key") {
    DataDir dir;
    REQUIRE(IssuerKeys::LoadOrCreate(dir.data(), clock).ok());
    auto both = IssuerKeys::LoadOrCreate(dir.data(), clock, InToken());
    REQUIRE_FALSE(both.ok());
    CHECK(both.error().code == "internalError");
    CHECK(both.error().message.find("two CA keys") != std::string::npos);
  }
  SUBCASE("ca.pem of the token's other key") {
    DataDir dir;
    REQUIRE(IssuerKeys::LoadOrCreate(dir.data(), clock, InToken(Options("other"))).ok());
    auto mismatch = IssuerKeys::LoadOrCreate(dir.data(), clock, InToken());
    REQUIRE_FALSE(mismatch.ok());
    CHECK(mismatch.error().code == "internalError");
    CHECK(mismatch.error().message.find("does not match the token key") != std::string::npos);
  }
  SUBCASE("ca.pem of a file key") {
    DataDir dir;
    REQUIRE(IssuerKeys::LoadOrCreate(dir.data(), clock).ok());
    fs::remove(dir.data() + "/ca.key");
    CHECK(CodeOf(IssuerKeys::LoadOrCreate(dir.data(), clock, InToken())) == "internalError");
  }
}

// --- with the fake module ------------------------------------------------------------------

namespace {

using Clock = std::chrono::steady_clock;
using namespace std::chrono_literals;

void* FakeModuleHandle() {
  static void* handle = ::dlopen(TILLIT_FAKE_PKCS11, RTLD_NOW | RTLD_LOCAL);
  REQUIRE_MESSAGE(handle != nullptr, ::dlerror());
  return handle;
}

// The fake module's control block, reset to a present token that signs at once.
testing::FakePkcs11Control& Fake() {
  auto control = reinterpret_cast<TillitFakePkcs11ControlFn>(
      ::dlsym(FakeModuleHandle(), "tillit_fake_pkcs11_control"));
  REQUIRE((control != nullptr));
  return *control();
}

// The function list, for a test that plays another library of the process.
CK_FUNCTION_LIST_PTR FakeFunctions() {
  auto get = reinterpret_cast<CK_C_GetFunctionList>(::dlsym(FakeModuleHandle(), "C_GetFunctionList"));
  REQUIRE((get != nullptr));
  CK_FUNCTION_LIST_PTR functions = nullptr;
  REQUIRE(get(&functions) == CKR_OK);
  return functions;
}

Pkcs11KeyOptions FakeOptions(std::string module = TILLIT_FAKE_PKCS11) {
  Pkcs11KeyOptions options;
  options.module_path = std::move(module);
  options.token_label = testing::kFakeToken;
  options.key_label = testing::kFakeKey;
  options.pin = crypto::SecretBytes::CopyFrom(AsBytes(std::string_view(testing::kFakePin)),
                                              crypto::InsecureSecretAccess::Get());
  return options;
}

std::unique_ptr<Pkcs11Signer> MustOpen(const Pkcs11KeyOptions& options) {
  auto signer = Pkcs11Signer::Open(options);
  REQUIRE_MESSAGE(signer.ok(), signer.error().message);
  return std::move(*signer);
}

}  // namespace

TEST_CASE("fake module: a hung token holds one caller; the next gets signerUnavailable in 5 s") {
  Fake().Reset();
  auto signer = MustOpen(FakeOptions());
  const Bytes message = crypto::RandomBytes(40);
  Fake().sign_delay_ms = 6500;
  const int calls_before = Fake().sign_calls;
  std::atomic<bool> hung_ok{false};
  std::thread hung([&] { hung_ok = signer->Sign(message).ok(); });
  for (int i = 0; i < 400 && Fake().sign_calls == calls_before; ++i) std::this_thread::sleep_for(5ms);
  REQUIRE(Fake().sign_calls > calls_before);  // the first caller is inside C_Sign

  // Before the fix this waited for the hung C_Sign (a plain mutex), then succeeded.
  const auto start = Clock::now();
  auto waited = signer->Sign(message);
  const auto elapsed = Clock::now() - start;
  CHECK(CodeOf(waited) == "signerUnavailable");
  CHECK(elapsed >= 4500ms);
  CHECK(elapsed < 6300ms);
  hung.join();
  CHECK(hung_ok);
  Fake().sign_delay_ms = 0;
  CHECK(CodeOf(signer->Sign(message)) == "ok");
}

TEST_CASE("fake module: only a lost session makes the signer log in again") {
  Fake().Reset();
  auto signer = MustOpen(FakeOptions());
  const Bytes message = crypto::RandomBytes(40);
  const int logins = Fake().login_calls;
  SUBCASE("a refusal is returned as it is, on the same session") {
    for (CK_RV rv : {CKR_KEY_FUNCTION_NOT_PERMITTED, CKR_FUNCTION_FAILED, CKR_GENERAL_ERROR,
                     CKR_MECHANISM_INVALID}) {
      CAPTURE(rv);
      Fake().sign_rv = rv;
      Fake().sign_failures = 1;
      CHECK(CodeOf(signer->Sign(message)) == "signerUnavailable");
      CHECK(Fake().login_calls == logins);
      CHECK(CodeOf(signer->Sign(message)) == "ok");
      CHECK(Fake().login_calls == logins);
    }
  }
  SUBCASE("a lost session is reconnected, and the signature made") {
    int expected = logins;
    for (CK_RV rv : {CKR_SESSION_HANDLE_INVALID, CKR_SESSION_CLOSED, CKR_DEVICE_REMOVED,
                     CKR_TOKEN_NOT_PRESENT, CKR_USER_NOT_LOGGED_IN, CKR_DEVICE_ERROR,
                     CKR_CRYPTOKI_NOT_INITIALIZED, CKR_OPERATION_ACTIVE, CKR_KEY_HANDLE_INVALID}) {
      CAPTURE(rv);
      Fake().sign_rv = rv;
      Fake().sign_failures = 1;
      CHECK(CodeOf(signer->Sign(message)) == "ok");
      CHECK(Fake().login_calls == ++expected);
    }
  }
}

TEST_CASE("fake module: with the token gone, calls fail at once for a second after a failed reconnect") {
  Fake().Reset();
  auto signer = MustOpen(FakeOptions());
  const Bytes message = crypto::RandomBytes(40);
  Fake().token_present = false;
  const int initializations = Fake().initialize_calls;
  CHECK(CodeOf(signer->Sign(message)) == "signerUnavailable");
  // The reconnect re-initialised the module (ours alone) to look for the token.
  CHECK(Fake().initialize_calls == initializations + 1);
  const int slot_lists = Fake().get_slot_list_calls;
  const auto start = Clock::now();
  for (int i = 0; i < 20; ++i) CHECK(CodeOf(signer->Sign(message)) == "signerUnavailable");
  CHECK(Clock::now() - start < 500ms);
  // Before the fix every call finalised, initialised and scanned the module again.
  CHECK(Fake().initialize_calls == initializations + 1);
  CHECK(Fake().get_slot_list_calls == slot_lists);

  Fake().token_present = true;
  std::this_thread::sleep_for(1100ms);
  CHECK(CodeOf(signer->Sign(message)) == "ok");
}

TEST_CASE("fake module: a signature that is not 64 bytes is signerFailed") {
  Fake().Reset();
  auto signer = MustOpen(FakeOptions());
  const Bytes message = crypto::RandomBytes(40);
  // 100: a broken token claiming more than the 64 bytes it was given room for. Before the
  // fix the signer read past its buffer (an ASan build reports it).
  for (unsigned long length : {63ul, 0ul, 100ul}) {
    CAPTURE(length);
    Fake().signature_length = length;
    CHECK(CodeOf(signer->Sign(message)) == "signerFailed");
  }
  Fake().signature_length = 64;
  CHECK(CodeOf(signer->Sign(message)) == "ok");
  Fake().signature_length = 100;
  CHECK(CodeOf(Pkcs11Signer::Open(FakeOptions())) == "signerFailed");
}

TEST_CASE("fake module: the slot list is asked again when it grows; two tokens of one label are refused") {
  Fake().Reset();
  Fake().slot_list_too_small = 1;
  CHECK(CodeOf(Pkcs11Signer::Open(FakeOptions())) == "ok");
  CHECK(Fake().slot_list_too_small == 0);
  Fake().slot_list_too_small = 10;  // bounded: three tries
  CHECK(CodeOf(Pkcs11Signer::Open(FakeOptions())) == "signerUnavailable");
  Fake().Reset();
  Fake().second_token = true;
  CHECK(CodeOf(Pkcs11Signer::Open(FakeOptions())) == "invalidParameters");
}

TEST_CASE("fake module: one module however its path is spelt, never finalised if not ours") {
  Fake().Reset();
  DataDir dir;
  fs::create_directories(dir.data());
  const std::string link = dir.data() + "/libfake-link.so";
  fs::create_symlink(TILLIT_FAKE_PKCS11, link);
  const Bytes message = crypto::RandomBytes(40);
  SUBCASE("a symlink names the same module") {
    {
      auto first = MustOpen(FakeOptions());
      {
        auto second = MustOpen(FakeOptions(link));
      }
      // Before the fix the second path counted as a module of its own and finalised it.
      CHECK(Fake().finalize_calls == 0);
      CHECK(Fake().initialized);
      CHECK(CodeOf(first->Sign(message)) == "ok");
    }
    CHECK(Fake().initialize_calls == 1);
    CHECK(Fake().finalize_calls == 1);
    CHECK_FALSE(Fake().initialized);
  }
  SUBCASE("another library initialised it first") {
    CK_FUNCTION_LIST_PTR functions = FakeFunctions();
    CK_C_INITIALIZE_ARGS args{};
    args.flags = CKF_OS_LOCKING_OK;
    REQUIRE(functions->C_Initialize(&args) == CKR_OK);
    {
      auto signer = MustOpen(FakeOptions(link));
      CHECK(CodeOf(signer->Sign(message)) == "ok");
      // A reconnect looking for a missing token must not re-initialise it either.
      Fake().token_present = false;
      CHECK(CodeOf(signer->Sign(message)) == "signerUnavailable");
      Fake().token_present = true;
    }
    CHECK(Fake().finalize_calls == 0);
    CHECK(Fake().initialized);
    CHECK(functions->C_Finalize(nullptr) == CKR_OK);
  }
}

TEST_CASE("a library without C_GetFunctionList is refused and unloaded again") {
  CHECK(CheckedCode(Pkcs11Signer::Open(FakeOptions(TILLIT_NOT_PKCS11))) == "signerUnavailable");
  void* still_loaded = ::dlopen(TILLIT_NOT_PKCS11, RTLD_NOW | RTLD_NOLOAD);
  CHECK(still_loaded == nullptr);
  if (still_loaded != nullptr) ::dlclose(still_loaded);
}

TEST_CASE("two signers of one module share it; the module outlives the first") {
  if (!HaveSoftHsm()) return;
  auto first = Pkcs11Signer::Open(Options("ca"));
  REQUIRE_MESSAGE(first.ok(), first.error().message);
  {
    auto second = Pkcs11Signer::Open(Options("other"));
    REQUIRE_MESSAGE(second.ok(), second.error().message);
    CHECK_FALSE((*first)->verifying_key() == (*second)->verifying_key());
  }
  const Bytes message = crypto::RandomBytes(100);
  auto signature = (*first)->Sign(message);
  REQUIRE(signature.ok());
  CHECK((*first)->verifying_key().Verify(message, *signature).ok());
}

}  // namespace tillit::service
