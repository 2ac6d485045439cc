#ifndef SHOPSTREAM_RPC_STREAM_RECONNECT_BACKOFF_H_
#define SHOPSTREAM_RPC_STREAM_RECONNECT_BACKOFF_H_

#include "absl/random/bit_gen_ref.h"
#include "absl/time/time.h"

namespace shopstream::rpc_stream {

// How long to wait before the next attempt to open a stream: the base wait
// doubles with every attempt up to a cap, and each wait is spread around
// the base at random, so that the clients of a server that restarts do not
// all come back in the same instant.
class ReconnectBackoff {
 public:
  // `jitter` in [0, 1): each wait lies within base * (1 +/- jitter).
  ReconnectBackoff(absl::Duration initial, absl::Duration max, double jitter);

  // The wait before the next attempt; the base doubles afterwards.
  absl::Duration Next(absl::BitGenRef random);
  // After a stream that worked: the next wait is the initial one again.
  void Reset() { base_ = initial_; }

 private:
  const absl::Duration initial_;
  const absl::Duration max_;
  const double jitter_;
  absl::Duration base_;
};

}  // namespace shopstream::rpc_stream

#endif  // SHOPSTREAM_RPC_STREAM_RECONNECT_BACKOFF_H_
