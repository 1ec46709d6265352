// tillit-server's audit and backup commands (docs/operations.md §4, §6):
//   tillit-server admin --data DIR audit-verify
//   tillit-server admin --data DIR backup FILE
// and the server's periodic signed audit checkpoints (serve --checkpoint-interval).
#pragma once

#include <chrono>
#include <condition_variable>
#include <mutex>
#include <optional>
#include <string>
#include <thread>
#include <vector>

#include "tillit/service/audit_service.h"

namespace tillit::tools {

// Runs `args` (the whole argv) if it is `admin` with audit-verify or backup and returns the
// exit status (0 ok, 1 a broken log or a runtime error, 2 usage error); an empty optional
// for any other command, which the caller handles.
std::optional<int> RunAuditCommand(const std::vector<std::string>& args);

// Parses a --checkpoint-interval value: whole seconds, 0 to 31,536,000 (a year).
std::optional<std::chrono::seconds> ParseCheckpointInterval(const std::string& text);

// Writes a signed audit checkpoint every `interval` when the head has moved, on a thread of
// its own, and once more at Stop. An interval of 0 disables both. Failures are reported on
// stderr and retried at the next tick; they never stop the server. Construct it after the
// stop signals are blocked, so its thread inherits the mask.
class PeriodicCheckpoints {
 public:
  PeriodicCheckpoints(service::AuditService& audit, std::chrono::seconds interval);
  ~PeriodicCheckpoints();
  PeriodicCheckpoints(const PeriodicCheckpoints&) = delete;
  PeriodicCheckpoints& operator=(const PeriodicCheckpoints&) = delete;

  // Stops the thread (waking it at once), then writes a last checkpoint if the head moved.
  // Call after the HTTP server has stopped, so the last checkpoint pins every entry written.
  // Idempotent.
  void Stop();

 private:
  void Write();

  service::AuditService& audit_;
  const std::chrono::seconds interval_;
  std::mutex mutex_;
  std::condition_variable wake_;
  bool stopping_ = false;  // guarded by mutex_
  bool stopped_ = false;   // touched only by the owner's thread
  std::thread thread_;
};

}  // namespace tillit::tools
