// tillit-desk's subcommands (desk_request.h): argument parsing and request bodies.
#include "desk_request.h"

#include <cpprest/uri.h>

#include <algorithm>
#include <map>
#include <set>
#include <utility>

namespace tillit::desk {
namespace {

using web::json::value;

// docs/assurance.md §Evidence: the API values of evidence types and checks.
constexpr std::string_view kEvidenceTypes[] = {
    "passport",       "national-id-card",         "residence-permit", "migrationsverket-decision",
    "lma-card",       "samordningsnummer-styrkt", "none"};
constexpr std::string_view kChecks[] = {"visual-security-features", "chip-read",
                                        "register-lookup", "face-to-photo"};

template <size_t N>
bool OneOf(std::string_view v, const std::string_view (&list)[N]) {
  return std::find(std::begin(list), std::end(list), v) != std::end(list);
}

template <size_t N>
std::string Join(const std::string_view (&list)[N]) {
  std::string out;
  for (std::string_view s : list) {
    if (!out.empty()) out += ", ";
    out += s;
  }
  return out;
}

Error Usage(std::string_view subcommand, std::string message) {
  return MakeError(std::string(kUsageError), std::string(subcommand) + ": " + message);
}

// Which options a subcommand takes: value options (some repeatable) and flags.
struct OptionSpec {
  std::set<std::string, std::less<>> single;
  std::set<std::string, std::less<>> repeated;
  std::set<std::string, std::less<>> flags;
};

struct ParsedArgs {
  std::map<std::string, std::vector<std::string>, std::less<>> options;
  std::vector<std::string> positionals;

  bool Has(std::string_view name) const { return options.find(name) != options.end(); }
  std::string Get(std::string_view name) const {
    auto it = options.find(name);
    return it == options.end() ? std::string() : it->second.front();
  }
  std::vector<std::string> All(std::string_view name) const {
    auto it = options.find(name);
    return it == options.end() ? std::vector<std::string>{} : it->second;
  }
};

Result<ParsedArgs> Parse(std::string_view subcommand, const OptionSpec& spec,
                         const std::vector<std::string>& args) {
  ParsedArgs out;
  bool options_done = false;
  for (size_t i = 0; i < args.size(); ++i) {
    const std::string& arg = args[i];
    if (options_done || arg.size() < 2 || arg[0] != '-' || arg[1] != '-') {
      if (!options_done && arg.size() >= 2 && arg[0] == '-') {
        return Usage(subcommand, "unknown option " + arg);
      }
      out.positionals.push_back(arg);
      continue;
    }
    if (arg == "--") {
      options_done = true;
      continue;
    }
    std::string name = arg;
    std::optional<std::string> inline_value;
    if (const size_t eq = arg.find('='); eq != std::string::npos) {
      name = arg.substr(0, eq);
      inline_value = arg.substr(eq + 1);
    }
    if (spec.flags.count(name) != 0) {
      if (inline_value) return Usage(subcommand, name + " takes no value");
      if (out.Has(name)) return Usage(subcommand, name + " given twice");
      out.options[name].push_back("");
      continue;
    }
    const bool repeated = spec.repeated.count(name) != 0;
    if (!repeated && spec.single.count(name) == 0) {
      return Usage(subcommand, "unknown option " + name);
    }
    std::string v;
    if (inline_value) {
      v = *inline_value;
    } else {
      if (i + 1 >= args.size()) return Usage(subcommand, name + " needs a value");
      v = args[++i];
    }
    if (!repeated && out.Has(name)) return Usage(subcommand, name + " given twice");
    out.options[name].push_back(std::move(v));
  }
  return out;
}

Status Require(std::string_view subcommand, const ParsedArgs& p,
               std::initializer_list<std::string_view> names) {
  // Present but empty is not a usage error: the value is checked (locally or by the
  // server) and refused as invalidParameters.
  for (std::string_view n : names) {
    if (!p.Has(n)) return Usage(subcommand, "missing " + std::string(n));
  }
  return {};
}

// Exactly one positional argument, non-empty.
Result<std::string> OnePositional(std::string_view subcommand, const ParsedArgs& p,
                                  std::string_view what) {
  if (p.positionals.empty() || p.positionals.front().empty()) {
    return Usage(subcommand, "missing " + std::string(what));
  }
  if (p.positionals.size() > 1) {
    return Usage(subcommand, "unexpected argument " + p.positionals[1]);
  }
  return p.positionals.front();
}

std::string Segment(const std::string& s) { return web::uri::encode_data_string(s); }

// TYPE:NUMBER:COUNTRY:EXPIRY, exactly four parts (any may be empty but TYPE).
Result<value> ParseEvidence(const std::string& text) {
  std::vector<std::string> parts;
  size_t start = 0;
  while (true) {
    const size_t colon = text.find(':', start);
    parts.push_back(text.substr(start, colon == std::string::npos ? colon : colon - start));
    if (colon == std::string::npos) break;
    start = colon + 1;
  }
  if (parts.size() != 4) {
    return MakeError("invalidParameters",
                     "--evidence '" + text + "' is not TYPE:NUMBER:COUNTRY:EXPIRY (" +
                         std::to_string(parts.size()) +
                         " parts; a part may be empty, e.g. lma-card:12-345678:SWE:)");
  }
  if (!OneOf(parts[0], kEvidenceTypes)) {
    return MakeError("invalidParameters", "--evidence type '" + parts[0] +
                                              "' is not one of: " + Join(kEvidenceTypes));
  }
  value e = value::object();
  e["type"] = value::string(parts[0]);
  e["number"] = value::string(parts[1]);
  e["country"] = value::string(parts[2]);
  if (!parts[3].empty()) e["expiry"] = value::string(parts[3]);
  return e;
}

Result<DeskRequest> Enrol(const std::vector<std::string>& args) {
  constexpr std::string_view kName = "enrol";
  const OptionSpec spec{{"--given-name", "--surname", "--birth-date", "--nationality",
                         "--samordningsnummer", "--original-name", "--case-number"},
                        {"--evidence", "--check"},
                        {}};
  TILLIT_TRY_ASSIGN(ParsedArgs p, Parse(kName, spec, args));
  TILLIT_TRY(Require(kName, p,
                     {"--given-name", "--surname", "--birth-date", "--nationality", "--evidence"}));
  if (!p.positionals.empty()) return Usage(kName, "unexpected argument " + p.positionals[0]);

  value person = value::object();
  person["givenName"] = value::string(p.Get("--given-name"));
  person["surname"] = value::string(p.Get("--surname"));
  person["birthDate"] = value::string(p.Get("--birth-date"));
  person["nationality"] = value::string(p.Get("--nationality"));
  const std::pair<std::string_view, const char*> optional_fields[] = {
      {"--original-name", "originalName"},
      {"--samordningsnummer", "samordningsnummer"},
      {"--case-number", "caseNumber"}};
  for (const auto& [option, field] : optional_fields) {
    if (p.Has(option)) person[field] = value::string(p.Get(option));
  }

  std::vector<value> evidence;
  for (const std::string& e : p.All("--evidence")) {
    TILLIT_TRY_ASSIGN(value item, ParseEvidence(e));
    evidence.push_back(std::move(item));
  }
  std::vector<value> checks;
  for (const std::string& c : p.All("--check")) {
    if (!OneOf(c, kChecks)) {
      return MakeError("invalidParameters",
                       "--check '" + c + "' is not one of: " + Join(kChecks));
    }
    checks.push_back(value::string(c));
  }

  value body = value::object();
  body["person"] = std::move(person);
  body["evidence"] = value::array(std::move(evidence));
  body["checks"] = value::array(std::move(checks));
  return DeskRequest{"POST", "/desk/v1/enrolments", std::move(body), false};
}

// approve, issue, show, person: one identifier, no options.
Result<DeskRequest> SimpleById(std::string_view name, const std::vector<std::string>& args,
                               std::string_view what, std::string method, std::string prefix,
                               std::string suffix, bool has_body) {
  TILLIT_TRY_ASSIGN(ParsedArgs p, Parse(name, OptionSpec{}, args));
  TILLIT_TRY_ASSIGN(std::string id, OnePositional(name, p, what));
  DeskRequest r{std::move(method), prefix + Segment(id) + suffix, std::nullopt, false};
  if (has_body) r.body = value::object();
  return r;
}

Result<DeskRequest> Resolve(const std::vector<std::string>& args) {
  constexpr std::string_view kName = "resolve";
  const OptionSpec spec{{"--same", "--reason"}, {}, {"--different"}};
  TILLIT_TRY_ASSIGN(ParsedArgs p, Parse(kName, spec, args));
  TILLIT_TRY_ASSIGN(std::string id, OnePositional(kName, p, "ENROLMENT_ID"));
  value body = value::object();
  if (p.Has("--different") == p.Has("--same")) {
    return Usage(kName, "give exactly one of --different --reason TEXT or --same IDENTIFIER");
  }
  if (p.Has("--different")) {
    TILLIT_TRY(Require(kName, p, {"--reason"}));
    body["resolution"] = value::string("different");
    body["reason"] = value::string(p.Get("--reason"));
  } else {
    TILLIT_TRY(Require(kName, p, {"--same"}));
    if (p.Has("--reason")) return Usage(kName, "--reason goes with --different, not --same");
    body["resolution"] = value::string("same");
    body["identifier"] = value::string(p.Get("--same"));
  }
  return DeskRequest{"POST", "/desk/v1/enrolments/" + Segment(id) + "/resolve",
                     std::move(body), false};
}

Result<DeskRequest> Search(const std::vector<std::string>& args) {
  constexpr std::string_view kName = "search";
  TILLIT_TRY_ASSIGN(ParsedArgs p, Parse(kName, OptionSpec{}, args));
  // `search Amal Hassan` without quotes means the same as `search "Amal Hassan"`.
  std::string query;
  for (const std::string& word : p.positionals) {
    if (word.empty()) continue;
    if (!query.empty()) query += ' ';
    query += word;
  }
  if (query.empty()) return Usage(kName, "missing TEXT");
  value body = value::object();
  body["query"] = value::string(query);
  return DeskRequest{"POST", "/desk/v1/search", std::move(body), false};
}

Result<DeskRequest> Revoke(const std::vector<std::string>& args) {
  constexpr std::string_view kName = "revoke";
  TILLIT_TRY_ASSIGN(ParsedArgs p, Parse(kName, OptionSpec{{"--reason"}, {}, {}}, args));
  TILLIT_TRY_ASSIGN(std::string id, OnePositional(kName, p, "IDENTIFIER"));
  TILLIT_TRY(Require(kName, p, {"--reason"}));
  value body = value::object();
  body["reason"] = value::string(p.Get("--reason"));
  return DeskRequest{"POST", "/desk/v1/persons/" + Segment(id) + "/revoke", std::move(body),
                     false};
}

// suspend, resume: IDENTIFIER --reason TEXT.
Result<DeskRequest> WithReason(std::string_view name, const std::vector<std::string>& args) {
  TILLIT_TRY_ASSIGN(ParsedArgs p, Parse(name, OptionSpec{{"--reason"}, {}, {}}, args));
  TILLIT_TRY_ASSIGN(std::string id, OnePositional(name, p, "IDENTIFIER"));
  TILLIT_TRY(Require(name, p, {"--reason"}));
  value body = value::object();
  body["reason"] = value::string(p.Get("--reason"));
  return DeskRequest{"POST", "/desk/v1/persons/" + Segment(id) + "/" + std::string(name),
                     std::move(body), false};
}

Result<DeskRequest> Replace(const std::vector<std::string>& args) {
  constexpr std::string_view kName = "replace";
  const OptionSpec spec{{"--enrolment"}, {"--evidence", "--check"}, {}};
  TILLIT_TRY_ASSIGN(ParsedArgs p, Parse(kName, spec, args));
  TILLIT_TRY_ASSIGN(std::string id, OnePositional(kName, p, "IDENTIFIER"));
  value body = value::object();
  if (p.Has("--enrolment")) {
    if (p.Has("--evidence") || p.Has("--check")) {
      return Usage(kName, "--enrolment carries out an approved replacement: no --evidence or --check");
    }
    body["enrolmentId"] = value::string(p.Get("--enrolment"));
  } else {
    TILLIT_TRY(Require(kName, p, {"--evidence"}));
    std::vector<value> evidence;
    for (const std::string& e : p.All("--evidence")) {
      TILLIT_TRY_ASSIGN(value item, ParseEvidence(e));
      evidence.push_back(std::move(item));
    }
    std::vector<value> checks;
    for (const std::string& c : p.All("--check")) {
      if (!OneOf(c, kChecks)) {
        return MakeError("invalidParameters",
                         "--check '" + c + "' is not one of: " + Join(kChecks));
      }
      checks.push_back(value::string(c));
    }
    body["evidence"] = value::array(std::move(evidence));
    body["checks"] = value::array(std::move(checks));
  }
  return DeskRequest{"POST", "/desk/v1/persons/" + Segment(id) + "/replace", std::move(body),
                     true};
}

Result<DeskRequest> Link(const std::vector<std::string>& args) {
  constexpr std::string_view kName = "link";
  TILLIT_TRY_ASSIGN(ParsedArgs p, Parse(kName, OptionSpec{{"--personnummer"}, {}, {}}, args));
  TILLIT_TRY_ASSIGN(std::string id, OnePositional(kName, p, "IDENTIFIER"));
  TILLIT_TRY(Require(kName, p, {"--personnummer"}));
  value body = value::object();
  body["personnummer"] = value::string(p.Get("--personnummer"));
  return DeskRequest{"POST", "/desk/v1/persons/" + Segment(id) + "/link", std::move(body),
                     false};
}

}  // namespace

const std::vector<SubcommandHelp>& Subcommands() {
  static const std::vector<SubcommandHelp> kSubcommands = {
      {"enrol",
       "enrol --given-name G --surname S --birth-date D --nationality C\n"
       "        --evidence TYPE:NUMBER:COUNTRY:EXPIRY [--evidence ...] [--check CHECK ...]\n"
       "        [--samordningsnummer N] [--original-name N] [--case-number N]",
       "Records a person and the evidence checked in person; the server derives the assurance\n"
       "level and searches for duplicates.\n"
       "  --given-name, --surname  as printed in Latin on the document (ICAO 9303)\n"
       "  --birth-date             YYYY-MM-DD, YYYY or unknown\n"
       "  --nationality            ICAO 3-letter code (XXA stateless, XXB refugee, XXX unspecified)\n"
       "  --evidence               TYPE:NUMBER:COUNTRY:EXPIRY, exactly four ':'-separated parts;\n"
       "                           empty parts allowed (lma-card:12-345678:SWE: has no expiry,\n"
       "                           none::: records that nothing was shown). Repeatable.\n"
       "                           TYPE: passport, national-id-card, residence-permit,\n"
       "                           migrationsverket-decision, lma-card, samordningsnummer-styrkt, none\n"
       "  --check                  visual-security-features, chip-read, register-lookup,\n"
       "                           face-to-photo. Repeatable.\n"
       "  --samordningsnummer, --original-name (in original script), --case-number\n"
       "                           (Migrationsverket) are optional.\n"
       "Prints {\"enrolmentId\", \"status\", \"assuranceLevel\", \"possibleDuplicates\": [...]}\n"
       "(status ready, needs-approval or duplicate; then also \"existingIdentifier\")."},
      {"approve", "approve ENROLMENT_ID",
       "Approves an enrolment as the second officer (four-eyes); the officer who created it\n"
       "cannot. Prints {\"enrolmentId\", \"status\"}."},
      {"resolve", "resolve ENROLMENT_ID --different --reason TEXT | --same IDENTIFIER",
       "Resolves the enrolment's possible duplicates: --different says every possible match is\n"
       "another person (the reason is recorded); --same IDENTIFIER says the person is already\n"
       "enrolled under IDENTIFIER (the enrolment becomes a duplicate).\n"
       "Prints {\"enrolmentId\", \"status\"}."},
      {"issue", "issue ENROLMENT_ID",
       "Allocates the identifier and a one-time activation code (valid 15 minutes, shown once).\n"
       "Prints {\"identifier\", \"activationCode\", \"expiresAt\", \"activationQr\"}; when stderr\n"
       "is a terminal, also draws the activation QR there for the person's phone to scan."},
      {"search", "search TEXT",
       "Searches enrolled persons by name, identifier or document (sent in the body, never in\n"
       "the URL). Prints {\"results\": [{\"identifier\", \"givenName\", \"surname\",\n"
       "\"birthDate\", \"nationality\", \"status\"}...]}."},
      {"revoke", "revoke IDENTIFIER --reason TEXT",
       "Revokes every credential of the person at once and cancels an unused activation code;\n"
       "final (a lost phone that may be found: suspend; a new phone: replace).\n"
       "Prints {\"identifier\", \"revokedCredentials\": N}."},
      {"suspend", "suspend IDENTIFIER --reason TEXT",
       "Suspends every good credential of the person (login fails until resumed).\n"
       "Prints {\"identifier\", \"suspendedCredentials\": N}."},
      {"resume", "resume IDENTIFIER --reason TEXT",
       "Makes the person's suspended credentials good again.\n"
       "Prints {\"identifier\", \"resumedCredentials\": N}."},
      {"replace",
       "replace IDENTIFIER --evidence TYPE:NUMBER:COUNTRY:EXPIRY [--evidence ...] [--check CHECK ...]\n"
       "        | replace IDENTIFIER --enrolment ENROLMENT_ID",
       "A new device for the person (lost, stolen or broken phone): the person is checked\n"
       "again, --evidence and --check as for enrol. The old credentials are revoked and a new\n"
       "activation code is made for the same identifier. Prints {\"identifier\",\n"
       "\"enrolmentId\", \"status\": \"issued\", \"assuranceLevel\", \"activationCode\",\n"
       "\"expiresAt\", \"activationQr\"} (the QR is drawn as for issue).\n"
       "Evidence that decides level 1 needs a second officer: the answer is then\n"
       "{\"status\": \"needs-approval\", \"enrolmentId\", ...} and nothing changes yet; after\n"
       "`approve ENROLMENT_ID` by another officer, `replace IDENTIFIER --enrolment ENROLMENT_ID`\n"
       "carries it out."},
      {"link", "link IDENTIFIER --personnummer PNR",
       "Links the personnummer Skatteverket granted the person; the identifier stays theirs\n"
       "and logins then also carry the personnummer. Prints {\"identifier\",\n"
       "\"personnummer\": \"linked\", \"alreadyLinked\"}."},
      {"show", "show ENROLMENT_ID",
       "Prints the enrolment as the server has it, with createdBy, approvedBy and, once\n"
       "issued, identifier."},
      {"person", "person IDENTIFIER",
       "Prints the person's record and credentials [{\"serial\", \"status\", \"notAfter\",\n"
       "\"createdAt\"}]."},
  };
  return kSubcommands;
}

const SubcommandHelp* FindSubcommand(std::string_view name) {
  for (const SubcommandHelp& s : Subcommands()) {
    if (s.name == name) return &s;
  }
  return nullptr;
}

Result<DeskRequest> BuildRequest(std::string_view name, const std::vector<std::string>& args) {
  if (name == "enrol") return Enrol(args);
  if (name == "approve") {
    return SimpleById(name, args, "ENROLMENT_ID", "POST", "/desk/v1/enrolments/", "/approve",
                      true);
  }
  if (name == "resolve") return Resolve(args);
  if (name == "issue") {
    TILLIT_TRY_ASSIGN(DeskRequest r, SimpleById(name, args, "ENROLMENT_ID", "POST",
                                                "/desk/v1/enrolments/", "/issue", true));
    r.draws_activation_qr = true;
    return r;
  }
  if (name == "search") return Search(args);
  if (name == "revoke") return Revoke(args);
  if (name == "suspend" || name == "resume") return WithReason(name, args);
  if (name == "replace") return Replace(args);
  if (name == "link") return Link(args);
  if (name == "show") {
    return SimpleById(name, args, "ENROLMENT_ID", "GET", "/desk/v1/enrolments/", "", false);
  }
  if (name == "person") {
    return SimpleById(name, args, "IDENTIFIER", "GET", "/desk/v1/persons/", "", false);
  }
  return MakeError(std::string(kUsageError), "unknown subcommand '" + std::string(name) + "'");
}

}  // namespace tillit::desk
