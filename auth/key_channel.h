#ifndef SHOPSTREAM_AUTH_KEY_CHANNEL_H_
#define SHOPSTREAM_AUTH_KEY_CHANNEL_H_

#include <grpcpp/grpcpp.h>

#include <memory>
#include <string>

namespace shopstream::auth {

// A channel whose every call carries "authorization: Bearer <key>"; a plain
// channel when `key` is empty. For clients of ingest and query (tests,
// the benchmark).
std::shared_ptr<grpc::Channel> CreateChannelWithKey(
    const std::string& target,
    const std::shared_ptr<grpc::ChannelCredentials>& credentials,
    const grpc::ChannelArguments& args, const std::string& key);

}  // namespace shopstream::auth

#endif  // SHOPSTREAM_AUTH_KEY_CHANNEL_H_
