// Tests for platform::FileKeyStore (tillit/platform/file_keystore.h): the round trip, the
// attempt counter and lockout (including a process killed in the middle of an attempt),
// ChangePin, tampering with every byte of the file, truncation and unknown versions, file
// modes, and recovery from crashes at each step of the atomic writes.
//
// The byte offsets below are the v1 layout of docs/keystore.md, written out on purpose: if
// the format changes by accident, these tests fail. KDF parameters are libsodium's minimum
// (1 pass, 8 KiB) so that hundreds of unlocks take well under a second.
#include <doctest/doctest.h>

#include <signal.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <chrono>
#include <filesystem>
#include <fstream>
#include <iterator>
#include <memory>
#include <string>
#include <thread>
#include <vector>

#include "temp_dir.h"
#include "tillit/bytes.h"
#include "tillit/crypto/ed25519.h"
#include "tillit/crypto/pin_kdf.h"
#include "tillit/crypto/secret.h"
#include "tillit/keystore.h"
#include "tillit/platform/file_keystore.h"

using namespace tillit;
using tillit::crypto::PinKdfParams;
using tillit::crypto::SigningKey;
using tillit::crypto::VerifyingKey;
using tillit::platform::FileKeyStore;
namespace fs = std::filesystem;

namespace {

constexpr PinKdfParams kFast{1, crypto::kPinKdfMinMemLimitBytes};
constexpr std::string_view kPin = "471928";
constexpr std::string_view kOtherPin = "839105";
constexpr std::string_view kWrongPin = "302718";

// The v1 layout (docs/keystore.md, "File format").
constexpr size_t kFileSize = 150;
struct Region {
  const char* name;
  size_t begin;
  size_t end;
};
constexpr Region kMagic{"magic", 0, 8};
constexpr Region kVersion{"version", 8, 10};
constexpr Region kOps{"ops limit", 10, 18};
constexpr Region kMem{"memory limit", 18, 26};
constexpr Region kSalt{"salt", 26, 42};
constexpr Region kPublicKey{"public key", 42, 74};
constexpr Region kCounter{"counter", 74, 78};
constexpr Region kSealed{"sealed seed", 78, 150};

// A fresh directory; store() is where the key store lives, not yet existing so Open
// creates it.
struct StoreDir {
  testing::TempDir dir{"tillit-keystore"};
  fs::path path() const { return dir.path(); }
  fs::path store() const { return dir.file("store"); }
};

std::unique_ptr<FileKeyStore> OpenStore(const fs::path& dir, PinKdfParams params = kFast) {
  auto store = FileKeyStore::Open(dir, params);
  REQUIRE_MESSAGE(store.ok(), store.error().code << ": " << store.error().message);
  return std::move(store).value();
}

fs::path KeyFile(const fs::path& dir) { return dir / FileKeyStore::kKeyFileName; }
fs::path LockoutFile(const fs::path& dir) { return dir / FileKeyStore::kLockoutFileName; }

Bytes ReadFile(const fs::path& path) {
  std::ifstream in(path, std::ios::binary);
  REQUIRE(in.good());
  return Bytes(std::istreambuf_iterator<char>(in), {});
}

void WriteFile(const fs::path& path, ByteView data) {
  std::ofstream out(path, std::ios::binary | std::ios::trunc);
  out.write(reinterpret_cast<const char*>(data.data()), static_cast<std::streamsize>(data.size()));
  REQUIRE(out.good());
}

uint32_t CounterInFile(const fs::path& dir) {
  const Bytes file = ReadFile(KeyFile(dir));
  REQUIRE(file.size() == kFileSize);
  uint32_t counter = 0;
  for (size_t i = kCounter.begin; i < kCounter.end; ++i) counter = (counter << 8) | file[i];
  return counter;
}

int AttemptsLeft(const KeyStore& store) {
  auto left = store.AttemptsLeft();
  REQUIRE_MESSAGE(left.ok(), left.error().code);
  return *left;
}

std::string ErrorCode(const Status& status) { return status.ok() ? "ok" : status.error().code; }
template <typename T>
std::string ErrorCode(const Result<T>& result) {
  return result.ok() ? "ok" : result.error().code;
}

// n wrong PINs in a row, each of which must be refused as wrongPin (not locking yet).
void EnterWrongPins(KeyStore& store, int n) {
  for (int i = 0; i < n; ++i) CHECK(ErrorCode(store.Unlock(kWrongPin)) == "wrongPin");
}

// Resident set size from a /proc/<pid>/statm file, or -1 if it cannot be read (the process
// has exited). Linux-specific, like the test that uses it.
long ResidentBytes(const std::string& statm) {
  std::ifstream in(statm);
  long size = 0;
  long resident = 0;
  if (!(in >> size >> resident)) return -1;
  return resident * ::sysconf(_SC_PAGESIZE);
}

mode_t Mode(const fs::path& path) {
  struct stat st {};
  REQUIRE(::lstat(path.c_str(), &st) == 0);
  return st.st_mode & 07777;
}

bool SameKey(const SigningKey& a, const SigningKey& b) {
  const auto access = crypto::InsecureSecretAccess::Get();
  return a.seed(access) == b.seed(access) && a.verifying_key() == b.verifying_key();
}

// Creates a store holding `key` under kPin and returns it.
std::unique_ptr<FileKeyStore> CreateStore(const fs::path& dir, const SigningKey& key,
                                          PinKdfParams params = kFast) {
  auto store = OpenStore(dir, params);
  const Status created = store->Create(kPin, key);
  REQUIRE_MESSAGE(created.ok(), created.error().code);
  return store;
}

}  // namespace

TEST_CASE("FileKeyStore: create, then unlock gives a key that signs for the stored public key") {
  StoreDir tmp;
  auto store = OpenStore(tmp.store());
  CHECK_FALSE(store->HasKey());
  CHECK(ErrorCode(store->AttemptsLeft()) == "noKey");
  CHECK(ErrorCode(store->PublicKey()) == "noKey");
  CHECK(ErrorCode(store->Unlock(kPin)) == "noKey");
  CHECK(ErrorCode(store->ChangePin(kPin, kOtherPin)) == "noKey");

  const SigningKey key = SigningKey::Generate();
  REQUIRE(store->Create(kPin, key).ok());
  CHECK(store->HasKey());
  CHECK(AttemptsLeft(*store) == kMaxPinAttempts);
  auto public_key = store->PublicKey();
  REQUIRE(public_key.ok());
  CHECK(*public_key == key.verifying_key());

  auto unlocked = store->Unlock(kPin);
  REQUIRE(unlocked.ok());
  CHECK(SameKey(*unlocked, key));
  const Bytes message = ToBytes("tillit login order 42");
  CHECK(public_key->Verify(message, unlocked->Sign(message)).ok());

  // A second instance (the app restarted) reads the same key.
  auto reopened = OpenStore(tmp.store());
  auto again = reopened->Unlock(kPin);
  REQUIRE(again.ok());
  CHECK(SameKey(*again, key));
  CHECK(ReadFile(KeyFile(tmp.store())).size() == kFileSize);
}

TEST_CASE("FileKeyStore: the PIN is not in the file, and the seed is not in clear") {
  StoreDir tmp;
  const SigningKey key = SigningKey::Generate();
  CreateStore(tmp.store(), key);
  const Bytes file = ReadFile(KeyFile(tmp.store()));
  const std::string text(file.begin(), file.end());
  CHECK(text.find(kPin) == std::string::npos);
  const auto access = crypto::InsecureSecretAccess::Get();
  const ByteView seed = key.seed(access).Expose(access);
  CHECK(std::search(file.begin(), file.end(), seed.begin(), seed.end()) == file.end());
}

TEST_CASE("FileKeyStore: Create checks the PIN policy and refuses to replace a key") {
  StoreDir tmp;
  auto store = OpenStore(tmp.store());
  const SigningKey key = SigningKey::Generate();
  CHECK(ErrorCode(store->Create("123456", key)) == "pinTooCommon");
  CHECK(ErrorCode(store->Create("47192", key)) == "pinTooShort");
  CHECK(ErrorCode(store->Create("47192a", key)) == "pinNotDigits");
  CHECK(ErrorCode(store->Create(std::string(65, '4'), key)) == "pinTooLong");
  CHECK_FALSE(store->HasKey());
  CHECK_FALSE(fs::exists(KeyFile(tmp.store())));

  REQUIRE(store->Create(kPin, key).ok());
  const Bytes before = ReadFile(KeyFile(tmp.store()));
  CHECK(ErrorCode(store->Create(kOtherPin, SigningKey::Generate())) == "keyExists");
  CHECK(ReadFile(KeyFile(tmp.store())) == before);
  auto unlocked = store->Unlock(kPin);
  REQUIRE(unlocked.ok());
  CHECK(SameKey(*unlocked, key));
}

TEST_CASE("FileKeyStore: a wrong PIN costs an attempt; the right PIN resets the count") {
  StoreDir tmp;
  const SigningKey key = SigningKey::Generate();
  auto store = CreateStore(tmp.store(), key);
  for (int wrong = 1; wrong < kMaxPinAttempts; ++wrong) {
    auto result = store->Unlock(kWrongPin);
    REQUIRE_FALSE(result.ok());
    CHECK(result.error().code == "wrongPin");
    const int left = kMaxPinAttempts - wrong;
    const std::string expected = std::to_string(left) + (left == 1 ? " attempt " : " attempts ");
    CHECK(result.error().message.find(expected) != std::string::npos);
    CHECK(AttemptsLeft(*store) == left);
    CHECK(CounterInFile(tmp.store()) == static_cast<uint32_t>(wrong));
  }
  auto unlocked = store->Unlock(kPin);
  REQUIRE(unlocked.ok());
  CHECK(SameKey(*unlocked, key));
  CHECK(AttemptsLeft(*store) == kMaxPinAttempts);
  CHECK(CounterInFile(tmp.store()) == 0);
  // "Consecutive": after the reset, four more wrong PINs still do not lock.
  EnterWrongPins(*store, kMaxPinAttempts - 1);
  CHECK(store->Unlock(kPin).ok());
}

TEST_CASE("FileKeyStore: five wrong PINs destroy the key until the next Create") {
  StoreDir tmp;
  const SigningKey key = SigningKey::Generate();
  auto store = CreateStore(tmp.store(), key);
  EnterWrongPins(*store, kMaxPinAttempts - 1);
  auto last = store->Unlock(kWrongPin);
  REQUIRE_FALSE(last.ok());
  CHECK(last.error().code == "pinLocked");

  CHECK_FALSE(fs::exists(KeyFile(tmp.store())));
  CHECK(fs::exists(LockoutFile(tmp.store())));
  CHECK(ErrorCode(store->Unlock(kPin)) == "pinLocked");  // the right PIN no longer helps
  CHECK(ErrorCode(store->ChangePin(kPin, kOtherPin)) == "pinLocked");
  CHECK_FALSE(store->HasKey());
  CHECK(AttemptsLeft(*store) == 0);
  CHECK(ErrorCode(store->PublicKey()) == "pinLocked");
  auto reopened = OpenStore(tmp.store());
  CHECK(ErrorCode(reopened->Unlock(kPin)) == "pinLocked");

  // Re-activation: a new key (from the desk) under a new PIN.
  const SigningKey replacement = SigningKey::Generate();
  REQUIRE(reopened->Create(kOtherPin, replacement).ok());
  CHECK_FALSE(fs::exists(LockoutFile(tmp.store())));
  CHECK(AttemptsLeft(*reopened) == kMaxPinAttempts);
  auto unlocked = reopened->Unlock(kOtherPin);
  REQUIRE(unlocked.ok());
  CHECK(SameKey(*unlocked, replacement));
}

TEST_CASE("FileKeyStore: the counter is on disk before the PIN is tried") {
  StoreDir tmp;
  const SigningKey key = SigningKey::Generate();

  SUBCASE("another instance sees each increment") {
    auto store = CreateStore(tmp.store(), key);
    auto observer = OpenStore(tmp.store());
    CHECK(ErrorCode(store->Unlock(kWrongPin)) == "wrongPin");
    CHECK(AttemptsLeft(*observer) == kMaxPinAttempts - 1);
    CHECK(ErrorCode(observer->Unlock(kWrongPin)) == "wrongPin");
    CHECK(AttemptsLeft(*store) == kMaxPinAttempts - 2);
  }

  SUBCASE("killing the process during an attempt with the right PIN still costs it") {
    // The child unlocks with the right PIN under parameters slow and large enough to see:
    // while Argon2id runs, the child's resident memory is up by tens of MiB. The parent
    // kills it at that moment, i.e. after the PIN was handed to the KDF and before any
    // verdict. The counter must already be on disk; with the write after the derivation
    // this finds 0, and a killed attempt would be free.
    const PinKdfParams slow{2, 48 * 1024 * 1024};
    auto store = CreateStore(tmp.store(), key, slow);
    const long baseline = ResidentBytes("/proc/self/statm");
    const pid_t child = ::fork();
    REQUIRE(child >= 0);
    if (child == 0) {
      const bool ok = store->Unlock(kPin).ok();
      ::_exit(ok ? 0 : 1);
    }
    const std::string statm = "/proc/" + std::to_string(child) + "/statm";
    bool deriving = false;
    const auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(30);
    while (!deriving && std::chrono::steady_clock::now() < deadline) {
      const long resident = ResidentBytes(statm);
      if (resident <= 0) break;  // the child has exited (a zombie reads as 0)
      deriving = resident > baseline + 24 * 1024 * 1024;
      if (!deriving) std::this_thread::sleep_for(std::chrono::microseconds(50));
    }
    ::kill(child, SIGKILL);
    int wait_status = 0;
    REQUIRE(::waitpid(child, &wait_status, 0) == child);
    REQUIRE_MESSAGE(deriving, "never saw the child inside Argon2id");
    REQUIRE(WIFSIGNALED(wait_status));

    CHECK(CounterInFile(tmp.store()) == 1);
    auto fresh = OpenStore(tmp.store(), slow);
    CHECK(AttemptsLeft(*fresh) == kMaxPinAttempts - 1);
    CHECK(fresh->Unlock(kPin).ok());
    CHECK(AttemptsLeft(*fresh) == kMaxPinAttempts);
  }

  SUBCASE("a last attempt that was interrupted counts as a lockout") {
    auto store = CreateStore(tmp.store(), key);
    EnterWrongPins(*store, kMaxPinAttempts - 1);
    // What a kill during the fifth attempt leaves behind: the counter at 5, the key still there.
    Bytes file = ReadFile(KeyFile(tmp.store()));
    file[kCounter.end - 1] = kMaxPinAttempts;
    WriteFile(KeyFile(tmp.store()), file);
    CHECK(AttemptsLeft(*store) == 0);
    CHECK_FALSE(store->HasKey());
    auto reopened = OpenStore(tmp.store());  // finishes the lockout
    CHECK_FALSE(fs::exists(KeyFile(tmp.store())));
    CHECK(ErrorCode(reopened->Unlock(kPin)) == "pinLocked");
  }
}

TEST_CASE("FileKeyStore: concurrent attempts from two instances are all counted") {
  StoreDir tmp;
  const SigningKey key = SigningKey::Generate();
  CreateStore(tmp.store(), key);
  auto a = OpenStore(tmp.store());
  auto b = OpenStore(tmp.store());
  std::thread ta([&] {
    for (int i = 0; i < 2; ++i) (void)a->Unlock(kWrongPin);
  });
  std::thread tb([&] {
    for (int i = 0; i < 2; ++i) (void)b->Unlock(kWrongPin);
  });
  ta.join();
  tb.join();
  CHECK(AttemptsLeft(*a) == kMaxPinAttempts - 4);
}

TEST_CASE("FileKeyStore: ChangePin") {
  StoreDir tmp;
  const SigningKey key = SigningKey::Generate();
  auto store = CreateStore(tmp.store(), key);
  const Bytes before = ReadFile(KeyFile(tmp.store()));

  SUBCASE("happy path: new salt, same key, old PIN no longer works") {
    REQUIRE(store->ChangePin(kPin, kOtherPin).ok());
    const Bytes after = ReadFile(KeyFile(tmp.store()));
    CHECK_FALSE(std::equal(before.begin() + kSalt.begin, before.begin() + kSalt.end,
                           after.begin() + kSalt.begin));
    CHECK(std::equal(before.begin() + kPublicKey.begin, before.begin() + kPublicKey.end,
                     after.begin() + kPublicKey.begin));
    CHECK(CounterInFile(tmp.store()) == 0);
    CHECK(ErrorCode(store->Unlock(kPin)) == "wrongPin");
    auto unlocked = store->Unlock(kOtherPin);
    REQUIRE(unlocked.ok());
    CHECK(SameKey(*unlocked, key));
  }

  SUBCASE("a wrong old PIN counts as an attempt and changes nothing else") {
    auto status = store->ChangePin(kWrongPin, kOtherPin);
    CHECK(ErrorCode(status) == "wrongPin");
    CHECK(AttemptsLeft(*store) == kMaxPinAttempts - 1);
    CHECK(ErrorCode(store->Unlock(kOtherPin)) == "wrongPin");
    CHECK(store->Unlock(kPin).ok());
  }

  SUBCASE("a new PIN that fails the policy costs no attempt") {
    CHECK(ErrorCode(store->ChangePin(kPin, "111111")) == "pinTooCommon");
    CHECK(ErrorCode(store->ChangePin(kWrongPin, "12345")) == "pinTooShort");
    CHECK(AttemptsLeft(*store) == kMaxPinAttempts);
    CHECK(ReadFile(KeyFile(tmp.store())) == before);
    CHECK(store->Unlock(kPin).ok());
  }

  SUBCASE("five wrong old PINs lock the store") {
    for (int i = 0; i < kMaxPinAttempts - 1; ++i) {
      CHECK(ErrorCode(store->ChangePin(kWrongPin, kOtherPin)) == "wrongPin");
    }
    CHECK(ErrorCode(store->ChangePin(kWrongPin, kOtherPin)) == "pinLocked");
    CHECK_FALSE(fs::exists(KeyFile(tmp.store())));
  }

  SUBCASE("re-seals with the store's current parameters (upgrade path)") {
    const PinKdfParams stronger{2, 2 * crypto::kPinKdfMinMemLimitBytes};
    auto upgraded = OpenStore(tmp.store(), stronger);
    CHECK(upgraded->Unlock(kPin).ok());  // reads with the parameters in the file
    CHECK(ReadFile(KeyFile(tmp.store()))[kOps.end - 1] == 1);
    REQUIRE(upgraded->ChangePin(kPin, kOtherPin).ok());
    const Bytes after = ReadFile(KeyFile(tmp.store()));
    CHECK(after[kOps.end - 1] == 2);
    CHECK(after[kMem.end - 2] == 0x40);  // 16384 = 0x4000
    CHECK(OpenStore(tmp.store())->Unlock(kOtherPin).ok());
  }
}

TEST_CASE("FileKeyStore: a changed byte anywhere outside the counter never unlocks") {
  StoreDir tmp;
  const SigningKey key = SigningKey::Generate();
  auto store = CreateStore(tmp.store(), key);
  const Bytes original = ReadFile(KeyFile(tmp.store()));
  REQUIRE(original.size() == kFileSize);

  for (const Region& region : {kMagic, kVersion, kOps, kMem, kSalt, kPublicKey, kSealed}) {
    for (size_t offset = region.begin; offset < region.end; ++offset) {
      for (uint8_t mask : {uint8_t{0x01}, uint8_t{0x80}, uint8_t{0xff}}) {
        Bytes tampered = original;
        tampered[offset] ^= mask;
        WriteFile(KeyFile(tmp.store()), tampered);
        auto result = store->Unlock(kPin);
        INFO(region.name << " byte " << offset << " ^ " << int{mask});
        REQUIRE_FALSE(result.ok());
        const std::string& code = result.error().code;
        if (region.begin == kMagic.begin) {
          CHECK(code == "keyStoreCorrupt");
        } else if (region.begin == kVersion.begin) {
          CHECK(code == "unsupportedVersion");
        } else if (region.begin == kSalt.begin || region.begin == kSealed.begin) {
          CHECK(code == "wrongPin");  // detected only by the seal
        } else {
          // Out-of-range parameters or an invalid point are caught by the parser; in-range
          // changes by the seal's associated data.
          CHECK((code == "keyStoreCorrupt" || code == "wrongPin"));
        }
        if (code != "wrongPin") {
          // A file that does not parse is left exactly as it was.
          CHECK(ReadFile(KeyFile(tmp.store())) == tampered);
        }
      }
    }
  }
  WriteFile(KeyFile(tmp.store()), original);
  CHECK(store->Unlock(kPin).ok());
}

TEST_CASE("FileKeyStore: swapping parameters or key in the file is detected by the seal") {
  StoreDir tmp;
  const SigningKey key = SigningKey::Generate();
  auto store = CreateStore(tmp.store(), key);
  const Bytes original = ReadFile(KeyFile(tmp.store()));

  SUBCASE("weaker-looking or different but valid parameters") {
    Bytes file = original;
    file[kOps.end - 1] = 2;  // 2 passes instead of 1
    WriteFile(KeyFile(tmp.store()), file);
    CHECK(ErrorCode(store->Unlock(kPin)) == "wrongPin");
    file = original;
    file[kMem.end - 2] = 0x40;  // 16 KiB instead of 8 KiB
    WriteFile(KeyFile(tmp.store()), file);
    CHECK(ErrorCode(store->Unlock(kPin)) == "wrongPin");
  }

  SUBCASE("another valid public key") {
    Bytes file = original;
    const SigningKey other = SigningKey::Generate();
    std::copy(other.verifying_key().bytes().begin(), other.verifying_key().bytes().end(),
              file.begin() + kPublicKey.begin);
    WriteFile(KeyFile(tmp.store()), file);
    CHECK(ErrorCode(store->Unlock(kPin)) == "wrongPin");
  }

  SUBCASE("the sealed seed of another store under the same PIN") {
    StoreDir other_tmp;
    CreateStore(other_tmp.store(), SigningKey::Generate());
    const Bytes other = ReadFile(KeyFile(other_tmp.store()));
    Bytes file = original;
    std::copy(other.begin() + kSealed.begin, other.end(), file.begin() + kSealed.begin);
    WriteFile(KeyFile(tmp.store()), file);
    CHECK(ErrorCode(store->Unlock(kPin)) == "wrongPin");
  }

  SUBCASE("a counter above the maximum is corrupt, not a lockout") {
    Bytes file = original;
    file[kCounter.begin] ^= 0x80;
    WriteFile(KeyFile(tmp.store()), file);
    CHECK(ErrorCode(store->Unlock(kPin)) == "keyStoreCorrupt");
    CHECK(ReadFile(KeyFile(tmp.store())) == file);
  }
}

TEST_CASE("FileKeyStore: truncated, extended, unknown-version and odd files") {
  StoreDir tmp;
  const SigningKey key = SigningKey::Generate();
  auto store = CreateStore(tmp.store(), key);
  const Bytes original = ReadFile(KeyFile(tmp.store()));

  for (size_t size : {size_t{0}, size_t{1}, size_t{7}, size_t{9}, size_t{10}, size_t{74},
                      size_t{78}, size_t{149}}) {
    const Bytes truncated(original.begin(), original.begin() + static_cast<ptrdiff_t>(size));
    WriteFile(KeyFile(tmp.store()), truncated);
    INFO("size " << size);
    CHECK(ErrorCode(store->Unlock(kPin)) == "keyStoreCorrupt");
    CHECK(ErrorCode(store->PublicKey()) == "keyStoreCorrupt");
    CHECK(ErrorCode(store->AttemptsLeft()) == "keyStoreCorrupt");
    CHECK(ErrorCode(store->ChangePin(kPin, kOtherPin)) == "keyStoreCorrupt");
    CHECK(ErrorCode(store->Create(kPin, key)) == "keyStoreCorrupt");
    CHECK_FALSE(store->HasKey());
    CHECK(ReadFile(KeyFile(tmp.store())) == truncated);
  }

  Bytes extended = original;
  extended.push_back(0);
  WriteFile(KeyFile(tmp.store()), extended);
  CHECK(ErrorCode(store->Unlock(kPin)) == "keyStoreCorrupt");

  Bytes future = original;
  future[kVersion.end - 1] = 2;
  future.resize(200);  // a later version may be longer: the version is checked first
  WriteFile(KeyFile(tmp.store()), future);
  auto result = store->Unlock(kPin);
  REQUIRE_FALSE(result.ok());
  CHECK(result.error().code == "unsupportedVersion");
  CHECK(result.error().message.find("version 2") != std::string::npos);
  CHECK(ReadFile(KeyFile(tmp.store())) == future);
  CHECK(ErrorCode(OpenStore(tmp.store())->Create(kPin, key)) == "unsupportedVersion");

  WriteFile(KeyFile(tmp.store()), Bytes(100000, 'A'));
  CHECK(ErrorCode(store->Unlock(kPin)) == "keyStoreCorrupt");

  fs::remove(KeyFile(tmp.store()));
  fs::create_directory(KeyFile(tmp.store()));
  CHECK(ErrorCode(store->Unlock(kPin)) == "keyStoreCorrupt");
  fs::remove(KeyFile(tmp.store()));
  fs::create_symlink(tmp.path() / "elsewhere", KeyFile(tmp.store()));
  WriteFile(tmp.path() / "elsewhere", original);
  CHECK(ErrorCode(store->Unlock(kPin)) == "keyStoreCorrupt");

  // Destroy clears any of these, and the store is usable again.
  REQUIRE(store->Destroy().ok());
  CHECK(fs::exists(tmp.path() / "elsewhere"));  // the link was removed, not followed
  REQUIRE(store->Create(kPin, key).ok());
  CHECK(store->Unlock(kPin).ok());
}

TEST_CASE("FileKeyStore: file mode 0600, directory mode 0700, whatever the umask") {
  StoreDir tmp;
  const mode_t old_umask = ::umask(0);
  auto store = CreateStore(tmp.store(), SigningKey::Generate());
  CHECK(Mode(tmp.store()) == 0700);
  CHECK(Mode(KeyFile(tmp.store())) == 0600);
  CHECK(Mode(tmp.store() / FileKeyStore::kLockFileName) == 0600);
  for (int i = 0; i < kMaxPinAttempts; ++i) (void)store->Unlock(kWrongPin);
  CHECK(Mode(LockoutFile(tmp.store())) == 0600);
  ::umask(old_umask);

  SUBCASE("nested directories are created") {
    const fs::path nested = tmp.path() / "a" / "b" / "store";
    OpenStore(nested);
    CHECK(Mode(nested) == 0700);
  }
  SUBCASE("an existing directory open to others is refused") {
    const fs::path shared = tmp.path() / "shared";
    fs::create_directory(shared);
    fs::permissions(shared, fs::perms(0755));
    auto opened = FileKeyStore::Open(shared, kFast);
    REQUIRE_FALSE(opened.ok());
    CHECK(opened.error().code == "insecurePermissions");
  }
  SUBCASE("a path that is a file is refused") {
    WriteFile(tmp.path() / "plain", ToBytes("x"));
    CHECK(ErrorCode(FileKeyStore::Open(tmp.path() / "plain", kFast)) == "ioError");
  }
}

TEST_CASE("FileKeyStore: Open rejects KDF parameters out of range") {
  StoreDir tmp;
  CHECK(ErrorCode(FileKeyStore::Open(tmp.store(), {0, 8192})) == "invalidParameters");
  CHECK(ErrorCode(FileKeyStore::Open(tmp.store(), {1, 4096})) == "invalidParameters");
  CHECK(ErrorCode(FileKeyStore::Open(tmp.store(), {1, size_t{2} << 30})) == "invalidParameters");
  CHECK(FileKeyStore::Open(tmp.store()).ok());  // kPinKdfPhoneDefault
}

TEST_CASE("FileKeyStore: crashes during atomic writes leave the old or the new state") {
  StoreDir tmp;
  const SigningKey key = SigningKey::Generate();
  auto store = CreateStore(tmp.store(), key);
  const fs::path temp = tmp.store() / (std::string(FileKeyStore::kKeyFileName) + ".tmp");

  SUBCASE("crash while writing the temp file: garbage .tmp is ignored and removed") {
    WriteFile(temp, ToBytes("half-written"));
    auto reopened = OpenStore(tmp.store());
    CHECK_FALSE(fs::exists(temp));
    CHECK(reopened->Unlock(kPin).ok());
  }

  SUBCASE("crash before the rename of ChangePin: the old PIN still works") {
    StoreDir scratch;
    // A complete new file (key under kOtherPin) that never got renamed into place.
    auto other = CreateStore(scratch.store(), key);
    REQUIRE(other->ChangePin(kPin, kOtherPin).ok());
    WriteFile(temp, ReadFile(KeyFile(scratch.store())));
    auto reopened = OpenStore(tmp.store());
    CHECK_FALSE(fs::exists(temp));
    CHECK(reopened->Unlock(kPin).ok());
    CHECK(ErrorCode(reopened->Unlock(kOtherPin)) == "wrongPin");
  }

  SUBCASE("a leftover .tmp does not disturb later writes") {
    WriteFile(temp, ToBytes("stale"));
    CHECK(ErrorCode(store->Unlock(kWrongPin)) == "wrongPin");  // writes through the same temp
    CHECK(AttemptsLeft(*store) == kMaxPinAttempts - 1);
    CHECK(store->Unlock(kPin).ok());
    CHECK_FALSE(fs::exists(temp));
  }

  SUBCASE("crash during lockout, after the marker and before the key was removed") {
    WriteFile(LockoutFile(tmp.store()), ToBytes("locked\n"));
    CHECK_FALSE(store->HasKey());
    CHECK(ErrorCode(store->Unlock(kPin)) == "pinLocked");
    CHECK_FALSE(fs::exists(KeyFile(tmp.store())));  // the lockout was finished
  }

  SUBCASE("crash during re-activation, after the marker was removed") {
    for (int i = 0; i < kMaxPinAttempts; ++i) (void)store->Unlock(kWrongPin);
    fs::remove(LockoutFile(tmp.store()));  // Create's first step, then "power loss"
    auto reopened = OpenStore(tmp.store());
    CHECK(ErrorCode(reopened->Unlock(kPin)) == "noKey");
    REQUIRE(reopened->Create(kOtherPin, key).ok());
    CHECK(reopened->Unlock(kOtherPin).ok());
  }
}

TEST_CASE("FileKeyStore: Destroy removes the key and the lockout, and is idempotent") {
  StoreDir tmp;
  auto store = CreateStore(tmp.store(), SigningKey::Generate());
  REQUIRE(store->Destroy().ok());
  CHECK_FALSE(store->HasKey());
  CHECK_FALSE(fs::exists(KeyFile(tmp.store())));
  CHECK(ErrorCode(store->Unlock(kPin)) == "noKey");
  REQUIRE(store->Destroy().ok());

  REQUIRE(store->Create(kPin, SigningKey::Generate()).ok());
  for (int i = 0; i < kMaxPinAttempts; ++i) (void)store->Unlock(kWrongPin);
  REQUIRE(fs::exists(LockoutFile(tmp.store())));
  REQUIRE(store->Destroy().ok());
  CHECK_FALSE(fs::exists(LockoutFile(tmp.store())));
  CHECK(ErrorCode(store->AttemptsLeft()) == "noKey");
}
