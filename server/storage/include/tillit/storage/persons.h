// Persons who hold an identifier, with the indexes the duplicate search needs: their
// documents (a hard match), their Swedish numbers (hard matches, UNIQUE) and the phonetic
// keys of their names (candidates for a possible match, tillit/enrolment/duplicates.h).
//
// The UNIQUE constraints are the last line against a person being issued twice: two
// enrolments of the same passport that were created concurrently (so neither saw the
// other) both pass the duplicate search, but the second issuance fails with "conflict"
// when it inserts the same document, and rolls back as a whole.
//
// Thread safety: as every repository (see tillit/storage/accounts.h).
#pragma once

#include <cstddef>
#include <cstdint>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "tillit/result.h"
#include "tillit/storage/transaction.h"

namespace tillit::server::storage {

// One identity document, as the hard-match index keys it.
struct DocumentRow {
  std::string type{};         // evidence type name, e.g. "passport" (tillit/enrolment/evidence.h)
  std::string number_norm{};  // enrolment::NormaliseDocumentNumber of the printed number
  std::string country{};      // canonical issuing-country code

  friend bool operator==(const DocumentRow&, const DocumentRow&) = default;
};

struct PersonRow {
  std::string identifier{};  // canonical 12-character form
  uint64_t serial = 0;       // the counter value the identifier was made from; unique
  std::string given_name{};
  std::string surname{};
  std::optional<std::string> original_name{};      // in the original script
  std::string birth_date{};                        // "YYYY-MM-DD", "YYYY" or "unknown"
  std::string nationality{};                       // canonical code
  std::optional<std::string> samordningsnummer{};  // 12 digits; unique
  std::optional<std::string> case_number{};        // Migrationsverket NN-NNNNNN; unique
  std::optional<std::string> personnummer{};       // linked once granted; unique
  int assurance_level = 1;                         // 1..3
  std::string enrolment_id{};                      // the enrolment that issued the identifier
  int64_t created_at = 0;
  std::string created_by{};  // officer id
  // Set once by `revoke` (MarkRevoked): the person's eID is revoked for good; replacement
  // and new credentials are refused.
  std::optional<int64_t> revoked_at{};
  // Sorted by (type, country, number_norm) when read back.
  std::vector<DocumentRow> documents{};
  // Phonetic name keys (enrolment::NameKeys). Sorted and distinct when read back.
  std::vector<std::string> name_keys{};

  friend bool operator==(const PersonRow&, const PersonRow&) = default;
};

// At most this many keys in one FindCandidatesByNameKeys call.
inline constexpr size_t kMaxNameKeys = 256;
// Search and candidate lookups return at most this many rows whatever limit is passed.
inline constexpr size_t kMaxResultRows = 1000;

class PersonRepository {
 public:
  virtual ~PersonRepository() = default;

  // Adds a person with their documents and name keys (duplicate keys are stored once).
  // Errors: "conflict" (identifier, serial, a Swedish number or a document already
  // belongs to someone); "internalError" if the enrolment or officer does not exist.
  virtual Status Insert(Transaction& tx, const PersonRow& person) = 0;

  // Errors: "notFound".
  virtual Result<PersonRow> Get(ReadTransaction& tx, std::string_view identifier) = 0;
  // The person's own row only: documents and name_keys are left empty. One indexed read
  // instead of three, for callers that need neither (a login's completion data).
  // Errors: "notFound".
  virtual Result<PersonRow> GetWithoutDetails(ReadTransaction& tx,
                                              std::string_view identifier) = 0;

  // The holder of a document, if any (an exact match on all three fields).
  virtual Result<std::optional<PersonRow>> FindByDocument(ReadTransaction& tx,
                                                          const DocumentRow& document) = 0;
  virtual Result<std::optional<PersonRow>> FindBySamordningsnummer(ReadTransaction& tx,
                                                                   std::string_view number) = 0;
  virtual Result<std::optional<PersonRow>> FindByCaseNumber(ReadTransaction& tx,
                                                            std::string_view case_number) = 0;
  virtual Result<std::optional<PersonRow>> FindByPersonnummer(ReadTransaction& tx,
                                                              std::string_view number) = 0;

  // Persons having at least one of `keys`, those sharing the most keys first (then by
  // identifier), at most min(limit, kMaxResultRows). Errors: "invalidParameters" (more
  // than kMaxNameKeys keys).
  virtual Result<std::vector<PersonRow>> FindCandidatesByNameKeys(ReadTransaction& tx,
                                                                  std::span<const std::string> keys,
                                                                  size_t limit) = 0;

  // The desk's free-text search. A person matches when any of these holds:
  //   - the identifier starts with the text (spaces and hyphens dropped, case folded;
  //     at least 4 characters), or equals it;
  //   - a document number, samordningsnummer or personnummer equals the text with spaces
  //     and hyphens dropped, or the case number equals the trimmed text;
  //   - every word of the text occurs in the given name, surname or original name,
  //     case-insensitively (ASCII, Latin-1, Latin Extended-A, Greek and Cyrillic letters
  //     are folded; '%', '_' and '\' are literal characters, never wildcards).
  // Ordered by surname, given name, identifier; at most min(limit, kMaxResultRows).
  // Empty or blank text finds nobody.
  virtual Result<std::vector<PersonRow>> Search(ReadTransaction& tx, std::string_view text,
                                                size_t limit) = 0;

  // Adds a document presented at a later visit. Errors: "notFound" (no such person),
  // "conflict" (the document belongs to someone already, this person included).
  virtual Status AddDocument(Transaction& tx, std::string_view identifier,
                             const DocumentRow& document) = 0;

  // Links a personnummer once it is granted (the identifier is kept, design.md property
  // 6). Errors: "notFound"; "conflict" (the person already has a different one, or the
  // number is linked to someone else). Linking the same number again succeeds.
  virtual Status LinkPersonnummer(Transaction& tx, std::string_view identifier,
                                  std::string_view personnummer) = 0;

  // Sets the person's assurance level (1..3) to what the evidence of a later visit
  // decided (a device replacement, docs/desk-api.md); the next credential carries it.
  // Errors: "notFound"; "internalError" for a level outside 1..3 (schema CHECK).
  virtual Status SetAssuranceLevel(Transaction& tx, std::string_view identifier, int level) = 0;

  // Records that the person's eID was revoked at `at`; marking again keeps the first time.
  // Errors: "notFound".
  virtual Status MarkRevoked(Transaction& tx, std::string_view identifier, int64_t at) = 0;
};

}  // namespace tillit::server::storage
