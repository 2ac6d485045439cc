#include "rpc_stream/reconnect_backoff.h"

#include <algorithm>

#include "absl/random/distributions.h"

namespace shopstream::rpc_stream {

ReconnectBackoff::ReconnectBackoff(absl::Duration initial, absl::Duration max,
                                   double jitter)
    : initial_(initial),
      max_(std::max(initial, max)),
      jitter_(std::clamp(jitter, 0.0, 0.99)),
      base_(initial) {}

absl::Duration ReconnectBackoff::Next(absl::BitGenRef random) {
  const absl::Duration base = base_;
  base_ = std::min(base_ * 2, max_);
  if (jitter_ == 0) return base;
  return base * absl::Uniform(random, 1 - jitter_, 1 + jitter_);
}

}  // namespace shopstream::rpc_stream
