// Internal: the enrolment request as storage keeps it (EnrolmentRow::request_json, opaque
// to storage), and the small JSON helpers the services share. The encoding is read back
// by issuance and activation, so fields are only ever added. DO NOT CHANGE existing names.
//
// Thread safety: pure functions.
#pragma once

#include <cstdint>
#include <initializer_list>
#include <optional>
#include <string>
#include <utility>
#include <string_view>
#include <vector>

#include "tillit/enrolment/enrolment.h"
#include "tillit/result.h"

namespace tillit::service::internal {

// The validated, canonical enrolment as JSON text:
// {"person": {"givenName", "surname", "originalName"?, "birthDate", "nationality",
//  "samordningsnummer"?, "caseNumber"?}, "evidence": [{"type", "number", "country",
//  "expiry"?}], "checks": "a,b"}
std::string EncodeRequest(const enrolment::Enrolment& enrolment);

// What issuance and activation need back from request_json. Values are taken as stored
// (they were validated when the enrolment was created). Errors: "internalError" when the
// text is not what EncodeRequest writes.
struct StoredRequest {
  std::string given_name;
  std::string surname;
  std::optional<std::string> original_name;
  std::string birth_date;
  std::string nationality;
  std::optional<std::string> samordningsnummer;
  std::optional<std::string> case_number;
  std::vector<enrolment::Evidence> evidence;
};
Result<StoredRequest> DecodeRequest(std::string_view json);

// A JSON array of strings, and its inverse (an unreadable text gives an empty list).
std::string EncodeStringArray(const std::vector<std::string>& items);
std::vector<std::string> DecodeStringArray(std::string_view json);

// A JSON object of string and integer members, for audit details.
std::string AuditDetail(std::initializer_list<std::pair<std::string, std::string>> strings,
                        std::initializer_list<std::pair<std::string, int64_t>> numbers = {});

}  // namespace tillit::service::internal
