// crypto::ReadSecretFile: a key, passphrase or PIN file read straight into SecretBytes.
#include <doctest/doctest.h>
#include <sys/stat.h>
#include <unistd.h>

#include <string>

#include "temp_dir.h"
#include "tillit/crypto/secret.h"

using tillit::crypto::InsecureSecretAccess;
using tillit::crypto::ReadSecretFile;
using tillit::testing::TempDir;

namespace {

std::string Text(const tillit::crypto::SecretBytes& secret) {
  auto bytes = secret.Expose(InsecureSecretAccess::Get());
  return std::string(bytes.begin(), bytes.end());
}

}  // namespace

TEST_CASE("a small file is read whole, byte for byte") {
  TempDir dir("tillit-secret-file-test");
  const std::string content("pass\0phrase\n", 12);
  auto read = ReadSecretFile(dir.Write("secret", content), 64);
  REQUIRE(read.ok());
  REQUIRE(read->has_value());
  CHECK(Text(**read) == content);

  auto empty = ReadSecretFile(dir.Write("empty", ""), 64);
  REQUIRE(empty.ok());
  REQUIRE(empty->has_value());
  CHECK((*empty)->size() == 0);
}

TEST_CASE("a missing file is no file, not an error") {
  TempDir dir("tillit-secret-file-test");
  auto read = ReadSecretFile(dir.file("absent"), 64);
  REQUIRE(read.ok());
  CHECK_FALSE(read->has_value());
}

TEST_CASE("too large, not a regular file, or unreadable: refused without the content") {
  TempDir dir("tillit-secret-file-test");
  const std::string secret = "s3cr3t-value-that-must-not-leak";
  auto large = ReadSecretFile(dir.Write("large", secret), secret.size() - 1);
  REQUIRE_FALSE(large.ok());
  CHECK(large.error().code == "notSmallFile");
  CHECK(large.error().message.find(secret) == std::string::npos);

  auto directory = ReadSecretFile(dir.path(), 1 << 20);
  REQUIRE_FALSE(directory.ok());
  CHECK(directory.error().code == "notSmallFile");

  const std::string locked = dir.Write("locked", secret);
  REQUIRE(::chmod(locked.c_str(), 0) == 0);
  if (::geteuid() != 0) {  // root reads it anyway
    auto unreadable = ReadSecretFile(locked, 1 << 20);
    REQUIRE_FALSE(unreadable.ok());
    CHECK(unreadable.error().code == "unreadable");
    CHECK(unreadable.error().message.find(locked) != std::string::npos);
  }
  auto not_a_directory = ReadSecretFile(locked + "/below", 64);  // ENOTDIR, not ENOENT
  REQUIRE_FALSE(not_a_directory.ok());
  CHECK(not_a_directory.error().code == "unreadable");
}
