// Internal to protocol/: a strict parser for a JSON object whose members are all strings
// (RFC 8259), which is all a JWS protected header may be here (docs/protocol.md §6). Core
// links no JSON library, and a header needs no numbers, arrays or nesting, so this is small
// enough to review whole.
//
// Thread safety: pure function.
#pragma once

#include <functional>
#include <map>
#include <string>
#include <string_view>

#include "tillit/result.h"

namespace tillit::protocol::internal {

using JsonStringObject = std::map<std::string, std::string, std::less<>>;

// Parses `text` as exactly one JSON object, optionally surrounded by JSON whitespace, whose
// member values are all strings. Refuses: any other value type, duplicate member names
// (compared after unescaping, so "a" and "\u0061" collide: RFC 7515 §4 requires rejecting
// them), escapes other than \" \\ \/ \b \f \n \r \t \uXXXX, unpaired surrogates, raw control
// characters in strings, ill-formed UTF-8 and anything after the object.
// Returns the members, names and values unescaped to UTF-8. Errors: "invalidJson".
Result<JsonStringObject> ParseJsonStringObject(std::string_view text);

}  // namespace tillit::protocol::internal
