// Name folding, phonetic keys and token-set similarity (tillit/enrolment/names.h,
// docs/duplicates.md).
#include "tillit/enrolment/names.h"

#include <algorithm>
#include <array>
#include <cstdint>
#include <optional>
#include <utility>

#include "text.h"

namespace tillit::enrolment {
namespace {

// Similarities are integers in thousandths so that sums are exact and the comparison is
// symmetric bit for bit (floating-point sums depend on their order).
constexpr int kExact = 1000;
// Below this many key symbols a one-letter difference is a different name (Ali/Alia,
// Anna/Hanna); from it on, it is read as a spelling slip.
constexpr size_t kMinKeyForTypo = 6;
// Exact matching over subsets of the shorter name up to this many tokens; longer names
// (never seen in practice) fall back to a greedy match.
constexpr size_t kMaxExactMatchTokens = 12;

constexpr std::array<std::string_view, 6> kParticles = {"al", "bin", "bint", "el", "ibn", "ul"};
// "Abd" ("servant of") written as its own word or glued to the article, longest first.
constexpr std::array<std::string_view, 6> kAbdPrefixes = {"abdoul", "abdal", "abdel",
                                                          "abdol",  "abdul", "abdu"};

// Decodes one scalar value at `i`; on a malformed sequence returns nullopt and advances
// one byte, so invalid input degrades to a token separator instead of failing.
std::optional<char32_t> NextCodePoint(std::string_view text, size_t& i) {
  const auto b0 = static_cast<uint8_t>(text[i]);
  size_t length = b0 < 0x80             ? 1
                  : (b0 & 0xE0) == 0xC0 ? 2
                  : (b0 & 0xF0) == 0xE0 ? 3
                  : (b0 & 0xF8) == 0xF0 ? 4
                                        : 0;
  if (length == 0 || text.size() - i < length) {
    ++i;
    return std::nullopt;
  }
  auto decoded = internal::DecodeUtf8(text.substr(i, length));
  if (!decoded || decoded->size() != 1) {
    ++i;
    return std::nullopt;
  }
  i += length;
  return (*decoded)[0];
}

// Characters that separate tokens: ASCII non-letters (except apostrophe), Latin-1
// punctuation and symbols, the Unicode space and punctuation blocks.
bool IsSeparator(char32_t c) {
  if (c < 0x80) return !((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z'));
  if (c >= 0x80 && c <= 0xBF) return true;
  if (c == 0xD7 || c == 0xF7) return true;
  if (c >= 0x2000 && c <= 0x206F) return true;  // General Punctuation, spaces
  if (c >= 0x3000 && c <= 0x303F) return true;  // CJK symbols and punctuation
  return c == 0x1680 || c == 0xFEFF;
}

// Dropped without separating: apostrophes (O'Brien is one word), combining marks (the
// diacritic of a decomposed letter), other modifier letters, zero-width joiners.
bool IsIgnored(char32_t c) {
  return internal::IsApostrophe(c) || internal::IsCombiningMark(c) ||
         (c >= 0x02B0 && c <= 0x02FF) || c == 0x200C || c == 0x200D;
}

std::vector<std::string> FoldTokens(std::string_view utf8) {
  std::vector<std::string> tokens;
  std::string current;
  auto flush = [&] {
    if (!current.empty()) tokens.push_back(std::move(current));
    current.clear();
  };
  size_t i = 0;
  while (i < utf8.size()) {
    const auto c = NextCodePoint(utf8, i);
    if (!c) {
      flush();
      continue;
    }
    if (IsIgnored(*c)) continue;
    if (IsSeparator(*c)) {
      flush();
      continue;
    }
    const std::string_view folded = internal::FoldLatinLetter(*c);
    if (!folded.empty()) {
      current += folded;
    } else {
      internal::AppendUtf8(*c, current);  // another script: compared as written
    }
  }
  flush();
  return tokens;
}

bool IsParticle(std::string_view token) {
  return std::find(kParticles.begin(), kParticles.end(), token) != kParticles.end();
}

bool IsAbdWord(std::string_view token) {
  return token == "abd" ||
         std::find(kAbdPrefixes.begin(), kAbdPrefixes.end(), token) != kAbdPrefixes.end();
}

// "Abdulrahman", "Abdelrahman", "Abdurrahman" -> "abdrahman": the article glued to Abd
// is spelled every way. "Abdul" alone stays a name of its own.
std::string NormaliseAbd(std::string token) {
  if (IsAbdWord(token)) return token;
  for (std::string_view prefix : kAbdPrefixes) {
    if (token.size() > prefix.size() && token.compare(0, prefix.size(), prefix) == 0) {
      return "abd" + token.substr(prefix.size());
    }
  }
  return token;
}

// Applies the token rules to the tokens of one name field.
void AppendFieldTokens(std::string_view field, std::vector<std::string>& out) {
  std::vector<std::string> tokens = FoldTokens(field);
  // Particles go only if something is left: a person named just "Al" keeps the name.
  const bool all_particles = std::all_of(tokens.begin(), tokens.end(), IsParticle);
  if (!all_particles) std::erase_if(tokens, [](const std::string& t) { return IsParticle(t); });
  for (size_t i = 0; i < tokens.size(); ++i) {
    std::string token = tokens[i];
    // "Abd al-Rahman", "Abdul Rahman", "Abdel-Rahman": one name, written as one token
    // elsewhere ("Abdulrahman"), so join with the next word.
    if (IsAbdWord(token) && i + 1 < tokens.size()) token += tokens[++i];
    out.push_back(NormaliseAbd(std::move(token)));
  }
}

bool IsVowel(char c) { return c == 'a' || c == 'e' || c == 'i' || c == 'o' || c == 'u'; }

size_t Levenshtein(std::string_view a, std::string_view b) {
  std::vector<size_t> row(b.size() + 1);
  for (size_t j = 0; j <= b.size(); ++j) row[j] = j;
  for (size_t i = 1; i <= a.size(); ++i) {
    size_t diagonal = row[0];
    row[0] = i;
    for (size_t j = 1; j <= b.size(); ++j) {
      const size_t above = row[j];
      row[j] = std::min({row[j] + 1, row[j - 1] + 1, diagonal + (a[i - 1] == b[j - 1] ? 0 : 1)});
      diagonal = above;
    }
  }
  return row[b.size()];
}

// Thousandths: 1000 for identical keys, 1000 - 1000/longer for one edit between keys of
// at least kMinKeyForTypo symbols, otherwise 0.
int TokenSimilarity(const std::string& a, const std::string& b) {
  if (a == b) return kExact;
  if (std::min(a.size(), b.size()) < kMinKeyForTypo) return 0;
  if (Levenshtein(a, b) != 1) return 0;
  return kExact - static_cast<int>(kExact / std::max(a.size(), b.size()));
}

// A matching's value: total similarity first, then the number of pairs.
using Value = std::pair<int, int>;

// Maximum-weight one-to-one matching between the rows (the shorter name) and the columns,
// by dynamic programming over subsets of the rows.
Value BestMatching(const std::vector<std::vector<int>>& sim, size_t rows, size_t cols) {
  if (rows > kMaxExactMatchTokens) {
    // Greedy fallback: take the best remaining pair until none is left.
    std::vector<bool> row_used(rows), col_used(cols);
    Value total{0, 0};
    while (true) {
      int best = 0;
      size_t bi = 0, bj = 0;
      for (size_t i = 0; i < rows; ++i) {
        for (size_t j = 0; j < cols; ++j) {
          if (!row_used[i] && !col_used[j] && sim[i][j] > best) best = sim[i][j], bi = i, bj = j;
        }
      }
      if (best == 0) return total;
      row_used[bi] = col_used[bj] = true;
      total.first += best;
      total.second += 1;
    }
  }
  const size_t masks = size_t{1} << rows;
  std::vector<std::optional<Value>> dp(masks);
  dp[0] = Value{0, 0};
  for (size_t j = 0; j < cols; ++j) {
    std::vector<std::optional<Value>> next = dp;  // column j left unmatched
    for (size_t mask = 0; mask < masks; ++mask) {
      if (!dp[mask]) continue;
      for (size_t i = 0; i < rows; ++i) {
        if ((mask >> i) & 1 || sim[i][j] == 0) continue;
        const Value v{dp[mask]->first + sim[i][j], dp[mask]->second + 1};
        auto& slot = next[mask | (size_t{1} << i)];
        if (!slot || v > *slot) slot = v;
      }
    }
    dp = std::move(next);
  }
  Value best{0, 0};
  for (const auto& v : dp) {
    if (v && *v > best) best = *v;
  }
  return best;
}

}  // namespace

std::string FoldName(std::string_view utf8) {
  std::string out;
  for (const std::string& token : FoldTokens(utf8)) {
    if (!out.empty()) out += ' ';
    out += token;
  }
  return out;
}

std::vector<std::string> NameTokens(std::string_view given_name, std::string_view surname) {
  std::vector<std::string> tokens;
  AppendFieldTokens(given_name, tokens);
  AppendFieldTokens(surname, tokens);
  return tokens;
}

std::string PhoneticKey(std::string_view t) {
  // 1. Transliteration variants to one spelling, longest pattern first.
  std::string s;
  size_t i = 0;
  auto at = [&](std::string_view pattern) { return t.substr(i, pattern.size()) == pattern; };
  auto next_is = [&](std::string_view set) {
    return i + 1 < t.size() && set.find(t[i + 1]) != std::string_view::npos;
  };
  while (i < t.size()) {
    const char c = t[i];
    std::string_view out;
    size_t used = 1;
    if (static_cast<uint8_t>(c) >= 0x80) {
      out = t.substr(i, 1);  // other scripts pass through byte by byte
    } else if (at("dsch")) {
      out = "j", used = 4;
    } else if (at("tsch")) {
      out = "s", used = 4;
    } else if (at("sch") || at("tch") || at("tsh")) {
      out = "s", used = 3;
    } else if (at("dzh")) {
      out = "j", used = 3;
    } else if (at("ch") || at("sh")) {
      out = "s", used = 2;
    } else if (at("zh") || at("dj")) {
      out = "j", used = 2;
    } else if (at("kh")) {
      out = "h", used = 2;
    } else if (at("gh")) {
      out = "g", used = 2;
    } else if (at("ph")) {
      out = "f", used = 2;
    } else if (at("th")) {
      out = "t", used = 2;
    } else if (at("dh")) {
      out = "d", used = 2;
    } else if (at("ck")) {
      out = "k", used = 2;
    } else if (at("ou") || at("oo")) {
      out = "u", used = 2;
    } else if (at("ee")) {
      out = "i", used = 2;
    } else if (c == 'q') {
      out = "k";
    } else if (c == 'x') {
      out = "ks";
    } else if (c == 'w') {
      out = "v";
    } else if (c == 'c') {
      out = next_is("eiy") ? "s" : "k";
    } else if (c == 'y') {
      // Word-initial y before a vowel is the consonant (Yusuf = Jusuf); elsewhere a vowel.
      out = (i == 0 && next_is("aeiou")) ? "j" : "i";
    } else {
      out = t.substr(i, 1);
    }
    s += out;
    i += used;
  }
  // 2. Doubled letters count once (Mohammed = Mohamed, Hassan = Hasan).
  std::string collapsed;
  for (char c : s) {
    if (collapsed.empty() || collapsed.back() != c || static_cast<uint8_t>(c) >= 0x80) {
      collapsed += c;
    }
  }
  // 3. h after the first letter is often silent or written only sometimes (Ahmed = Amed,
  //    Mohammed = Moammed; Akhmed via kh -> h). A leading h is kept: Hanna is not Anna.
  std::string key;
  for (size_t k = 0; k < collapsed.size(); ++k) {
    if (k > 0 && collapsed[k] == 'h') continue;
    key += collapsed[k];
  }
  // 4. Final devoicing: Mehmet/Ahmet spell Muhammad/Ahmad's final d as t.
  if (key.size() > 1 && key.back() == 'd') key.back() = 't';
  // 5. One vowel class, but a run keeps its length (Ali "ala" vs Alia "alaa").
  for (char& c : key) {
    if (IsVowel(c)) c = 'a';
  }
  return key;
}

namespace {

// The ways a name is read for matching (docs/duplicates.md §Views): word by word; when a
// field has several words, with each field's words run together, because compound names
// are written both ways ("Ali Reza" / "Alireza", "Mohammad Reza" / "Mohammadreza"); and,
// when both fields are given, as one word. Each view is a list of phonetic keys, repeats
// kept.
std::vector<std::vector<std::string>> KeyViews(std::string_view given_name,
                                               std::string_view surname) {
  std::vector<std::string> given_tokens;
  std::vector<std::string> surname_tokens;
  AppendFieldTokens(given_name, given_tokens);
  AppendFieldTokens(surname, surname_tokens);

  std::vector<std::string> split;
  std::vector<std::string> joined;
  bool any_joined = false;
  for (const auto* field : {&given_tokens, &surname_tokens}) {
    std::string whole;
    for (const std::string& token : *field) {
      std::string key = PhoneticKey(token);
      if (!key.empty()) split.push_back(std::move(key));
      whole += token;
    }
    if (field->size() > 1) any_joined = true;
    std::string key = PhoneticKey(NormaliseAbd(std::move(whole)));
    if (!key.empty()) joined.push_back(std::move(key));
  }
  std::vector<std::vector<std::string>> views = {std::move(split)};
  if (any_joined) views.push_back(std::move(joined));
  // The whole name as one word: a single name on one document ("Abdulrahman") may be
  // split into given name and surname on another ("Abdul" "Rahman").
  if (!given_tokens.empty() && !surname_tokens.empty()) {
    std::string whole;
    for (const auto* field : {&given_tokens, &surname_tokens}) {
      for (const std::string& token : *field) whole += token;
    }
    std::string key = PhoneticKey(NormaliseAbd(std::move(whole)));
    if (!key.empty()) views.push_back({std::move(key)});
  }
  return views;
}

struct ViewMatch {
  int value = 0;  // thousandths, summed over matched pairs
  int matched = 0;
  int tokens_a = 0;
  int tokens_b = 0;
  bool contained = false;

  double Score() const {
    if (tokens_a + tokens_b == 0) return 0.0;
    return 2.0 * value / (kExact * static_cast<double>(tokens_a + tokens_b));
  }
};

ViewMatch MatchViews(const std::vector<std::string>& a, const std::vector<std::string>& b,
                     bool allow_typos) {
  ViewMatch match;
  match.tokens_a = static_cast<int>(a.size());
  match.tokens_b = static_cast<int>(b.size());
  if (a.empty() || b.empty()) return match;
  // Rows are the shorter name so the subset DP stays small; the value does not depend
  // on which side is which.
  const auto& rows = a.size() <= b.size() ? a : b;
  const auto& cols = a.size() <= b.size() ? b : a;
  std::vector<std::vector<int>> sim(rows.size(), std::vector<int>(cols.size()));
  for (size_t i = 0; i < rows.size(); ++i) {
    for (size_t j = 0; j < cols.size(); ++j) {
      sim[i][j] =
          allow_typos ? TokenSimilarity(rows[i], cols[j]) : (rows[i] == cols[j] ? kExact : 0);
    }
  }
  const Value best = BestMatching(sim, rows.size(), cols.size());
  match.value = best.first;
  match.matched = best.second;
  // Every word of the shorter name matched, and at least two of them: the longer name
  // only adds middle names.
  match.contained = best.second == static_cast<int>(rows.size()) && best.second >= 2;
  return match;
}

}  // namespace

std::vector<std::string> NameKeys(std::string_view given_name, std::string_view surname) {
  std::vector<std::string> keys;
  for (auto& view : KeyViews(given_name, surname)) {
    for (auto& key : view) keys.push_back(std::move(key));
  }
  std::sort(keys.begin(), keys.end());
  keys.erase(std::unique(keys.begin(), keys.end()), keys.end());
  return keys;
}

NameSimilarity CompareNames(std::string_view given_a, std::string_view surname_a,
                            std::string_view given_b, std::string_view surname_b) {
  NameSimilarity result;
  const std::vector<std::string> keys_a = NameKeys(given_a, surname_a);
  const std::vector<std::string> keys_b = NameKeys(given_b, surname_b);
  std::vector<std::string> shared;
  std::set_intersection(keys_a.begin(), keys_a.end(), keys_b.begin(), keys_b.end(),
                        std::back_inserter(shared));
  result.exact_keys = static_cast<int>(shared.size());

  // The best reading over every pair of views; ties go to more matched words.
  bool first = true;
  bool any_contained = false;
  ViewMatch best;
  const auto views_a = KeyViews(given_a, surname_a);
  const auto views_b = KeyViews(given_b, surname_b);
  for (size_t i = 0; i < views_a.size(); ++i) {
    for (size_t j = 0; j < views_b.size(); ++j) {
      // A run-together view is compared only with the other name's words: that is the
      // case it exists for (Alireza / Ali Reza). Two run-together names would compare
      // badly: a word-initial h inside them is dropped like any other (Youssef Anna /
      // Youssef Hanna). A spelling slip is tolerated word against word only: one edit in
      // a long run-together word could hide a whole different short word (Ali / Alia).
      if (i > 0 && j > 0) continue;
      const ViewMatch match = MatchViews(views_a[i], views_b[j], i == 0 && j == 0);
      any_contained = any_contained || match.contained;
      if (first || match.Score() > best.Score() ||
          (match.Score() == best.Score() && match.matched > best.matched)) {
        best = match;
        first = false;
      }
    }
  }
  result.score = best.Score();
  result.matched_tokens = best.matched;
  result.tokens_a = best.tokens_a;
  result.tokens_b = best.tokens_b;
  // docs/duplicates.md §Similarity and threshold. The shared key is what makes the storage index
  // complete (every key of every view is in NameKeys).
  result.similar =
      result.exact_keys >= 1 && (result.score >= kNameSimilarityThreshold || any_contained);
  return result;
}

}  // namespace tillit::enrolment
