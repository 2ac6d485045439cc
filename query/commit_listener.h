#ifndef SHOPSTREAM_QUERY_COMMIT_LISTENER_H_
#define SHOPSTREAM_QUERY_COMMIT_LISTENER_H_

#include <atomic>
#include <functional>
#include <string>
#include <thread>
#include <vector>

#include "absl/synchronization/mutex.h"

namespace shopstream {

// Holds one PostgreSQL connection that LISTENs on the processor's commit
// channel (common/commit_notice.h) and reports which shops got new events.
// When the connection breaks (PostgreSQL restarted, network) it reconnects
// with backoff and reports a gap, since commits in between went unheard.
class CommitListener {
 public:
  using OnCommit = std::function<void(const std::vector<std::string>& shops)>;
  using OnGap = std::function<void()>;

  // Both callbacks run on the listener's thread and must not block long.
  CommitListener(std::string conninfo, OnCommit on_commit, OnGap on_gap);
  ~CommitListener();  // Stop()s
  CommitListener(const CommitListener&) = delete;
  CommitListener& operator=(const CommitListener&) = delete;

  void Start();
  // Returns once the thread is gone; within about a poll interval.
  void Stop();

  // True while a LISTEN connection is open.
  bool listening() const { return listening_.load(); }
  // How many times a LISTEN connection was opened; for tests and logs.
  int connections_opened() const { return connections_opened_.load(); }

 private:
  void Run();
  void ListenUntilBrokenOrStopped();

  const std::string conninfo_;
  const OnCommit on_commit_;
  const OnGap on_gap_;
  std::atomic<bool> stopping_{false};
  std::atomic<bool> listening_{false};
  std::atomic<int> connections_opened_{0};
  absl::Mutex mu_;  // for interruptible backoff sleeps
  std::thread thread_;
};

}  // namespace shopstream

#endif  // SHOPSTREAM_QUERY_COMMIT_LISTENER_H_
