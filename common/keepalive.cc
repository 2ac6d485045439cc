#include "common/keepalive.h"

namespace shopstream {
namespace {

int Milliseconds(absl::Duration duration) {
  return static_cast<int>(absl::ToInt64Milliseconds(duration));
}

}  // namespace

void SetClientKeepalive(grpc::ChannelArguments& args, KeepalivePolicy policy) {
  args.SetInt(GRPC_ARG_KEEPALIVE_TIME_MS, Milliseconds(policy.time));
  args.SetInt(GRPC_ARG_KEEPALIVE_TIMEOUT_MS, Milliseconds(policy.timeout));
  args.SetInt(GRPC_ARG_KEEPALIVE_PERMIT_WITHOUT_CALLS, 1);
  // By default a client stops pinging after two pings with no data sent
  // between them, so an idle stream would go unwatched after 20 s.
  args.SetInt(GRPC_ARG_HTTP2_MAX_PINGS_WITHOUT_DATA, 0);
}

void AllowClientKeepalive(grpc::ServerBuilder& builder,
                          absl::Duration min_interval) {
  builder.AddChannelArgument(
      GRPC_ARG_HTTP2_MIN_RECV_PING_INTERVAL_WITHOUT_DATA_MS,
      Milliseconds(min_interval));
  builder.AddChannelArgument(GRPC_ARG_KEEPALIVE_PERMIT_WITHOUT_CALLS, 1);
}

}  // namespace shopstream
