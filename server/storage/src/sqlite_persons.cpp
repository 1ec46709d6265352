// SQLite persons, their documents and name keys (see tillit/storage/persons.h).
#include <limits>
#include <set>

#include "repository_util.h"
#include "search_text.h"
#include "sqlite_repositories.h"
#include "sqlite_transaction.h"

namespace tillit::server::storage::sqlite {
namespace {

#define TILLIT_PERSON_COLUMNS                                                         \
  "identifier, serial, given_name, surname, original_name, birth_date, nationality, " \
  "samordningsnummer, case_number, personnummer, assurance_level, enrolment_id, "     \
  "created_at, created_by, revoked_at"
#define TILLIT_PERSON_COLUMNS_P                                                            \
  "p.identifier, p.serial, p.given_name, p.surname, p.original_name, p.birth_date, "       \
  "p.nationality, p.samordningsnummer, p.case_number, p.personnummer, p.assurance_level, " \
  "p.enrolment_id, p.created_at, p.created_by, p.revoked_at"

// Words of a search text that take part in the name match; more are ignored (so the
// number of distinct statement texts, and so the statement cache, stays bounded).
constexpr size_t kMaxSearchWords = 8;
// An identifier prefix shorter than this would match too many people to be useful.
constexpr size_t kMinIdentifierPrefix = 4;

Result<PersonRow> ReadPerson(const Statement& statement) {
  Columns columns(statement);
  PersonRow row;
  row.identifier = columns.Text();
  row.serial = static_cast<uint64_t>(columns.Int64());
  row.given_name = columns.Text();
  row.surname = columns.Text();
  row.original_name = columns.OptionalText();
  row.birth_date = columns.Text();
  row.nationality = columns.Text();
  row.samordningsnummer = columns.OptionalText();
  row.case_number = columns.OptionalText();
  row.personnummer = columns.OptionalText();
  row.assurance_level = static_cast<int>(columns.Int64());
  row.enrolment_id = columns.Text();
  row.created_at = columns.Int64();
  row.created_by = columns.Text();
  row.revoked_at = columns.OptionalInt64();
  return row;
}

// What the name search matches against: the folded names, space separated.
std::string SearchText(const PersonRow& person) {
  std::string text = FoldCase(person.given_name);
  text += ' ';
  text += FoldCase(person.surname);
  if (person.original_name) {
    text += ' ';
    text += FoldCase(*person.original_name);
  }
  return text;
}

Status InsertDocument(Connection& db, std::string_view identifier, const DocumentRow& document) {
  TILLIT_TRY_ASSIGN(
      auto insert,
      db.Prepare("INSERT INTO person_documents (type, number_norm, country, identifier)"
                 " VALUES (?1, ?2, ?3, ?4)"));
  insert.BindText(1, document.type);
  insert.BindText(2, document.number_norm);
  insert.BindText(3, document.country);
  insert.BindText(4, identifier);
  TILLIT_TRY(insert.Run());
  return {};
}

// Fills in documents and name keys of a person read from `persons`.
Status LoadDetails(Connection& db, PersonRow& person) {
  {
    TILLIT_TRY_ASSIGN(
        auto select,
        db.Prepare("SELECT type, number_norm, country FROM person_documents WHERE identifier = ?1"
                   " ORDER BY type, country, number_norm"));
    select.BindText(1, person.identifier);
    TILLIT_TRY_ASSIGN(person.documents,
                      FetchAll<DocumentRow>(select, [](const Statement& s) -> Result<DocumentRow> {
                        Columns columns(s);
                        DocumentRow document;
                        document.type = columns.Text();
                        document.number_norm = columns.Text();
                        document.country = columns.Text();
                        return document;
                      }));
  }
  TILLIT_TRY_ASSIGN(
      auto select,
      db.Prepare("SELECT name_key FROM person_name_keys WHERE identifier = ?1 ORDER BY name_key"));
  select.BindText(1, person.identifier);
  TILLIT_TRY_ASSIGN(person.name_keys,
                    FetchAll<std::string>(select, [](const Statement& s) -> Result<std::string> {
                      return s.ColumnText(0);
                    }));
  return {};
}

// Runs a prepared SELECT of person columns and loads the details of each person found.
Result<std::vector<PersonRow>> FetchPersons(Connection& db, Statement& select) {
  TILLIT_TRY_ASSIGN(auto persons, FetchAll<PersonRow>(select, ReadPerson));
  for (PersonRow& person : persons) TILLIT_TRY(LoadDetails(db, person));
  return persons;
}

// The person found by `sql` (person columns, one parameter ?1 bound to `key`), if any.
Result<std::optional<PersonRow>> FindOne(Connection& db, std::string_view sql,
                                         std::string_view key) {
  std::optional<PersonRow> person;
  {
    TILLIT_TRY_ASSIGN(auto select, db.Prepare(sql));
    select.BindText(1, key);
    TILLIT_TRY_ASSIGN(person, FetchOne<PersonRow>(select, ReadPerson));
  }
  if (person) TILLIT_TRY(LoadDetails(db, *person));
  return person;
}

// "?1, ?2, ..., ?n" (placeholders only: the values are bound).
std::string Placeholders(size_t first, size_t count) {
  std::string text;
  for (size_t i = 0; i < count; ++i) {
    if (i != 0) text += ", ";
    text += '?';
    text += std::to_string(first + i);
  }
  return text;
}

}  // namespace

Status SqlitePersonRepository::Insert(Transaction& tx, const PersonRow& person) {
  if (person.serial > static_cast<uint64_t>(std::numeric_limits<int64_t>::max())) {
    return MakeError("invalidParameters", "person: serial out of range");
  }
  Connection& db = ConnectionOf(tx);
  {
    TILLIT_TRY_ASSIGN(
        auto insert,
        db.Prepare("INSERT INTO persons (" TILLIT_PERSON_COLUMNS ", search_text) VALUES"
                   " (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12, ?13, ?14, ?15, ?16)"));
    insert.BindText(1, person.identifier);
    insert.BindInt64(2, static_cast<int64_t>(person.serial));
    insert.BindText(3, person.given_name);
    insert.BindText(4, person.surname);
    insert.BindOptionalText(5, person.original_name);
    insert.BindText(6, person.birth_date);
    insert.BindText(7, person.nationality);
    insert.BindOptionalText(8, person.samordningsnummer);
    insert.BindOptionalText(9, person.case_number);
    insert.BindOptionalText(10, person.personnummer);
    insert.BindInt64(11, person.assurance_level);
    insert.BindText(12, person.enrolment_id);
    insert.BindInt64(13, person.created_at);
    insert.BindText(14, person.created_by);
    insert.BindOptionalInt64(15, person.revoked_at);
    insert.BindText(16, SearchText(person));
    TILLIT_TRY(insert.Run());
  }
  for (const DocumentRow& document : person.documents) {
    TILLIT_TRY(InsertDocument(db, person.identifier, document));
  }
  const std::set<std::string> keys(person.name_keys.begin(), person.name_keys.end());
  for (const std::string& key : keys) {
    TILLIT_TRY_ASSIGN(
        auto insert,
        db.Prepare("INSERT INTO person_name_keys (identifier, name_key) VALUES (?1, ?2)"));
    insert.BindText(1, person.identifier);
    insert.BindText(2, key);
    TILLIT_TRY(insert.Run());
  }
  return {};
}

Result<PersonRow> SqlitePersonRepository::Get(ReadTransaction& tx, std::string_view identifier) {
  TILLIT_TRY_ASSIGN(
      auto person,
      FindOne(ConnectionOf(tx),
              "SELECT " TILLIT_PERSON_COLUMNS " FROM persons WHERE identifier = ?1", identifier));
  if (!person) return NotFound("person");
  return std::move(*person);
}

Result<PersonRow> SqlitePersonRepository::GetWithoutDetails(ReadTransaction& tx,
                                                            std::string_view identifier) {
  TILLIT_TRY_ASSIGN(auto select, ConnectionOf(tx).Prepare("SELECT " TILLIT_PERSON_COLUMNS
                                                          " FROM persons WHERE identifier = ?1"));
  select.BindText(1, identifier);
  TILLIT_TRY_ASSIGN(auto person, FetchOne<PersonRow>(select, ReadPerson));
  if (!person) return NotFound("person");
  return std::move(*person);
}

Result<std::optional<PersonRow>> SqlitePersonRepository::FindByDocument(
    ReadTransaction& tx, const DocumentRow& document) {
  Connection& db = ConnectionOf(tx);
  std::optional<std::string> identifier;
  {
    TILLIT_TRY_ASSIGN(auto select,
                      db.Prepare("SELECT identifier FROM person_documents"
                                 " WHERE type = ?1 AND number_norm = ?2 AND country = ?3"));
    select.BindText(1, document.type);
    select.BindText(2, document.number_norm);
    select.BindText(3, document.country);
    TILLIT_TRY_ASSIGN(const bool row, select.Step());
    if (row) identifier = select.ColumnText(0);
  }
  if (!identifier) return std::optional<PersonRow>();
  return FindOne(db, "SELECT " TILLIT_PERSON_COLUMNS " FROM persons WHERE identifier = ?1",
                 *identifier);
}

Result<std::optional<PersonRow>> SqlitePersonRepository::FindBySamordningsnummer(
    ReadTransaction& tx, std::string_view number) {
  return FindOne(ConnectionOf(tx),
                 "SELECT " TILLIT_PERSON_COLUMNS " FROM persons WHERE samordningsnummer = ?1",
                 number);
}

Result<std::optional<PersonRow>> SqlitePersonRepository::FindByCaseNumber(
    ReadTransaction& tx, std::string_view case_number) {
  return FindOne(ConnectionOf(tx),
                 "SELECT " TILLIT_PERSON_COLUMNS " FROM persons WHERE case_number = ?1",
                 case_number);
}

Result<std::optional<PersonRow>> SqlitePersonRepository::FindByPersonnummer(
    ReadTransaction& tx, std::string_view number) {
  return FindOne(ConnectionOf(tx),
                 "SELECT " TILLIT_PERSON_COLUMNS " FROM persons WHERE personnummer = ?1", number);
}

Result<std::vector<PersonRow>> SqlitePersonRepository::FindCandidatesByNameKeys(
    ReadTransaction& tx, std::span<const std::string> keys, size_t limit) {
  if (keys.size() > kMaxNameKeys) {
    return MakeError("invalidParameters", "name keys: too many keys");
  }
  const std::set<std::string> distinct(keys.begin(), keys.end());
  if (distinct.empty() || limit == 0) return std::vector<PersonRow>();
  Connection& db = ConnectionOf(tx);
  // The IN list has one placeholder per key; only the number of keys shapes the text.
  const std::string sql =
      "SELECT " TILLIT_PERSON_COLUMNS_P
      " FROM persons p JOIN (SELECT identifier, COUNT(*) AS hits FROM person_name_keys"
      " WHERE name_key IN (" +
      Placeholders(2, distinct.size()) +
      ") GROUP BY identifier) k ON k.identifier = p.identifier"
      " ORDER BY k.hits DESC, p.identifier LIMIT ?1";
  TILLIT_TRY_ASSIGN(auto select, db.Prepare(sql));
  select.BindInt64(1, ClampLimit(limit, kMaxResultRows));
  int index = 2;
  for (const std::string& key : distinct) select.BindText(index++, key);
  return FetchPersons(db, select);
}

Result<std::vector<PersonRow>> SqlitePersonRepository::Search(ReadTransaction& tx,
                                                              std::string_view text, size_t limit) {
  const std::string_view trimmed = Trim(text);
  const std::string compact = Compact(trimmed);
  const std::vector<std::string> words = SplitWords(FoldCase(trimmed), kMaxSearchWords);
  if (words.empty() || limit == 0) return std::vector<PersonRow>();

  // Parameters: ?1 limit, ?2 compact text, ?3 identifier prefix pattern (NULL when too
  // short: LIKE NULL matches nothing), ?4 trimmed text, ?5.. one pattern per word.
  std::string sql =
      "SELECT " TILLIT_PERSON_COLUMNS
      " FROM persons WHERE identifier = ?2"
      " OR identifier LIKE ?3 ESCAPE '\\'"
      " OR samordningsnummer = ?2 OR personnummer = ?2 OR case_number = ?4"
      " OR identifier IN (SELECT identifier FROM person_documents WHERE number_norm = ?2)"
      " OR (";
  for (size_t i = 0; i < words.size(); ++i) {
    if (i != 0) sql += " AND ";
    sql += "search_text LIKE ?" + std::to_string(5 + i) + " ESCAPE '\\'";
  }
  sql += ") ORDER BY surname, given_name, identifier LIMIT ?1";

  Connection& db = ConnectionOf(tx);
  TILLIT_TRY_ASSIGN(auto select, db.Prepare(sql));
  select.BindInt64(1, ClampLimit(limit, kMaxResultRows));
  select.BindText(2, compact);
  if (compact.size() >= kMinIdentifierPrefix) {
    select.BindText(3, EscapeLike(compact) + "%");
  } else {
    select.BindNull(3);
  }
  select.BindText(4, trimmed);
  for (size_t i = 0; i < words.size(); ++i) {
    select.BindText(static_cast<int>(5 + i), "%" + EscapeLike(words[i]) + "%");
  }
  return FetchPersons(db, select);
}

Status SqlitePersonRepository::AddDocument(Transaction& tx, std::string_view identifier,
                                           const DocumentRow& document) {
  Connection& db = ConnectionOf(tx);
  TILLIT_TRY_ASSIGN(const bool exists,
                    RowExists(db, "SELECT 1 FROM persons WHERE identifier = ?1", identifier));
  if (!exists) return NotFound("person");
  return InsertDocument(db, identifier, document);
}

Status SqlitePersonRepository::LinkPersonnummer(Transaction& tx, std::string_view identifier,
                                                std::string_view personnummer) {
  Connection& db = ConnectionOf(tx);
  TILLIT_TRY_ASSIGN(
      auto update,
      db.Prepare("UPDATE persons SET personnummer = ?2"
                 " WHERE identifier = ?1 AND (personnummer IS NULL OR personnummer = ?2)"));
  update.BindText(1, identifier);
  update.BindText(2, personnummer);
  TILLIT_TRY_ASSIGN(const int64_t changed, update.Run());
  if (changed == 1) return {};
  TILLIT_TRY_ASSIGN(const bool exists,
                    RowExists(db, "SELECT 1 FROM persons WHERE identifier = ?1", identifier));
  if (!exists) return NotFound("person");
  return MakeError("conflict", "person already has a different personnummer");
}

Status SqlitePersonRepository::SetAssuranceLevel(Transaction& tx, std::string_view identifier,
                                                 int level) {
  TILLIT_TRY_ASSIGN(auto update, ConnectionOf(tx).Prepare(
                                     "UPDATE persons SET assurance_level = ?2 WHERE identifier = ?1"));
  update.BindText(1, identifier);
  update.BindInt64(2, level);
  TILLIT_TRY_ASSIGN(const int64_t changed, update.Run());
  if (changed == 1) return {};
  return NotFound("person");
}

Status SqlitePersonRepository::MarkRevoked(Transaction& tx, std::string_view identifier,
                                           int64_t at) {
  TILLIT_TRY_ASSIGN(auto update,
                    ConnectionOf(tx).Prepare("UPDATE persons SET revoked_at = COALESCE(revoked_at, ?2)"
                                             " WHERE identifier = ?1"));
  update.BindText(1, identifier);
  update.BindInt64(2, at);
  TILLIT_TRY_ASSIGN(const int64_t changed, update.Run());
  if (changed == 1) return {};
  return NotFound("person");
}

}  // namespace tillit::server::storage::sqlite
