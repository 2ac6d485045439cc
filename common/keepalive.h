#ifndef SHOPSTREAM_COMMON_KEEPALIVE_H_
#define SHOPSTREAM_COMMON_KEEPALIVE_H_

#include <grpcpp/grpcpp.h>

#include "absl/time/time.h"

namespace shopstream {

// Keepalive between shopstream's own services. A backend whose host
// vanished sends no reset, and a connection to it looks open until TCP's
// retransmissions give up, about 15 minutes later; the gateway's and
// ingest's long-lived streams would hold their calls on it all that time.
// Pings find it within time + timeout.
struct KeepalivePolicy {
  absl::Duration time = absl::Seconds(10);
  absl::Duration timeout = absl::Seconds(5);
};

// For a client channel: ping every policy.time, also with no call open,
// and drop the connection when no answer comes within policy.timeout.
void SetClientKeepalive(grpc::ChannelArguments& args,
                        KeepalivePolicy policy = {});

// For a server: accept pings as often as every `min_interval`, also on
// connections with no data flowing and no call open, so that a client's
// keepalive is never answered with GOAWAY "too_many_pings". Must stay below
// the clients' keepalive time.
void AllowClientKeepalive(grpc::ServerBuilder& builder,
                          absl::Duration min_interval = absl::Seconds(5));

}  // namespace shopstream

#endif  // SHOPSTREAM_COMMON_KEEPALIVE_H_
