#ifndef SHOPSTREAM_RPC_STREAM_DEFERRED_WRITES_H_
#define SHOPSTREAM_RPC_STREAM_DEFERRED_WRITES_H_

#include <vector>

namespace shopstream::rpc_stream {

// Something whose write waits for the end of a DeferredWrites.
class DeferredWriter {
 public:
  virtual ~DeferredWriter() = default;
  virtual void FlushDeferred() = 0;
};

// Answers that become known together are written together. While one of
// these lives on a thread, a stream answered on that thread (see
// AnsweringReactor::Answer) queues its answers and leaves the write to the
// end of this scope: the settling of one response, which answers many
// submissions one callback after the other, then costs one write per
// stream instead of a first write for the first answer and a second for
// the rest. Nested scopes defer to the outermost.
class DeferredWrites {
 public:
  DeferredWrites();
  ~DeferredWrites();  // flushes every writer deferred to it
  DeferredWrites(const DeferredWrites&) = delete;
  DeferredWrites& operator=(const DeferredWrites&) = delete;

  // True, and `writer`'s FlushDeferred runs at the end of the scope, when
  // a scope is open on this thread; false otherwise (write now). The
  // writer must stay alive until then.
  static bool Defer(DeferredWriter* writer);

 private:
  bool outermost_;
  std::vector<DeferredWriter*> writers_;
};

}  // namespace shopstream::rpc_stream

#endif  // SHOPSTREAM_RPC_STREAM_DEFERRED_WRITES_H_
