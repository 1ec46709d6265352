// Tests for tillit/enrolment/workflow.h: creation from the assurance level and the
// duplicate check, every event in every state (legal and illegal), four-eyes rules.
#include "tillit/enrolment/workflow.h"

#include <doctest/doctest.h>

#include <functional>
#include <map>
#include <string>
#include <vector>

using namespace tillit;
using namespace tillit::enrolment;

namespace {

constexpr const char* kCreator = "alice";
constexpr const char* kSecond = "bob";

DuplicateCheck NoDuplicates() { return {}; }

DuplicateCheck OnePossible(std::string identifier = "M1") {
  DuplicateCheck check;
  check.possible.push_back({std::move(identifier), MatchScore{}});
  return check;
}

DuplicateCheck OneHard(std::string identifier = "H1") {
  DuplicateCheck check;
  check.hard.push_back({std::move(identifier), "sameDocument", "same passport"});
  check.possible.push_back({"M1", MatchScore{}});
  return check;
}

Workflow Ok(const Result<Workflow>& r) {
  REQUIRE_MESSAGE(r.ok(), r.error().message);
  return *r;
}

// A workflow in each state, reached through legal events only. needs-approval carries one
// unresolved possible match "M1".
Workflow InState(EnrolmentState state) {
  switch (state) {
    case EnrolmentState::kReady:
      return Ok(CreateWorkflow(kCreator, AssuranceLevel::kLevel3, NoDuplicates()));
    case EnrolmentState::kNeedsApproval:
      return Ok(CreateWorkflow(kCreator, AssuranceLevel::kLevel3, OnePossible()));
    case EnrolmentState::kApproved: {
      Workflow w = InState(EnrolmentState::kNeedsApproval);
      w = Ok(ResolveDifferent(w, kSecond, "M1", "different father's name on the decision"));
      return Ok(Approve(w, kSecond));
    }
    case EnrolmentState::kDuplicate:
      return Ok(ResolveSame(InState(EnrolmentState::kNeedsApproval), kCreator, "M1"));
    case EnrolmentState::kIssued:
      return Ok(Issue(InState(EnrolmentState::kReady), "ER7D0H5DJ6C7"));
    case EnrolmentState::kRejected:
      return Ok(Reject(InState(EnrolmentState::kReady), kCreator, "document looks altered"));
  }
  FAIL("unreachable");
  return {};
}

const std::vector<EnrolmentState> kAllStates = {
    EnrolmentState::kReady,     EnrolmentState::kNeedsApproval, EnrolmentState::kApproved,
    EnrolmentState::kDuplicate, EnrolmentState::kIssued,        EnrolmentState::kRejected,
};

using Event = std::function<Result<Workflow>(const Workflow&)>;

const std::map<std::string, Event>& Events() {
  static const std::map<std::string, Event> events = {
      {"resolve-same", [](const Workflow& w) { return ResolveSame(w, kSecond, "M1"); }},
      {"resolve-different",
       [](const Workflow& w) { return ResolveDifferent(w, kSecond, "M1", "other birthplace"); }},
      {"approve", [](const Workflow& w) { return Approve(w, kSecond); }},
      {"issue", [](const Workflow& w) { return Issue(w, "ER7D0H5DJ6C7"); }},
      {"reject", [](const Workflow& w) { return Reject(w, kSecond, "doubtful evidence"); }},
  };
  return events;
}

}  // namespace

TEST_CASE("workflow: state names round-trip") {
  for (EnrolmentState state : kAllStates) CHECK(*ParseState(StateName(state)) == state);
  CHECK(StateName(EnrolmentState::kNeedsApproval) == "needs-approval");
  for (auto bad : {"", "Ready", "needs_approval", "pending", "approved "}) {
    CHECK(ParseState(bad).error().code == "invalidParameters");
  }
  CHECK(ResolutionName(Resolution::kDifferent) == "different");
}

TEST_CASE("workflow: creation follows NeedsApproval and hard matches") {
  CHECK(Ok(CreateWorkflow(kCreator, AssuranceLevel::kLevel3, NoDuplicates())).state ==
        EnrolmentState::kReady);
  CHECK(Ok(CreateWorkflow(kCreator, AssuranceLevel::kLevel2, NoDuplicates())).state ==
        EnrolmentState::kReady);
  CHECK(Ok(CreateWorkflow(kCreator, AssuranceLevel::kLevel1, NoDuplicates())).state ==
        EnrolmentState::kNeedsApproval);
  const Workflow with_match = Ok(CreateWorkflow(kCreator, AssuranceLevel::kLevel3, OnePossible()));
  CHECK(with_match.state == EnrolmentState::kNeedsApproval);
  REQUIRE(with_match.matches.size() == 1);
  CHECK(with_match.matches[0].resolution == Resolution::kUnresolved);
  CHECK(HasUnresolvedMatch(with_match));

  const Workflow hard = Ok(CreateWorkflow(kCreator, AssuranceLevel::kLevel3, OneHard()));
  CHECK(hard.state == EnrolmentState::kDuplicate);
  CHECK(hard.duplicate_of == "H1");
  CHECK(hard.created_by == kCreator);

  for (auto bad : {"", "   ", "a\nb"}) {
    auto r = CreateWorkflow(bad, AssuranceLevel::kLevel3, NoDuplicates());
    REQUIRE_FALSE(r.ok());
    CHECK(r.error().code == "invalidParameters");
    CHECK(r.error().message.rfind("officer: ", 0) == 0);
  }
  CHECK(
      CreateWorkflow(std::string(101, 'a'), AssuranceLevel::kLevel3, NoDuplicates()).error().code ==
      "invalidParameters");
}

TEST_CASE("workflow: every event in every state") {
  // Expected outcome: a state name for a legal event, or the error code.
  const std::map<std::pair<std::string, std::string>, std::string> expected = {
      {{"ready", "resolve-same"}, "unknownMatch"},
      {{"ready", "resolve-different"}, "unknownMatch"},
      {{"ready", "approve"}, "invalidTransition"},
      {{"ready", "issue"}, "issued"},
      {{"ready", "reject"}, "rejected"},

      {{"needs-approval", "resolve-same"}, "duplicate"},
      {{"needs-approval", "resolve-different"}, "needs-approval"},
      {{"needs-approval", "approve"}, "unresolvedMatches"},
      {{"needs-approval", "issue"}, "approvalRequired"},
      {{"needs-approval", "reject"}, "rejected"},

      {{"approved", "resolve-same"}, "invalidTransition"},
      {{"approved", "resolve-different"}, "invalidTransition"},
      {{"approved", "approve"}, "invalidTransition"},
      {{"approved", "issue"}, "issued"},
      {{"approved", "reject"}, "rejected"},

      {{"duplicate", "resolve-same"}, "invalidTransition"},
      {{"duplicate", "resolve-different"}, "invalidTransition"},
      {{"duplicate", "approve"}, "invalidTransition"},
      {{"duplicate", "issue"}, "invalidTransition"},
      {{"duplicate", "reject"}, "invalidTransition"},

      {{"issued", "resolve-same"}, "invalidTransition"},
      {{"issued", "resolve-different"}, "invalidTransition"},
      {{"issued", "approve"}, "invalidTransition"},
      {{"issued", "issue"}, "invalidTransition"},
      {{"issued", "reject"}, "invalidTransition"},

      {{"rejected", "resolve-same"}, "invalidTransition"},
      {{"rejected", "resolve-different"}, "invalidTransition"},
      {{"rejected", "approve"}, "invalidTransition"},
      {{"rejected", "issue"}, "invalidTransition"},
      {{"rejected", "reject"}, "invalidTransition"},
  };
  int cases = 0;
  for (EnrolmentState state : kAllStates) {
    const Workflow before = InState(state);
    REQUIRE(before.state == state);
    for (const auto& [name, event] : Events()) {
      const std::string state_name(StateName(state));
      INFO(state_name << " + " << name);
      const auto r = event(before);
      const std::string outcome = r.ok() ? std::string(StateName(r->state)) : r.error().code;
      CHECK(outcome == expected.at({state_name, name}));
      ++cases;
    }
  }
  CHECK(cases == 30);
}

TEST_CASE("workflow: four-eyes") {
  // Level 1, no matches: the creator cannot approve, anyone else can; then it issues.
  Workflow w = Ok(CreateWorkflow(kCreator, AssuranceLevel::kLevel1, NoDuplicates()));
  CHECK(Issue(w, "ER7D0H5DJ6C7").error().code == "approvalRequired");
  for (auto same : {"alice", "ALICE", " Alice "}) {
    INFO(same);
    CHECK(Approve(w, same).error().code == "sameOfficer");
  }
  CHECK(Approve(w, "").error().code == "invalidParameters");
  w = Ok(Approve(w, kSecond));
  CHECK(w.state == EnrolmentState::kApproved);
  CHECK(w.approved_by == kSecond);
  w = Ok(Issue(w, "ER7D0H5DJ6C7"));
  CHECK(w.state == EnrolmentState::kIssued);
  CHECK(w.identifier == "ER7D0H5DJ6C7");
}

TEST_CASE("workflow: resolving a possible match does not remove the need for approval") {
  Workflow w = Ok(CreateWorkflow(kCreator, AssuranceLevel::kLevel3, OnePossible()));
  // The creator dismisses the match themself...
  w = Ok(ResolveDifferent(w, kCreator, "M1", "different mother's name in the register"));
  CHECK_FALSE(HasUnresolvedMatch(w));
  CHECK(w.matches[0].resolution == Resolution::kDifferent);
  CHECK(w.matches[0].officer == kCreator);
  // ...but still cannot issue or approve alone.
  CHECK(w.state == EnrolmentState::kNeedsApproval);
  CHECK(Issue(w, "ER7D0H5DJ6C7").error().code == "approvalRequired");
  CHECK(Approve(w, kCreator).error().code == "sameOfficer");
  w = Ok(Approve(w, kSecond));
  CHECK(Ok(Issue(w, "ER7D0H5DJ6C7")).state == EnrolmentState::kIssued);
}

TEST_CASE("workflow: resolve rules") {
  Workflow w = Ok(CreateWorkflow(kCreator, AssuranceLevel::kLevel2, OnePossible("M1")));
  // A reason is required to call a match a different person.
  for (auto bad : {"", "   ", "\t"}) {
    auto r = ResolveDifferent(w, kSecond, "M1", bad);
    REQUIRE_FALSE(r.ok());
    CHECK(r.error().code == "invalidParameters");
    CHECK(r.error().message.rfind("reason: ", 0) == 0);
  }
  CHECK(ResolveDifferent(w, kSecond, "M1", std::string(1001, 'x')).error().code ==
        "invalidParameters");
  CHECK(ResolveDifferent(w, "", "M1", "reason").error().code == "invalidParameters");
  // Only a recorded possible match can be resolved.
  CHECK(ResolveDifferent(w, kSecond, "M2", "reason").error().code == "unknownMatch");
  CHECK(ResolveSame(w, kSecond, "M2").error().code == "unknownMatch");
  CHECK(ResolveSame(w, "", "M1").error().code == "invalidParameters");
  // A match may be re-resolved before approval: different, then same.
  w = Ok(ResolveDifferent(w, kSecond, "M1", "first thought"));
  CHECK(w.matches[0].reason == "first thought");
  w = Ok(ResolveDifferent(w, kCreator, "M1", "  second thought  "));
  CHECK(w.matches[0].reason == "second thought");
  CHECK(w.matches[0].officer == kCreator);
  w = Ok(ResolveSame(w, kSecond, "M1"));
  CHECK(w.state == EnrolmentState::kDuplicate);
  CHECK(w.duplicate_of == "M1");
  CHECK(w.matches[0].resolution == Resolution::kSame);
}

TEST_CASE("workflow: approval needs every match resolved") {
  DuplicateCheck two = OnePossible("M1");
  two.possible.push_back({"M2", MatchScore{}});
  Workflow w = Ok(CreateWorkflow(kCreator, AssuranceLevel::kLevel3, two));
  CHECK(w.matches.size() == 2);
  w = Ok(ResolveDifferent(w, kSecond, "M1", "reason one"));
  CHECK(Approve(w, kSecond).error().code == "unresolvedMatches");
  w = Ok(ResolveDifferent(w, kSecond, "M2", "reason two"));
  CHECK(Ok(Approve(w, kSecond)).state == EnrolmentState::kApproved);
}

TEST_CASE("workflow: issue and reject parameters") {
  const Workflow ready = InState(EnrolmentState::kReady);
  CHECK(Issue(ready, "").error().code == "invalidParameters");
  CHECK(Issue(ready, "  ").error().message.rfind("identifier: ", 0) == 0);
  CHECK(Reject(ready, kCreator, "").error().code == "invalidParameters");
  CHECK(Reject(ready, "", "reason").error().code == "invalidParameters");
  const Workflow rejected = Ok(Reject(ready, kCreator, "photo does not match"));
  CHECK(rejected.rejected_by == kCreator);
  CHECK(rejected.rejection_reason == "photo does not match");

  // A stored record edited to look ready with an open match is still refused.
  Workflow tampered = InState(EnrolmentState::kNeedsApproval);
  tampered.state = EnrolmentState::kReady;
  CHECK(Issue(tampered, "ER7D0H5DJ6C7").error().code == "approvalRequired");
}

TEST_CASE("workflow: events do not modify their input") {
  const Workflow before = InState(EnrolmentState::kNeedsApproval);
  const Workflow copy = before;
  (void)ResolveSame(before, kSecond, "M1");
  (void)ResolveDifferent(before, kSecond, "M1", "x");
  (void)Approve(before, kSecond);
  (void)Reject(before, kSecond, "x");
  CHECK(before == copy);
}
