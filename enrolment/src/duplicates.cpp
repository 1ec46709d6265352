// Hard and possible duplicate matching (tillit/enrolment/duplicates.h,
// docs/duplicates.md).
#include "tillit/enrolment/duplicates.h"

#include <algorithm>
#include <cstdio>
#include <set>

namespace tillit::enrolment {
namespace {

constexpr std::string_view kDocumentPrefix = "document:";
constexpr std::string_view kSamordningsnummerPrefix = "samordningsnummer:";
constexpr std::string_view kCasePrefix = "case:";

bool StartsWith(std::string_view s, std::string_view prefix) {
  return s.substr(0, prefix.size()) == prefix;
}

std::string DescribeHardKey(std::string_view key) {
  if (StartsWith(key, kDocumentPrefix)) {
    // document:<type>:<country>:<number>
    std::string_view rest = key.substr(kDocumentPrefix.size());
    const size_t first = rest.find(':');
    const size_t second = rest.find(':', first + 1);
    return "same " + std::string(rest.substr(0, first)) + " " +
           std::string(rest.substr(second + 1)) + " issued by " +
           std::string(rest.substr(first + 1, second - first - 1));
  }
  if (StartsWith(key, kSamordningsnummerPrefix)) {
    return "same samordningsnummer " + std::string(key.substr(kSamordningsnummerPrefix.size()));
  }
  return "same Migrationsverket case number " + std::string(key.substr(kCasePrefix.size()));
}

std::string RuleOf(std::string_view key) {
  if (StartsWith(key, kDocumentPrefix)) return "sameDocument";
  if (StartsWith(key, kSamordningsnummerPrefix)) return "sameSamordningsnummer";
  return "sameCaseNumber";
}

std::string BirthText(const BirthDate& b) { return SerializeBirthDate(b); }

bool BirthCompatible(const BirthDate& a, const BirthDate& b, std::string& reason) {
  using P = BirthDate::Precision;
  if (a.precision == P::kUnknown || b.precision == P::kUnknown) {
    reason = "birth date unknown on at least one side";
    return true;
  }
  if (a == b && a.precision == P::kDay) {
    reason = "same birth date " + BirthText(a);
    return true;
  }
  if (a.year == b.year) {
    reason = "same birth year " + std::to_string(a.year) + " (" + BirthText(a) + " / " +
             BirthText(b) + ")";
    return true;
  }
  reason = "different birth years (" + BirthText(a) + " / " + BirthText(b) + ")";
  return false;
}

bool NationalityCompatible(const std::string& a, const std::string& b, std::string& reason) {
  if (a == b) {
    reason = "same nationality " + a;
    return true;
  }
  if (a == "XXX" || b == "XXX") {
    reason = "nationality unspecified (XXX) on one side (" + a + " / " + b + ")";
    return true;
  }
  reason = "different nationality (" + a + " / " + b + ")";
  return false;
}

std::string NameReason(const NameSimilarity& name) {
  char score[16];
  std::snprintf(score, sizeof score, "%.2f", name.score);
  std::string text = std::string(name.similar ? "similar" : "dissimilar") + " names: score " +
                     score + ", " + std::to_string(name.matched_tokens) + " of " +
                     std::to_string(name.tokens_a) + "/" + std::to_string(name.tokens_b) +
                     " words matched, " + std::to_string(name.exact_keys) +
                     " identical phonetic keys";
  return text;
}

}  // namespace

std::vector<std::string> HardMatchKeys(const PersonRecord& person,
                                       const std::vector<Evidence>& evidence) {
  std::set<std::string> keys;
  for (const Evidence& item : evidence) {
    if (item.type == EvidenceType::kNone) continue;
    if (item.type == EvidenceType::kSamordningsnummerStyrkt) {
      // Its number is the samordningsnummer itself: one key, one rule.
      keys.insert(std::string(kSamordningsnummerPrefix) + item.number);
      continue;
    }
    keys.insert(std::string(kDocumentPrefix) + std::string(EvidenceTypeName(item.type)) + ":" +
                item.issuing_country + ":" + item.number);
    if (auto case_number = CaseNumberOf(item)) {
      keys.insert(std::string(kCasePrefix) + *case_number);
    }
  }
  if (person.samordningsnummer) {
    keys.insert(std::string(kSamordningsnummerPrefix) + *person.samordningsnummer);
  }
  if (person.migrationsverket_case) {
    keys.insert(std::string(kCasePrefix) + *person.migrationsverket_case);
  }
  return {keys.begin(), keys.end()};
}

MatchScore Compare(const PersonRecord& a, const PersonRecord& b) {
  MatchScore score;
  score.name = CompareNames(a.given_name, a.surname, b.given_name, b.surname);
  score.reasons.push_back(NameReason(score.name));
  std::string reason;
  score.birth_compatible = BirthCompatible(a.birth_date, b.birth_date, reason);
  score.reasons.push_back(reason);
  score.nationality_compatible = NationalityCompatible(a.nationality, b.nationality, reason);
  score.reasons.push_back(reason);
  score.possible_match =
      score.name.similar && score.birth_compatible && score.nationality_compatible;
  return score;
}

DuplicateCheck Classify(const Enrolment& candidate, const std::vector<ExistingPerson>& others) {
  DuplicateCheck check;
  const std::vector<std::string> mine = HardMatchKeys(candidate.person, candidate.evidence);
  std::set<std::string> seen;
  for (const ExistingPerson& other : others) {
    // Storage may return a person once per index key that found them.
    if (!seen.insert(other.identifier).second) continue;
    const std::vector<std::string> theirs = HardMatchKeys(other.person, other.evidence);
    std::vector<std::string> shared;
    std::set_intersection(mine.begin(), mine.end(), theirs.begin(), theirs.end(),
                          std::back_inserter(shared));
    if (!shared.empty()) {
      for (const std::string& key : shared) {
        check.hard.push_back({other.identifier, RuleOf(key), DescribeHardKey(key)});
      }
      continue;  // a hard match is decided; a name score would add nothing
    }
    MatchScore score = Compare(candidate.person, other.person);
    if (score.possible_match) check.possible.push_back({other.identifier, std::move(score)});
  }
  std::stable_sort(check.possible.begin(), check.possible.end(),
                   [](const PossibleMatch& x, const PossibleMatch& y) {
                     if (x.score.name.score != y.score.name.score) {
                       return x.score.name.score > y.score.name.score;
                     }
                     return x.identifier < y.identifier;
                   });
  return check;
}

}  // namespace tillit::enrolment
