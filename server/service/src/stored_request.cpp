// Internal: encoding of the stored enrolment request, on cpprestsdk's web::json. Every
// call that can throw is inside a try block; nothing escapes.
#include "stored_request.h"

#include <cpprest/json.h>

#include <exception>

namespace tillit::service::internal {
namespace {

using web::json::value;

value Str(std::string_view s) { return value::string(utility::conversions::to_string_t(std::string(s))); }

std::string Text(const value& v) { return utility::conversions::to_utf8string(v.as_string()); }

}  // namespace

std::string EncodeRequest(const enrolment::Enrolment& e) {
  value person = value::object();
  person[U("givenName")] = Str(e.person.given_name);
  person[U("surname")] = Str(e.person.surname);
  if (e.person.original_name) person[U("originalName")] = Str(*e.person.original_name);
  person[U("birthDate")] = Str(enrolment::SerializeBirthDate(e.person.birth_date));
  person[U("nationality")] = Str(e.person.nationality);
  if (e.person.samordningsnummer) person[U("samordningsnummer")] = Str(*e.person.samordningsnummer);
  if (e.person.migrationsverket_case) person[U("caseNumber")] = Str(*e.person.migrationsverket_case);
  value evidence = value::array(e.evidence.size());
  for (size_t i = 0; i < e.evidence.size(); ++i) {
    const auto& item = e.evidence[i];
    value v = value::object();
    v[U("type")] = Str(enrolment::EvidenceTypeName(item.type));
    v[U("number")] = Str(item.number);
    v[U("country")] = Str(item.issuing_country);
    if (item.expiry) v[U("expiry")] = Str(enrolment::SerializeDate(*item.expiry));
    evidence[i] = v;
  }
  value root = value::object();
  root[U("person")] = person;
  root[U("evidence")] = evidence;
  root[U("checks")] = Str(enrolment::SerializeCheckList(e.checks));
  return utility::conversions::to_utf8string(root.serialize());
}

Result<StoredRequest> DecodeRequest(std::string_view json) {
  try {
    value root = value::parse(utility::conversions::to_string_t(std::string(json)));
    const value& p = root.at(U("person"));
    StoredRequest out;
    out.given_name = Text(p.at(U("givenName")));
    out.surname = Text(p.at(U("surname")));
    if (p.has_field(U("originalName"))) out.original_name = Text(p.at(U("originalName")));
    out.birth_date = Text(p.at(U("birthDate")));
    out.nationality = Text(p.at(U("nationality")));
    if (p.has_field(U("samordningsnummer"))) {
      out.samordningsnummer = Text(p.at(U("samordningsnummer")));
    }
    if (p.has_field(U("caseNumber"))) out.case_number = Text(p.at(U("caseNumber")));
    for (const value& v : root.at(U("evidence")).as_array()) {
      enrolment::Evidence item;
      auto type = enrolment::ParseEvidenceType(Text(v.at(U("type"))), "type");
      if (!type.ok()) return MakeError("internalError", "stored request: bad evidence type");
      item.type = *type;
      item.number = Text(v.at(U("number")));
      item.issuing_country = Text(v.at(U("country")));
      if (v.has_field(U("expiry"))) {
        auto date = enrolment::ParseDate(Text(v.at(U("expiry"))), "expiry");
        if (!date.ok()) return MakeError("internalError", "stored request: bad expiry");
        item.expiry = *date;
      }
      out.evidence.push_back(std::move(item));
    }
    return out;
  } catch (const std::exception&) {
    return MakeError("internalError", "stored request: unreadable");
  }
}

std::string EncodeStringArray(const std::vector<std::string>& items) {
  value array = value::array(items.size());
  for (size_t i = 0; i < items.size(); ++i) array[i] = Str(items[i]);
  return utility::conversions::to_utf8string(array.serialize());
}

std::vector<std::string> DecodeStringArray(std::string_view json) {
  std::vector<std::string> out;
  try {
    value array = value::parse(utility::conversions::to_string_t(std::string(json)));
    for (const value& v : array.as_array()) out.push_back(Text(v));
  } catch (const std::exception&) {
    out.clear();
  }
  return out;
}

std::string AuditDetail(std::initializer_list<std::pair<std::string, std::string>> strings,
                        std::initializer_list<std::pair<std::string, int64_t>> numbers) {
  value root = value::object();
  for (const auto& [k, v] : strings) root[utility::conversions::to_string_t(k)] = Str(v);
  for (const auto& [k, v] : numbers) root[utility::conversions::to_string_t(k)] = value::number(v);
  return utility::conversions::to_utf8string(root.serialize());
}

}  // namespace tillit::service::internal
