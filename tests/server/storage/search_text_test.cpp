// The search folding helpers: case folding across the scripts names come in, LIKE
// escaping, compaction and word splitting.
#include "../../../server/storage/src/search_text.h"

#include <doctest/doctest.h>

namespace tillit::server::storage::sqlite {
namespace {

TEST_CASE("FoldCase lower-cases Latin, Greek and Cyrillic and leaves the rest") {
  CHECK(FoldCase("ÅSA ÖSTERGÅRD") == "åsa östergård");
  CHECK(FoldCase("ÆØÅ ÄÖÜ ÉÈÇ ÑÞ") == "æøå äöü éèç ñþ");
  CHECK(FoldCase("×÷ß") == "×÷ß");  // not letters with a case pair here
  CHECK(FoldCase("ĀĆČĐĘĞŁŃŐŘŚŠŢŮŹŽ") == "āćčđęğłńőřśšţůźž");
  CHECK(FoldCase("ŸİĲ") == "ÿiĳ");
  CHECK(FoldCase("ΑΒΓ ΆΈΉΊΌΎΏ") == "αβγ άέήίόύώ");
  CHECK(FoldCase("ОЛЬГА ЁЖ") == "ольга ёж");
  CHECK(FoldCase("أمينة") == "أمينة");  // Arabic has no case
  CHECK(FoldCase("ጀማል") == "ጀማል");      // three-byte sequences copied
  CHECK(FoldCase("a\xC3") == "a\xC3");  // truncated UTF-8 copied, not dropped
  CHECK(FoldCase(std::string("\xFF\x80Z", 3)) == std::string("\xFF\x80z", 3));
  CHECK(FoldCase("already lower 123") == "already lower 123");
}

TEST_CASE("EscapeLike makes wildcards literal") {
  CHECK(EscapeLike("100%") == "100\\%");
  CHECK(EscapeLike("a_b") == "a\\_b");
  CHECK(EscapeLike("back\\slash") == "back\\\\slash");
  CHECK(EscapeLike("plain") == "plain");
}

TEST_CASE("Compact drops spaces and hyphens and upper-cases ASCII") {
  CHECK(Compact("er7d-0h5d j6c7") == "ER7D0H5DJ6C7");
  CHECK(Compact("19900101-1234") == "199001011234");
  CHECK(Compact("å-b") == "åB");
}

TEST_CASE("SplitWords and Trim") {
  CHECK(SplitWords("  a  bb\tccc \n", 8) == std::vector<std::string>{"a", "bb", "ccc"});
  CHECK(SplitWords("a b c d", 2) == std::vector<std::string>{"a", "b"});
  CHECK(SplitWords("   ", 8).empty());
  CHECK(Trim("  x y \t") == "x y");
  CHECK(Trim("").empty());
}

}  // namespace
}  // namespace tillit::server::storage::sqlite
