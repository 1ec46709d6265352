// Name normalisation and similarity for the duplicate search. The same person's name is
// spelled differently by different documents and desks (Mohammed, Muhammad, Mohamad...;
// Åsa, Asa; given name and surname swapped), so names are compared as sets of phonetic
// keys, not as strings. Every step, the key rules, the threshold and worked examples are
// in docs/duplicates.md; change them together.
//
// Thread safety: all functions are pure.
#pragma once

#include <string>
#include <string_view>
#include <vector>

namespace tillit::enrolment {

// A name similarity of at least this, with at least one identical key, makes two names
// "similar" (docs/duplicates.md §Similarity and threshold).
inline constexpr double kNameSimilarityThreshold = 0.75;

// The Latin fold of one name: diacritics removed (å->a, ø->o, æ->ae, ß->ss, ...),
// lower-case ASCII, apostrophes dropped ("O'Brien" -> "obrien"), every other non-letter
// a token separator, tokens joined by single spaces. Letters of other scripts are kept as
// written. Accepts any bytes: invalid UTF-8 separates tokens.
std::string FoldName(std::string_view utf8);

// The tokens of a person's name (given name and surname, in that order) after folding,
// with Arabic particles (al, el, ul, bin, ibn, bint) dropped when other tokens of the same
// field remain and Abd/Abdul/Abdel... joined to the following token of the same field
// (docs/duplicates.md §Words).
std::vector<std::string> NameTokens(std::string_view given_name, std::string_view surname);

// The phonetic key of one folded token (docs/duplicates.md §Phonetic keys): transliteration
// variants (kh/gh/ph/sh/ch/dj/zh, ou/oo, y/i, w/v, q/k, c/k/s, silent h, doubled
// letters, final d/t) fold to one spelling and every vowel becomes 'a'. Keeps the number
// of vowels in a run, so "Ali" ("ala") and "Alia" ("alaa") stay apart.
std::string PhoneticKey(std::string_view folded_token);

// The sorted, distinct phonetic keys of a person's name, in all its views (word by word;
// each multi-word field run together; the whole name run together; docs/duplicates.md
// §Views): what storage indexes. Two names that CompareNames calls similar always share at
// least one key, so "keys IN (...)" finds every candidate for a possible match
// (docs/duplicates.md §Index).
std::vector<std::string> NameKeys(std::string_view given_name, std::string_view surname);

// How two names compare, word order ignored. The counts describe the best-scoring pair of
// views.
struct NameSimilarity {
  double score = 0.0;      // 2 * (sum of paired word similarities) / (words of a + of b)
  int exact_keys = 0;      // distinct keys the two NameKeys sets share
  int matched_tokens = 0;  // word pairs matched (identical, or one edit apart)
  int tokens_a = 0;        // words of a in the best view
  int tokens_b = 0;
  bool similar = false;  // the documented rule: see docs/duplicates.md §Similarity and threshold
};

// Symmetric: CompareNames(a..., b...) equals CompareNames(b..., a...) with a and b swapped.
NameSimilarity CompareNames(std::string_view given_a, std::string_view surname_a,
                            std::string_view given_b, std::string_view surname_b);

}  // namespace tillit::enrolment
