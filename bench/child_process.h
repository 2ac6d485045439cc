#ifndef SHOPSTREAM_BENCH_CHILD_PROCESS_H_
#define SHOPSTREAM_BENCH_CHILD_PROCESS_H_

#include <sys/types.h>

#include <string>
#include <vector>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/time/time.h"

namespace shopstream::bench {

// A server the benchmark runs for a ceiling (nginx, the do-nothing gRPC
// server) as its own child, in a process group of its own so that stopping
// it also stops the workers it forked. The destructor stops it, so a
// ceiling that fails half-way leaves nothing running.
class ChildProcess {
 public:
  ChildProcess() = default;
  ~ChildProcess();
  ChildProcess(const ChildProcess&) = delete;
  ChildProcess& operator=(const ChildProcess&) = delete;

  // Runs argv[0] (a path, or a name looked up on PATH) with `argv`; its
  // output is appended to `log_path`, or dropped when that is empty.
  absl::Status Start(const std::vector<std::string>& argv,
                     const std::string& log_path);
  // SIGTERM to the group, SIGKILL to it after `grace`; reaps the child. OK
  // when it was not running. An error says how it ended when that was not
  // by a clean exit or the SIGTERM itself.
  absl::Status Stop(absl::Duration grace = absl::Seconds(10));
  // False once it has exited (it is then reaped).
  bool Running();
  pid_t pid() const { return pid_; }
  // How it ended, once Running has found it gone.
  const std::string& ended() const { return ended_; }

 private:
  pid_t pid_ = -1;
  std::string ended_;
};

// A loopback TCP port that no one listens on at the moment (the kernel's
// choice); the server given it should bind it at once.
absl::StatusOr<int> FreeLoopbackPort();

// Polls until 127.0.0.1:`port` accepts a connection; fails early when
// `child` has exited, or after `limit`.
absl::Status WaitForPort(int port, ChildProcess& child, absl::Duration limit);

}  // namespace shopstream::bench

#endif  // SHOPSTREAM_BENCH_CHILD_PROCESS_H_
