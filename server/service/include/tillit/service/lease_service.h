// LeaseService: offline enrolment desks (docs/offline-desk.md). The central issuer leases
// a block of identifier serials to a desk and writes a signed lease file; the desk, which
// runs its own tillit-server on its own data directory, loads the file and issues from
// those identifiers while offline; later it exports a sync file that the centre imports.
//
//   central                          desk
//   LeaseBlock  --- lease file --->  LoadLease
//                                    (Issue takes leased identifiers: AllocateIdentifier)
//   ImportSync  <--- sync file ----  ExportSync
//
// Why no identifier can collide: a lease's serials are taken from the central counter
// (storage/counters.h) in one durable transaction, so leases and central issuances hold
// disjoint serial ranges, and IdentifierScheme::FromSerial is a bijection, so disjoint
// serials give disjoint identifiers. A desk never uses its own counter once it has loaded
// a lease (that counter is what would collide), and the centre checks every imported
// identifier against the lease it belongs to.
//
// Error codes (stable; the CLI prints them):
//   invalidParameters   a bad desk name or size (0, negative, above kMaxLeaseSize)
//   invalidLeaseFile    a lease file that does not parse, or whose signature, CA or
//                       contents do not check out
//   invalidSyncFile     a sync file that does not parse, or a record whose MAC or
//                       identifier does not check out (tampered)
//   otherDeployment     a lease or sync file made for another central issuer (another CA)
//   centralCaRequired   the first lease loaded into a desk needs the central CA certificate
//   leaseAlreadyLoaded  this lease (id) was loaded before
//   identifiersPresent  the lease's identifiers are already present in the desk
//   deskHasOwnIdentifiers  the desk issued identifiers from its own counter; an offline
//                       desk needs a data directory that never did
//   wrongDesk           a lease for another desk than the one this data directory is, or a
//                       sync record whose lease belongs to another desk than the file's
//   unknownLease        a sync record names a lease the centre never made
//   serialOutOfLease    a sync record's serial is outside its lease
//   leaseExhausted      Issue on a desk whose leased identifiers are all used
//   offlineDesk         lease-block on a data directory that is itself an offline desk
// plus storage errors.
//
// Thread safety: thread-safe; the referenced store, clock and keys must outlive it.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "tillit/bytes.h"
#include "tillit/identifier/identifier.h"
#include "tillit/identifier/scheme.h"
#include "tillit/ports.h"
#include "tillit/result.h"
#include "tillit/service/issuer_keys.h"
#include "tillit/storage/store.h"

namespace tillit::service {

// The largest block one lease may hold. A lease file lists every identifier (about 16
// bytes each), so this keeps a file near 2 MB; a desk that needs more takes another lease.
inline constexpr int64_t kMaxLeaseSize = 100000;

// The format names, also the domain-separation strings of the lease signature and the
// sync records' MACs (docs/offline-desk.md). DO NOT CHANGE.
inline constexpr std::string_view kLeaseFormat = "tillit-serial-lease-v1";
inline constexpr std::string_view kSyncFormat = "tillit-desk-sync-v1";

struct LeaseFile {
  std::string lease_id{};
  std::string desk{};
  uint64_t first_serial = 0;
  uint64_t size = 0;
  int64_t created_at = 0;
  std::string text{};  // the lease file (JSON); holds the sync key: keep it like a secret
};

struct LeaseInfo {
  std::string lease_id{};
  std::string desk{};
  uint64_t first_serial = 0;
  uint64_t size = 0;
  int64_t created_at = 0;
  uint64_t count = 0;  // central: identifiers imported; desk: identifiers issued
};

struct LoadedLease {
  std::string lease_id{};
  std::string desk{};
  uint64_t first_serial = 0;
  uint64_t size = 0;
  uint64_t available = 0;  // unused leased identifiers in the desk after loading
};

struct SyncExport {
  std::string desk{};
  uint64_t persons = 0;
  std::string text{};  // the sync file (JSON)
};

struct ImportConflict {
  std::string identifier{};           // the desk's identifier, not imported
  std::string reason{};               // "document", "samordningsnummer", "caseNumber",
                                      // "personnummer", "identifier", "enrolment"
  std::string existing_identifier{};  // the central person holding it (empty if none)
};

struct SyncImportSummary {
  std::string desk{};
  uint64_t records = 0;
  uint64_t imported = 0;
  uint64_t already_imported = 0;
  std::vector<ImportConflict> conflicts{};  // not imported; an officer must resolve them
};

struct AllocatedIdentifier {
  uint64_t serial = 0;
  identifier::Identifier identifier;
};

// The allocator hook of issuance (EnrolmentService::Issue), inside the issuing transaction:
// on an offline desk (a data directory that loaded a lease) the unused leased identifier
// with the lowest serial, marked used in `tx`, or "leaseExhausted" when none is left
// (never the local counter: that is exactly what would collide); elsewhere the next serial
// of the central counter through `scheme`. A rollback of `tx` gives the identifier back.
Result<AllocatedIdentifier> AllocateIdentifier(server::storage::Store& store,
                                               server::storage::Transaction& tx,
                                               const identifier::IdentifierScheme& scheme,
                                               int64_t now);

class LeaseService {
 public:
  LeaseService(server::storage::Store& store, const Clock& clock, const IssuerKeys& keys)
      : store_(store), clock_(clock), keys_(keys) {}

  // ---- Central ----

  // Reserves `size` consecutive serials for `desk` by advancing the central counter,
  // records the lease and its audit entry in one durable transaction, and returns the
  // signed lease file. `desk`: 1..64 of A-Z a-z 0-9 . _ -, starting with a letter or digit.
  // Errors: "invalidParameters" (desk name, size < 1 or > kMaxLeaseSize), "offlineDesk"
  // (this data directory has loaded leases itself), storage errors.
  Result<LeaseFile> LeaseBlock(std::string_view desk, int64_t size);

  // Every lease made here (count = imported identifiers), and every lease loaded here (on
  // a desk; count = issued identifiers).
  struct Leases {
    std::vector<LeaseInfo> leased{};
    std::vector<LeaseInfo> loaded{};
  };
  Result<Leases> ListLeases();

  // Imports a desk's sync file. Every record is authenticated first (deployment, lease,
  // desk, serial range, identifier, MAC); if any fails nothing is imported and the error
  // is returned. Then, in one durable transaction, each person is inserted with their
  // enrolment (records already imported from the same lease are counted, not repeated);
  // a person whose document or Swedish number belongs to a central person is not
  // imported but reported as a conflict. Errors: "invalidSyncFile", "otherDeployment",
  // "unknownLease", "wrongDesk", "serialOutOfLease", storage errors.
  Result<SyncImportSummary> ImportSync(std::string_view file_text);

  // ---- Desk ----

  // Verifies a lease file and stores its identifiers as available, in one durable
  // transaction with its audit entry. Trust: `central_ca_der` (the centre's CA
  // certificate, DER) is required for the first lease and pins the deployment; later
  // leases must come from the same CA (and match `central_ca_der` if given).
  // Verification order: format, CA certificate (valid now, equal to the pinned or given
  // one), signature, contents (sizes, identifiers), then storage state.
  // Errors: "invalidLeaseFile", "otherDeployment", "centralCaRequired",
  // "leaseAlreadyLoaded", "identifiersPresent", "deskHasOwnIdentifiers", "wrongDesk",
  // storage errors.
  Result<LoadedLease> LoadLease(std::string_view file_text,
                                const std::optional<Bytes>& central_ca_der);

  // The sync file of every person this desk issued from leases, with their documents,
  // enrolment and the officers involved, each record MACed with its lease's sync key.
  // Errors: "notFound" (this data directory has loaded no lease), storage errors.
  Result<SyncExport> ExportSync();

 private:
  server::storage::Store& store_;
  const Clock& clock_;
  const IssuerKeys& keys_;
};

}  // namespace tillit::service
