// Tests for the encoding layer of credential/: the structural DER checker, the strict parser
// against BER and non-DER certificates that are nevertheless correctly signed, the name
// rules, and the policy OIDs.
#include <doctest/doctest.h>
#include <openssl/x509.h>

#include <functional>
#include <random>
#include <string>
#include <vector>

#include "credential/der.h"
#include "credential/names.h"
#include "tillit/credential/certificate.h"
#include "tillit/credential/policy.h"
#include "tillit/utf8.h"
#include "tillit/crypto/ed25519.h"

using namespace tillit;
using namespace tillit::credential;
namespace ci = tillit::credential::internal;

namespace {

constexpr int64_t kDay = 86400;
constexpr int64_t kNow = 1767225600;  // 2026-01-01T00:00:00Z

Bytes H(std::string_view hex) { return HexDecode(hex).value(); }

bool DerOk(std::string_view hex) { return ci::CheckStrictDer(H(hex)).ok(); }

// A minimal TLV tree, to rewrite a signed certificate's content and sign it again.
struct Node {
  uint8_t tag = 0;
  Bytes value;                 // primitive contents
  std::vector<Node> children;  // constructed contents
  bool long_length = false;    // write the length in long form even when short (not DER)
  bool constructed() const { return (tag & 0x20) != 0; }
};

Node Primitive(uint8_t tag, Bytes value = {}) {
  Node node;
  node.tag = tag;
  node.value = std::move(value);
  return node;
}

Node ParseNode(ByteView& in) {
  REQUIRE(in.size() >= 2);
  Node node;
  node.tag = in[0];
  size_t length = in[1];
  size_t header = 2;
  if (length & 0x80) {
    const size_t count = length & 0x7f;
    length = 0;
    for (size_t i = 0; i < count; ++i) length = (length << 8) | in[2 + i];
    header += count;
  }
  ByteView contents = in.subspan(header, length);
  in = in.subspan(header + length);
  if (node.constructed()) {
    while (!contents.empty()) node.children.push_back(ParseNode(contents));
  } else {
    node.value.assign(contents.begin(), contents.end());
  }
  return node;
}

Bytes Serialize(const Node& node) {
  Bytes contents;
  if (node.constructed()) {
    for (const Node& child : node.children) {
      const Bytes b = Serialize(child);
      contents.insert(contents.end(), b.begin(), b.end());
    }
  } else {
    contents = node.value;
  }
  Bytes out{node.tag};
  const size_t n = contents.size();
  if (n < 0x80 && !node.long_length) {
    out.push_back(static_cast<uint8_t>(n));
  } else if (n < 0x100) {
    out.insert(out.end(), {0x81, static_cast<uint8_t>(n)});
  } else {
    out.insert(out.end(), {0x82, static_cast<uint8_t>(n >> 8), static_cast<uint8_t>(n)});
  }
  out.insert(out.end(), contents.begin(), contents.end());
  return out;
}

struct Fixture {
  crypto::SigningKey ca_key = crypto::SigningKey::Generate();
  crypto::SigningKey holder_key = crypto::SigningKey::Generate();
  Bytes ca_der;
  Bytes holder_der;

  Fixture() {
    ca_der = CreateCaCertificate(ca_key, {.common_name = "Tillit Test CA",
                                          .organisation = "Tillit",
                                          .country = "SE",
                                          .not_before = kNow - kDay,
                                          .not_after = kNow + 1000 * kDay})
                 .value();
    holder_der =
        IssueHolderCertificate(ca_key, ca_der,
                               {.identifier = identifier::Identifier::FromPayload(42).value(),
                                .given_name = "Åsa",
                                .surname = "Øberg",
                                .assurance_level = 2,
                                .evidence_class = std::nullopt,
                                .holder_key = holder_key.verifying_key(),
                                .serial = {1, 2, 3},
                                .not_before = kNow - kDay,
                                .not_after = kNow + 100 * kDay})
            .value();
  }

  // Rewrites the holder's tbsCertificate with `edit` and signs the result with the CA key,
  // reusing the certificate's signature AlgorithmIdentifier.
  Bytes EditAndSign(const std::function<void(Node& tbs)>& edit) const {
    ByteView in = holder_der;
    Node cert = ParseNode(in);
    REQUIRE(cert.children.size() == 3);
    edit(cert.children[0]);
    const Bytes tbs = Serialize(cert.children[0]);
    const crypto::Signature signature = ca_key.Sign(tbs);
    Node bits = Primitive(0x03, {0x00});
    bits.value.insert(bits.value.end(), signature.bytes().begin(), signature.bytes().end());
    cert.children[2] = bits;
    return Serialize(cert);
  }
};

// tbsCertificate fields (RFC 5280 §4.1): [0] version, serial, signature, issuer, validity,
// subject, subjectPublicKeyInfo, [3] extensions.
constexpr size_t kSubject = 5;
constexpr size_t kExtensions = 7;

bool OpensslDecodes(ByteView der) {
  const unsigned char* p = der.data();
  X509* x = d2i_X509(nullptr, &p, static_cast<long>(der.size()));
  const bool ok = x != nullptr && p == der.data() + der.size();
  X509_free(x);
  return ok;
}

}  // namespace

TEST_CASE("DER checker: accepts DER") {
  CHECK(DerOk("3000"));
  CHECK(DerOk("0101ff"));
  CHECK(DerOk("020100"));
  CHECK(DerOk("02020080"));
  CHECK(DerOk("0201ff"));
  CHECK(DerOk("0500"));
  CHECK(DerOk("0603550403"));
  CHECK(DerOk("030100"));
  CHECK(DerOk("03020780"));
  CHECK(DerOk("1303414243"));
  CHECK(DerOk("170d3236303130313030303030305a"));
  CHECK(DerOk("180f32303530303130313030303030305a"));
  CHECK(DerOk("31060201010201020"
              "0") == false);  // truncated on purpose: odd hex digits are not bytes
  CHECK(DerOk("3106020101020102"));  // SET OF in order
  CHECK(DerOk("a003020102"));
  CHECK(DerOk("3081" "80" + std::string(256, '0').substr(0, 0) + std::string("04") + "7e" +
              std::string(0x7e * 2, 'a')));
}

TEST_CASE("DER checker: rejects BER and malformed encodings") {
  for (const char* hex : {
           "",              // nothing
           "30",            // no length
           "3001",          // truncated
           "300000",        // trailing byte
           "308000000",     // odd
           "30800000",      // indefinite length
           "30810100",      // long form for a short length (and truncated)
           "3081000",       // odd
           "308100",        // long form for zero
           "30820000",      // leading zero length octet
           "0101 01",       // space
           "010101",        // BOOLEAN not 00/FF
           "01020000",      // BOOLEAN too long
           "0200",          // empty INTEGER
           "02020001",      // non-minimal INTEGER
           "0202ff80",      // non-minimal negative INTEGER
           "0501 00",
           "050100",        // NULL with contents
           "0600",          // empty OID
           "06028001",      // non-minimal arc
           "060181",        // OID ends mid-arc
           "0300",          // empty BIT STRING
           "030101",        // unused bits with no data
           "03020801",      // 8 unused bits
           "03020701",      // padding bit set
           "2303030100",    // constructed BIT STRING
           "2403040100",    // constructed OCTET STRING
           "2c030c0141",    // constructed UTF8String
           "1000",          // primitive SEQUENCE
           "1100",          // primitive SET
           "3106020102020101",  // SET OF out of order
           "13012a",        // '*' is not a PrintableString character
           "160180",        // IA5String above 0x7f
           "170b323630313031303030305a",      // UTCTime without seconds
           "170f3236303130313030303030302b30",  // UTCTime with offset
           "18133230353030313031303030303030302e355a",  // fractional seconds
           "0000",          // end-of-contents
           "1f0100",        // high-tag form for a low tag
           "1f800100",      // non-minimal high tag
       }) {
    std::string h(hex);
    std::erase(h, ' ');
    const Result<Bytes> bytes = HexDecode(h);
    if (!bytes.ok()) continue;  // the odd-length ones above are typos guarded by this
    CHECK_MESSAGE(!ci::CheckStrictDer(*bytes).ok(), std::string(hex));
  }
  // Depth bound.
  Bytes deep;
  for (int i = 0; i < 40; ++i) deep.insert(deep.begin(), {0x30, static_cast<uint8_t>(deep.size())});
  CHECK_FALSE(ci::CheckStrictDer(deep).ok());
}

TEST_CASE("parser: signed but non-DER certificates are rejected") {
  Fixture f;
  // The untouched rewrite verifies: the tree round trip and signing are sound.
  const Bytes same = f.EditAndSign([](Node&) {});
  CHECK(same == f.holder_der);
  const Bytes resigned = f.EditAndSign([](Node& tbs) { tbs.children[1].value.back() ^= 1; });
  REQUIRE(ParseCertificate(resigned).ok());
  CHECK(VerifyHolderCertificate(resigned, f.ca_der, kNow).ok());

  SUBCASE("non-minimal length inside the subject (OpenSSL keeps the name's bytes)") {
    const Bytes der = f.EditAndSign([](Node& tbs) {
      Node& given = tbs.children[kSubject].children[1].children[0].children[1];
      REQUIRE(given.tag == 0x0c);
      given.long_length = true;
    });
    CHECK(OpensslDecodes(der));
    CHECK(ParseCertificate(der).error().code == "invalidCertificate");
    CHECK(VerifyHolderCertificate(der, f.ca_der, kNow).error().code == "invalidCertificate");
  }
  SUBCASE("non-minimal length of tbsCertificate") {
    const Bytes der = f.EditAndSign([](Node& tbs) { tbs.children[kSubject].long_length = true; });
    CHECK(OpensslDecodes(der));
    CHECK(ParseCertificate(der).error().code == "invalidCertificate");
  }
  SUBCASE("critical FALSE written out in an extension (DEFAULT, X.690 §11.5)") {
    const Bytes der = f.EditAndSign([](Node& tbs) {
      Node& extensions = tbs.children[kExtensions].children[0];
      Node& eku = extensions.children[2];  // basicConstraints, keyUsage, extKeyUsage, ...
      REQUIRE(eku.children.size() == 2);
      eku.children.insert(eku.children.begin() + 1, Primitive(0x01, {0x00}));
    });
    CHECK(OpensslDecodes(der));
    CHECK(ParseCertificate(der).error().code == "invalidCertificate");
  }
  SUBCASE("basicConstraints with cA FALSE written out inside the extension value") {
    const Bytes der = f.EditAndSign([](Node& tbs) {
      Node& extensions = tbs.children[kExtensions].children[0];
      Node& basic = extensions.children[0];
      REQUIRE(basic.children.back().tag == 0x04);
      basic.children.back().value = H("3003010100");
    });
    CHECK(OpensslDecodes(der));
    CHECK(ParseCertificate(der).error().code == "invalidCertificate");
  }
  SUBCASE("BER inside an extension value") {
    const Bytes der = f.EditAndSign([](Node& tbs) {
      Node& extensions = tbs.children[kExtensions].children[0];
      Node& basic = extensions.children[0];
      basic.children.back().value = H("308100");
    });
    CHECK(ParseCertificate(der).error().code == "invalidCertificate");
  }
  SUBCASE("a duplicated extension (RFC 5280 §4.2)") {
    const Bytes der = f.EditAndSign([](Node& tbs) {
      Node& extensions = tbs.children[kExtensions].children[0];
      extensions.children.push_back(extensions.children[2]);
    });
    CHECK(OpensslDecodes(der));
    CHECK(ParseCertificate(der).error().code == "invalidCertificate");
  }
  SUBCASE("version 1") {
    const Bytes der = f.EditAndSign([](Node& tbs) {
      tbs.children.erase(tbs.children.begin());  // no [0] version: v1
      tbs.children.pop_back();                   // and no extensions
    });
    CHECK(ParseCertificate(der).error().code == "invalidCertificate");
  }
  SUBCASE("negative and zero serial numbers") {
    for (const Bytes& serial : {Bytes{0xff}, Bytes{0x80, 0x01}, Bytes{0x00}}) {
      const Bytes der = f.EditAndSign([&](Node& tbs) { tbs.children[1].value = serial; });
      CHECK(ParseCertificate(der).error().code == "invalidCertificate");
    }
    const Bytes twenty(20, 0x11);
    CHECK(ParseCertificate(f.EditAndSign([&](Node& tbs) { tbs.children[1].value = twenty; })).ok());
    Bytes twenty_one(21, 0x11);
    CHECK_FALSE(
        ParseCertificate(f.EditAndSign([&](Node& tbs) { tbs.children[1].value = twenty_one; })).ok());
  }
  SUBCASE("signature algorithm with parameters, or different inside and outside") {
    const Bytes der = f.EditAndSign([](Node& tbs) {
      tbs.children[2].children.push_back(Primitive(0x05));  // NULL parameters
    });
    CHECK(ParseCertificate(der).error().code == "invalidCertificate");
  }
  SUBCASE("GeneralizedTime before 2050 (RFC 5280 §4.1.2.5)") {
    const Bytes der = f.EditAndSign([](Node& tbs) {
      Node& not_after = tbs.children[4].children[1];
      REQUIRE(not_after.tag == 0x17);
      not_after.tag = 0x18;
      not_after.value.insert(not_after.value.begin(), {'2', '0'});
    });
    CHECK(ParseCertificate(der).error().code == "invalidCertificate");
  }
}

TEST_CASE("parser: random mutations never crash and never verify") {
  // A deterministic stand-in for the libFuzzer target style.md asks for (see the report).
  Fixture f;
  std::mt19937 rng(20260101);
  int parsed = 0;
  for (int i = 0; i < 3000; ++i) {
    Bytes m = f.holder_der;
    const int edits = 1 + static_cast<int>(rng() % 4);
    for (int e = 0; e < edits; ++e) {
      const size_t at = rng() % (m.size() + 1);
      switch (rng() % 3) {
        case 0:
          if (at < m.size()) m[at] = static_cast<uint8_t>(rng());
          break;
        case 1:
          m.insert(m.begin() + static_cast<std::ptrdiff_t>(at), static_cast<uint8_t>(rng()));
          break;
        default:
          if (at < m.size()) m.erase(m.begin() + static_cast<std::ptrdiff_t>(at));
      }
    }
    if (m == f.holder_der) continue;
    if (ParseCertificate(m).ok()) ++parsed;
    if (VerifyHolderCertificate(m, f.ca_der, kNow).ok()) {
      FAIL_CHECK("mutation ", i, " verifies: ", HexEncode(m));
    }
  }
  MESSAGE(parsed, " of 3000 mutations still parse (unverified)");
}

TEST_CASE("names: UTF-8 and the rules") {
  CHECK(tillit::Utf8CodePointCount("") == 0u);
  CHECK(tillit::Utf8CodePointCount("Åsa") == 3u);
  CHECK(tillit::Utf8CodePointCount("محمد") == 4u);
  CHECK(tillit::Utf8CodePointCount("\xf0\x9f\x98\x80") == 1u);
  CHECK_FALSE(tillit::Utf8CodePointCount("\xe0\x80\xaf").has_value());  // overlong
  CHECK_FALSE(tillit::Utf8CodePointCount("\x80").has_value());
  CHECK_FALSE(tillit::Utf8CodePointCount("\xef\xbf").has_value());
  CHECK(ci::CheckName("Zoë", "x", "e").ok());
  CHECK(ci::CheckName("\xe2\x80\x8c", "x", "e").ok());  // ZWNJ is used in Persian
  CHECK(ci::CheckName("a\xe2\x81\xa6", "x", "e").error().code == "e");  // LRI
  CHECK(ci::CheckName("\xef\xbb\xbf" "a", "x", "e").error().code == "e");  // BOM

  CHECK(ci::HolderCommonName("Åsa", "Øberg") == "Åsa Øberg");
  CHECK(ci::HolderCommonName(std::string(64, 'a'), "b") == std::string(64, 'a'));
  CHECK(ci::HolderCommonName(std::string(63, 'a'), "b") == std::string(63, 'a'));
  CHECK(ci::HolderCommonName(std::string(62, 'a'), "bc") == std::string(62, 'a') + " b");
  CHECK(tillit::Utf8CodePointCount(ci::HolderCommonName(std::string(30, 'a'), std::string(40, 'x'))) == 64u);
  // Cut between characters, never inside one.
  std::string o_umlauts;
  for (int i = 0; i < 32; ++i) o_umlauts += "ö";
  const std::string cn = ci::HolderCommonName(o_umlauts, o_umlauts);
  CHECK(tillit::Utf8CodePointCount(cn) == 64u);
  CHECK(cn.size() == 32 * 2 + 1 + 31 * 2);
}

TEST_CASE("policy OIDs (DO NOT CHANGE)") {
  CHECK(kPolicyArcOid == "2.25.203484952392849966576409143629354603628");
  CHECK(AssuranceLevelPolicyOid(1) == "2.25.203484952392849966576409143629354603628.1.1");
  CHECK(AssuranceLevelPolicyOid(3) == "2.25.203484952392849966576409143629354603628.1.3");
  CHECK(EvidenceClassPolicyOid(EvidenceClass::kIdentityDocument) ==
        "2.25.203484952392849966576409143629354603628.2.1");
  CHECK(EvidenceClassPolicyOid(EvidenceClass::kSwedishAuthorityDocument) ==
        "2.25.203484952392849966576409143629354603628.2.2");
  CHECK(EvidenceClassPolicyOid(EvidenceClass::kOther) ==
        "2.25.203484952392849966576409143629354603628.2.3");
  for (int level = 1; level <= 3; ++level) {
    CHECK(AssuranceLevelFromPolicyOid(AssuranceLevelPolicyOid(level)) == level);
  }
  const std::string arc(kPolicyArcOid);
  for (const std::string& bad : {arc, arc + ".1", arc + ".1.", arc + ".1.0", arc + ".1.4",
                                 arc + ".1.01", arc + ".1.+1", arc + ".1.1.1", arc + ".2.1",
                                 arc + "1.1.1", std::string("2.25.1.1.1"), std::string("")}) {
    CHECK_FALSE_MESSAGE(AssuranceLevelFromPolicyOid(bad).has_value(), bad);
  }
  for (const EvidenceClass e : {EvidenceClass::kIdentityDocument,
                                EvidenceClass::kSwedishAuthorityDocument, EvidenceClass::kOther}) {
    CHECK(EvidenceClassFromPolicyOid(EvidenceClassPolicyOid(e)) == e);
  }
  CHECK_FALSE(EvidenceClassFromPolicyOid(arc + ".2.0").has_value());
  CHECK_FALSE(EvidenceClassFromPolicyOid(arc + ".2.4").has_value());
  CHECK_FALSE(EvidenceClassFromPolicyOid(arc + ".1.1").has_value());
  CHECK(EvidenceClassName(EvidenceClass::kSwedishAuthorityDocument) == "swedishAuthorityDocument");
}
