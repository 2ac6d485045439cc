#include "auth/key_channel.h"

#include <grpcpp/support/client_interceptor.h>

#include <vector>

namespace shopstream::auth {
namespace {

class KeyInterceptor : public grpc::experimental::Interceptor {
 public:
  explicit KeyInterceptor(const std::string& authorization)
      : authorization_(authorization) {}

  void Intercept(
      grpc::experimental::InterceptorBatchMethods* methods) override {
    if (methods->QueryInterceptionHookPoint(
            grpc::experimental::InterceptionHookPoints::
                PRE_SEND_INITIAL_METADATA)) {
      methods->GetSendInitialMetadata()->emplace("authorization",
                                                 authorization_);
    }
    methods->Proceed();
  }

 private:
  const std::string& authorization_;  // owned by the factory
};

class KeyInterceptorFactory
    : public grpc::experimental::ClientInterceptorFactoryInterface {
 public:
  explicit KeyInterceptorFactory(const std::string& key)
      : authorization_("Bearer " + key) {}

  grpc::experimental::Interceptor* CreateClientInterceptor(
      grpc::experimental::ClientRpcInfo*) override {
    return new KeyInterceptor(authorization_);
  }

 private:
  const std::string authorization_;
};

}  // namespace

std::shared_ptr<grpc::Channel> CreateChannelWithKey(
    const std::string& target,
    const std::shared_ptr<grpc::ChannelCredentials>& credentials,
    const grpc::ChannelArguments& args, const std::string& key) {
  std::vector<
      std::unique_ptr<grpc::experimental::ClientInterceptorFactoryInterface>>
      interceptors;
  if (!key.empty()) {
    interceptors.push_back(std::make_unique<KeyInterceptorFactory>(key));
  }
  return grpc::experimental::CreateCustomChannelWithInterceptors(
      target, credentials, args, std::move(interceptors));
}

}  // namespace shopstream::auth
