// HttpRequest helpers and the internal log.
#include "tillit/server/api/http.h"

#include <cstdio>
#include <string>

#include "log.h"

namespace tillit::server::api {

std::string_view HttpRequest::Header(std::string_view name) const {
  std::string key(name);
  for (char& c : key) {
    if (c >= 'A' && c <= 'Z') c = static_cast<char>(c - 'A' + 'a');
  }
  auto it = headers.find(key);
  return it == headers.end() ? std::string_view() : std::string_view(it->second);
}

namespace internal {

void LogError(std::string_view message) {
  std::string line = "tillit http: ";
  line.append(message);
  line.push_back('\n');
  std::fwrite(line.data(), 1, line.size(), stderr);
  std::fflush(stderr);
}

}  // namespace internal
}  // namespace tillit::server::api
