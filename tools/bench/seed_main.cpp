// tillit-bench-seed: grows an issuer's database offline to measure how login cost changes
// with the number of persons enrolled (docs/performance.md "Cost as data grows").
//
//   tillit-bench-seed --data DIR --persons N
//
// Enrolling a million people through the desk API would take hours of durable commits
// that tell nothing about logins. This writes the same rows the desk and activation write
// — an enrolment (status issued), the person with a passport and phonetic name keys, a
// credential with a real certificate signed by the issuer CA for a fresh device key, and
// an audit entry — through the real storage library into DIR, in transactions of 5,000
// persons with synchronous=NORMAL (kFast), before the server is started on DIR. The
// identifiers come from the central counter and the issuer's identifier scheme, as at
// issuance. The audit entries say "benchSeeded", so the trail tells seeded people apart.
// Not done: the duplicate search at enrolment (the seeded names are random) and the
// activation-code round trip (its rows are consumed at activation anyway).
//
// Run it on a data directory no server has open: it takes the serve lock (data_dir_lock.h)
// for its whole run, so it refuses (dataDirectoryBusy) a directory a server is using, and
// a server will not start on DIR while it seeds. Prints one JSON line.
#include <chrono>
#include <cstdio>
#include <iostream>
#include <random>
#include <string>
#include <vector>

#include "bench_support.h"
#include "stored_request.h"
#include "tillit/bytes.h"
#include "tillit/credential/certificate.h"
#include "tillit/crypto/ed25519.h"
#include "tillit/crypto/random.h"
#include "tillit/enrolment/names.h"
#include "tillit/identifier/identifier.h"
#include "tillit/ports.h"
#include "tillit/service/accounts.h"
#include "tillit/service/data_dir_lock.h"
#include "tillit/service/issuer_keys.h"
#include "tillit/storage/sqlite_store.h"

namespace {

using namespace tillit;
using bench::RandomWord;
namespace st = server::storage;

constexpr const char* kUsage =
    "usage: tillit-bench-seed --data DIR --persons N\n"
    "  Adds N enrolled persons, each with an activated credential, to the issuer database in\n"
    "  DIR (created if missing) through the storage library, for data-growth benchmarks.\n"
    "  Refuses a DIR that a tillit-server serve is using (dataDirectoryBusy).\n";

constexpr uint64_t kBatch = 5000;
constexpr int64_t kValidity = 2 * 365 * 24 * 3600;

int Fail(const Error& error) {
  std::cerr << "tillit-bench-seed: " << error.code << ": " << error.message << "\n";
  return 1;
}

}  // namespace

int main(int argc, char** argv) {
  std::string data;
  uint64_t persons = 0;
  for (int i = 1; i < argc; ++i) {
    std::string arg = argv[i];
    if (arg == "--help") {
      std::cout << kUsage;
      return 0;
    }
    if ((arg == "--data" || arg == "--persons") && i + 1 < argc) {
      std::string value = argv[++i];
      if (arg == "--data") {
        data = value;
      } else {
        try {
          size_t used = 0;
          persons = std::stoull(value, &used);
          if (used != value.size() || persons == 0 || persons > 100'000'000) throw 0;
        } catch (...) {
          std::cerr << "tillit-bench-seed: --persons must be 1..100000000\n" << kUsage;
          return 2;
        }
      }
      continue;
    }
    std::cerr << "tillit-bench-seed: unexpected argument " << arg << "\n" << kUsage;
    return 2;
  }
  if (data.empty() || persons == 0) {
    std::cerr << "tillit-bench-seed: --data and --persons are required\n" << kUsage;
    return 2;
  }

  // Held until main returns, after the store is closed: a live server would not see these
  // rows in its cache of persons and credentials.
  auto lock = service::ServeLock::Take(data);
  if (!lock.ok()) return Fail(lock.error());
  SystemClock clock;
  auto keys = service::IssuerKeys::LoadOrCreate(data, clock);
  if (!keys.ok()) return Fail(keys.error());
  auto store = st::OpenSqliteStore({.path = service::DatabasePath(data), .clock = &clock});
  if (!store.ok()) return Fail(store.error());
  st::Store& db = **store;
  service::AccountService accounts(db, clock, *keys);
  auto officer = accounts.AddOfficer("Bench Seeder", "tillit-bench-seed", "officer");
  if (!officer.ok()) return Fail(officer.error());
  auto ca = credential::VerifyCaCertificate(keys->ca_certificate_der(), clock.NowUnixSeconds());
  if (!ca.ok()) return Fail(ca.error());

  std::mt19937_64 rng(std::random_device{}());
  const auto start = std::chrono::steady_clock::now();
  uint64_t done = 0;
  while (done < persons) {
    const uint64_t n = std::min(kBatch, persons - done);
    const int64_t now = clock.NowUnixSeconds();
    // The last batch commits durably, which makes every fast one before it durable too
    // (docs/storage.md §4).
    const auto durability = done + n == persons ? st::Durability::kDurable : st::Durability::kFast;
    Status written = db.Write(durability, [&](st::Transaction& tx) -> Status {
      TILLIT_TRY_ASSIGN(uint64_t first, db.counters().Allocate(tx, "identifier_serial", n));
      for (uint64_t i = 0; i < n; ++i) {
        TILLIT_TRY_ASSIGN(auto id, keys->scheme().FromSerial(first + i));
        const std::string given = RandomWord(rng, 3), surname = RandomWord(rng, 4);
        char birth[16];
        std::snprintf(birth, sizeof birth, "%04d-%02d-%02d", 1940 + static_cast<int>(rng() % 65),
                      1 + static_cast<int>(rng() % 12), 1 + static_cast<int>(rng() % 28));
        // Unique by construction: the serial is unique.
        const std::string passport = "S" + std::to_string(first + i);
        const std::string enrolment_id = service::GenerateId("enr_");
        // The shape EncodeRequest writes (stored_request.h).
        const std::string request_json = "{\"person\":{\"givenName\":\"" + given +
                                         "\",\"surname\":\"" + surname + "\",\"birthDate\":\"" +
                                         birth +
                                         "\",\"nationality\":\"SYR\"},\"evidence\":[{\"type\":"
                                         "\"passport\",\"number\":\"" +
                                         passport +
                                         "\",\"country\":\"SYR\",\"expiry\":"
                                         "\"2035-01-01\"}],\"checks\":\"chip-read,face-to-photo\"}";
        TILLIT_TRY(db.enrolments().Insert(tx, {.id = enrolment_id,
                                               .status = "ready",
                                               .created_by = officer->officer_id,
                                               .created_at = now,
                                               .request_json = request_json,
                                               .assurance_level = 3,
                                               .updated_at = now}));
        st::PersonRow person{.identifier = id.ToString(),
                             .serial = first + i,
                             .given_name = given,
                             .surname = surname,
                             .birth_date = birth,
                             .nationality = "SYR",
                             .assurance_level = 3,
                             .enrolment_id = enrolment_id,
                             .created_at = now,
                             .created_by = officer->officer_id};
        person.documents.push_back({.type = "passport", .number_norm = passport, .country = "SYR"});
        person.name_keys = enrolment::NameKeys(given, surname);
        TILLIT_TRY(db.persons().Insert(tx, person));
        TILLIT_TRY(db.enrolments().UpdateStatus(
            tx, enrolment_id,
            {.from = "ready", .to = "issued", .at = now, .identifier = id.ToString()}));

        const crypto::SigningKey device = crypto::SigningKey::Generate();
        credential::HolderCertificateRequest request{
            .identifier = id,
            .given_name = given,
            .surname = surname,
            .assurance_level = 3,
            .evidence_class = credential::EvidenceClass::kIdentityDocument,
            .holder_key = device.verifying_key(),
            .serial = {},
            .not_before = now - 60,
            .not_after = std::min(now - 60 + kValidity, ca->not_after())};
        Bytes serial = crypto::RandomBytes(credential::kSerialSize);
        serial[0] = static_cast<uint8_t>((serial[0] & 0x7f) | 0x40);  // as ActivationService
        std::copy(serial.begin(), serial.end(), request.serial.begin());
        TILLIT_TRY_ASSIGN(Bytes der, credential::IssueHolderCertificate(
                                         keys->ca_signer(), keys->ca_certificate_der(), request));
        const auto key = device.verifying_key().bytes();
        TILLIT_TRY(db.credentials().Insert(tx, {.serial = HexEncode(serial),
                                                .identifier = id.ToString(),
                                                .holder_public_key = Bytes(key.begin(), key.end()),
                                                .certificate_der = std::move(der),
                                                .assurance_level = 3,
                                                .not_before = request.not_before,
                                                .not_after = request.not_after,
                                                .created_at = now}));
        auto appended = db.audit().Append(tx, {.at = now,
                                               .actor = officer->officer_id,
                                               .action = "benchSeeded",
                                               .subject = id.ToString(),
                                               .detail_json = "{}"});
        if (!appended.ok()) return std::move(appended).error();
      }
      return {};
    });
    if (!written.ok()) return Fail(written.error());
    done += n;
    const double s =
        std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
    std::fprintf(stderr, "tillit-bench-seed: %llu / %llu persons (%.0f/s)\n",
                 static_cast<unsigned long long>(done), static_cast<unsigned long long>(persons),
                 static_cast<double>(done) / s);
  }
  const double s = std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
  std::printf("{\"persons\":%llu,\"seconds\":%.1f,\"personsPerSecond\":%.0f}\n",
              static_cast<unsigned long long>(persons), s, static_cast<double>(persons) / s);
  return 0;
}
