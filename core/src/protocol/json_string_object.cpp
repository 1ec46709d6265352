// Strict JSON object-of-strings parser; see json_string_object.h.
#include "protocol/json_string_object.h"

#include <cstdint>
#include <optional>
#include <utility>

#include "tillit/utf8.h"

namespace tillit::protocol::internal {
namespace {

Error Invalid(std::string message) { return MakeError("invalidJson", std::move(message)); }

int HexValue(char c) {
  if (c >= '0' && c <= '9') return c - '0';
  if (c >= 'a' && c <= 'f') return c - 'a' + 10;
  if (c >= 'A' && c <= 'F') return c - 'A' + 10;  // RFC 8259 §7 allows either case
  return -1;
}

void AppendUtf8(std::string& out, uint32_t cp) {
  const auto put = [&](uint32_t byte) { out.push_back(static_cast<char>(byte)); };
  if (cp < 0x80) {
    put(cp);
    return;
  }
  // Lead byte, then six bits per continuation byte, most significant first.
  const int continuation = cp < 0x800 ? 1 : cp < 0x10000 ? 2 : 3;
  static constexpr uint32_t kLeadMarker[] = {0, 0xc0, 0xe0, 0xf0};
  put(kLeadMarker[continuation] | (cp >> (6 * continuation)));
  for (int i = continuation - 1; i >= 0; --i) put(0x80 | ((cp >> (6 * i)) & 0x3f));
}

// A cursor over the text. Every method either consumes what it recognises or fails; the
// input was checked to be UTF-8 beforehand, so raw bytes >= 0x80 inside strings are copied
// through unchanged.
class Cursor {
 public:
  explicit Cursor(std::string_view text) : text_(text) {}

  bool AtEnd() const { return pos_ == text_.size(); }

  void SkipWhitespace() {
    while (!AtEnd() && (Peek() == ' ' || Peek() == '\t' || Peek() == '\n' || Peek() == '\r')) {
      ++pos_;
    }
  }

  // Consumes `c` (after whitespace) if it is next.
  bool Consume(char c) {
    SkipWhitespace();
    if (AtEnd() || Peek() != c) return false;
    ++pos_;
    return true;
  }

  Result<std::string> String() {
    if (!Consume('"')) return Invalid("expected a string");
    std::string out;
    while (true) {
      if (AtEnd()) return Invalid("unterminated string");
      const char c = text_[pos_++];
      if (c == '"') return out;
      if (static_cast<uint8_t>(c) < 0x20) return Invalid("raw control character in a string");
      if (c != '\\') {
        out.push_back(c);
        continue;
      }
      TILLIT_TRY(Escape(out));
    }
  }

 private:
  char Peek() const { return text_[pos_]; }

  // The escape after a backslash (RFC 8259 §7).
  Status Escape(std::string& out) {
    if (AtEnd()) return Invalid("unterminated escape");
    const char c = text_[pos_++];
    switch (c) {
      case '"':
      case '\\':
      case '/':
        out.push_back(c);
        return {};
      case 'b':
        out.push_back('\b');
        return {};
      case 'f':
        out.push_back('\f');
        return {};
      case 'n':
        out.push_back('\n');
        return {};
      case 'r':
        out.push_back('\r');
        return {};
      case 't':
        out.push_back('\t');
        return {};
      case 'u':
        return UnicodeEscape(out);
      default:
        return Invalid("unknown escape");
    }
  }

  std::optional<uint32_t> Hex4() {
    if (text_.size() - pos_ < 4) return std::nullopt;
    uint32_t value = 0;
    for (int i = 0; i < 4; ++i) {
      const int digit = HexValue(text_[pos_ + i]);
      if (digit < 0) return std::nullopt;
      value = (value << 4) | static_cast<uint32_t>(digit);
    }
    pos_ += 4;
    return value;
  }

  // \uXXXX, where a high surrogate must be followed by \u and a low surrogate: a lone half
  // is not a character and cannot be written as UTF-8.
  Status UnicodeEscape(std::string& out) {
    const std::optional<uint32_t> first = Hex4();
    if (!first) return Invalid("bad \\u escape");
    if (*first >= 0xdc00 && *first <= 0xdfff) return Invalid("unpaired low surrogate");
    if (*first < 0xd800 || *first > 0xdbff) {
      AppendUtf8(out, *first);
      return {};
    }
    if (text_.substr(pos_, 2) != "\\u") return Invalid("unpaired high surrogate");
    pos_ += 2;
    const std::optional<uint32_t> second = Hex4();
    if (!second || *second < 0xdc00 || *second > 0xdfff) return Invalid("unpaired high surrogate");
    AppendUtf8(out, 0x10000 + ((*first - 0xd800) << 10) + (*second - 0xdc00));
    return {};
  }

  std::string_view text_;
  size_t pos_ = 0;
};

Status Member(Cursor& in, JsonStringObject& members) {
  TILLIT_TRY_ASSIGN(std::string name, in.String());
  if (!in.Consume(':')) return Invalid("expected ':'");
  TILLIT_TRY_ASSIGN(std::string value, in.String());
  if (!members.emplace(std::move(name), std::move(value)).second) {
    return Invalid("duplicate member name");
  }
  return {};
}

}  // namespace

Result<JsonStringObject> ParseJsonStringObject(std::string_view text) {
  if (!IsValidUtf8(text)) return Invalid("not well-formed UTF-8");
  Cursor in(text);
  JsonStringObject members;
  if (!in.Consume('{')) return Invalid("not an object");
  if (!in.Consume('}')) {
    do {
      TILLIT_TRY(Member(in, members));
    } while (in.Consume(','));
    if (!in.Consume('}')) return Invalid("expected ',' or '}'");
  }
  in.SkipWhitespace();
  if (!in.AtEnd()) return Invalid("trailing characters after the object");
  return members;
}

}  // namespace tillit::protocol::internal
