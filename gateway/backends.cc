#include "gateway/backends.h"

#include <chrono>
#include <utility>

#include "absl/strings/str_cat.h"
#include "absl/time/clock.h"
#include "common/caller_status.h"
#include "common/grpc_status.h"
#include "common/internal_rpc_auth.h"
#include "common/request_id.h"
#include "google/protobuf/message.h"
#include "grpcpp/impl/codegen/proto_utils.h"
#include "shopstream/v1/ingest.pb.h"

namespace shopstream::gateway {
namespace {

using google::protobuf::Message;

constexpr char kIngestMethod[] = "/shopstream.v1.IngestService/Ingest";

// gRPC refuses metadata values with control or non-ASCII characters.
bool IsPrintableAscii(absl::string_view text) {
  for (char c : text) {
    if (c < 0x20 || c > 0x7E) return false;
  }
  return true;
}

// One unary call; its buffers live until the call ends.
struct UnaryCall {
  grpc::ClientContext context;
  grpc::ByteBuffer request;
  grpc::ByteBuffer response;
  const Route* route = nullptr;
  std::string request_id;
  std::vector<std::string> ignored_fields;
  Backends::Done done;
};

}  // namespace

void Caller::AddTo(grpc::ClientContext& context) const {
  context.AddMetadata(kRequestIdKey, request_id);
  if (authorization.has_value() && IsPrintableAscii(*authorization)) {
    context.AddMetadata("authorization", *authorization);
  }
  for (const auto& [name, value] : metadata) {
    if (IsPrintableAscii(value)) context.AddMetadata(name, value);
  }
}

absl::StatusOr<std::unique_ptr<Backends>> Backends::Connect(
    BackendOptions options, const RestTranscoder* transcoder) {
  std::unique_ptr<Backends> backends(
      new Backends(std::move(options), transcoder));
  const BackendOptions& o = backends->options_;
  absl::flat_hash_map<std::string, std::shared_ptr<grpc::Channel>> channels;
  absl::flat_hash_map<std::string, grpc::GenericStub*> stubs;
  for (const auto& [service, target] : o.targets) {
    if (channels.contains(target)) continue;
    grpc::ChannelArguments args;
    SetClientKeepalive(args, o.keepalive);
    auto channel = CreateInternalRpcChannel(
        target,
        o.credentials != nullptr ? o.credentials
                                 : grpc::InsecureChannelCredentials(),
        args, o.service_token);
    channels[target] = channel;
    backends->stubs_.push_back(std::make_unique<grpc::GenericStub>(channel));
    stubs[target] = backends->stubs_.back().get();
  }
  std::vector<std::pair<std::string, std::shared_ptr<grpc::Channel>>> health;
  for (const auto& [service, target] : o.targets) {
    health.emplace_back(service, channels.at(target));
  }
  backends->health_ = std::make_unique<BackendHealth>(
      std::move(health), absl::Milliseconds(500), absl::Seconds(1), *o.clock);
  for (const Route& route : transcoder->routes().routes()) {
    const auto target = o.targets.find(route.method->service()->full_name());
    if (target == o.targets.end()) {
      return absl::InternalError(
          absl::StrCat("no backend for ", route.method->full_name()));
    }
    backends->stubs_by_route_[&route] = stubs.at(target->second);
    if (route.grpc_method_path == kIngestMethod && o.ingest_stream) {
      backends->ingest_route_ = &route;
      rpc_stream::StreamClientOptions stream;
      stream.name = absl::StrCat("ingest ", target->second);
      // Each waiting item is a client's request and its buffers.
      stream.max_outstanding_weight = 20000;
      // An ingest without the stream (an older one, mid-upgrade) is asked
      // again now and then; plain calls serve meanwhile.
      stream.max_backoff = absl::Seconds(5);
      backends->forwarder_ = std::make_unique<EventForwarder>(
          channels.at(target->second), std::move(stream));
      backends->forwarder_->Start();
    }
  }
  return backends;
}

Backends::~Backends() { Stop(); }

void Backends::Stop() {
  if (forwarder_ != nullptr) forwarder_->Stop();
  if (health_ != nullptr) health_->Stop();
}

bool Backends::Call(BackendRequest request, Caller caller, Done done) {
  if (request.route == ingest_route_ && forwarder_->Ready()) {
    if (auto* ingest =
            google::protobuf::DynamicCastToGenerated<v1::IngestRequest>(
                request.message.get())) {
      const Route* route = request.route;
      std::string request_id = caller.request_id;
      std::vector<std::string> ignored = std::move(request.ignored_fields);
      // On the machine's clock, which the stream's shared ticker reads.
      forwarder_->Forward(
          std::move(*ingest), std::move(caller.authorization),
          std::move(caller.request_id), absl::Now() + options_.timeout,
          [this, route, request_id = std::move(request_id),
           ignored = std::move(ignored), done = std::move(done)](
              absl::StatusOr<v1::IngestResponse> response) mutable {
            done(response.ok()
                     ? transcoder_->TranscodeResponse(*route, grpc::Status::OK,
                                                      &*response, ignored)
                     : transcoder_->TranscodeResponse(
                           *route,
                           ForCaller(ToGrpcStatus(response.status()),
                                     request_id),
                           static_cast<Message*>(nullptr)));
          },
          /*write=*/false);
      return true;
    }
  }
  CallUnary(std::move(request), caller, std::move(done));
  return false;
}

void Backends::CallUnary(BackendRequest request, const Caller& caller,
                         Done done) {
  auto call = std::make_unique<UnaryCall>();
  call->route = request.route;
  call->request_id = caller.request_id;
  call->ignored_fields = std::move(request.ignored_fields);
  call->done = std::move(done);
  call->context.set_deadline(std::chrono::system_clock::now() +
                             absl::ToChronoNanoseconds(options_.timeout));
  caller.AddTo(call->context);
  bool own_buffer = false;
  if (!grpc::SerializationTraits<Message>::Serialize(
           *request.message, &call->request, &own_buffer)
           .ok()) {
    call->done(
        RestTranscoder::ErrorResponse(500, "cannot serialize the request"));
    return;
  }
  UnaryCall* raw = call.release();
  stubs_by_route_.at(raw->route)
      ->UnaryCall(&raw->context, raw->route->grpc_method_path,
                  grpc::StubOptions(), &raw->request, &raw->response,
                  [this, raw](grpc::Status status) {
                    std::unique_ptr<UnaryCall> call(raw);
                    // Told as a caller outside may be told.
                    call->done(transcoder_->TranscodeResponse(
                        *call->route, ForCaller(status, call->request_id),
                        &call->response, call->ignored_fields));
                  });
}

}  // namespace shopstream::gateway
