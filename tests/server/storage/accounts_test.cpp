// Officers and relying parties: round trips, token lookup ignoring revoked accounts,
// uniqueness, and values that look like SQL stored verbatim.
#include "fixtures.h"

namespace tillit::server::storage {
namespace {

using namespace testing;

TEST_CASE("officers round-trip and are found by token hash until revoked") {
  TempDir dir;
  auto store = Open(dir);
  OfficerRow anna = MakeOfficer("anna", 1);
  OfficerRow bertil = MakeOfficer("bertil", 2, OfficerRole::kSupervisor);
  bertil.revoked_at = 1700000500;
  REQUIRE_OK(store->Write(Durability::kDurable, [&](Transaction& tx) -> Status {
    TILLIT_TRY(store->officers().Insert(tx, anna));
    return store->officers().Insert(tx, bertil);
  }));

  auto read = store->BeginRead();
  REQUIRE_OK(read);
  auto found = store->officers().FindById(*read, "anna");
  REQUIRE_OK(found);
  REQUIRE(found->has_value());
  CHECK(**found == anna);
  auto by_token = store->officers().FindByTokenHash(*read, anna.token_hash);
  REQUIRE_OK(by_token);
  REQUIRE(by_token->has_value());
  CHECK((*by_token)->id == "anna");
  // A revoked officer exists but cannot authenticate.
  auto revoked = store->officers().FindById(*read, "bertil");
  REQUIRE_OK(revoked);
  REQUIRE(revoked->has_value());
  CHECK(**revoked == bertil);
  auto revoked_token = store->officers().FindByTokenHash(*read, bertil.token_hash);
  REQUIRE_OK(revoked_token);
  CHECK_FALSE(revoked_token->has_value());
  auto unknown = store->officers().FindByTokenHash(*read, Bytes(32, 0x77));
  REQUIRE_OK(unknown);
  CHECK_FALSE(unknown->has_value());
  auto list = store->officers().List(*read);
  REQUIRE_OK(list);
  REQUIRE(list->size() == 2);
  CHECK((*list)[0].id == "anna");
  CHECK((*list)[1].role == OfficerRole::kSupervisor);
}

TEST_CASE("revoking an officer is idempotent and keeps the first time") {
  TempDir dir;
  auto store = Open(dir);
  SeedBasics(*store);
  REQUIRE_OK(store->Write(Durability::kDurable, [&](Transaction& tx) {
    return store->officers().Revoke(tx, "anna", 100);
  }));
  REQUIRE_OK(store->Write(Durability::kDurable, [&](Transaction& tx) {
    return store->officers().Revoke(tx, "anna", 200);
  }));
  auto missing = store->Write(Durability::kDurable, [&](Transaction& tx) {
    return store->officers().Revoke(tx, "nobody", 100);
  });
  CHECK(ErrorCode(missing) == "notFound");
  auto anna =
      store->Read([&](ReadTransaction& tx) { return store->officers().FindById(tx, "anna"); });
  REQUIRE_OK(anna);
  REQUIRE(anna->has_value());
  CHECK((*anna)->revoked_at == 100);
  auto token = store->Read(
      [&](ReadTransaction& tx) { return store->officers().FindByTokenHash(tx, Bytes(32, 1)); });
  REQUIRE_OK(token);
  CHECK_FALSE(token->has_value());
}

TEST_CASE("a taken officer id or token hash is a conflict and nothing of the transaction stays") {
  TempDir dir;
  auto store = Open(dir);
  SeedBasics(*store);
  auto same_token = store->Write(Durability::kDurable, [&](Transaction& tx) -> Status {
    TILLIT_TRY(store->officers().Insert(tx, MakeOfficer("cecilia", 3)));  // fine alone
    return store->officers().Insert(tx, MakeOfficer("david", 1));         // anna's token
  });
  CHECK(ErrorCode(same_token) == "conflict");
  auto same_id = store->Write(Durability::kDurable, [&](Transaction& tx) {
    return store->officers().Insert(tx, MakeOfficer("anna", 4));
  });
  CHECK(ErrorCode(same_id) == "conflict");
  auto list = store->Read([&](ReadTransaction& tx) { return store->officers().List(tx); });
  REQUIRE_OK(list);
  CHECK(list->size() == 2);  // cecilia was rolled back with the failed insert
}

TEST_CASE("values that look like SQL are stored and found verbatim") {
  TempDir dir;
  auto store = Open(dir);
  const std::string nasty = "x'); DROP TABLE officers; --";
  OfficerRow officer = MakeOfficer(nasty, 5);
  officer.name = "Robert'); DELETE FROM officers WHERE ('1'='1";
  officer.organisation = std::string("nul\0byte \"quoted\" %_\\", 22);
  REQUIRE_OK(store->Write(Durability::kDurable,
                          [&](Transaction& tx) { return store->officers().Insert(tx, officer); }));
  auto found =
      store->Read([&](ReadTransaction& tx) { return store->officers().FindById(tx, nasty); });
  REQUIRE_OK(found);
  REQUIRE(found->has_value());
  CHECK(**found == officer);
  auto all = store->Read([&](ReadTransaction& tx) { return store->officers().List(tx); });
  REQUIRE_OK(all);
  CHECK(all->size() == 1);
}

TEST_CASE("relying parties round-trip and are found by key hash until revoked") {
  TempDir dir;
  auto store = Open(dir);
  RelyingPartyRow party{.id = "skolval-solna",
                        .name = "Skolval Solna stad",
                        .api_key_hash = Bytes(32, 9),
                        .created_at = 1700000000,
                        .revoked_at = std::nullopt};
  REQUIRE_OK(store->Write(Durability::kDurable, [&](Transaction& tx) {
    return store->relying_parties().Insert(tx, party);
  }));
  auto by_key = store->Read([&](ReadTransaction& tx) {
    return store->relying_parties().FindByKeyHash(tx, party.api_key_hash);
  });
  REQUIRE_OK(by_key);
  REQUIRE(by_key->has_value());
  CHECK(**by_key == party);

  RelyingPartyRow clash = party;
  clash.id = "other";
  auto conflict = store->Write(Durability::kDurable, [&](Transaction& tx) {
    return store->relying_parties().Insert(tx, clash);
  });
  CHECK(ErrorCode(conflict) == "conflict");

  REQUIRE_OK(store->Write(Durability::kDurable, [&](Transaction& tx) {
    return store->relying_parties().Revoke(tx, party.id, 1700000100);
  }));
  auto revoked = store->Read([&](ReadTransaction& tx) {
    return store->relying_parties().FindByKeyHash(tx, party.api_key_hash);
  });
  REQUIRE_OK(revoked);
  CHECK_FALSE(revoked->has_value());
  auto by_id = store->Read(
      [&](ReadTransaction& tx) { return store->relying_parties().FindById(tx, party.id); });
  REQUIRE_OK(by_id);
  REQUIRE(by_id->has_value());
  CHECK((*by_id)->revoked_at == 1700000100);
  auto missing = store->Write(Durability::kDurable, [&](Transaction& tx) {
    return store->relying_parties().Revoke(tx, "nobody", 1);
  });
  CHECK(ErrorCode(missing) == "notFound");
}

TEST_CASE("SetApiKeyHash replaces an active party's key hash; revoked is a conflict") {
  TempDir dir;
  auto store = Open(dir);
  const RelyingPartyRow a{.id = "rp_a", .name = "A", .api_key_hash = Bytes(32, 1), .created_at = 10};
  const RelyingPartyRow b{.id = "rp_b", .name = "B", .api_key_hash = Bytes(32, 2), .created_at = 10};
  REQUIRE_OK(store->Write(Durability::kDurable, [&](Transaction& tx) -> Status {
    TILLIT_TRY(store->relying_parties().Insert(tx, a));
    return store->relying_parties().Insert(tx, b);
  }));
  auto set = [&](std::string_view id, const Bytes& hash) {
    return store->Write(Durability::kDurable, [&](Transaction& tx) {
      return store->relying_parties().SetApiKeyHash(tx, id, hash);
    });
  };
  auto by_key = [&](const Bytes& hash) {
    auto found = store->Read(
        [&](ReadTransaction& tx) { return store->relying_parties().FindByKeyHash(tx, hash); });
    REQUIRE_OK(found);
    return found->has_value() ? (*found)->id : std::string("none");
  };
  REQUIRE_OK(set("rp_a", Bytes(32, 3)));
  CHECK(by_key(Bytes(32, 1)) == "none");
  CHECK(by_key(Bytes(32, 3)) == "rp_a");
  CHECK(ErrorCode(set("rp_a", Bytes(32, 2))) == "conflict");  // b's hash
  CHECK(ErrorCode(set("nobody", Bytes(32, 4))) == "notFound");
  REQUIRE_OK(store->Write(Durability::kDurable, [&](Transaction& tx) {
    return store->relying_parties().Revoke(tx, "rp_b", 20);
  }));
  CHECK(ErrorCode(set("rp_b", Bytes(32, 5))) == "conflict");
  // Nothing of the refused writes stayed.
  CHECK(by_key(Bytes(32, 3)) == "rp_a");
  auto b_now = store->Read(
      [&](ReadTransaction& tx) { return store->relying_parties().FindById(tx, "rp_b"); });
  REQUIRE_OK(b_now);
  REQUIRE(b_now->has_value());
  CHECK((*b_now)->api_key_hash == Bytes(32, 2));
}

TEST_CASE("relying parties are listed by id, revoked ones and client subjects included") {
  TempDir dir;
  auto store = Open(dir);
  auto list = [&] {
    auto all = store->Read([&](ReadTransaction& tx) { return store->relying_parties().List(tx); });
    REQUIRE_OK(all);
    return *all;
  };
  CHECK(list().empty());
  const RelyingPartyRow b{.id = "rp_b", .name = "B", .api_key_hash = Bytes(32, 2), .created_at = 20};
  const RelyingPartyRow a{.id = "rp_a",
                          .name = "A",
                          .api_key_hash = Bytes(32, 1),
                          .created_at = 10,
                          .client_subject = "CN=a,O=A,C=SE"};
  REQUIRE_OK(store->Write(Durability::kDurable, [&](Transaction& tx) -> Status {
    TILLIT_TRY(store->relying_parties().Insert(tx, b));
    TILLIT_TRY(store->relying_parties().Insert(tx, a));
    return store->relying_parties().Revoke(tx, "rp_b", 30);
  }));
  RelyingPartyRow b_revoked = b;
  b_revoked.revoked_at = 30;
  CHECK(list() == std::vector<RelyingPartyRow>{a, b_revoked});
}

}  // namespace
}  // namespace tillit::server::storage
