// tillit-bench support: JSON field reader, latency summaries, a throw-away server.
#include "bench_support.h"

#include <cpprest/json.h>
#include <fcntl.h>
#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <cmath>
#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <iostream>
#include <memory>
#include <sstream>

namespace tillit::bench {
namespace {

// Pointers into `argv`, which must outlive the result.
std::vector<char*> Argv(const std::vector<std::string>& argv) {
  std::vector<char*> out;
  for (const auto& a : argv) out.push_back(const_cast<char*>(a.c_str()));
  out.push_back(nullptr);
  return out;
}

Result<std::string> JsonField(const std::string& json, const char* name) {
  try {
    auto v = web::json::value::parse(json);
    return v.at(name).as_string();
  } catch (const std::exception&) {
    return MakeError("internalError", std::string("no string field ") + name + " in the answer");
  }
}

}  // namespace

std::optional<std::string_view> JsonStringField(std::string_view json, std::string_view key,
                                                size_t from) {
  std::string needle;
  needle.reserve(key.size() + 4);
  needle.append("\"").append(key).append("\":\"");
  const size_t at = json.find(needle, from);
  if (at == std::string_view::npos) return std::nullopt;
  const size_t begin = at + needle.size();
  for (size_t i = begin; i < json.size(); ++i) {
    if (json[i] == '\\') return std::nullopt;
    if (json[i] == '"') return json.substr(begin, i - begin);
  }
  return std::nullopt;
}

std::string ErrorCodeOf(int status, std::string_view body) {
  if (auto code = JsonStringField(body, "errorCode")) return std::string(*code);
  return "http" + std::to_string(status);
}

LatencySummary Summarise(std::vector<uint32_t>& samples_us) {
  LatencySummary s;
  s.count = samples_us.size();
  if (samples_us.empty()) return s;
  std::sort(samples_us.begin(), samples_us.end());
  // Nearest-rank percentiles.
  auto rank = [&](double p) {
    size_t index = static_cast<size_t>(std::ceil(p * static_cast<double>(s.count)));
    index = std::clamp<size_t>(index, 1, s.count) - 1;
    return samples_us[index] / 1000.0;
  };
  s.p50_ms = rank(0.50);
  s.p95_ms = rank(0.95);
  s.p99_ms = rank(0.99);
  s.max_ms = samples_us.back() / 1000.0;
  return s;
}

std::string ExecutableDir() {
  std::error_code ec;
  auto path = std::filesystem::read_symlink("/proc/self/exe", ec);
  if (ec) return ".";
  return path.parent_path().string();
}

Result<std::string> RunCapture(const std::vector<std::string>& argv) {
  int fds[2];
  if (::pipe(fds) != 0) return MakeError("internalError", "pipe failed");
  const pid_t pid = ::fork();
  if (pid < 0) return MakeError("internalError", "fork failed");
  if (pid == 0) {
    ::dup2(fds[1], STDOUT_FILENO);
    ::close(fds[0]);
    ::close(fds[1]);
    auto args = Argv(argv);
    ::execv(args[0], args.data());
    std::perror(args[0]);
    ::_exit(127);
  }
  ::close(fds[1]);
  std::string out;
  char buf[4096];
  ssize_t n;
  while ((n = ::read(fds[0], buf, sizeof buf)) > 0) out.append(buf, static_cast<size_t>(n));
  ::close(fds[0]);
  int status = 0;
  ::waitpid(pid, &status, 0);
  if (!WIFEXITED(status) || WEXITSTATUS(status) != 0) {
    return MakeError("internalError", argv[0] + " " + (argv.size() > 3 ? argv[3] : "") +
                                          " failed (exit " + std::to_string(WEXITSTATUS(status)) +
                                          ")");
  }
  return out;
}

Result<std::unique_ptr<LocalServer>> LocalServer::Start(const std::string& server_binary) {
  std::unique_ptr<LocalServer> server(new LocalServer());
  std::string tmpl = (std::filesystem::temp_directory_path() / "tillit-bench-XXXXXX").string();
  if (::mkdtemp(tmpl.data()) == nullptr) {
    return MakeError("internalError", "cannot create a temporary directory");
  }
  server->dir_ = tmpl;
  const std::string data = server->dir_ + "/data";

  // One supervisor (a level-3 enrolment needs no approval, but a supervisor may also
  // resolve possible duplicates) and one e-service, made with the operator's own commands.
  TILLIT_TRY_ASSIGN(
      std::string officer,
      RunCapture({server_binary, "admin", "--data", data, "add-officer", "--name", "Bench Officer",
                  "--organisation", "tillit-bench", "--role", "supervisor"}));
  TILLIT_TRY_ASSIGN(server->officer_token_, JsonField(officer, "token"));
  TILLIT_TRY_ASSIGN(std::string rp, RunCapture({server_binary, "admin", "--data", data, "add-rp",
                                                "--name", "Bench e-service"}));
  TILLIT_TRY_ASSIGN(server->rp_key_, JsonField(rp, "apiKey"));

  int fds[2];
  if (::pipe(fds) != 0) return MakeError("internalError", "pipe failed");
  const std::string log = server->dir_ + "/server.log";
  const pid_t pid = ::fork();
  if (pid < 0) return MakeError("internalError", "fork failed");
  if (pid == 0) {
    ::dup2(fds[1], STDOUT_FILENO);
    const int log_fd = ::open(log.c_str(), O_WRONLY | O_CREAT | O_TRUNC, 0600);
    if (log_fd >= 0) ::dup2(log_fd, STDERR_FILENO);
    ::close(fds[0]);
    ::close(fds[1]);
    // The abuse limits are off: every simulated phone comes from 127.0.0.1, which the
    // per-address limit (meant for one real phone or one attacker) would stop at once, and
    // one e-service key drives the whole load. What is measured is the issuer's work.
    const std::vector<std::string> argv{server_binary,
                                        "serve",
                                        "--data",
                                        data,
                                        "--listen",
                                        "127.0.0.1:0",
                                        "--checkpoint-interval",
                                        "0",
                                        "--rate-limit-address",
                                        "off",
                                        "--rate-limit-credential",
                                        "off"};
    auto args = Argv(argv);
    ::execv(args[0], args.data());
    std::perror(args[0]);
    ::_exit(127);
  }
  server->pid_ = pid;
  ::close(fds[1]);
  // The first line is "listening on URL" once the routes are in place.
  std::string line;
  char c;
  while (::read(fds[0], &c, 1) == 1 && c != '\n') line.push_back(c);
  ::close(fds[0]);
  constexpr std::string_view kListening = "listening on ";
  if (line.rfind(kListening, 0) != 0) {
    std::ifstream in(log);
    std::cerr << in.rdbuf();
    return MakeError("internalError", "tillit-server did not start");
  }
  server->url_ = line.substr(kListening.size());
  return server;
}

LocalServer::~LocalServer() {
  if (pid_ > 0) {
    ::kill(pid_, SIGTERM);
    int status = 0;
    ::waitpid(pid_, &status, 0);
  }
  if (!dir_.empty()) {
    std::error_code ignored;
    std::filesystem::remove_all(dir_, ignored);
  }
}

std::string RandomWord(std::mt19937_64& rng, size_t syllables) {
  static constexpr const char* kConsonants = "bdfghjklmnprstvz";
  static constexpr const char* kVowels = "aeiou";
  std::string out;
  for (size_t i = 0; i < syllables; ++i) {
    out.push_back(kConsonants[rng() % 16]);
    out.push_back(kVowels[rng() % 5]);
  }
  out[0] = static_cast<char>(out[0] - 'a' + 'A');
  return out;
}

}  // namespace tillit::bench
