// Fuzz target: tillit-verify's whole check of a collect result (tools/verify/main.cpp,
// docs/protocol.md §8), compiled in here with its main renamed so that its internal
// functions run unchanged. Input: RESULT.json, optionally followed by the field separator
// "\n--\n" and a JWKS; without one the fixed JWKS of tests/fuzz/data/jwks.json is used. The
// CA is tests/fuzz/data/ca.pem; the seeds are valid results under it (fuzz_seed_gen), so
// mutations reach every check. Invariants: no exception escapes Verify (tillit-verify turns
// one into "internalError", which is a bug); a valid verdict names the certificate's
// identifier.
#include <cpprest/json.h>

#include <cstdint>
#include <cstdio>
#include <ctime>
#include <exception>
#include <fstream>
#include <iostream>
#include <optional>
#include <set>
#include <sstream>
#include <string>
#include <string_view>
#include <system_error>
#include <vector>

#include "fuzz/fuzz_support.h"
#include "fuzz/fuzz_tempdir.h"

#define main tillit_verify_main
#include "../../tools/verify/main.cpp"
#undef main

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  namespace fuzz = tillit::fuzz;
  static const std::filesystem::path dir = [] {
    const std::filesystem::path d = fuzz::ScratchDirectory();
    fuzz::WriteScratchFile(d, "ca.pem", fuzz::ReadDataFile("ca.pem"));
    fuzz::WriteScratchFile(d, "fixed-jwks.json", fuzz::ReadDataFile("jwks.json"));
    return d;
  }();
  const auto fields = fuzz::SplitFields(fuzz::AsText(data, size), 2);
  fuzz::WriteScratchFile(dir, "result.json", fields[0]);
  Options options;
  options.ca_path = (dir / "ca.pem").string();
  options.result_path = (dir / "result.json").string();
  if (fields.size() == 2) {
    fuzz::WriteScratchFile(dir, "jwks.json", fields[1]);
    options.jwks_path = (dir / "jwks.json").string();
  } else {
    options.jwks_path = (dir / "fixed-jwks.json").string();
  }
  // Uncaught, an exception here is reported by libFuzzer as a crash: tillit-verify's main
  // would have answered "internalError" for it.
  tillit::Result<value> verdict = Verify(options);
  if (verdict.ok()) {
    FUZZ_CHECK(verdict->at("valid").as_bool());
    FUZZ_CHECK(verdict->at("identifier").as_string().size() == 12);
  } else {
    FUZZ_CHECK(!verdict.error().code.empty());
    FUZZ_CHECK(verdict.error().code != "internalError");
  }
  return 0;
}
