// tillit/utf8.h: the strict decoder every layer uses for text from outside.
#include <doctest/doctest.h>

#include <string>

#include "tillit/utf8.h"

using tillit::IsUtf8Text;
using tillit::IsValidUtf8;
using tillit::NextUtf8CodePoint;
using tillit::Utf8CodePointCount;

TEST_CASE("well-formed text is counted in code points") {
  CHECK(Utf8CodePointCount("") == 0u);
  CHECK(Utf8CodePointCount("Åsa") == 3u);
  CHECK(Utf8CodePointCount("محمد") == 4u);
  CHECK(Utf8CodePointCount("我同意") == 3u);
  CHECK(Utf8CodePointCount("\xf0\x9f\x98\x80") == 1u);      // U+1F600
  CHECK(Utf8CodePointCount("\xf4\x8f\xbf\xbf") == 1u);      // U+10FFFF, the last one
  CHECK(Utf8CodePointCount(std::string("a\0b", 3)) == 3u);  // NUL is well-formed
}

TEST_CASE("malformed sequences are refused") {
  for (const char* bad : {
           "\x80",              // lone continuation byte
           "\xc0\xaf",          // overlong '/'
           "\xc1\xbf",          // overlong
           "\xe0\x80\xaf",      // overlong 3-byte
           "\xf0\x80\x80\xaf",  // overlong 4-byte
           "\xed\xa0\x80",      // surrogate U+D800
           "\xed\xbf\xbf",      // surrogate U+DFFF
           "\xf4\x90\x80\x80",  // above U+10FFFF
           "\xf5\x80\x80\x80",  // F5 never starts a sequence
           "\xff",              //
           "\xef\xbf",          // truncated
           "\xc3",              // truncated at the end
           "\xc3\x28",          // bad continuation
       }) {
    INFO(bad);
    CHECK_FALSE(Utf8CodePointCount(bad).has_value());
    CHECK_FALSE(IsValidUtf8(bad));
    CHECK_FALSE(IsUtf8Text(bad));
  }
}

TEST_CASE("NextUtf8CodePoint advances past one code point, or not at all") {
  const std::string text = "a\xc3\xa5\xe2\x9c\x93";  // a å ✓
  size_t pos = 0;
  CHECK(NextUtf8CodePoint(text, pos) == 0x61u);
  CHECK(pos == 1);
  CHECK(NextUtf8CodePoint(text, pos) == 0xe5u);
  CHECK(pos == 3);
  CHECK(NextUtf8CodePoint(text, pos) == 0x2713u);
  CHECK(pos == 6);
  const std::string bad = "\xe2\x9c";
  pos = 0;
  CHECK_FALSE(NextUtf8CodePoint(bad, pos).has_value());
  CHECK(pos == 0);
}

TEST_CASE("text for people excludes NUL") {
  CHECK(IsUtf8Text("Jag godkänner"));
  CHECK(IsValidUtf8(std::string("a\0b", 3)));
  CHECK_FALSE(IsUtf8Text(std::string("a\0b", 3)));
}

// Utf8CodePointCount skips ASCII eight bytes at a time: a sequence anywhere relative to
// those eight-byte steps, and a bad byte after a long ASCII run, must count or fail alike.
TEST_CASE("code points are counted the same at every offset from an ASCII run") {
  for (size_t prefix = 0; prefix <= 17; ++prefix) {
    const std::string ascii(prefix, 'a');
    INFO(prefix);
    CHECK(Utf8CodePointCount(ascii) == prefix);
    CHECK(Utf8CodePointCount(ascii + "\xc3\xa5" + ascii) == 2 * prefix + 1);          // å
    CHECK(Utf8CodePointCount(ascii + "\xf0\x9f\x98\x80" + "12345678") == prefix + 9);  // U+1F600
    CHECK_FALSE(Utf8CodePointCount(ascii + "\x80" + "12345678").has_value());
    CHECK_FALSE(Utf8CodePointCount(ascii + "12345678" + "\xc3").has_value());
    CHECK_FALSE(Utf8CodePointCount(ascii + "\xed\xa0\x80" + ascii).has_value());
  }
}
