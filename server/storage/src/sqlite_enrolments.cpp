// SQLite enrolments and their matches (see tillit/storage/enrolments.h).
#include "repository_util.h"
#include "sqlite_repositories.h"
#include "sqlite_transaction.h"

namespace tillit::server::storage {

std::string_view MatchKindName(MatchKind kind) {
  switch (kind) {
    case MatchKind::kHard:
      return "hard";
    case MatchKind::kPossible:
      return "possible";
  }
  return "possible";  // unreachable
}

std::string_view MatchResolutionName(MatchResolution resolution) {
  switch (resolution) {
    case MatchResolution::kSame:
      return "same";
    case MatchResolution::kDifferent:
      return "different";
  }
  return "different";  // unreachable
}

namespace sqlite {
namespace {

#define TILLIT_ENROLMENT_COLUMNS                                                     \
  "id, status, created_by, created_at, request_json, assurance_level, approved_by, " \
  "approved_at, identifier, existing_identifier, rejected_by, rejected_at, "         \
  "rejection_reason, updated_at"
#define TILLIT_MATCH_COLUMNS                                                        \
  "enrolment_id, identifier, kind, score, reasons, resolution, resolution_reason, " \
  "resolved_by, resolved_at"

constexpr size_t kMaxListRows = 1000;

Result<EnrolmentRow> ReadEnrolment(const Statement& statement) {
  Columns columns(statement);
  EnrolmentRow row;
  row.id = columns.Text();
  row.status = columns.Text();
  row.created_by = columns.Text();
  row.created_at = columns.Int64();
  row.request_json = columns.Text();
  row.assurance_level = static_cast<int>(columns.Int64());
  row.approved_by = columns.OptionalText();
  row.approved_at = columns.OptionalInt64();
  row.identifier = columns.OptionalText();
  row.existing_identifier = columns.OptionalText();
  row.rejected_by = columns.OptionalText();
  row.rejected_at = columns.OptionalInt64();
  row.rejection_reason = columns.OptionalText();
  row.updated_at = columns.Int64();
  return row;
}

Result<EnrolmentMatchRow> ReadMatch(const Statement& statement) {
  Columns columns(statement);
  EnrolmentMatchRow row;
  row.enrolment_id = columns.Text();
  row.identifier = columns.Text();
  const std::string kind = columns.Text();
  if (kind == MatchKindName(MatchKind::kHard)) {
    row.kind = MatchKind::kHard;
  } else if (kind == MatchKindName(MatchKind::kPossible)) {
    row.kind = MatchKind::kPossible;
  } else {
    return BadStoredValue("enrolment_matches.kind");
  }
  row.score = columns.Double();
  row.reasons = columns.Text();
  const std::optional<std::string> resolution = columns.OptionalText();
  if (resolution == MatchResolutionName(MatchResolution::kSame)) {
    row.resolution = MatchResolution::kSame;
  } else if (resolution == MatchResolutionName(MatchResolution::kDifferent)) {
    row.resolution = MatchResolution::kDifferent;
  } else if (resolution.has_value()) {
    return BadStoredValue("enrolment_matches.resolution");
  }
  row.resolution_reason = columns.OptionalText();
  row.resolved_by = columns.OptionalText();
  row.resolved_at = columns.OptionalInt64();
  return row;
}

// After a conditional UPDATE changed nothing: "notFound" if the enrolment does not exist,
// else "conflict" (it is not in the state the update required).
Status NotFoundOrConflict(Connection& db, std::string_view id, std::string_view why) {
  TILLIT_TRY_ASSIGN(const bool exists, RowExists(db, "SELECT 1 FROM enrolments WHERE id = ?1", id));
  if (!exists) return NotFound("enrolment");
  return MakeError("conflict", std::string(why));
}

}  // namespace

Status SqliteEnrolmentRepository::Insert(Transaction& tx, const EnrolmentRow& row) {
  TILLIT_TRY_ASSIGN(
      auto insert,
      ConnectionOf(tx).Prepare("INSERT INTO enrolments (" TILLIT_ENROLMENT_COLUMNS ") VALUES"
                               " (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12, ?13, ?14)"));
  insert.BindText(1, row.id);
  insert.BindText(2, row.status);
  insert.BindText(3, row.created_by);
  insert.BindInt64(4, row.created_at);
  insert.BindText(5, row.request_json);
  insert.BindInt64(6, row.assurance_level);
  insert.BindOptionalText(7, row.approved_by);
  insert.BindOptionalInt64(8, row.approved_at);
  insert.BindOptionalText(9, row.identifier);
  insert.BindOptionalText(10, row.existing_identifier);
  insert.BindOptionalText(11, row.rejected_by);
  insert.BindOptionalInt64(12, row.rejected_at);
  insert.BindOptionalText(13, row.rejection_reason);
  insert.BindInt64(14, row.updated_at);
  TILLIT_TRY(insert.Run());
  return {};
}

Result<EnrolmentRow> SqliteEnrolmentRepository::Get(ReadTransaction& tx, std::string_view id) {
  TILLIT_TRY_ASSIGN(auto select, ConnectionOf(tx).Prepare("SELECT " TILLIT_ENROLMENT_COLUMNS
                                                          " FROM enrolments WHERE id = ?1"));
  select.BindText(1, id);
  TILLIT_TRY_ASSIGN(auto row, FetchOne<EnrolmentRow>(select, ReadEnrolment));
  if (!row) return NotFound("enrolment");
  return std::move(*row);
}

Result<std::vector<EnrolmentRow>> SqliteEnrolmentRepository::ListByStatus(ReadTransaction& tx,
                                                                          std::string_view status,
                                                                          size_t limit) {
  TILLIT_TRY_ASSIGN(auto select,
                    ConnectionOf(tx).Prepare(
                        "SELECT " TILLIT_ENROLMENT_COLUMNS
                        " FROM enrolments WHERE status = ?1 ORDER BY created_at, id LIMIT ?2"));
  select.BindText(1, status);
  select.BindInt64(2, ClampLimit(limit, kMaxListRows));
  return FetchAll<EnrolmentRow>(select, ReadEnrolment);
}

Result<std::vector<EnrolmentRow>> SqliteEnrolmentRepository::ListRecentByStatus(
    ReadTransaction& tx, std::string_view status, size_t limit) {
  // Served by the enrolments_status (status, created_at) index, read backwards.
  TILLIT_TRY_ASSIGN(auto select, ConnectionOf(tx).Prepare("SELECT " TILLIT_ENROLMENT_COLUMNS
                                                          " FROM enrolments WHERE status = ?1"
                                                          " ORDER BY created_at DESC, id DESC"
                                                          " LIMIT ?2"));
  select.BindText(1, status);
  select.BindInt64(2, ClampLimit(limit, kMaxListRows));
  return FetchAll<EnrolmentRow>(select, ReadEnrolment);
}

Result<std::vector<EnrolmentRow>> SqliteEnrolmentRepository::ListForPerson(
    ReadTransaction& tx, std::string_view identifier, size_t limit) {
  TILLIT_TRY_ASSIGN(auto select,
                    ConnectionOf(tx).Prepare("SELECT " TILLIT_ENROLMENT_COLUMNS
                                             " FROM enrolments"
                                             " WHERE identifier = ?1 OR existing_identifier = ?1"
                                             " ORDER BY created_at, id LIMIT ?2"));
  select.BindText(1, identifier);
  select.BindInt64(2, ClampLimit(limit, kMaxListRows));
  return FetchAll<EnrolmentRow>(select, ReadEnrolment);
}

Status SqliteEnrolmentRepository::UpdateStatus(Transaction& tx, std::string_view id,
                                               const EnrolmentTransition& transition) {
  Connection& db = ConnectionOf(tx);
  // COALESCE keeps a column whose new value is not given (bound as NULL).
  TILLIT_TRY_ASSIGN(auto update,
                    db.Prepare("UPDATE enrolments SET status = ?3, updated_at = ?4,"
                               " identifier = COALESCE(?5, identifier),"
                               " existing_identifier = COALESCE(?6, existing_identifier),"
                               " rejected_by = COALESCE(?7, rejected_by),"
                               " rejected_at = CASE WHEN ?7 IS NULL THEN rejected_at ELSE ?4 END,"
                               " rejection_reason = COALESCE(?8, rejection_reason)"
                               " WHERE id = ?1 AND status = ?2"));
  update.BindText(1, id);
  update.BindText(2, transition.from);
  update.BindText(3, transition.to);
  update.BindInt64(4, transition.at);
  update.BindOptionalText(5, transition.identifier);
  update.BindOptionalText(6, transition.existing_identifier);
  update.BindOptionalText(7, transition.rejected_by);
  update.BindOptionalText(8, transition.rejection_reason);
  TILLIT_TRY_ASSIGN(const int64_t changed, update.Run());
  if (changed == 1) return {};
  return NotFoundOrConflict(db, id, "enrolment status changed concurrently");
}

Status SqliteEnrolmentRepository::Approve(Transaction& tx, std::string_view id,
                                          std::string_view from, std::string_view to,
                                          std::string_view officer, int64_t at) {
  Connection& db = ConnectionOf(tx);
  TILLIT_TRY_ASSIGN(
      auto update,
      db.Prepare(
          "UPDATE enrolments SET status = ?3, approved_by = ?4, approved_at = ?5, updated_at = ?5"
          " WHERE id = ?1 AND status = ?2 AND approved_by IS NULL"));
  update.BindText(1, id);
  update.BindText(2, from);
  update.BindText(3, to);
  update.BindText(4, officer);
  update.BindInt64(5, at);
  TILLIT_TRY_ASSIGN(const int64_t changed, update.Run());
  if (changed == 1) return {};
  return NotFoundOrConflict(db, id, "enrolment not awaiting approval");
}

Status SqliteEnrolmentRepository::InsertMatch(Transaction& tx, const EnrolmentMatchRow& match) {
  TILLIT_TRY_ASSIGN(
      auto insert,
      ConnectionOf(tx).Prepare("INSERT INTO enrolment_matches (" TILLIT_MATCH_COLUMNS ") VALUES"
                               " (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9)"));
  insert.BindText(1, match.enrolment_id);
  insert.BindText(2, match.identifier);
  insert.BindText(3, MatchKindName(match.kind));
  insert.BindDouble(4, match.score);
  insert.BindText(5, match.reasons);
  if (match.resolution) {
    insert.BindText(6, MatchResolutionName(*match.resolution));
  } else {
    insert.BindNull(6);
  }
  insert.BindOptionalText(7, match.resolution_reason);
  insert.BindOptionalText(8, match.resolved_by);
  insert.BindOptionalInt64(9, match.resolved_at);
  TILLIT_TRY(insert.Run());
  return {};
}

Status SqliteEnrolmentRepository::ResolveMatch(Transaction& tx, std::string_view enrolment_id,
                                               std::string_view identifier,
                                               MatchResolution resolution, std::string_view officer,
                                               std::string_view reason, int64_t at) {
  TILLIT_TRY_ASSIGN(auto update,
                    ConnectionOf(tx).Prepare(
                        "UPDATE enrolment_matches SET resolution = ?3, resolution_reason = ?4,"
                        " resolved_by = ?5, resolved_at = ?6"
                        " WHERE enrolment_id = ?1 AND identifier = ?2"));
  update.BindText(1, enrolment_id);
  update.BindText(2, identifier);
  update.BindText(3, MatchResolutionName(resolution));
  if (reason.empty()) {
    update.BindNull(4);
  } else {
    update.BindText(4, reason);
  }
  update.BindText(5, officer);
  update.BindInt64(6, at);
  TILLIT_TRY_ASSIGN(const int64_t changed, update.Run());
  if (changed == 0) return NotFound("enrolment match");
  return {};
}

Result<std::vector<EnrolmentMatchRow>> SqliteEnrolmentRepository::ListMatches(
    ReadTransaction& tx, std::string_view enrolment_id) {
  // 'hard' sorts before 'possible'.
  TILLIT_TRY_ASSIGN(auto select,
                    ConnectionOf(tx).Prepare("SELECT " TILLIT_MATCH_COLUMNS
                                             " FROM enrolment_matches WHERE enrolment_id = ?1"
                                             " ORDER BY kind, score DESC, identifier"));
  select.BindText(1, enrolment_id);
  return FetchAll<EnrolmentMatchRow>(select, ReadMatch);
}

}  // namespace sqlite
}  // namespace tillit::server::storage
