#include "gateway/event_forwarder.h"

#include "common/grpc_status.h"

namespace shopstream::gateway {

ForwardTraits::Receipt ForwardTraits::Pack(uint64_t id, Item&& item,
                                           Request& request) {
  internal::v1::ForwardItem* out = request.add_items();
  out->set_id(id);
  out->mutable_request()->Swap(&item.request);
  if (item.authorization.has_value()) {
    out->set_authorization(std::move(*item.authorization));
  }
  out->set_request_id(std::move(item.request_id));
  return {};
}

absl::StatusOr<ForwardTraits::Result> ForwardTraits::ResultOf(
    internal::v1::ForwardResult& result) {
  if (result.code() != 0) {
    return FromGrpcStatus(
        grpc::Status(static_cast<grpc::StatusCode>(result.code()),
                     result.message(), result.details()));
  }
  return std::move(*result.mutable_response());
}

}  // namespace shopstream::gateway
