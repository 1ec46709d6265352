// LeaseService: leased serial blocks for offline desks, their lease and sync files
// (docs/offline-desk.md is the specification of both formats).
//
// Files are JSON read with cpprestsdk's web::json; every call that can throw is inside a
// try block. Signatures and MACs never cover JSON text (whose serialisation is not
// canonical): they cover a length-prefixed binary encoding of the parsed fields
// (Encoder), so a verifier recomputes exactly what the signer signed.
#include "tillit/service/lease_service.h"

#include <cpprest/json.h>

#include <algorithm>
#include <exception>
#include <map>
#include <numeric>
#include <optional>
#include <set>
#include <utility>
#include <vector>

#include "service_util.h"
#include "stored_request.h"
#include "tillit/credential/certificate.h"
#include "tillit/crypto/ed25519.h"
#include "tillit/crypto/hash.h"
#include "tillit/crypto/random.h"
#include "tillit/enrolment/names.h"
#include "tillit/identifier/serial_block.h"

namespace tillit::service {
namespace {

namespace st = server::storage;
using st::Durability;
using st::ReadTransaction;
using st::Transaction;
using web::json::value;

constexpr size_t kSyncKeySize = 32;
constexpr size_t kMaxDeskName = 64;
constexpr std::string_view kLeaseIdPrefix = "lease_";
constexpr size_t kLeaseIdHexDigits = 16;
constexpr std::string_view kAdminActor = "admin";
// A sync file holds at most this many records (a desk exports all it issued from leases).
constexpr size_t kMaxSyncRecords = 1000000;

// ---- Binary encoding for signatures and MACs ----

// context || 0x00, then fields: text as u32be(length) || bytes; integers big-endian;
// optional fields as a presence byte (0 or 1) and then the field if present. Every field
// is self-delimiting, so the encoding is injective.
class Encoder {
 public:
  explicit Encoder(std::string_view context) {
    Raw(AsBytes(context));
    bytes_.push_back(0);
  }
  void Text(std::string_view s) { Blob(AsBytes(s)); }
  void Blob(ByteView b) {
    U32(static_cast<uint32_t>(b.size()));
    Raw(b);
  }
  void OptText(const std::optional<std::string>& s) {
    bytes_.push_back(s ? 1 : 0);
    if (s) Text(*s);
  }
  void OptI64(const std::optional<int64_t>& v) {
    bytes_.push_back(v ? 1 : 0);
    if (v) I64(*v);
  }
  void U32(uint32_t v) {
    for (int shift = 24; shift >= 0; shift -= 8) bytes_.push_back(static_cast<uint8_t>(v >> shift));
  }
  void U64(uint64_t v) {
    for (int shift = 56; shift >= 0; shift -= 8) bytes_.push_back(static_cast<uint8_t>(v >> shift));
  }
  void I64(int64_t v) { U64(static_cast<uint64_t>(v)); }
  const Bytes& bytes() const { return bytes_; }

 private:
  void Raw(ByteView b) { bytes_.insert(bytes_.end(), b.begin(), b.end()); }
  Bytes bytes_;
};

// ---- JSON helpers ----

utility::string_t T(std::string_view s) {
  return utility::conversions::to_string_t(std::string(s));
}
std::string Utf8(const utility::string_t& s) { return utility::conversions::to_utf8string(s); }
value Str(std::string_view s) { return value::string(T(s)); }
value SerialText(uint64_t serial) { return Str(std::to_string(serial)); }

// Reads fields of one JSON object strictly: only the listed names, right types. Errors
// carry `code` (invalidLeaseFile or invalidSyncFile) and name the field, never a value.
class ObjectReader {
 public:
  ObjectReader(const value& v, std::string code, std::string where)
      : v_(v), code_(std::move(code)), where_(std::move(where)) {}

  Status Only(std::initializer_list<std::string_view> names) const {
    if (!v_.is_object()) return Bad("must be an object");
    for (const auto& member : v_.as_object()) {
      const std::string key = Utf8(member.first);
      if (std::find(names.begin(), names.end(), key) == names.end()) {
        return Bad("unknown field " + key);
      }
    }
    return {};
  }
  bool Has(std::string_view name) const { return v_.has_field(T(name)); }
  Result<const value*> Get(std::string_view name) const {
    if (!Has(name)) return Bad("missing field " + std::string(name));
    return &v_.at(T(name));
  }
  Result<std::string> String(std::string_view name) const {
    TILLIT_TRY_ASSIGN(const value* field, Get(name));
    if (!field->is_string()) return Bad(std::string(name) + " must be a string");
    return Utf8(field->as_string());
  }
  Result<std::optional<std::string>> OptString(std::string_view name) const {
    if (!Has(name)) return std::optional<std::string>();
    TILLIT_TRY_ASSIGN(auto s, String(name));
    return std::optional<std::string>(std::move(s));
  }
  Result<int64_t> Int(std::string_view name) const {
    TILLIT_TRY_ASSIGN(const value* field, Get(name));
    if (!field->is_number() || !field->as_number().is_int64()) {
      return Bad(std::string(name) + " must be an integer");
    }
    return field->as_number().to_int64();
  }
  Result<std::optional<int64_t>> OptInt(std::string_view name) const {
    if (!Has(name)) return std::optional<int64_t>();
    TILLIT_TRY_ASSIGN(auto i, Int(name));
    return std::optional<int64_t>(i);
  }
  // A serial: a decimal string without sign or leading zeros (JSON numbers above 2^53 are
  // not exact in many readers, and serials go up to 1.7e16).
  Result<uint64_t> Serial(std::string_view name) const {
    TILLIT_TRY_ASSIGN(auto text, String(name));
    if (text.empty() || text.size() > 19 ||
        text.find_first_not_of("0123456789") != std::string::npos ||
        (text.size() > 1 && text[0] == '0')) {
      return Bad(std::string(name) + " must be a decimal serial");
    }
    uint64_t n = 0;
    for (char c : text) n = n * 10 + static_cast<uint64_t>(c - '0');
    return n;
  }
  Result<const web::json::array*> Array(std::string_view name) const {
    TILLIT_TRY_ASSIGN(const value* field, Get(name));
    if (!field->is_array()) return Bad(std::string(name) + " must be an array");
    return &field->as_array();
  }
  Error Bad(const std::string& what) const { return MakeError(code_, where_ + ": " + what); }

 private:
  const value& v_;
  std::string code_;
  std::string where_;
};

Result<value> ParseJson(std::string_view text, const std::string& code) {
  try {
    return value::parse(T(text));
  } catch (const std::exception&) {
    return MakeError(code, "the file is not valid JSON");
  }
}

std::string Fingerprint(ByteView ca_der) { return HexEncode(crypto::Sha256(ca_der)); }

bool ValidDeskName(std::string_view desk) {
  if (desk.empty() || desk.size() > kMaxDeskName) return false;
  auto alnum = [](char c) {
    return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9');
  };
  if (!alnum(desk[0])) return false;
  return std::all_of(desk.begin(), desk.end(),
                     [&](char c) { return alnum(c) || c == '.' || c == '_' || c == '-'; });
}

bool ValidLeaseId(std::string_view id) {
  if (id.size() != kLeaseIdPrefix.size() + kLeaseIdHexDigits || id.rfind(kLeaseIdPrefix, 0) != 0) {
    return false;
  }
  return id.substr(kLeaseIdPrefix.size()).find_first_not_of("0123456789abcdef") ==
         std::string_view::npos;
}

// ---- Lease file ----

struct LeaseContent {
  std::string lease_id;
  std::string desk;
  std::string deployment;
  uint64_t first_serial = 0;
  uint64_t size = 0;
  int64_t created_at = 0;
  std::vector<std::string> identifiers;
  Bytes sync_key;
};

// What the CA key signs (docs/offline-desk.md §Lease file). DO NOT CHANGE.
Bytes LeaseSignedMessage(const LeaseContent& c) {
  Encoder e(kLeaseFormat);
  e.Text(c.lease_id);
  e.Text(c.desk);
  e.Text(c.deployment);
  e.U64(c.first_serial);
  e.U64(c.size);
  e.I64(c.created_at);
  e.Blob(c.sync_key);
  e.U32(static_cast<uint32_t>(c.identifiers.size()));
  for (const auto& id : c.identifiers) e.Text(id);
  return e.bytes();
}

// ---- Sync records ----

struct SyncOfficer {
  std::string id;
  std::string name;
  std::string organisation;
  std::string role;
};

struct SyncRecord {
  std::string lease_id;
  st::PersonRow person;  // serial, identifier, fields, documents; name_keys recomputed
  std::string enrolment_created_by;
  int64_t enrolment_created_at = 0;
  std::optional<std::string> approved_by;
  std::optional<int64_t> approved_at;
  std::string request_json;
  std::vector<SyncOfficer> officers;
  Bytes mac;
};

// What a record's MAC covers (docs/offline-desk.md §Sync file). DO NOT CHANGE.
Bytes SyncRecordMessage(std::string_view deployment, std::string_view desk, const SyncRecord& r) {
  const st::PersonRow& p = r.person;
  Encoder e(kSyncFormat);
  e.Text(deployment);
  e.Text(desk);
  e.Text(r.lease_id);
  e.U64(p.serial);
  e.Text(p.identifier);
  e.Text(p.given_name);
  e.Text(p.surname);
  e.OptText(p.original_name);
  e.Text(p.birth_date);
  e.Text(p.nationality);
  e.OptText(p.samordningsnummer);
  e.OptText(p.case_number);
  e.OptText(p.personnummer);
  e.U32(static_cast<uint32_t>(p.assurance_level));
  e.I64(p.created_at);
  e.Text(p.created_by);
  e.U32(static_cast<uint32_t>(p.documents.size()));
  for (const auto& d : p.documents) {
    e.Text(d.type);
    e.Text(d.number_norm);
    e.Text(d.country);
  }
  e.Text(p.enrolment_id);
  e.Text(r.enrolment_created_by);
  e.I64(r.enrolment_created_at);
  e.OptText(r.approved_by);
  e.OptI64(r.approved_at);
  e.Text(r.request_json);
  e.U32(static_cast<uint32_t>(r.officers.size()));
  for (const auto& o : r.officers) {
    e.Text(o.id);
    e.Text(o.name);
    e.Text(o.organisation);
    e.Text(o.role);
  }
  return e.bytes();
}

value RecordToJson(const SyncRecord& r) {
  const st::PersonRow& p = r.person;
  value v = value::object(/*keep_order=*/true);
  v[U("leaseId")] = Str(r.lease_id);
  v[U("serial")] = SerialText(p.serial);
  v[U("identifier")] = Str(p.identifier);
  v[U("givenName")] = Str(p.given_name);
  v[U("surname")] = Str(p.surname);
  if (p.original_name) v[U("originalName")] = Str(*p.original_name);
  v[U("birthDate")] = Str(p.birth_date);
  v[U("nationality")] = Str(p.nationality);
  if (p.samordningsnummer) v[U("samordningsnummer")] = Str(*p.samordningsnummer);
  if (p.case_number) v[U("caseNumber")] = Str(*p.case_number);
  if (p.personnummer) v[U("personnummer")] = Str(*p.personnummer);
  v[U("assuranceLevel")] = value::number(p.assurance_level);
  v[U("createdAt")] = value::number(p.created_at);
  v[U("createdBy")] = Str(p.created_by);
  value documents = value::array(p.documents.size());
  for (size_t i = 0; i < p.documents.size(); ++i) {
    value d = value::object(/*keep_order=*/true);
    d[U("type")] = Str(p.documents[i].type);
    d[U("number")] = Str(p.documents[i].number_norm);
    d[U("country")] = Str(p.documents[i].country);
    documents[i] = d;
  }
  v[U("documents")] = documents;
  value enrolment = value::object(/*keep_order=*/true);
  enrolment[U("id")] = Str(p.enrolment_id);
  enrolment[U("createdBy")] = Str(r.enrolment_created_by);
  enrolment[U("createdAt")] = value::number(r.enrolment_created_at);
  if (r.approved_by) enrolment[U("approvedBy")] = Str(*r.approved_by);
  if (r.approved_at) enrolment[U("approvedAt")] = value::number(*r.approved_at);
  enrolment[U("request")] = Str(r.request_json);
  v[U("enrolment")] = enrolment;
  value officers = value::array(r.officers.size());
  for (size_t i = 0; i < r.officers.size(); ++i) {
    value o = value::object(/*keep_order=*/true);
    o[U("id")] = Str(r.officers[i].id);
    o[U("name")] = Str(r.officers[i].name);
    o[U("organisation")] = Str(r.officers[i].organisation);
    o[U("role")] = Str(r.officers[i].role);
    officers[i] = o;
  }
  v[U("officers")] = officers;
  v[U("mac")] = Str(Base64UrlEncode(r.mac));
  return v;
}

Result<SyncRecord> RecordFromJson(const value& v, size_t index) {
  const std::string code = "invalidSyncFile";
  const std::string where = "persons[" + std::to_string(index) + "]";
  ObjectReader r(v, code, where);
  TILLIT_TRY(r.Only({"leaseId", "serial", "identifier", "givenName", "surname", "originalName",
                     "birthDate", "nationality", "samordningsnummer", "caseNumber", "personnummer",
                     "assuranceLevel", "createdAt", "createdBy", "documents", "enrolment",
                     "officers", "mac"}));
  SyncRecord out;
  st::PersonRow& p = out.person;
  TILLIT_TRY_ASSIGN(out.lease_id, r.String("leaseId"));
  TILLIT_TRY_ASSIGN(p.serial, r.Serial("serial"));
  TILLIT_TRY_ASSIGN(p.identifier, r.String("identifier"));
  TILLIT_TRY_ASSIGN(p.given_name, r.String("givenName"));
  TILLIT_TRY_ASSIGN(p.surname, r.String("surname"));
  TILLIT_TRY_ASSIGN(p.original_name, r.OptString("originalName"));
  TILLIT_TRY_ASSIGN(p.birth_date, r.String("birthDate"));
  TILLIT_TRY_ASSIGN(p.nationality, r.String("nationality"));
  TILLIT_TRY_ASSIGN(p.samordningsnummer, r.OptString("samordningsnummer"));
  TILLIT_TRY_ASSIGN(p.case_number, r.OptString("caseNumber"));
  TILLIT_TRY_ASSIGN(p.personnummer, r.OptString("personnummer"));
  TILLIT_TRY_ASSIGN(const int64_t level, r.Int("assuranceLevel"));
  if (level < 1 || level > 3) return r.Bad("assuranceLevel must be 1..3");
  p.assurance_level = static_cast<int>(level);
  TILLIT_TRY_ASSIGN(p.created_at, r.Int("createdAt"));
  TILLIT_TRY_ASSIGN(p.created_by, r.String("createdBy"));
  TILLIT_TRY_ASSIGN(const auto* documents, r.Array("documents"));
  for (size_t i = 0; i < documents->size(); ++i) {
    ObjectReader d(documents->at(i), code, where + ".documents[" + std::to_string(i) + "]");
    TILLIT_TRY(d.Only({"type", "number", "country"}));
    st::DocumentRow row;
    TILLIT_TRY_ASSIGN(row.type, d.String("type"));
    TILLIT_TRY_ASSIGN(row.number_norm, d.String("number"));
    TILLIT_TRY_ASSIGN(row.country, d.String("country"));
    p.documents.push_back(std::move(row));
  }
  TILLIT_TRY_ASSIGN(const value* enrolment_value, r.Get("enrolment"));
  ObjectReader e(*enrolment_value, code, where + ".enrolment");
  TILLIT_TRY(e.Only({"id", "createdBy", "createdAt", "approvedBy", "approvedAt", "request"}));
  TILLIT_TRY_ASSIGN(p.enrolment_id, e.String("id"));
  TILLIT_TRY_ASSIGN(out.enrolment_created_by, e.String("createdBy"));
  TILLIT_TRY_ASSIGN(out.enrolment_created_at, e.Int("createdAt"));
  TILLIT_TRY_ASSIGN(out.approved_by, e.OptString("approvedBy"));
  TILLIT_TRY_ASSIGN(out.approved_at, e.OptInt("approvedAt"));
  TILLIT_TRY_ASSIGN(out.request_json, e.String("request"));
  TILLIT_TRY_ASSIGN(const auto* officers, r.Array("officers"));
  for (size_t i = 0; i < officers->size(); ++i) {
    ObjectReader o(officers->at(i), code, where + ".officers[" + std::to_string(i) + "]");
    TILLIT_TRY(o.Only({"id", "name", "organisation", "role"}));
    SyncOfficer officer;
    TILLIT_TRY_ASSIGN(officer.id, o.String("id"));
    TILLIT_TRY_ASSIGN(officer.name, o.String("name"));
    TILLIT_TRY_ASSIGN(officer.organisation, o.String("organisation"));
    TILLIT_TRY_ASSIGN(officer.role, o.String("role"));
    out.officers.push_back(std::move(officer));
  }
  TILLIT_TRY_ASSIGN(const auto mac_text, r.String("mac"));
  auto mac = Base64UrlDecode(mac_text);
  if (!mac.ok()) return r.Bad("mac must be base64url");
  out.mac = std::move(*mac);
  return out;
}

// Checks what the MAC cannot: that the record is internally consistent enough to insert.
Status CheckRecordShape(const SyncRecord& r, size_t index) {
  auto bad = [&](const std::string& what) {
    return MakeError("invalidSyncFile", "persons[" + std::to_string(index) + "]: " + what);
  };
  auto parsed = identifier::Identifier::Parse(r.person.identifier);
  if (!parsed.ok() || parsed->ToString() != r.person.identifier) {
    return bad("identifier is not a canonical identifier");
  }
  std::set<std::string> officer_ids;
  for (const auto& o : r.officers) {
    if (o.role != "officer" && o.role != "supervisor") return bad("unknown officer role");
    officer_ids.insert(o.id);
  }
  if (!officer_ids.count(r.person.created_by) || !officer_ids.count(r.enrolment_created_by) ||
      (r.approved_by && !officer_ids.count(*r.approved_by))) {
    return bad("an officer of the record is not listed");
  }
  if (r.approved_by.has_value() != r.approved_at.has_value()) {
    return bad("approvedBy and approvedAt go together");
  }
  if (!internal::DecodeRequest(r.request_json).ok()) return bad("unreadable enrolment request");
  return {};
}

}  // namespace

Result<AllocatedIdentifier> AllocateIdentifier(st::Store& store, Transaction& tx,
                                               const identifier::IdentifierScheme& scheme,
                                               int64_t now) {
  TILLIT_TRY_ASSIGN(const bool offline_desk, store.leases().HasDeskLeases(tx));
  if (offline_desk) {
    TILLIT_TRY_ASSIGN(auto leased, store.leases().TakeNextLeased(tx, now));
    if (!leased) {
      return MakeError("leaseExhausted",
                       "every leased identifier is used; load a new lease from the centre");
    }
    auto id = identifier::Identifier::Parse(leased->identifier);
    if (!id.ok()) return MakeError("internalError", "a stored leased identifier is invalid");
    return AllocatedIdentifier{.serial = leased->serial, .identifier = std::move(*id)};
  }
  TILLIT_TRY_ASSIGN(auto serial, store.counters().Allocate(tx, st::kIdentifierSerialCounter));
  TILLIT_TRY_ASSIGN(auto id, scheme.FromSerial(serial));
  return AllocatedIdentifier{.serial = serial, .identifier = std::move(id)};
}

Result<LeaseFile> LeaseService::LeaseBlock(std::string_view desk, int64_t size) {
  if (!ValidDeskName(desk)) {
    return MakeError("invalidParameters",
                     "desk: 1..64 of A-Z a-z 0-9 . _ -, starting with a letter or digit");
  }
  if (size < 1 || size > kMaxLeaseSize) {
    return MakeError("invalidParameters", "size: must be 1.." + std::to_string(kMaxLeaseSize));
  }
  const int64_t now = clock_.NowUnixSeconds();
  LeaseContent content{.lease_id = std::string(kLeaseIdPrefix) + HexEncode(crypto::RandomBytes(8)),
                       .desk = std::string(desk),
                       .deployment = Fingerprint(keys_.ca_certificate_der()),
                       .first_serial = 0,
                       .size = static_cast<uint64_t>(size),
                       .created_at = now,
                       .identifiers = {},
                       .sync_key = crypto::RandomBytes(kSyncKeySize)};
  std::optional<crypto::Signature> signature;
  TILLIT_TRY(store_.Write(Durability::kDurable, [&](Transaction& tx) -> Status {
    // A desk's own counter and key would make identifiers of another permutation, which
    // could collide with the centre's: only the centre leases.
    TILLIT_TRY_ASSIGN(const bool offline_desk, store_.leases().HasDeskLeases(tx));
    if (offline_desk) {
      return MakeError("offlineDesk",
                       "this data directory is an offline desk; only the centre leases");
    }
    // The counter moves past the whole block in this transaction, before the lease exists
    // anywhere else: no central issuance and no other lease can ever take these serials.
    TILLIT_TRY_ASSIGN(content.first_serial,
                      store_.counters().Allocate(tx, st::kIdentifierSerialCounter, content.size));
    TILLIT_TRY_ASSIGN(auto block,
                      identifier::SerialBlock::Create(content.first_serial, content.size));
    // The whole block in one FromSerials call: the batch path, about twice as fast as
    // one FromSerial per serial, shortens this write transaction (docs/performance.md §7).
    std::vector<uint64_t> serials(block.count());
    std::iota(serials.begin(), serials.end(), block.first());
    TILLIT_TRY_ASSIGN(auto ids, keys_.scheme().FromSerials(serials));
    content.identifiers.clear();
    content.identifiers.reserve(ids.size());
    for (const auto& id : ids) content.identifiers.push_back(id.ToString());
    TILLIT_TRY(store_.leases().InsertLease(tx, {.id = content.lease_id,
                                                .desk = content.desk,
                                                .first_serial = content.first_serial,
                                                .size = content.size,
                                                .created_at = now,
                                                .sync_key = content.sync_key}));
    // Signed before the commit: if the CA key cannot sign (a token that is unreachable),
    // no serials are consumed.
    TILLIT_TRY_ASSIGN(signature, keys_.ca_signer().Sign(LeaseSignedMessage(content)));
    return internal::AppendAudit(
        store_, tx, now, std::string(kAdminActor), "serialBlockLeased", content.lease_id,
        internal::AuditDetail(
            {{"desk", content.desk}, {"firstSerial", std::to_string(content.first_serial)}},
            {{"size", size}}));
  }));

  value root = value::object(/*keep_order=*/true);
  root[U("format")] = Str(kLeaseFormat);
  root[U("leaseId")] = Str(content.lease_id);
  root[U("desk")] = Str(content.desk);
  root[U("deployment")] = Str(content.deployment);
  root[U("firstSerial")] = SerialText(content.first_serial);
  root[U("size")] = value::number(size);
  root[U("createdAt")] = value::number(now);
  value identifiers = value::array(content.identifiers.size());
  for (size_t i = 0; i < content.identifiers.size(); ++i)
    identifiers[i] = Str(content.identifiers[i]);
  root[U("identifiers")] = identifiers;
  root[U("syncKey")] = Str(Base64UrlEncode(content.sync_key));
  root[U("caCertificate")] = Str(Base64Encode(keys_.ca_certificate_der()));
  root[U("signature")] = Str(Base64UrlEncode(signature->bytes()));
  return LeaseFile{.lease_id = content.lease_id,
                   .desk = content.desk,
                   .first_serial = content.first_serial,
                   .size = content.size,
                   .created_at = now,
                   .text = Utf8(root.serialize()) + "\n"};
}

Result<LeaseService::Leases> LeaseService::ListLeases() {
  return store_.Read([&](ReadTransaction& tx) -> Result<Leases> {
    Leases out;
    TILLIT_TRY_ASSIGN(auto leased, store_.leases().ListLeases(tx));
    for (const auto& s : leased) {
      out.leased.push_back({.lease_id = s.lease.id,
                            .desk = s.lease.desk,
                            .first_serial = s.lease.first_serial,
                            .size = s.lease.size,
                            .created_at = s.lease.created_at,
                            .count = s.imported});
    }
    TILLIT_TRY_ASSIGN(auto loaded, store_.leases().ListDeskLeases(tx));
    for (const auto& s : loaded) {
      out.loaded.push_back({.lease_id = s.lease.id,
                            .desk = s.lease.desk,
                            .first_serial = s.lease.first_serial,
                            .size = s.lease.size,
                            .created_at = s.lease.created_at,
                            .count = s.used});
    }
    return out;
  });
}

Result<LoadedLease> LeaseService::LoadLease(std::string_view file_text,
                                            const std::optional<Bytes>& central_ca_der) {
  const std::string code = "invalidLeaseFile";
  const int64_t now = clock_.NowUnixSeconds();

  // 1. Format.
  TILLIT_TRY_ASSIGN(const value root, ParseJson(file_text, code));
  ObjectReader r(root, code, "lease file");
  TILLIT_TRY(r.Only({"format", "leaseId", "desk", "deployment", "firstSerial", "size", "createdAt",
                     "identifiers", "syncKey", "caCertificate", "signature"}));
  TILLIT_TRY_ASSIGN(const auto format, r.String("format"));
  if (format != kLeaseFormat) return r.Bad("unknown format");
  LeaseContent c;
  TILLIT_TRY_ASSIGN(c.lease_id, r.String("leaseId"));
  TILLIT_TRY_ASSIGN(c.desk, r.String("desk"));
  TILLIT_TRY_ASSIGN(c.deployment, r.String("deployment"));
  TILLIT_TRY_ASSIGN(c.first_serial, r.Serial("firstSerial"));
  TILLIT_TRY_ASSIGN(const int64_t size, r.Int("size"));
  TILLIT_TRY_ASSIGN(c.created_at, r.Int("createdAt"));
  TILLIT_TRY_ASSIGN(const auto* identifiers, r.Array("identifiers"));
  if (size < 1 || size > kMaxLeaseSize || identifiers->size() != static_cast<size_t>(size)) {
    return r.Bad("size must be 1.." + std::to_string(kMaxLeaseSize) +
                 " and equal the number of identifiers");
  }
  c.size = static_cast<uint64_t>(size);
  for (size_t i = 0; i < identifiers->size(); ++i) {
    const value& id = identifiers->at(i);
    if (!id.is_string()) return r.Bad("identifiers must be strings");
    c.identifiers.push_back(Utf8(id.as_string()));
  }
  TILLIT_TRY_ASSIGN(const auto sync_key_text, r.String("syncKey"));
  auto sync_key = Base64UrlDecode(sync_key_text);
  if (!sync_key.ok() || sync_key->size() != kSyncKeySize) return r.Bad("syncKey must be 32 bytes");
  c.sync_key = std::move(*sync_key);
  TILLIT_TRY_ASSIGN(const auto ca_text, r.String("caCertificate"));
  auto ca_der = Base64Decode(ca_text);
  if (!ca_der.ok()) return r.Bad("caCertificate must be base64 DER");
  TILLIT_TRY_ASSIGN(const auto signature_text, r.String("signature"));
  auto signature_bytes = Base64UrlDecode(signature_text);
  if (!signature_bytes.ok()) return r.Bad("signature must be base64url");
  auto signature = crypto::Signature::Parse(*signature_bytes);
  if (!signature.ok()) return r.Bad("signature must be 64 bytes");

  // 2. The CA: a valid Tillit CA certificate, the one the lease names, and the one this
  // desk trusts (given now, or pinned by the first lease).
  auto ca = credential::VerifyCaCertificate(*ca_der, now);
  if (!ca.ok()) return r.Bad("caCertificate: " + ca.error().code);
  const std::string deployment = Fingerprint(*ca_der);
  if (c.deployment != deployment) return r.Bad("deployment is not the CA's fingerprint");
  if (central_ca_der && Fingerprint(*central_ca_der) != deployment) {
    return MakeError("otherDeployment",
                     "the lease was signed by another CA than the central CA given");
  }
  TILLIT_TRY_ASSIGN(auto loaded, store_.Read([&](ReadTransaction& tx) {
    return store_.leases().ListDeskLeases(tx);
  }));
  if (!loaded.empty() && loaded.front().lease.deployment != deployment) {
    return MakeError("otherDeployment",
                     "the lease comes from another central issuer than this desk's leases");
  }
  if (loaded.empty() && !central_ca_der) {
    return MakeError("centralCaRequired",
                     "the first lease of a desk needs the central CA certificate (--central-ca)");
  }

  // 3. The signature.
  if (!ca->ca_key().Verify(LeaseSignedMessage(c), *signature).ok()) {
    return r.Bad("the signature does not verify under the CA");
  }

  // 4. Contents (signed, so only a broken centre could get these wrong).
  if (!ValidLeaseId(c.lease_id)) return r.Bad("leaseId is malformed");
  if (!ValidDeskName(c.desk)) return r.Bad("desk is malformed");
  if (!identifier::SerialBlock::Create(c.first_serial, c.size).ok()) {
    return r.Bad("the serial range is outside the identifier domain");
  }
  std::vector<st::LeasedIdentifierRow> rows;
  rows.reserve(c.size);
  std::set<std::string> distinct;
  for (size_t i = 0; i < c.identifiers.size(); ++i) {
    auto id = identifier::Identifier::Parse(c.identifiers[i]);
    if (!id.ok() || id->ToString() != c.identifiers[i] ||
        !distinct.insert(c.identifiers[i]).second) {
      return r.Bad("identifiers[" + std::to_string(i) + "] is not a distinct canonical identifier");
    }
    rows.push_back({.serial = c.first_serial + i,
                    .identifier = c.identifiers[i],
                    .lease_id = c.lease_id,
                    .used_at = std::nullopt});
  }

  // 5. This desk's state, and the write, in one durable transaction.
  return store_.Write(Durability::kDurable, [&](Transaction& tx) -> Result<LoadedLease> {
    TILLIT_TRY_ASSIGN(auto existing, store_.leases().FindDeskLease(tx, c.lease_id));
    if (existing) return MakeError("leaseAlreadyLoaded", "this lease was loaded before");
    TILLIT_TRY_ASSIGN(auto desk_leases, store_.leases().ListDeskLeases(tx));
    if (!desk_leases.empty()) {
      if (desk_leases.front().lease.deployment != deployment) {
        return MakeError("otherDeployment",
                         "the lease comes from another central issuer than this desk's leases");
      }
      if (desk_leases.front().lease.desk != c.desk) {
        return MakeError("wrongDesk", "the lease is for desk " + c.desk + ", this desk is " +
                                          desk_leases.front().lease.desk);
      }
    }
    TILLIT_TRY_ASSIGN(const uint64_t own, store_.counters().Peek(tx, st::kIdentifierSerialCounter));
    if (own != 0) {
      return MakeError("deskHasOwnIdentifiers",
                       "this data directory issued identifiers from its own counter; an offline "
                       "desk needs one that never did");
    }
    for (const auto& row : rows) {
      TILLIT_TRY_ASSIGN(const bool leased,
                        store_.leases().LeasedIdentifierExists(tx, row.serial, row.identifier));
      auto person = store_.persons().Get(tx, row.identifier);
      if (!person.ok() && person.error().code != "notFound") return std::move(person).error();
      if (leased || person.ok()) {
        return MakeError("identifiersPresent", "the lease's identifiers are already in this desk");
      }
    }
    TILLIT_TRY(store_.leases().InsertDeskLease(tx,
                                               {.id = c.lease_id,
                                                .desk = c.desk,
                                                .deployment = deployment,
                                                .first_serial = c.first_serial,
                                                .size = c.size,
                                                .created_at = c.created_at,
                                                .loaded_at = now,
                                                .sync_key = c.sync_key},
                                               rows));
    TILLIT_TRY(internal::AppendAudit(
        store_, tx, now, std::string(kAdminActor), "serialLeaseLoaded", c.lease_id,
        internal::AuditDetail({{"desk", c.desk}, {"firstSerial", std::to_string(c.first_serial)}},
                              {{"size", size}})));
    TILLIT_TRY_ASSIGN(auto after, store_.leases().ListDeskLeases(tx));
    uint64_t available = 0;
    for (const auto& s : after) available += s.lease.size - s.used;
    return LoadedLease{.lease_id = c.lease_id,
                       .desk = c.desk,
                       .first_serial = c.first_serial,
                       .size = c.size,
                       .available = available};
  });
}

Result<SyncExport> LeaseService::ExportSync() {
  const int64_t now = clock_.NowUnixSeconds();
  TILLIT_TRY_ASSIGN(
      auto records,
      store_.Read([&](ReadTransaction& tx)
                      -> Result<std::pair<std::vector<SyncRecord>, st::DeskLeaseRow>> {
        TILLIT_TRY_ASSIGN(auto leases, store_.leases().ListDeskLeases(tx));
        if (leases.empty()) return MakeError("notFound", "this data directory has loaded no lease");
        std::map<std::string, st::DeskLeaseRow> by_id;
        for (const auto& s : leases) by_id[s.lease.id] = s.lease;
        TILLIT_TRY_ASSIGN(auto used, store_.leases().ListUsedLeased(tx));
        std::vector<SyncRecord> out;
        for (const auto& u : used) {
          SyncRecord record;
          record.lease_id = u.lease_id;
          TILLIT_TRY_ASSIGN(record.person, store_.persons().Get(tx, u.identifier));
          if (record.person.serial != u.serial) {
            return MakeError("internalError", "a leased identifier's person has another serial");
          }
          TILLIT_TRY_ASSIGN(auto enrolment,
                            store_.enrolments().Get(tx, record.person.enrolment_id));
          record.enrolment_created_by = enrolment.created_by;
          record.enrolment_created_at = enrolment.created_at;
          record.approved_by = enrolment.approved_by;
          record.approved_at = enrolment.approved_at;
          record.request_json = enrolment.request_json;
          std::vector<std::string> ids{record.person.created_by, enrolment.created_by};
          if (enrolment.approved_by) ids.push_back(*enrolment.approved_by);
          std::set<std::string> seen;
          for (const auto& id : ids) {
            if (!seen.insert(id).second) continue;
            TILLIT_TRY_ASSIGN(auto officer, store_.officers().FindById(tx, id));
            if (!officer) return MakeError("internalError", "an officer of a person is missing");
            record.officers.push_back({.id = officer->id,
                                       .name = officer->name,
                                       .organisation = officer->organisation,
                                       .role = std::string(st::OfficerRoleName(officer->role))});
          }
          const st::DeskLeaseRow& lease = by_id.at(u.lease_id);
          record.mac.clear();
          const auto digest = crypto::HmacSha256(
              lease.sync_key, SyncRecordMessage(lease.deployment, lease.desk, record));
          record.mac.assign(digest.begin(), digest.end());
          out.push_back(std::move(record));
        }
        return std::make_pair(std::move(out), leases.front().lease);
      }));
  const st::DeskLeaseRow& lease = records.second;
  value persons = value::array(records.first.size());
  for (size_t i = 0; i < records.first.size(); ++i) persons[i] = RecordToJson(records.first[i]);
  value root = value::object(/*keep_order=*/true);
  root[U("format")] = Str(kSyncFormat);
  root[U("deployment")] = Str(lease.deployment);
  root[U("desk")] = Str(lease.desk);
  root[U("exportedAt")] = value::number(now);
  root[U("persons")] = persons;
  return SyncExport{
      .desk = lease.desk, .persons = records.first.size(), .text = Utf8(root.serialize()) + "\n"};
}

Result<SyncImportSummary> LeaseService::ImportSync(std::string_view file_text) {
  const std::string code = "invalidSyncFile";
  const int64_t now = clock_.NowUnixSeconds();

  // 1. Format and deployment.
  TILLIT_TRY_ASSIGN(const value root, ParseJson(file_text, code));
  ObjectReader r(root, code, "sync file");
  TILLIT_TRY(r.Only({"format", "deployment", "desk", "exportedAt", "persons"}));
  TILLIT_TRY_ASSIGN(const auto format, r.String("format"));
  if (format != kSyncFormat) return r.Bad("unknown format");
  TILLIT_TRY_ASSIGN(const auto deployment, r.String("deployment"));
  if (deployment != Fingerprint(keys_.ca_certificate_der())) {
    return MakeError("otherDeployment", "the sync file was made for another central issuer");
  }
  TILLIT_TRY_ASSIGN(const auto desk, r.String("desk"));
  if (!ValidDeskName(desk)) return r.Bad("desk is malformed");
  TILLIT_TRY_ASSIGN(const int64_t exported_at, r.Int("exportedAt"));
  (void)exported_at;
  TILLIT_TRY_ASSIGN(const auto* persons, r.Array("persons"));
  if (persons->size() > kMaxSyncRecords) return r.Bad("too many persons");
  std::vector<SyncRecord> records;
  records.reserve(persons->size());
  for (size_t i = 0; i < persons->size(); ++i) {
    TILLIT_TRY_ASSIGN(auto record, RecordFromJson(persons->at(i), i));
    records.push_back(std::move(record));
  }

  // 2. Every record authenticated before anything is written: the lease exists and is
  // this desk's, the serial is in it, the identifier is the serial's, the MAC verifies.
  TILLIT_TRY(store_.Read([&](ReadTransaction& tx) -> Status {
    std::map<std::string, st::LeaseRow> leases;
    for (size_t i = 0; i < records.size(); ++i) {
      const SyncRecord& record = records[i];
      const std::string where = "persons[" + std::to_string(i) + "]: ";
      auto known = leases.find(record.lease_id);
      if (known == leases.end()) {
        TILLIT_TRY_ASSIGN(auto lease, store_.leases().FindLease(tx, record.lease_id));
        if (!lease) return MakeError("unknownLease", where + "no such lease was made here");
        known = leases.emplace(record.lease_id, std::move(*lease)).first;
      }
      const st::LeaseRow& lease = known->second;
      if (lease.desk != desk) {
        return MakeError("wrongDesk", where + "the lease belongs to desk " + lease.desk +
                                          ", the file is from desk " + desk);
      }
      if (record.person.serial < lease.first_serial ||
          record.person.serial - lease.first_serial >= lease.size) {
        return MakeError("serialOutOfLease", where + "the serial is outside its lease");
      }
      TILLIT_TRY_ASSIGN(auto id, keys_.scheme().FromSerial(record.person.serial));
      if (id.ToString() != record.person.identifier) {
        return MakeError(code, where + "the identifier does not belong to the serial");
      }
      if (!crypto::VerifyHmacSha256(lease.sync_key, SyncRecordMessage(deployment, desk, record),
                                    record.mac)
               .ok()) {
        return MakeError(code, where + "the MAC does not verify (tampered)");
      }
      TILLIT_TRY(CheckRecordShape(record, i));
    }
    return {};
  }));

  // 3. Import, in one durable transaction. Conflicts are looked up before each insert
  // (a failed statement would doom the whole transaction, docs/storage.md §4).
  return store_.Write(Durability::kDurable, [&](Transaction& tx) -> Result<SyncImportSummary> {
    SyncImportSummary summary{.desk = desk, .records = records.size()};
    auto conflict = [&](const SyncRecord& record, std::string reason, std::string existing) {
      summary.conflicts.push_back({.identifier = record.person.identifier,
                                   .reason = std::move(reason),
                                   .existing_identifier = std::move(existing)});
    };
    for (const SyncRecord& record : records) {
      const st::PersonRow& p = record.person;
      TILLIT_TRY_ASSIGN(auto imported_from, store_.leases().FindImport(tx, p.identifier));
      if (imported_from) {
        if (*imported_from == record.lease_id) {
          ++summary.already_imported;
        } else {
          conflict(record, "identifier", p.identifier);
        }
        continue;
      }
      auto same_id = store_.persons().Get(tx, p.identifier);
      if (same_id.ok()) {
        conflict(record, "identifier", p.identifier);
        continue;
      }
      if (same_id.error().code != "notFound") return std::move(same_id).error();
      std::optional<std::pair<std::string, std::string>> hard;
      for (const auto& document : p.documents) {
        TILLIT_TRY_ASSIGN(auto holder, store_.persons().FindByDocument(tx, document));
        if (holder) {
          hard = {"document", holder->identifier};
          break;
        }
      }
      if (!hard && p.samordningsnummer) {
        TILLIT_TRY_ASSIGN(auto holder,
                          store_.persons().FindBySamordningsnummer(tx, *p.samordningsnummer));
        if (holder) hard = {"samordningsnummer", holder->identifier};
      }
      if (!hard && p.case_number) {
        TILLIT_TRY_ASSIGN(auto holder, store_.persons().FindByCaseNumber(tx, *p.case_number));
        if (holder) hard = {"caseNumber", holder->identifier};
      }
      if (!hard && p.personnummer) {
        TILLIT_TRY_ASSIGN(auto holder, store_.persons().FindByPersonnummer(tx, *p.personnummer));
        if (holder) hard = {"personnummer", holder->identifier};
      }
      if (hard) {
        conflict(record, hard->first, hard->second);
        continue;
      }
      auto same_enrolment = store_.enrolments().Get(tx, p.enrolment_id);
      if (same_enrolment.ok()) {
        conflict(record, "enrolment", "");
        continue;
      }
      if (same_enrolment.error().code != "notFound") return std::move(same_enrolment).error();

      // Officers of the desk become inactive central accounts (revoked at import, with a
      // random token hash nobody knows a token for), so authorship stays on record.
      for (const auto& officer : record.officers) {
        TILLIT_TRY_ASSIGN(auto known, store_.officers().FindById(tx, officer.id));
        if (known) continue;
        TILLIT_TRY(store_.officers().Insert(
            tx, {.id = officer.id,
                 .name = officer.name,
                 .organisation = officer.organisation,
                 .role = officer.role == "supervisor" ? st::OfficerRole::kSupervisor
                                                      : st::OfficerRole::kOfficer,
                 .token_hash = crypto::RandomBytes(32),
                 .created_at = now,
                 .revoked_at = now}));
      }
      TILLIT_TRY(store_.enrolments().Insert(tx, {.id = p.enrolment_id,
                                                 .status = "issued",
                                                 .created_by = record.enrolment_created_by,
                                                 .created_at = record.enrolment_created_at,
                                                 .request_json = record.request_json,
                                                 .assurance_level = p.assurance_level,
                                                 .approved_by = record.approved_by,
                                                 .approved_at = record.approved_at,
                                                 .updated_at = p.created_at}));
      st::PersonRow person = p;
      person.name_keys = enrolment::NameKeys(person.given_name, person.surname);
      TILLIT_TRY(store_.persons().Insert(tx, person));
      // The circular reference: the enrolment names its person once the person exists.
      TILLIT_TRY(store_.enrolments().UpdateStatus(
          tx, p.enrolment_id,
          {.from = "issued", .to = "issued", .at = p.created_at, .identifier = p.identifier}));
      TILLIT_TRY(store_.leases().RecordImport(tx, p.identifier, record.lease_id, now));
      TILLIT_TRY(internal::AppendAudit(
          store_, tx, now, std::string(kAdminActor), "identifierImported", p.enrolment_id,
          internal::AuditDetail(
              {{"identifier", p.identifier}, {"leaseId", record.lease_id}, {"desk", desk}})));
      ++summary.imported;
    }
    TILLIT_TRY(internal::AppendAudit(
        store_, tx, now, std::string(kAdminActor), "syncImported", desk,
        internal::AuditDetail({},
                              {{"records", static_cast<int64_t>(summary.records)},
                               {"imported", static_cast<int64_t>(summary.imported)},
                               {"alreadyImported", static_cast<int64_t>(summary.already_imported)},
                               {"conflicts", static_cast<int64_t>(summary.conflicts.size())}})));
    return summary;
  });
}

}  // namespace tillit::service
