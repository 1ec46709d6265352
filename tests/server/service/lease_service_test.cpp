// LeaseService (docs/offline-desk.md) on real SQLite stores: a central issuer and offline
// desks, each a ServiceFixture with its own data directory, keys and database. Leasing,
// loading (with the attacks that must fail), issuing from leases until exhausted, export,
// import (authentication, range checks, conflicts, idempotence), and the property the
// whole design is for: identifiers issued at once by the centre and two desks never
// collide and all reach the centre.
#include <doctest/doctest.h>

#include <cpprest/json.h>

#include <atomic>
#include <filesystem>
#include <mutex>
#include <functional>
#include <set>
#include <thread>

#include "service_fixture.h"
#include "tillit/service/lease_service.h"

namespace tillit::service::testing {
namespace {

namespace st = server::storage;
using web::json::value;

// A data directory with its own issuer and a LeaseService on it.
struct Node {
  ServiceFixture f;
  LeaseService leases{*f.store_, f.clock_, *f.keys_};
  std::atomic<int> persons_enrolled{0};

  Bytes Ca() const { return f.keys_->ca_certificate_der(); }

  uint64_t CounterNext() {
    auto next = f.store_->Read([&](st::ReadTransaction& tx) {
      return f.store_->counters().Peek(tx, st::kIdentifierSerialCounter);
    });
    REQUIRE(next.ok());
    return *next;
  }

  // Enrols (ready, level 3) and issues; the issue result as is. Each person of a node gets
  // another birth year, so no two are possible duplicates of each other.
  Result<IssuedIdentifier> TryEnrolAndIssue(const std::string& given, const std::string& passport) {
    const std::string year = std::to_string(1930 + persons_enrolled++);
    TILLIT_TRY_ASSIGN(auto created,
                      f.enrolments_->Create(f.anna_, ServiceFixture::Request(
                                                         given, "Testsson", passport,
                                                         {"chip-read", "face-to-photo"},
                                                         year + "-04-01")));
    if (created.status != "ready") return MakeError("test", "not ready: " + created.status);
    return f.enrolments_->Issue(f.anna_, created.enrolment_id);
  }
  std::string EnrolAndIssue(const std::string& given, const std::string& passport) {
    auto issued = TryEnrolAndIssue(given, passport);
    REQUIRE_MESSAGE(issued.ok(), issued.error().code << ": " << issued.error().message);
    return issued->identifier;
  }

  std::optional<st::PersonRow> Person(const std::string& identifier) {
    auto person = f.store_->Read([&](st::ReadTransaction& tx) {
      return f.store_->persons().Get(tx, identifier);
    });
    if (!person.ok()) return std::nullopt;
    return *person;
  }
};

template <typename T>
std::string ErrorCode(const Result<T>& result) {
  return result.ok() ? "ok" : result.error().code;
}

value Json(const std::string& text) { return value::parse(text); }
std::string Text(const value& v) { return v.serialize(); }

// `text` with `edit` applied to its JSON.
std::string Edited(const std::string& text, const std::function<void(value&)>& edit) {
  value v = Json(text);
  edit(v);
  return Text(v);
}

std::vector<std::string> LeaseIdentifiers(const std::string& lease_text) {
  std::vector<std::string> out;
  const value lease = Json(lease_text);
  for (const auto& id : lease.at("identifiers").as_array()) out.push_back(id.as_string());
  return out;
}

TEST_CASE("lease-block refuses bad sizes and desk names and moves the counter by the size") {
  Node central;
  for (int64_t size : {int64_t{0}, int64_t{-1}, int64_t{-100000}, kMaxLeaseSize + 1,
                       int64_t{1} << 40}) {
    CAPTURE(size);
    CHECK(ErrorCode(central.leases.LeaseBlock("desk-a", size)) == "invalidParameters");
  }
  for (const std::string& desk : {std::string(), std::string("-a"), std::string("desk a"),
                                  std::string("desk/a"), std::string("dësk"),
                                  std::string(65, 'a')}) {
    CAPTURE(desk);
    CHECK(ErrorCode(central.leases.LeaseBlock(desk, 5)) == "invalidParameters");
  }
  CHECK(central.CounterNext() == 0);  // nothing refused took serials

  auto a = central.leases.LeaseBlock("desk-a", 5);
  REQUIRE(a.ok());
  CHECK(a->first_serial == 0);
  CHECK(a->size == 5);
  CHECK(central.CounterNext() == 5);
  const std::string online = central.EnrolAndIssue("Central", "C0000001");
  auto b = central.leases.LeaseBlock("desk-b", 1);
  REQUIRE(b.ok());
  CHECK(b->first_serial == 6);  // serial 5 went to the online issuance
  auto max = central.leases.LeaseBlock("desk-c", kMaxLeaseSize);
  REQUIRE(max.ok());
  CHECK(max->first_serial == 7);
  CHECK(central.CounterNext() == 7 + static_cast<uint64_t>(kMaxLeaseSize));

  // The identifiers are the scheme's for the serials, and all distinct across leases and
  // the online issuance.
  std::set<std::string> all{online};
  size_t count = 1;
  for (const auto* lease : {&*a, &*b, &*max}) {
    auto ids = LeaseIdentifiers(lease->text);
    REQUIRE(ids.size() == lease->size);
    for (size_t i = 0; i < ids.size(); ++i) {
      auto expected = central.f.keys_->scheme().FromSerial(lease->first_serial + i);
      REQUIRE(expected.ok());
      REQUIRE(ids[i] == expected->ToString());
      all.insert(ids[i]);
      ++count;
    }
  }
  CHECK(all.size() == count);

  auto listed = central.leases.ListLeases();
  REQUIRE(listed.ok());
  REQUIRE(listed->leased.size() == 3);
  CHECK(listed->leased[0].lease_id == a->lease_id);
  CHECK(listed->leased[0].desk == "desk-a");
  CHECK(listed->leased[0].count == 0);
  CHECK(listed->loaded.empty());
}

TEST_CASE("a desk verifies a lease before loading it") {
  Node central;
  Node desk;
  auto lease = central.leases.LeaseBlock("desk-a", 3);
  REQUIRE(lease.ok());
  const std::string text = lease->text;
  const Bytes ca = central.Ca();

  SUBCASE("the first lease needs the central CA") {
    CHECK(ErrorCode(desk.leases.LoadLease(text, std::nullopt)) == "centralCaRequired");
  }
  SUBCASE("a lease from another CA than the one given is refused") {
    Node other;
    CHECK(ErrorCode(desk.leases.LoadLease(text, other.Ca())) == "otherDeployment");
  }
  SUBCASE("tampered files are refused") {
    std::vector<std::pair<const char*, std::function<void(value&)>>> edits{
        {"identifier", [](value& v) {
           auto& id = v["identifiers"][0];
           std::string s = id.as_string();
           s[1] = s[1] == 'A' ? 'B' : 'A';
           id = value::string(s);
         }},
        {"swapped identifiers", [](value& v) {
           value first = v["identifiers"][0];
           v["identifiers"][0] = v["identifiers"][1];
           v["identifiers"][1] = first;
         }},
        {"desk", [](value& v) { v["desk"] = value::string("desk-b"); }},
        {"first serial", [](value& v) { v["firstSerial"] = value::string("1"); }},
        {"created at", [](value& v) { v["createdAt"] = value::number(1); }},
        {"lease id", [](value& v) { v["leaseId"] = value::string("lease_0000000000000000"); }},
        {"sync key", [](value& v) {
           v["syncKey"] = value::string(Base64UrlEncode(Bytes(32, 7)));
         }},
        {"signature bit", [](value& v) {
           auto sig = Base64UrlDecode(v["signature"].as_string());
           REQUIRE(sig.ok());
           (*sig)[10] ^= 1;
           v["signature"] = value::string(Base64UrlEncode(*sig));
         }},
        {"truncated signature", [](value& v) {
           v["signature"] = value::string(v["signature"].as_string().substr(0, 80));
         }},
        {"size", [](value& v) { v["size"] = value::number(2); }},
        {"dropped identifier", [](value& v) {
           value ids = value::array(2);
           ids[0] = v["identifiers"][0];
           ids[1] = v["identifiers"][1];
           v["identifiers"] = ids;
           v["size"] = value::number(2);
         }},
        {"unknown field", [](value& v) { v["extra"] = value::number(1); }},
        {"missing field", [](value& v) { v.erase("syncKey"); }},
        {"format", [](value& v) { v["format"] = value::string("tillit-serial-lease-v2"); }},
        {"deployment", [](value& v) { v["deployment"] = value::string(std::string(64, '0')); }},
    };
    for (const auto& [name, edit] : edits) {
      const std::string what = name;
      CAPTURE(what);
      CHECK(ErrorCode(desk.leases.LoadLease(Edited(text, edit), ca)) == "invalidLeaseFile");
    }
    CHECK(ErrorCode(desk.leases.LoadLease(text.substr(0, text.size() / 2), ca)) ==
          "invalidLeaseFile");
    CHECK(ErrorCode(desk.leases.LoadLease("", ca)) == "invalidLeaseFile");
    // Re-signed by another CA that also replaced the certificate: the desk trusts only the
    // CA given (or pinned).
    Node other;
    auto foreign = other.leases.LeaseBlock("desk-a", 3);
    REQUIRE(foreign.ok());
    CHECK(ErrorCode(desk.leases.LoadLease(foreign->text, ca)) == "otherDeployment");
    // Nothing was loaded by any of these.
    auto listed = desk.leases.ListLeases();
    REQUIRE(listed.ok());
    CHECK(listed->loaded.empty());
  }
  SUBCASE("a lease loads once; later leases need no CA but must come from the same one") {
    auto loaded = desk.leases.LoadLease(text, ca);
    REQUIRE(loaded.ok());
    CHECK(loaded->lease_id == lease->lease_id);
    CHECK(loaded->available == 3);
    CHECK(ErrorCode(desk.leases.LoadLease(text, ca)) == "leaseAlreadyLoaded");
    CHECK(ErrorCode(desk.leases.LoadLease(text, std::nullopt)) == "leaseAlreadyLoaded");

    auto second = central.leases.LeaseBlock("desk-a", 2);
    REQUIRE(second.ok());
    auto loaded2 = desk.leases.LoadLease(second->text, std::nullopt);
    REQUIRE(loaded2.ok());
    CHECK(loaded2->available == 5);
    // A desk does not lease on (its own counter would collide with the centre's).
    CHECK(ErrorCode(desk.leases.LeaseBlock("desk-c", 1)) == "offlineDesk");

    Node other;
    auto foreign = other.leases.LeaseBlock("desk-a", 1);
    REQUIRE(foreign.ok());
    CHECK(ErrorCode(desk.leases.LoadLease(foreign->text, std::nullopt)) == "otherDeployment");
    CHECK(ErrorCode(desk.leases.LoadLease(foreign->text, other.Ca())) == "otherDeployment");

    auto for_b = central.leases.LeaseBlock("desk-b", 1);
    REQUIRE(for_b.ok());
    CHECK(ErrorCode(desk.leases.LoadLease(for_b->text, std::nullopt)) == "wrongDesk");
  }
  SUBCASE("a desk that issued from its own counter cannot become an offline desk") {
    desk.EnrolAndIssue("Local", "L0000001");
    CHECK(ErrorCode(desk.leases.LoadLease(text, ca)) == "deskHasOwnIdentifiers");
  }
  SUBCASE("identifiers already present are refused (a centre restored from an old backup)") {
    REQUIRE(desk.leases.LoadLease(text, ca).ok());
    // Same keys, an empty database: its counter starts again at 0, so its next lease has
    // another id but the same serials and identifiers.
    const std::string restored_dir = central.f.root_ + "/restored";
    std::filesystem::create_directories(restored_dir);
    for (const char* name : {"ca.key", "ca.pem", "identifier.key", "pepper.key", "result.key"}) {
      std::filesystem::copy_file(central.f.dir_ + "/" + name, restored_dir + "/" + name);
    }
    auto keys = IssuerKeys::LoadOrCreate(restored_dir, central.f.clock_);
    REQUIRE(keys.ok());
    auto store = st::OpenSqliteStore({.path = DatabasePath(restored_dir)});
    REQUIRE(store.ok());
    LeaseService restored(**store, central.f.clock_, *keys);
    auto again = restored.LeaseBlock("desk-a", 2);
    REQUIRE(again.ok());
    CHECK(again->first_serial == 0);
    CHECK(ErrorCode(desk.leases.LoadLease(again->text, std::nullopt)) == "identifiersPresent");
  }
}

TEST_CASE("a desk issues its leased identifiers in order, then refuses: never its own counter") {
  Node central;
  Node desk;
  auto lease = central.leases.LeaseBlock("desk-a", 3);
  REQUIRE(lease.ok());
  REQUIRE(desk.leases.LoadLease(lease->text, central.Ca()).ok());
  const auto expected = LeaseIdentifiers(lease->text);

  for (size_t i = 0; i < 3; ++i) {
    const std::string id = desk.EnrolAndIssue(std::string("Person") + static_cast<char>('a' + i),
                                              "D00000" + std::to_string(i));
    CHECK(id == expected[i]);
    auto person = desk.Person(id);
    REQUIRE(person.has_value());
    CHECK(person->serial == lease->first_serial + i);  // the centre's serial, kept
  }
  auto created = desk.f.enrolments_->Create(desk.f.anna_, ServiceFixture::Request("Late", "Testsson", "D0000099"));
  REQUIRE(created.ok());
  auto refused = desk.f.enrolments_->Issue(desk.f.anna_, created->enrolment_id);
  CHECK(ErrorCode(refused) == "leaseExhausted");
  CHECK(desk.CounterNext() == 0);
  auto view = desk.f.enrolments_->Get(created->enrolment_id);
  REQUIRE(view.ok());
  CHECK(view->status == "ready");  // rolled back as a whole

  auto more = central.leases.LeaseBlock("desk-a", 1);
  REQUIRE(more.ok());
  REQUIRE(desk.leases.LoadLease(more->text, std::nullopt).ok());
  auto issued = desk.f.enrolments_->Issue(desk.f.anna_, created->enrolment_id);
  REQUIRE(issued.ok());
  CHECK(issued->identifier == LeaseIdentifiers(more->text)[0]);

  auto listed = desk.leases.ListLeases();
  REQUIRE(listed.ok());
  REQUIRE(listed->loaded.size() == 2);
  CHECK(listed->loaded[0].count == 3);
  CHECK(listed->loaded[1].count == 1);
}

TEST_CASE("a failed issuance gives its leased identifier back") {
  Node central;
  Node desk;
  auto lease = central.leases.LeaseBlock("desk-a", 2);
  REQUIRE(lease.ok());
  REQUIRE(desk.leases.LoadLease(lease->text, central.Ca()).ok());
  const auto expected = LeaseIdentifiers(lease->text);
  // Two enrolments of one passport created before either is issued: the second issuance
  // fails on the document's UNIQUE index after taking a leased identifier.
  auto first = desk.f.enrolments_->Create(desk.f.anna_, ServiceFixture::Request("Amal", "Hassan", "P0000001"));
  auto second = desk.f.enrolments_->Create(desk.f.omar_, ServiceFixture::Request("Amal", "Hassan", "P0000001"));
  REQUIRE(first.ok());
  REQUIRE(second.ok());
  REQUIRE(desk.f.enrolments_->Issue(desk.f.anna_, first->enrolment_id).ok());
  CHECK(ErrorCode(desk.f.enrolments_->Issue(desk.f.omar_, second->enrolment_id)) == "duplicate");
  CHECK(desk.EnrolAndIssue("Other", "P0000002") == expected[1]);
}

TEST_CASE("export and import: authenticated, in range, idempotent, conflicts reported") {
  Node central;
  Node desk_a;
  Node desk_b;
  auto lease_a = central.leases.LeaseBlock("desk-a", 4);
  auto lease_b = central.leases.LeaseBlock("desk-b", 4);
  REQUIRE(lease_a.ok());
  REQUIRE(lease_b.ok());
  REQUIRE(desk_a.leases.LoadLease(lease_a->text, central.Ca()).ok());
  REQUIRE(desk_b.leases.LoadLease(lease_b->text, central.Ca()).ok());
  CHECK(ErrorCode(central.leases.ExportSync()) == "notFound");  // the centre has no leases loaded

  const std::string a1 = desk_a.EnrolAndIssue("Adam", "A0000001");
  const std::string a2 = desk_a.EnrolAndIssue("Alva", "A0000002");
  const std::string b1 = desk_b.EnrolAndIssue("Bo", "B0000001");
  auto file_a = desk_a.leases.ExportSync();
  auto file_b = desk_b.leases.ExportSync();
  REQUIRE(file_a.ok());
  REQUIRE(file_b.ok());
  CHECK(file_a->persons == 2);
  CHECK(file_a->desk == "desk-a");

  auto persons_at_centre = [&]() {
    auto n = central.f.store_->Read([&](st::ReadTransaction& tx) -> Result<size_t> {
      TILLIT_TRY_ASSIGN(auto rows, central.f.store_->persons().Search(tx, "Testsson", 1000));
      return rows.size();
    });
    REQUIRE(n.ok());
    return *n;
  };

  SUBCASE("tampered, foreign or misattributed files import nothing") {
    const std::string text = file_a->text;
    struct Case {
      const char* what;
      std::function<void(value&)> edit;
      const char* code;
    };
    const std::string lease_b_id = lease_b->lease_id;
    const std::vector<Case> cases{
        {"a name", [](value& v) { v["persons"][1]["givenName"] = value::string("Eve"); },
         "invalidSyncFile"},
        {"a document", [](value& v) {
           v["persons"][0]["documents"][0]["number"] = value::string("X1");
         }, "invalidSyncFile"},
        {"an added document", [](value& v) {
           value d = v["persons"][0]["documents"][0];
           d["number"] = value::string("X2");
           v["persons"][0]["documents"][1] = d;
         }, "invalidSyncFile"},
        {"the MAC", [](value& v) {
           v["persons"][0]["mac"] = value::string(Base64UrlEncode(Bytes(32, 1)));
         }, "invalidSyncFile"},
        {"another serial of the lease", [](value& v) {
           auto serial = std::stoull(v["persons"][0]["serial"].as_string());
           v["persons"][0]["serial"] = value::string(std::to_string(serial + 2));
         }, "invalidSyncFile"},
        {"a serial outside the lease", [](value& v) {
           v["persons"][0]["serial"] = value::string("1000");
         }, "serialOutOfLease"},
        {"an unknown lease", [](value& v) {
           v["persons"][0]["leaseId"] = value::string("lease_0123456789abcdef");
         }, "unknownLease"},
        {"desk A's records under desk B's name", [](value& v) {
           v["desk"] = value::string("desk-b");
         }, "wrongDesk"},
        {"desk A's record claiming desk B's lease", [lease_b_id](value& v) {
           v["persons"][1]["leaseId"] = value::string(lease_b_id);
         }, "wrongDesk"},
        {"another deployment", [](value& v) {
           v["deployment"] = value::string(std::string(64, 'a'));
         }, "otherDeployment"},
        {"unknown field", [](value& v) { v["persons"][0]["note"] = value::string("x"); },
         "invalidSyncFile"},
        {"format", [](value& v) { v["format"] = value::string("tillit-desk-sync-v0"); },
         "invalidSyncFile"},
    };
    for (const auto& c : cases) {
      const std::string what = c.what;
      CAPTURE(what);
      CHECK(ErrorCode(central.leases.ImportSync(Edited(text, c.edit))) == c.code);
    }
    CHECK(ErrorCode(central.leases.ImportSync("{")) == "invalidSyncFile");
    // A file from a desk of another central issuer.
    Node other_central;
    Node other_desk;
    auto foreign_lease = other_central.leases.LeaseBlock("desk-a", 1);
    REQUIRE(foreign_lease.ok());
    REQUIRE(other_desk.leases.LoadLease(foreign_lease->text, other_central.Ca()).ok());
    other_desk.EnrolAndIssue("Foreign", "F0000001");
    auto foreign = other_desk.leases.ExportSync();
    REQUIRE(foreign.ok());
    CHECK(ErrorCode(central.leases.ImportSync(foreign->text)) == "otherDeployment");
    CHECK(persons_at_centre() == 0);
  }

  SUBCASE("import, re-import, both desks") {
    auto imported = central.leases.ImportSync(file_a->text);
    REQUIRE(imported.ok());
    CHECK(imported->records == 2);
    CHECK(imported->imported == 2);
    CHECK(imported->already_imported == 0);
    CHECK(imported->conflicts.empty());
    auto again = central.leases.ImportSync(file_a->text);
    REQUIRE(again.ok());
    CHECK(again->imported == 0);
    CHECK(again->already_imported == 2);
    REQUIRE(central.leases.ImportSync(file_b->text).ok());
    CHECK(persons_at_centre() == 3);

    // The person at the centre is the desk's, with the centre's serial, enrolment and a
    // record of the officer (inactive at the centre).
    auto person = central.Person(a1);
    REQUIRE(person.has_value());
    auto at_desk = desk_a.Person(a1);
    REQUIRE(at_desk.has_value());
    CHECK(person->serial == at_desk->serial);
    CHECK(person->documents == at_desk->documents);
    CHECK(person->name_keys == at_desk->name_keys);
    CHECK(person->created_by == desk_a.f.anna_.id);
    auto enrolment = central.f.enrolments_->Get(person->enrolment_id);
    REQUIRE(enrolment.ok());
    CHECK(enrolment->status == "issued");
    CHECK(enrolment->identifier == a1);
    auto officer = central.f.store_->Read([&](st::ReadTransaction& tx) {
      return central.f.store_->officers().FindById(tx, desk_a.f.anna_.id);
    });
    REQUIRE(officer.ok());
    REQUIRE(officer->has_value());
    CHECK((*officer)->revoked_at.has_value());

    // More issued at the desk later: the next export imports only the new one.
    const std::string a3 = desk_a.EnrolAndIssue("Axel", "A0000003");
    auto later = desk_a.leases.ExportSync();
    REQUIRE(later.ok());
    auto third = central.leases.ImportSync(later->text);
    REQUIRE(third.ok());
    CHECK(third->imported == 1);
    CHECK(third->already_imported == 2);
    CHECK(central.Person(a3).has_value());

    auto listed = central.leases.ListLeases();
    REQUIRE(listed.ok());
    REQUIRE(listed->leased.size() == 2);
    CHECK(listed->leased[0].count == 3);
    CHECK(listed->leased[1].count == 1);
    (void)a2;
    (void)b1;
  }

  SUBCASE("a person already enrolled centrally is a conflict, the others import") {
    // Desk B enrols someone with a passport the centre issued meanwhile.
    const std::string central_id = central.EnrolAndIssue("Cecilia", "B0000001");
    auto imported = central.leases.ImportSync(file_b->text);
    REQUIRE(imported.ok());
    CHECK(imported->imported == 0);
    REQUIRE(imported->conflicts.size() == 1);
    CHECK(imported->conflicts[0].identifier == b1);
    CHECK(imported->conflicts[0].reason == "document");
    CHECK(imported->conflicts[0].existing_identifier == central_id);
    CHECK_FALSE(central.Person(b1).has_value());
    auto a = central.leases.ImportSync(file_a->text);
    REQUIRE(a.ok());
    CHECK(a->imported == 2);
    // Re-import: still reported, never merged.
    auto again = central.leases.ImportSync(file_b->text);
    REQUIRE(again.ok());
    CHECK(again->conflicts.size() == 1);
    CHECK(persons_at_centre() == 3);
  }
}

TEST_CASE("the centre and two desks issue at once; after sync every identifier is unique") {
  Node central;
  Node desk_a;
  Node desk_b;
  constexpr int kEach = 20;
  auto lease_a = central.leases.LeaseBlock("desk-a", kEach);
  REQUIRE(lease_a.ok());
  REQUIRE(desk_a.leases.LoadLease(lease_a->text, central.Ca()).ok());

  // Desk B's lease is made while the centre issues, in between its issuances.
  std::vector<std::string> ids_central(kEach), ids_a(kEach), ids_b(kEach);
  std::vector<std::string> errors;
  std::mutex errors_mutex;
  auto run = [&](Node& node, std::vector<std::string>& out, const std::string& tag) {
    for (int i = 0; i < kEach; ++i) {
      const std::string given = tag + static_cast<char>('a' + i % 26) + static_cast<char>('a' + i / 26);
      auto issued = node.TryEnrolAndIssue(given, tag + "9" + std::to_string(1000 + i));
      if (!issued.ok()) {
        std::lock_guard lock(errors_mutex);
        errors.push_back(tag + ": " + issued.error().code + " " + issued.error().message);
        return;
      }
      out[i] = issued->identifier;
    }
  };
  std::thread centre_thread([&] { run(central, ids_central, "C"); });
  auto lease_b = central.leases.LeaseBlock("desk-b", kEach);
  REQUIRE(lease_b.ok());
  REQUIRE(desk_b.leases.LoadLease(lease_b->text, central.Ca()).ok());
  std::thread a_thread([&] { run(desk_a, ids_a, "A"); });
  std::thread b_thread([&] { run(desk_b, ids_b, "B"); });
  centre_thread.join();
  a_thread.join();
  b_thread.join();
  REQUIRE_MESSAGE(errors.empty(), errors.front());

  std::set<std::string> all;
  for (const auto* ids : {&ids_central, &ids_a, &ids_b}) all.insert(ids->begin(), ids->end());
  CHECK(all.size() == 3 * kEach);

  auto file_a = desk_a.leases.ExportSync();
  auto file_b = desk_b.leases.ExportSync();
  REQUIRE(file_a.ok());
  REQUIRE(file_b.ok());
  auto ia = central.leases.ImportSync(file_a->text);
  auto ib = central.leases.ImportSync(file_b->text);
  REQUIRE(ia.ok());
  REQUIRE(ib.ok());
  CHECK(ia->imported == kEach);
  CHECK(ib->imported == kEach);
  CHECK(ia->conflicts.empty());
  CHECK(ib->conflicts.empty());
  for (const auto& id : all) {
    CAPTURE(id);
    CHECK(central.Person(id).has_value());
  }
  // The centre's counter is past everything: the next online identifier is new too.
  const std::string next = central.EnrolAndIssue("Next", "N0000001");
  CHECK(all.count(next) == 0);
}

}  // namespace
}  // namespace tillit::service::testing
