#include "rpc_stream/answering_reactor.h"

#include <vector>

namespace shopstream::rpc_stream {

void OpenStreams::EndAll() {
  absl::MutexLock lock(&mu_);
  ending_ = true;
  // Under the lock, so that no stream is deleted meanwhile: each removes
  // itself here before it goes.
  for (EndableStream* stream : streams_) stream->EndWhenAnswered();
}

bool OpenStreams::Add(EndableStream* stream) {
  absl::MutexLock lock(&mu_);
  if (ending_) return false;
  streams_.insert(stream);
  return true;
}

void OpenStreams::Remove(EndableStream* stream) {
  absl::MutexLock lock(&mu_);
  streams_.erase(stream);
}

}  // namespace shopstream::rpc_stream
