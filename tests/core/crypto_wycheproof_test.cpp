// Runs every tcId of the Wycheproof vectors for the primitives in tillit/crypto
// (../shared/testdata/wycheproof/README.md): Ed25519 verification, HMAC-SHA-256 and
// XChaCha20-Poly1305. A missing file, a miscount or any valid/invalid mismatch fails.
#include <cpprest/json.h>
#include <doctest/doctest.h>

#include <fstream>
#include <sstream>
#include <string>

#include "crypto/aead_internal.h"
#include "tillit/bytes.h"
#include "tillit/crypto/aead.h"
#include "tillit/crypto/compare.h"
#include "tillit/crypto/ed25519.h"
#include "tillit/crypto/hash.h"

using namespace tillit;
using namespace tillit::crypto;
using web::json::value;

namespace {

value LoadVectors(const std::string& file) {
  const std::string path = std::string(TILLIT_WYCHEPROOF_DIR) + "/" + file;
  std::ifstream in(path);
  REQUIRE_MESSAGE(in.good(), "missing Wycheproof file " << path);
  std::stringstream text;
  text << in.rdbuf();
  return value::parse(text.str());
}

Bytes Hex(const value& v) {
  auto bytes = HexDecode(v.as_string());
  REQUIRE_MESSAGE(bytes.ok(), "bad hex in vector: " << v.as_string());
  return std::move(bytes).value();
}

std::string Flags(const value& test) {
  std::string out;
  if (!test.has_field("flags")) return out;
  for (const auto& flag : test.at("flags").as_array()) out += flag.as_string() + " ";
  return out;
}

bool HasFlag(const value& test, const std::string& name) {
  if (!test.has_field("flags")) return false;
  for (const auto& flag : test.at("flags").as_array()) {
    if (flag.as_string() == name) return true;
  }
  return false;
}

// None of the three files has "acceptable" cases; if a new version adds some, we want to
// decide on them explicitly rather than have them pass silently.
bool ExpectValid(const value& test) {
  const std::string result = test.at("result").as_string();
  REQUIRE_MESSAGE((result == "valid" || result == "invalid"),
                  "tcId " << test.at("tcId").as_integer() << ": unhandled result " << result);
  return result == "valid";
}

Bytes Concat(ByteView a, ByteView b, ByteView c = {}) {
  Bytes out(a.begin(), a.end());
  out.insert(out.end(), b.begin(), b.end());
  out.insert(out.end(), c.begin(), c.end());
  return out;
}

struct Tally {
  int total = 0;
  int valid_accepted = 0;
  int invalid_rejected = 0;
  int mismatches = 0;

  void Record(int tc_id, bool expect_valid, bool accepted, const std::string& why) {
    ++total;
    if (accepted == expect_valid) {
      ++(expect_valid ? valid_accepted : invalid_rejected);
      return;
    }
    ++mismatches;
    const std::string expected = expect_valid ? "valid" : "invalid";
    const std::string outcome = accepted ? "accepted" : "rejected";
    FAIL_CHECK("tcId " << tc_id << ": expected " << expected << " but was " << outcome << " ["
                       << why << "]");
  }

  void Report(const std::string& file, const value& doc) const {
    CHECK_MESSAGE(total == doc.at("numberOfTests").as_integer(),
                  file << ": ran " << total << " of " << doc.at("numberOfTests").as_integer());
    CHECK(mismatches == 0);
    MESSAGE(file << ": " << total << " tcIds, " << valid_accepted << " valid accepted, "
                 << invalid_rejected << " invalid rejected, " << mismatches << " mismatches");
  }
};

}  // namespace

TEST_CASE("wycheproof: ed25519_test.json (VerifyingKey::Create + Verify)") {
  const value doc = LoadVectors("ed25519_test.json");
  REQUIRE(doc.at("algorithm").as_string() == "EDDSA");
  Tally tally;
  for (const auto& group : doc.at("testGroups").as_array()) {
    REQUIRE(group.at("publicKey").at("curve").as_string() == "edwards25519");
    const auto key = VerifyingKey::Create(Hex(group.at("publicKey").at("pk")));
    for (const auto& test : group.at("tests").as_array()) {
      const int tc_id = test.at("tcId").as_integer();
      const bool expect_valid = ExpectValid(test);
      bool accepted = false;
      std::string why;
      if (!key.ok()) {
        why = "key: " + key.error().code;
      } else if (auto sig = Signature::Parse(Hex(test.at("sig"))); !sig.ok()) {
        why = "signature: " + sig.error().code;
      } else if (auto status = key->Verify(Hex(test.at("msg")), *sig); !status.ok()) {
        why = "verify: " + status.error().code;
      } else {
        accepted = true;
      }
      tally.Record(tc_id, expect_valid, accepted,
                   why + "; " + Flags(test) + test.at("comment").as_string());
    }
  }
  tally.Report("ed25519_test.json", doc);
}

TEST_CASE("wycheproof: hmac_sha256_test.json (HmacSha256, VerifyHmacSha256)") {
  const value doc = LoadVectors("hmac_sha256_test.json");
  REQUIRE(doc.at("algorithm").as_string() == "HMACSHA256");
  Tally tally;
  int full_tag_verifications = 0;
  for (const auto& group : doc.at("testGroups").as_array()) {
    const int tag_bits = group.at("tagSize").as_integer();
    REQUIRE(tag_bits % 8 == 0);
    REQUIRE(tag_bits <= 256);
    const size_t tag_size = static_cast<size_t>(tag_bits / 8);
    for (const auto& test : group.at("tests").as_array()) {
      const int tc_id = test.at("tcId").as_integer();
      const bool expect_valid = ExpectValid(test);
      const Bytes key = Hex(test.at("key"));
      const Bytes msg = Hex(test.at("msg"));
      const Bytes tag = Hex(test.at("tag"));
      const Sha256Digest mac = HmacSha256(key, msg);
      const bool accepted = ConstantTimeEquals(ByteView(mac).first(tag_size), tag);
      tally.Record(tc_id, expect_valid, accepted, Flags(test) + test.at("comment").as_string());

      const bool verified = VerifyHmacSha256(key, msg, tag).ok();
      if (tag_size == mac.size()) {
        ++full_tag_verifications;
        CHECK_MESSAGE(verified == accepted, "tcId " << tc_id << ": VerifyHmacSha256 disagrees");
      } else {
        // VerifyHmacSha256 takes only full tags, so a truncated one never verifies.
        CHECK_MESSAGE(!verified, "tcId " << tc_id << ": truncated tag was verified");
      }
    }
  }
  CHECK(full_tag_verifications > 0);
  tally.Report("hmac_sha256_test.json", doc);
}

TEST_CASE("wycheproof: xchacha20_poly1305_test.json (explicit-nonce primitives and Open)") {
  const value doc = LoadVectors("xchacha20_poly1305_test.json");
  REQUIRE(doc.at("algorithm").as_string() == "XCHACHA20-POLY1305");
  Tally tally;
  int open_checked = 0;
  for (const auto& group : doc.at("testGroups").as_array()) {
    for (const auto& test : group.at("tests").as_array()) {
      const int tc_id = test.at("tcId").as_integer();
      const bool expect_valid = ExpectValid(test);
      const Bytes key = Hex(test.at("key"));
      const Bytes iv = Hex(test.at("iv"));
      const Bytes aad = Hex(test.at("aad"));
      const Bytes msg = Hex(test.at("msg"));
      const Bytes ct = Hex(test.at("ct"));
      const Bytes tag = Hex(test.at("tag"));
      const std::string why = Flags(test) + test.at("comment").as_string();

      const auto decrypted = crypto::internal::AeadDecryptDetached(key, iv, ct, tag, aad);
      bool accepted = decrypted.ok() && *decrypted == msg;
      if (expect_valid) {
        const auto encrypted = crypto::internal::AeadEncryptWithNonce(key, iv, msg, aad);
        const bool encryption_matches = encrypted.ok() && *encrypted == Concat(ct, tag);
        CHECK_MESSAGE(encryption_matches, "tcId " << tc_id << ": encryption differs");
        accepted = accepted && encryption_matches;
      } else if (HasFlag(test, "InvalidNonceSize")) {
        CHECK_MESSAGE(!crypto::internal::AeadEncryptWithNonce(key, iv, msg, aad).ok(),
                      "tcId " << tc_id << ": encryption accepted a bad nonce size");
      }
      tally.Record(tc_id, expect_valid, accepted, why);

      // The public API on the same vector, in the sealed layout nonce || ct || tag.
      if (iv.size() == kAeadNonceSize && key.size() == kAeadKeySize) {
        ++open_checked;
        auto aead_key =
            AeadKey::Create(SecretBytes::CopyFrom(key, InsecureSecretAccess::Get())).value();
        const auto opened = Open(aead_key, Concat(iv, ct, tag), aad);
        CHECK_MESSAGE((opened.ok() && *opened == msg) == expect_valid,
                      "tcId " << tc_id << ": Open disagrees");
      }
    }
  }
  CHECK(open_checked > 0);
  tally.Report("xchacha20_poly1305_test.json", doc);
}
