// The enrolment lists behind the desk page: ListRecentByStatus (the approvals queue, newest
// first) and ListForPerson (a person's desk history).
#include "fixtures.h"

namespace tillit::server::storage {
namespace {

using namespace testing;

void Insert(Store& store, const EnrolmentRow& row) {
  REQUIRE_OK(store.Write(Durability::kDurable,
                         [&](Transaction& tx) { return store.enrolments().Insert(tx, row); }));
}

std::vector<std::string> Ids(const std::vector<EnrolmentRow>& rows) {
  std::vector<std::string> ids;
  for (const auto& r : rows) ids.push_back(r.id);
  return ids;
}

TEST_CASE("ListRecentByStatus lists one status, newest first, within the limit") {
  TempDir dir;
  auto store = Open(dir);
  SeedBasics(*store);  // E1: ready
  for (int i = 0; i < 4; ++i) {
    EnrolmentRow row = MakeEnrolment("P" + std::to_string(i));
    row.status = "needs-approval";
    row.assurance_level = 1;
    // P1 and P2 share a second: the id breaks the tie (descending).
    row.created_at = 1700000200 + (i >= 2 ? i - 1 : i) * 10;
    Insert(*store, row);
  }
  auto all = store->Read([&](ReadTransaction& tx) {
    return store->enrolments().ListRecentByStatus(tx, "needs-approval", 10);
  });
  REQUIRE_OK(all);
  CHECK(Ids(*all) == std::vector<std::string>{"P3", "P2", "P1", "P0"});
  CHECK((*all)[0].status == "needs-approval");

  auto two = store->Read([&](ReadTransaction& tx) {
    return store->enrolments().ListRecentByStatus(tx, "needs-approval", 2);
  });
  REQUIRE_OK(two);
  CHECK(Ids(*two) == std::vector<std::string>{"P3", "P2"});

  auto none = store->Read([&](ReadTransaction& tx) {
    return store->enrolments().ListRecentByStatus(tx, "approved", 10);
  });
  REQUIRE_OK(none);
  CHECK(none->empty());
  // The status is a bound value, not SQL.
  auto injected = store->Read([&](ReadTransaction& tx) {
    return store->enrolments().ListRecentByStatus(tx, "x' OR '1'='1", 10);
  });
  REQUIRE_OK(injected);
  CHECK(injected->empty());
}

TEST_CASE("ListForPerson finds the issuing enrolment, duplicates and replacements") {
  TempDir dir;
  auto store = Open(dir);
  SeedBasics(*store);
  PersonRow person = SeedPerson(*store, 1);
  Insert(*store, MakeEnrolment("E5"));
  PersonRow other = MakePerson(2, "E5");
  REQUIRE_OK(store->Write(Durability::kDurable,
                          [&](Transaction& tx) { return store->persons().Insert(tx, other); }));
  REQUIRE_OK(store->Write(Durability::kDurable, [&](Transaction& tx) {
    return store->enrolments().UpdateStatus(
        tx, "E1", {.from = "ready", .to = "issued", .at = 1700000150, .identifier = person.identifier});
  }));
  EnrolmentRow duplicate = MakeEnrolment("E2");
  duplicate.status = "duplicate";
  duplicate.created_at = 1700000300;
  duplicate.existing_identifier = person.identifier;
  Insert(*store, duplicate);
  EnrolmentRow replacement = MakeEnrolment("E3");
  replacement.status = "needs-approval";
  replacement.created_at = 1700000200;
  replacement.existing_identifier = person.identifier;
  Insert(*store, replacement);
  EnrolmentRow unrelated = MakeEnrolment("E4");
  unrelated.existing_identifier = other.identifier;
  unrelated.status = "duplicate";
  Insert(*store, unrelated);

  auto rows = store->Read([&](ReadTransaction& tx) {
    return store->enrolments().ListForPerson(tx, person.identifier, 10);
  });
  REQUIRE_OK(rows);
  CHECK(Ids(*rows) == std::vector<std::string>{"E1", "E3", "E2"});  // oldest first
  auto limited = store->Read([&](ReadTransaction& tx) {
    return store->enrolments().ListForPerson(tx, person.identifier, 1);
  });
  REQUIRE_OK(limited);
  CHECK(Ids(*limited) == std::vector<std::string>{"E1"});
  auto nobody = store->Read([&](ReadTransaction& tx) {
    return store->enrolments().ListForPerson(tx, "NOSUCHID", 10);
  });
  REQUIRE_OK(nobody);
  CHECK(nobody->empty());
}

}  // namespace
}  // namespace tillit::server::storage
