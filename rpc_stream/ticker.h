#ifndef SHOPSTREAM_RPC_STREAM_TICKER_H_
#define SHOPSTREAM_RPC_STREAM_TICKER_H_

#include <cstdint>
#include <memory>
#include <thread>

#include "absl/container/flat_hash_map.h"
#include "absl/functional/any_invocable.h"
#include "absl/synchronization/mutex.h"
#include "absl/time/time.h"
#include "common/clock.h"

namespace shopstream::rpc_stream {

// Runs what is registered every `interval` of `clock` on one thread of its
// own: the stream clients' deadlines, reconnects and open timeouts, all of a
// process's on one thread that wakes a few times a second.
class Ticker {
 public:
  explicit Ticker(absl::Duration interval, const Clock& clock = Clock::Real());
  ~Ticker();  // joins the thread; everything must be removed by then

  // The process's ticker, every 50 ms; it lives as long as the process.
  static Ticker& Shared();

  // What the ticks are timed by; its users read the time from it too.
  const Clock& clock() const { return clock_; }

  // `tick` runs on the ticker's thread until Remove(id) returns.
  uint64_t Add(absl::AnyInvocable<void()> tick);
  // Once it returns, the tick neither runs nor will run. Not from a tick.
  void Remove(uint64_t id);

 private:
  void Run();

  const absl::Duration interval_;
  const Clock& clock_;
  absl::Mutex mu_;
  // Boxed, so that a tick stays put while it runs unlocked and others are
  // added.
  absl::flat_hash_map<uint64_t, std::unique_ptr<absl::AnyInvocable<void()>>>
      ticks_ ABSL_GUARDED_BY(mu_);
  uint64_t next_id_ ABSL_GUARDED_BY(mu_) = 1;
  // The tick running now, 0 when none.
  uint64_t running_ ABSL_GUARDED_BY(mu_) = 0;
  bool stopping_ ABSL_GUARDED_BY(mu_) = false;
  std::thread thread_;
};

}  // namespace shopstream::rpc_stream

#endif  // SHOPSTREAM_RPC_STREAM_TICKER_H_
