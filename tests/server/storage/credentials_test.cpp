// Credentials: round trip, lookup by device key, status changes with revocation final,
// revoking all of a person's credentials, and the schema's checks.
#include "fixtures.h"

namespace tillit::server::storage {
namespace {

using namespace testing;

Status Insert(Store& store, const CredentialRow& row) {
  return store.Write(Durability::kDurable,
                     [&](Transaction& tx) { return store.credentials().Insert(tx, row); });
}

TEST_CASE("a credential round-trips and is found by serial and device key") {
  TempDir dir;
  auto store = Open(dir);
  SeedBasics(*store);
  PersonRow person = SeedPerson(*store);
  CredentialRow credential = MakeCredential(person, 1, 1700000000);
  REQUIRE_OK(Insert(*store, credential));
  auto tx = store->BeginRead();
  REQUIRE_OK(tx);
  auto got = store->credentials().Get(*tx, credential.serial);
  REQUIRE_OK(got);
  CHECK(*got == credential);
  auto by_key = store->credentials().FindByHolderKey(*tx, credential.holder_public_key);
  REQUIRE_OK(by_key);
  REQUIRE(by_key->has_value());
  CHECK((*by_key)->serial == credential.serial);
  auto no_key = store->credentials().FindByHolderKey(*tx, Bytes(32, 0xEE));
  REQUIRE_OK(no_key);
  CHECK_FALSE(no_key->has_value());
  CHECK(ErrorCode(store->credentials().Get(*tx, std::string(32, '0'))) == "notFound");
}

TEST_CASE("serials and device keys are unique; the schema checks the rest") {
  TempDir dir;
  auto store = Open(dir);
  SeedBasics(*store);
  PersonRow person = SeedPerson(*store);
  CredentialRow credential = MakeCredential(person, 1, 1700000000);
  REQUIRE_OK(Insert(*store, credential));

  CredentialRow same_serial = MakeCredential(person, 2, 1700000000);
  same_serial.serial = credential.serial;
  CHECK(ErrorCode(Insert(*store, same_serial)) == "conflict");
  CredentialRow same_key = MakeCredential(person, 3, 1700000000);
  same_key.holder_public_key = credential.holder_public_key;
  CHECK(ErrorCode(Insert(*store, same_key)) == "conflict");

  CredentialRow short_serial = MakeCredential(person, 4, 1700000000);
  short_serial.serial = "abcd";
  CHECK(ErrorCode(Insert(*store, short_serial)) == "internalError");
  CredentialRow upper_serial = MakeCredential(person, 5, 1700000000);
  upper_serial.serial = std::string(32, 'A');
  CHECK(ErrorCode(Insert(*store, upper_serial)) == "internalError");
  CredentialRow backwards = MakeCredential(person, 6, 1700000000);
  backwards.not_after = backwards.not_before;
  CHECK(ErrorCode(Insert(*store, backwards)) == "internalError");
  CredentialRow level4 = MakeCredential(person, 7, 1700000000);
  level4.assurance_level = 4;  // DIGG level 4 is never issued
  CHECK(ErrorCode(Insert(*store, level4)) == "internalError");
  CredentialRow orphan = MakeCredential(person, 8, 1700000000);
  orphan.identifier = TestIdentifier(99);
  CHECK(ErrorCode(Insert(*store, orphan)) == "internalError");
}

TEST_CASE("status: suspend, reinstate, revoke; revoked is final") {
  TempDir dir;
  auto store = Open(dir);
  SeedBasics(*store);
  PersonRow person = SeedPerson(*store);
  CredentialRow credential = MakeCredential(person, 1, 1700000000);
  REQUIRE_OK(Insert(*store, credential));
  auto set = [&](CredentialStatus status, std::string_view reason, int64_t at,
                 std::string_view serial) {
    return store->Write(Durability::kDurable, [&](Transaction& tx) {
      return store->credentials().SetStatus(tx, serial, status, reason, at);
    });
  };
  auto get = [&] {
    auto row = store->Read(
        [&](ReadTransaction& tx) { return store->credentials().Get(tx, credential.serial); });
    REQUIRE_OK(row);
    return *row;
  };
  REQUIRE_OK(set(CredentialStatus::kSuspended, "phone reported lost", 10, credential.serial));
  CHECK(get().status == CredentialStatus::kSuspended);
  CHECK(get().status_reason == "phone reported lost");
  REQUIRE_OK(set(CredentialStatus::kGood, "", 20, credential.serial));
  CHECK(get().status == CredentialStatus::kGood);
  CHECK_FALSE(get().status_reason.has_value());
  CHECK(get().status_changed_at == 20);
  REQUIRE_OK(set(CredentialStatus::kRevoked, "holder request", 30, credential.serial));
  CHECK(ErrorCode(set(CredentialStatus::kGood, "", 40, credential.serial)) == "conflict");
  CHECK(get().status == CredentialStatus::kRevoked);
  CHECK(get().status_changed_at == 30);
  CHECK(ErrorCode(set(CredentialStatus::kGood, "", 40, std::string(32, 'f'))) == "notFound");
}

TEST_CASE("revoking all of a person's credentials counts only those not yet revoked") {
  TempDir dir;
  auto store = Open(dir);
  SeedBasics(*store);
  PersonRow person = SeedPerson(*store, 1);
  PersonRow other = SeedPerson(*store, 2);
  REQUIRE_OK(Insert(*store, MakeCredential(person, 1, 100)));
  REQUIRE_OK(Insert(*store, MakeCredential(person, 2, 300)));
  REQUIRE_OK(Insert(*store, MakeCredential(person, 3, 200)));
  REQUIRE_OK(Insert(*store, MakeCredential(other, 4, 100)));
  REQUIRE_OK(store->Write(Durability::kDurable, [&](Transaction& tx) {
    return store->credentials().SetStatus(tx, MakeCredential(person, 3, 0).serial,
                                          CredentialStatus::kRevoked, "old", 250);
  }));
  auto revoke = [&](std::string_view identifier) {
    return store->Write(Durability::kDurable, [&](Transaction& tx) {
      return store->credentials().RevokeAllForIdentifier(tx, identifier, "duplicate person", 400);
    });
  };
  auto count = revoke(person.identifier);
  REQUIRE_OK(count);
  CHECK(*count == 2);
  auto again = revoke(person.identifier);
  REQUIRE_OK(again);
  CHECK(*again == 0);

  auto list = store->Read([&](ReadTransaction& tx) {
    return store->credentials().ListByIdentifier(tx, person.identifier);
  });
  REQUIRE_OK(list);
  REQUIRE(list->size() == 3);
  CHECK((*list)[0].created_at == 300);  // newest first
  CHECK((*list)[2].created_at == 100);
  for (const auto& row : *list) CHECK(row.status == CredentialStatus::kRevoked);
  CHECK((*list)[1].status_reason == "old");  // the earlier revocation is kept
  CHECK((*list)[0].status_reason == "duplicate person");
  auto others = store->Read([&](ReadTransaction& tx) {
    return store->credentials().ListByIdentifier(tx, other.identifier);
  });
  REQUIRE_OK(others);
  REQUIRE(others->size() == 1);
  CHECK((*others)[0].status == CredentialStatus::kGood);
}

TEST_CASE("the credentials that are not good, for the CRL, by serial and without the DER") {
  TempDir dir;
  auto store = Open(dir);
  SeedBasics(*store);
  PersonRow person = SeedPerson(*store, 1);
  PersonRow other = SeedPerson(*store, 2);
  for (uint8_t n : {5, 1, 3, 2}) REQUIRE_OK(Insert(*store, MakeCredential(n == 2 ? other : person, n, 100)));
  auto list = [&] {
    auto rows = store->Read(
        [&](ReadTransaction& tx) { return store->credentials().ListRevokedOrSuspended(tx); });
    REQUIRE_OK(rows);
    return *rows;
  };
  CHECK(list().empty());
  auto set = [&](uint8_t n, CredentialStatus status, int64_t at) {
    REQUIRE_OK(store->Write(Durability::kDurable, [&](Transaction& tx) {
      return store->credentials().SetStatus(tx, MakeCredential(person, n, 0).serial, status,
                                            "why", at);
    }));
  };
  set(5, CredentialStatus::kSuspended, 200);
  set(3, CredentialStatus::kRevoked, 300);
  set(2, CredentialStatus::kSuspended, 400);
  set(2, CredentialStatus::kGood, 500);  // resumed: good again, not listed
  auto rows = list();
  REQUIRE(rows.size() == 2);
  CredentialRow expected = MakeCredential(person, 3, 100);
  expected.certificate_der.clear();
  expected.status = CredentialStatus::kRevoked;
  expected.status_reason = "why";
  expected.status_changed_at = 300;
  CHECK(rows[0] == expected);  // ordered by serial: 0x43.. before 0x45..
  CHECK(rows[1].serial == MakeCredential(person, 5, 0).serial);
  CHECK(rows[1].status == CredentialStatus::kSuspended);
  CHECK(rows[1].status_changed_at == 200);
}

}  // namespace
}  // namespace tillit::server::storage
