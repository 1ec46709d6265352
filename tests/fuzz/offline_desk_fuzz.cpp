// Fuzz target: the offline desk's files (docs/offline-desk.md), read by the real
// LeaseService: a lease file loaded by a desk (LoadLease, with the central CA) and a sync
// file imported by the central issuer (ImportSync). Input: 'L' then a lease file, or 'S'
// then a sync file. The central issuer is the data directory tests/fuzz/data/central/
// (keys and database, written by fuzz_seed_gen together with the seeds, so the seeds are
// validly signed and MACed), copied to a scratch directory; the desk is a fresh data
// directory. A node is rebuilt after a successful load or import changed it.
// Invariants: a refusal has an error code, never internalError; nothing throws.
// TILLIT_FUZZ_VERBOSE=1 prints each outcome.
#include <cstdint>
#include <filesystem>
#include <memory>
#include <string>
#include <system_error>

#include "fuzz/fuzz_node.h"
#include "fuzz/fuzz_support.h"
#include "fuzz/fuzz_tempdir.h"

namespace {

namespace fs = std::filesystem;
using tillit::fuzz::FuzzNode;

std::unique_ptr<FuzzNode> FreshCentral() {
  const fs::path dir = tillit::fuzz::ScratchDirectory() / "central";
  std::error_code ignored;
  fs::remove_all(dir, ignored);
  fs::copy(fs::path(TILLIT_FUZZ_DATA_DIR) / "central", dir, fs::copy_options::recursive);
  fs::permissions(dir, fs::perms::owner_all, fs::perm_options::replace);
  for (const auto& entry : fs::directory_iterator(dir)) {
    fs::permissions(entry.path(), fs::perms::owner_read | fs::perms::owner_write,
                    fs::perm_options::replace);
  }
  return std::make_unique<FuzzNode>(dir.string());
}

std::unique_ptr<FuzzNode> FreshDesk() {
  const fs::path dir = tillit::fuzz::ScratchDirectory() / "desk";
  std::error_code ignored;
  fs::remove_all(dir, ignored);
  return std::make_unique<FuzzNode>(dir.string());
}

void CheckRefusal(const tillit::Error& error) {
  static const bool verbose = std::getenv("TILLIT_FUZZ_VERBOSE") != nullptr;
  if (verbose || error.code == "internalError" || error.code.empty()) {
    std::fprintf(stderr, "fuzz: refused with %s: %s\n", error.code.c_str(), error.message.c_str());
  }
  FUZZ_CHECK(!error.code.empty() && error.code != "internalError");
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  static std::unique_ptr<FuzzNode> central;
  static std::unique_ptr<FuzzNode> desk;
  if (size < 1) return 0;
  const std::string_view text = tillit::fuzz::AsText(data + 1, size - 1);
  if (data[0] == 'L') {
    if (!central) central = FreshCentral();
    if (!desk) desk = FreshDesk();
    auto loaded = desk->leases->LoadLease(text, central->keys->ca_certificate_der());
    if (loaded.ok()) {
      if (std::getenv("TILLIT_FUZZ_VERBOSE")) std::fprintf(stderr, "fuzz: lease loaded\n");
      FUZZ_CHECK(loaded->size > 0 && loaded->available <= loaded->size);
      desk.reset();
    } else {
      CheckRefusal(loaded.error());
    }
  } else if (data[0] == 'S') {
    if (!central) central = FreshCentral();
    auto imported = central->leases->ImportSync(text);
    if (imported.ok()) {
      if (std::getenv("TILLIT_FUZZ_VERBOSE")) std::fprintf(stderr, "fuzz: sync imported\n");
      FUZZ_CHECK(imported->imported + imported->already_imported + imported->conflicts.size() ==
                 imported->records);
      central.reset();
    } else {
      CheckRefusal(imported.error());
    }
  }
  return 0;
}
