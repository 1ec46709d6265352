// The web pages tillit-server serves (server/web/desk/ and server/web/demo/), built into the
// binary by server/web/cmake/embed.cmake. Read-only data; safe from any thread.
#pragma once

#include <span>
#include <string_view>

namespace tillit::server::web {

struct Asset {
  std::string_view path;          // "/desk/index.html": the file's path under server/web/
  std::string_view content_type;  // from the file's extension
  std::string_view body;
};

// Every built-in file, in no particular order.
std::span<const Asset> Assets();

}  // namespace tillit::server::web
