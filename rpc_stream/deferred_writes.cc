#include "rpc_stream/deferred_writes.h"

#include <algorithm>

namespace shopstream::rpc_stream {
namespace {

thread_local DeferredWrites* current = nullptr;

}  // namespace

DeferredWrites::DeferredWrites() : outermost_(current == nullptr) {
  if (outermost_) current = this;
}

DeferredWrites::~DeferredWrites() {
  if (!outermost_) return;
  current = nullptr;
  for (DeferredWriter* writer : writers_) writer->FlushDeferred();
}

bool DeferredWrites::Defer(DeferredWriter* writer) {
  if (current == nullptr) return false;
  std::vector<DeferredWriter*>& writers = current->writers_;
  if (std::find(writers.begin(), writers.end(), writer) == writers.end()) {
    writers.push_back(writer);
  }
  return true;
}

}  // namespace shopstream::rpc_stream
