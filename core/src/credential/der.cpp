// Structural DER checker; see der.h.
#include "credential/der.h"

#include <algorithm>
#include <cstdint>
#include <string>

namespace tillit::credential::internal {
namespace {

constexpr int kMaxDepth = 32;

// Universal tag numbers (X.680 §8.4).
constexpr uint32_t kTagBoolean = 1;
constexpr uint32_t kTagInteger = 2;
constexpr uint32_t kTagBitString = 3;
constexpr uint32_t kTagOctetString = 4;
constexpr uint32_t kTagNull = 5;
constexpr uint32_t kTagObjectIdentifier = 6;
constexpr uint32_t kTagEnumerated = 10;
constexpr uint32_t kTagUtf8String = 12;
constexpr uint32_t kTagRelativeOid = 13;
constexpr uint32_t kTagSequence = 16;
constexpr uint32_t kTagSet = 17;
constexpr uint32_t kTagNumericString = 18;
constexpr uint32_t kTagPrintableString = 19;
constexpr uint32_t kTagIa5String = 22;
constexpr uint32_t kTagUtcTime = 23;
constexpr uint32_t kTagGeneralizedTime = 24;
constexpr uint32_t kTagBmpString = 30;

struct Tlv {
  uint8_t tag_class = 0;  // 0 universal, 1 application, 2 context-specific, 3 private
  bool constructed = false;
  uint32_t number = 0;
  ByteView contents;
  ByteView encoding;  // tag, length and contents
};

Error Bad(std::string message) { return MakeError("invalidEncoding", std::move(message)); }

// Reads one TLV from the front of `in`.
Result<Tlv> ReadTlv(ByteView in) {
  size_t pos = 0;
  if (in.empty()) return Bad("missing tag");
  Tlv tlv;
  const uint8_t first = in[pos++];
  tlv.tag_class = first >> 6;
  tlv.constructed = (first & 0x20) != 0;
  tlv.number = first & 0x1f;
  if (tlv.number == 0x1f) {
    // High-tag-number form (X.690 §8.1.2.4): base 128, no leading 0x80, only for >= 31.
    uint32_t number = 0;
    for (int i = 0;; ++i) {
      if (pos >= in.size()) return Bad("truncated tag");
      if (i == 4) return Bad("tag number too large");
      const uint8_t b = in[pos++];
      if (i == 0 && b == 0x80) return Bad("non-minimal tag number");
      number = (number << 7) | (b & 0x7f);
      if ((b & 0x80) == 0) break;
    }
    if (number < 0x1f) return Bad("high-tag form for a low tag number");
    tlv.number = number;
  }
  if (pos >= in.size()) return Bad("missing length");
  const uint8_t length_byte = in[pos++];
  size_t length = 0;
  if (length_byte < 0x80) {
    length = length_byte;
  } else {
    // X.690 §10.1: definite form, fewest octets.
    const size_t count = length_byte & 0x7f;
    if (count == 0) return Bad("indefinite length");
    if (count > 4) return Bad("length too large");
    if (in.size() - pos < count) return Bad("truncated length");
    if (in[pos] == 0) return Bad("non-minimal length");
    for (size_t i = 0; i < count; ++i) length = (length << 8) | in[pos++];
    if (length < 0x80) return Bad("long-form length for a short length");
  }
  if (in.size() - pos < length) return Bad("truncated value");
  tlv.contents = in.subspan(pos, length);
  tlv.encoding = in.first(pos + length);
  return tlv;
}

bool IsDigits(ByteView s) {
  return std::all_of(s.begin(), s.end(), [](uint8_t c) { return c >= '0' && c <= '9'; });
}

bool IsPrintableStringChar(uint8_t c) {
  // X.680 §41.4, Table 10.
  if ((c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9')) return true;
  return std::string_view(" '()+,-./:=?").find(static_cast<char>(c)) != std::string_view::npos;
}

// X.690 §11.6: with the shorter padded with zero octets at its end, a <= b.
bool SetOrderLessOrEqual(ByteView a, ByteView b) {
  const size_t n = std::max(a.size(), b.size());
  for (size_t i = 0; i < n; ++i) {
    const uint8_t x = i < a.size() ? a[i] : 0;
    const uint8_t y = i < b.size() ? b[i] : 0;
    if (x != y) return x < y;
  }
  return true;
}

Status CheckTlv(const Tlv& tlv, int depth);

// `contents` must be a concatenation of TLVs; for a SET, in DER order.
Status CheckConstructedContents(ByteView contents, int depth, bool is_set) {
  if (depth > kMaxDepth) return Bad("nested too deeply");
  ByteView previous;
  bool first = true;
  while (!contents.empty()) {
    TILLIT_TRY_ASSIGN(Tlv element, ReadTlv(contents));
    TILLIT_TRY(CheckTlv(element, depth + 1));
    if (is_set && !first && !SetOrderLessOrEqual(previous, element.encoding)) {
      return Bad("SET elements out of DER order");
    }
    previous = element.encoding;
    first = false;
    contents = contents.subspan(element.encoding.size());
  }
  return {};
}

Status CheckUniversalPrimitive(const Tlv& tlv) {
  const ByteView c = tlv.contents;
  switch (tlv.number) {
    case 0:
      return Bad("end-of-contents outside an indefinite length");
    case kTagBoolean:
      if (c.size() != 1 || (c[0] != 0x00 && c[0] != 0xff)) return Bad("BOOLEAN not 00 or FF");
      return {};
    case kTagInteger:
    case kTagEnumerated:
      if (c.empty()) return Bad("empty INTEGER");
      if (c.size() > 1 && ((c[0] == 0x00 && (c[1] & 0x80) == 0) ||
                           (c[0] == 0xff && (c[1] & 0x80) != 0))) {
        return Bad("non-minimal INTEGER");
      }
      return {};
    case kTagBitString: {
      if (c.empty()) return Bad("empty BIT STRING");
      const uint8_t unused = c[0];
      if (unused > 7 || (c.size() == 1 && unused != 0)) return Bad("bad BIT STRING padding");
      if (c.size() > 1 && (c.back() & ((1u << unused) - 1)) != 0) {
        return Bad("non-zero BIT STRING padding bits");
      }
      return {};
    }
    case kTagNull:
      if (!c.empty()) return Bad("non-empty NULL");
      return {};
    case kTagObjectIdentifier:
    case kTagRelativeOid: {
      if (c.empty() || (c.back() & 0x80) != 0) return Bad("malformed OBJECT IDENTIFIER");
      bool at_arc_start = true;
      for (uint8_t b : c) {
        if (at_arc_start && b == 0x80) return Bad("non-minimal OBJECT IDENTIFIER arc");
        at_arc_start = (b & 0x80) == 0;
      }
      return {};
    }
    case kTagUtcTime:
      if (c.size() != 13 || !IsDigits(c.first(12)) || c[12] != 'Z') {
        return Bad("UTCTime not YYMMDDHHMMSSZ");
      }
      return {};
    case kTagGeneralizedTime:
      if (c.size() != 15 || !IsDigits(c.first(14)) || c[14] != 'Z') {
        return Bad("GeneralizedTime not YYYYMMDDHHMMSSZ");
      }
      return {};
    case kTagPrintableString:
      if (!std::all_of(c.begin(), c.end(), IsPrintableStringChar)) {
        return Bad("character outside PrintableString");
      }
      return {};
    case kTagIa5String:
      if (!std::all_of(c.begin(), c.end(), [](uint8_t b) { return b < 0x80; })) {
        return Bad("character outside IA5String");
      }
      return {};
    case kTagNumericString:
      if (!std::all_of(c.begin(), c.end(), [](uint8_t b) { return b == ' ' || (b >= '0' && b <= '9'); })) {
        return Bad("character outside NumericString");
      }
      return {};
    case kTagBmpString:
      if (c.size() % 2 != 0) return Bad("odd-length BMPString");
      return {};
    case kTagOctetString:
    case kTagUtf8String:  // UTF-8 validity is checked by the name rules where it matters
      return {};
    case kTagSequence:
    case kTagSet:
      return Bad("primitive SEQUENCE or SET");
    default:
      return {};  // other string types and types that do not occur in certificates
  }
}

Status CheckTlv(const Tlv& tlv, int depth) {
  if (depth > kMaxDepth) return Bad("nested too deeply");
  if (tlv.tag_class != 0) {
    // Tagged values: a constructed one holds TLVs (explicit tag or implicit SEQUENCE/SET);
    // a primitive one cannot be checked without the schema.
    if (tlv.constructed) return CheckConstructedContents(tlv.contents, depth, false);
    return {};
  }
  if (tlv.constructed) {
    // DER forbids the constructed form of strings (X.690 §10.2); the other universal
    // constructed types never occur in a certificate.
    if (tlv.number != kTagSequence && tlv.number != kTagSet) {
      return Bad("constructed encoding of a primitive type");
    }
    return CheckConstructedContents(tlv.contents, depth, tlv.number == kTagSet);
  }
  return CheckUniversalPrimitive(tlv);
}

}  // namespace

Status CheckStrictDer(ByteView der) {
  TILLIT_TRY_ASSIGN(Tlv tlv, ReadTlv(der));
  if (tlv.encoding.size() != der.size()) return Bad("trailing bytes after the value");
  return CheckTlv(tlv, 0);
}

Result<std::vector<ByteView>> DerElements(ByteView tlv) {
  TILLIT_TRY_ASSIGN(Tlv outer, ReadTlv(tlv));
  if (!outer.constructed) return Bad("not a constructed value");
  std::vector<ByteView> elements;
  ByteView rest = outer.contents;
  while (!rest.empty()) {
    TILLIT_TRY_ASSIGN(Tlv element, ReadTlv(rest));
    elements.push_back(element.encoding);
    rest = rest.subspan(element.encoding.size());
  }
  return elements;
}

}  // namespace tillit::credential::internal
