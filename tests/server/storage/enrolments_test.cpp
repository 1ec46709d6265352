// Enrolments and their matches: round trips, compare-and-set status changes, approval
// (with the schema's four-eyes backstop), foreign keys.
#include "fixtures.h"

namespace tillit::server::storage {
namespace {

using namespace testing;

TEST_CASE("an enrolment round-trips with every field") {
  TempDir dir;
  auto store = Open(dir);
  SeedBasics(*store);
  PersonRow existing = SeedPerson(*store, 1);
  EnrolmentRow row = MakeEnrolment("E2", "bertil");
  row.status = "duplicate";
  row.assurance_level = 3;
  row.request_json = R"({"person":{"givenName":"Åsa \"quoted\""},"evidence":[]})";
  row.approved_by = "anna";
  row.approved_at = 1700000300;
  row.existing_identifier = existing.identifier;
  row.rejected_by = "anna";
  row.rejected_at = 1700000400;
  row.rejection_reason = "doubtful passport";
  row.updated_at = 1700000400;
  REQUIRE_OK(store->Write(Durability::kDurable,
                          [&](Transaction& tx) { return store->enrolments().Insert(tx, row); }));
  auto read = store->Read([&](ReadTransaction& tx) { return store->enrolments().Get(tx, "E2"); });
  REQUIRE_OK(read);
  CHECK(*read == row);
  auto missing =
      store->Read([&](ReadTransaction& tx) { return store->enrolments().Get(tx, "nope"); });
  CHECK(ErrorCode(missing) == "notFound");
  auto duplicate = store->Write(
      Durability::kDurable, [&](Transaction& tx) { return store->enrolments().Insert(tx, row); });
  CHECK(ErrorCode(duplicate) == "conflict");
}

TEST_CASE("status changes are compare-and-set on the status read") {
  TempDir dir;
  auto store = Open(dir);
  SeedBasics(*store);
  PersonRow person = SeedPerson(*store, 1);
  // E1 is "ready": issue it.
  EnrolmentTransition issue{
      .from = "ready", .to = "issued", .at = 1700000500, .identifier = person.identifier};
  REQUIRE_OK(store->Write(Durability::kDurable, [&](Transaction& tx) {
    return store->enrolments().UpdateStatus(tx, "E1", issue);
  }));
  // A second request that read "ready" before the first committed loses.
  auto stale = store->Write(Durability::kDurable, [&](Transaction& tx) {
    return store->enrolments().UpdateStatus(tx, "E1",
                                            {.from = "ready",
                                             .to = "rejected",
                                             .at = 1700000600,
                                             .rejected_by = "anna",
                                             .rejection_reason = "late"});
  });
  CHECK(ErrorCode(stale) == "conflict");
  auto missing = store->Write(Durability::kDurable, [&](Transaction& tx) {
    return store->enrolments().UpdateStatus(tx, "nope", issue);
  });
  CHECK(ErrorCode(missing) == "notFound");

  auto row = store->Read([&](ReadTransaction& tx) { return store->enrolments().Get(tx, "E1"); });
  REQUIRE_OK(row);
  CHECK(row->status == "issued");
  CHECK(row->identifier == person.identifier);
  CHECK(row->updated_at == 1700000500);
  CHECK_FALSE(row->rejected_by.has_value());
  CHECK_FALSE(row->rejected_at.has_value());
}

TEST_CASE("a rejection records who, when and why") {
  TempDir dir;
  auto store = Open(dir);
  SeedBasics(*store);
  REQUIRE_OK(store->Write(Durability::kDurable, [&](Transaction& tx) {
    return store->enrolments().UpdateStatus(tx, "E1",
                                            {.from = "ready",
                                             .to = "rejected",
                                             .at = 1700000700,
                                             .rejected_by = "bertil",
                                             .rejection_reason = "document reported stolen"});
  }));
  auto row = store->Read([&](ReadTransaction& tx) { return store->enrolments().Get(tx, "E1"); });
  REQUIRE_OK(row);
  CHECK(row->status == "rejected");
  CHECK(row->rejected_by == "bertil");
  CHECK(row->rejected_at == 1700000700);
  CHECK(row->rejection_reason == "document reported stolen");
}

TEST_CASE("approval: once, by a second officer, from the expected status") {
  TempDir dir;
  auto store = Open(dir);
  SeedBasics(*store);
  REQUIRE_OK(store->Write(Durability::kDurable, [&](Transaction& tx) {
    EnrolmentRow row = MakeEnrolment("E2", "anna");
    row.status = "needs-approval";
    return store->enrolments().Insert(tx, row);
  }));
  // The creator cannot approve: the schema refuses it even if the workflow were bypassed.
  auto self = store->Write(Durability::kDurable, [&](Transaction& tx) {
    return store->enrolments().Approve(tx, "E2", "needs-approval", "approved", "anna", 5);
  });
  CHECK(ErrorCode(self) == "internalError");
  auto wrong_state = store->Write(Durability::kDurable, [&](Transaction& tx) {
    return store->enrolments().Approve(tx, "E1", "needs-approval", "approved", "bertil", 5);
  });
  CHECK(ErrorCode(wrong_state) == "conflict");
  REQUIRE_OK(store->Write(Durability::kDurable, [&](Transaction& tx) {
    return store->enrolments().Approve(tx, "E2", "needs-approval", "approved", "bertil", 6);
  }));
  auto again = store->Write(Durability::kDurable, [&](Transaction& tx) {
    return store->enrolments().Approve(tx, "E2", "approved", "approved", "bertil", 7);
  });
  CHECK(ErrorCode(again) == "conflict");
  auto missing = store->Write(Durability::kDurable, [&](Transaction& tx) {
    return store->enrolments().Approve(tx, "nope", "needs-approval", "approved", "bertil", 7);
  });
  CHECK(ErrorCode(missing) == "notFound");

  auto row = store->Read([&](ReadTransaction& tx) { return store->enrolments().Get(tx, "E2"); });
  REQUIRE_OK(row);
  CHECK(row->status == "approved");
  CHECK(row->approved_by == "bertil");
  CHECK(row->approved_at == 6);
  CHECK(row->updated_at == 6);

  auto queue = store->Read(
      [&](ReadTransaction& tx) { return store->enrolments().ListByStatus(tx, "approved", 10); });
  REQUIRE_OK(queue);
  REQUIRE(queue->size() == 1);
  CHECK((*queue)[0].id == "E2");
}

TEST_CASE("references to unknown officers or persons are rejected") {
  TempDir dir;
  auto store = Open(dir);
  SeedBasics(*store);
  auto unknown_officer = store->Write(Durability::kDurable, [&](Transaction& tx) {
    return store->enrolments().Insert(tx, MakeEnrolment("E9", "mallory"));
  });
  CHECK(ErrorCode(unknown_officer) == "internalError");
  auto unknown_person = store->Write(Durability::kDurable, [&](Transaction& tx) {
    return store->enrolments().UpdateStatus(
        tx, "E1", {.from = "ready", .to = "issued", .at = 1, .identifier = TestIdentifier(99)});
  });
  CHECK(ErrorCode(unknown_person) == "internalError");
  auto missing =
      store->Read([&](ReadTransaction& tx) { return store->enrolments().Get(tx, "E9"); });
  CHECK(ErrorCode(missing) == "notFound");
  auto unchanged =
      store->Read([&](ReadTransaction& tx) { return store->enrolments().Get(tx, "E1"); });
  REQUIRE_OK(unchanged);
  CHECK(unchanged->status == "ready");
}

TEST_CASE("matches are recorded, resolved and listed hard first, then by score") {
  TempDir dir;
  auto store = Open(dir);
  SeedBasics(*store);
  PersonRow p1 = SeedPerson(*store, 1);
  PersonRow p2 = SeedPerson(*store, 2);
  PersonRow p3 = SeedPerson(*store, 3);
  REQUIRE_OK(store->Write(Durability::kDurable, [&](Transaction& tx) -> Status {
    TILLIT_TRY(store->enrolments().Insert(tx, MakeEnrolment("E2")));
    TILLIT_TRY(store->enrolments().InsertMatch(tx, {.enrolment_id = "E2",
                                                    .identifier = p1.identifier,
                                                    .kind = MatchKind::kPossible,
                                                    .score = 0.7,
                                                    .reasons = R"(["similar name"])"}));
    TILLIT_TRY(
        store->enrolments().InsertMatch(tx, {.enrolment_id = "E2",
                                             .identifier = p2.identifier,
                                             .kind = MatchKind::kPossible,
                                             .score = 0.9,
                                             .reasons = R"(["similar name","same birth year"])"}));
    return store->enrolments().InsertMatch(tx, {.enrolment_id = "E2",
                                                .identifier = p3.identifier,
                                                .kind = MatchKind::kHard,
                                                .score = 1.0,
                                                .reasons = R"(["same passport"])"});
  }));
  auto duplicate = store->Write(Durability::kDurable, [&](Transaction& tx) {
    return store->enrolments().InsertMatch(
        tx, {.enrolment_id = "E2", .identifier = p1.identifier, .kind = MatchKind::kHard});
  });
  CHECK(ErrorCode(duplicate) == "conflict");

  REQUIRE_OK(store->Write(Durability::kDurable, [&](Transaction& tx) {
    return store->enrolments().ResolveMatch(tx, "E2", p1.identifier, MatchResolution::kDifferent,
                                            "bertil", "different birth date on passport",
                                            1700000900);
  }));
  REQUIRE_OK(store->Write(Durability::kDurable, [&](Transaction& tx) {
    return store->enrolments().ResolveMatch(tx, "E2", p2.identifier, MatchResolution::kSame, "anna",
                                            "", 1700000901);
  }));
  auto unknown = store->Write(Durability::kDurable, [&](Transaction& tx) {
    return store->enrolments().ResolveMatch(tx, "E2", TestIdentifier(42), MatchResolution::kSame,
                                            "anna", "", 1);
  });
  CHECK(ErrorCode(unknown) == "notFound");

  auto matches =
      store->Read([&](ReadTransaction& tx) { return store->enrolments().ListMatches(tx, "E2"); });
  REQUIRE_OK(matches);
  REQUIRE(matches->size() == 3);
  CHECK((*matches)[0].identifier == p3.identifier);
  CHECK((*matches)[0].kind == MatchKind::kHard);
  CHECK_FALSE((*matches)[0].resolution.has_value());
  CHECK((*matches)[1].identifier == p2.identifier);
  CHECK((*matches)[1].resolution == MatchResolution::kSame);
  CHECK_FALSE((*matches)[1].resolution_reason.has_value());
  CHECK((*matches)[1].reasons == R"(["similar name","same birth year"])");
  CHECK((*matches)[2].identifier == p1.identifier);
  CHECK((*matches)[2].score == doctest::Approx(0.7));
  CHECK((*matches)[2].resolution == MatchResolution::kDifferent);
  CHECK((*matches)[2].resolution_reason == "different birth date on passport");
  CHECK((*matches)[2].resolved_by == "bertil");
  CHECK((*matches)[2].resolved_at == 1700000900);
  auto none =
      store->Read([&](ReadTransaction& tx) { return store->enrolments().ListMatches(tx, "E1"); });
  REQUIRE_OK(none);
  CHECK(none->empty());
}

}  // namespace
}  // namespace tillit::server::storage
