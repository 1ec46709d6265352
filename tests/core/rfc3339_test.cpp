#include "tillit/rfc3339.h"

#include <doctest/doctest.h>

TEST_CASE("RFC 3339 UTC formatting") {
  CHECK(tillit::FormatRfc3339(0) == "1970-01-01T00:00:00Z");
  CHECK(tillit::FormatRfc3339(1700000000) == "2023-11-14T22:13:20Z");
  CHECK(tillit::FormatRfc3339(951782400) == "2000-02-29T00:00:00Z");  // leap day
}
