// Internal: text folding for the desk's person search, done in C++ rather than with the
// database's lower(), which is ASCII-only in SQLite and locale-dependent in PostgreSQL:
// folding here gives the same answers on every backend (docs/storage.md §Search).
//
// Thread safety: pure functions.
#pragma once

#include <string>
#include <string_view>
#include <vector>

namespace tillit::server::storage::sqlite {

// Lower-cases UTF-8 text for matching: ASCII, Latin-1 Supplement, Latin Extended-A,
// basic Greek and Cyrillic capitals map to their small letters. Everything else
// (other scripts, combining marks, bytes that are not valid UTF-8) is copied unchanged.
std::string FoldCase(std::string_view text);

// The text with spaces and hyphens removed and ASCII letters upper-cased, as identifiers,
// document numbers (enrolment::NormaliseDocumentNumber) and Swedish numbers are stored.
std::string Compact(std::string_view text);

// Escapes '\', '%' and '_' with '\' so that the text is matched literally by
// LIKE ... ESCAPE '\'.
std::string EscapeLike(std::string_view text);

// The words of `text` (split at ASCII whitespace), at most max_words of them.
std::vector<std::string> SplitWords(std::string_view text, size_t max_words);

// ASCII whitespace trimmed from both ends.
std::string_view Trim(std::string_view text);

}  // namespace tillit::server::storage::sqlite
