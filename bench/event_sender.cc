#include "bench/event_sender.h"

#include <boost/asio/connect.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/post.hpp>
#include <boost/beast/core.hpp>
#include <boost/beast/http.hpp>
#include <chrono>
#include <optional>
#include <utility>

#include "absl/status/status.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_split.h"
#include "auth/key_channel.h"
#include "bench/event_factory.h"
#include "shopstream/v1/ingest.grpc.pb.h"

namespace shopstream::bench {
namespace {

namespace asio = boost::asio;
namespace beast = boost::beast;
namespace http = beast::http;
using tcp = asio::ip::tcp;

std::string GrpcErrorKey(const grpc::Status& status) {
  return absl::StrCat("grpc:",
                      absl::StatusCodeToString(
                          static_cast<absl::StatusCode>(status.error_code())));
}

void SetDeadline(grpc::ClientContext* context, absl::Duration timeout) {
  context->set_deadline(std::chrono::system_clock::now() +
                        absl::ToChronoMilliseconds(timeout));
}

// One Ingest call per event on gRPC's callback API; its completion moves to
// `io`, where the load generator's bookkeeping runs.
class AsyncUnarySender : public AsyncEventSender {
 public:
  AsyncUnarySender(std::shared_ptr<grpc::Channel> channel,
                   absl::Duration timeout, asio::io_context& io)
      : stub_(v1::IngestService::NewStub(channel)),
        timeout_(timeout),
        io_(io) {}

  void Send(const std::vector<v1::Event>& events, SendOutcome* outcome,
            std::function<void()> done) override {
    outcome->Reset(events.size());
    events_ = events;
    outcome_ = outcome;
    done_ = std::move(done);
    next_ = 0;
    asio::post(io_, [this] { StartNext(); });
  }

 private:
  void StartNext() {
    if (next_ == events_.size()) {
      std::function<void()> done = std::move(done_);
      done();
      return;
    }
    context_ = std::make_unique<grpc::ClientContext>();
    SetDeadline(context_.get(), timeout_);
    *request_.mutable_event() = std::move(events_[next_]);
    stub_->async()->Ingest(
        context_.get(), &request_, &response_, [this](grpc::Status status) {
          asio::post(io_,
                     [this, status = std::move(status)] { Answered(status); });
        });
  }

  void Answered(const grpc::Status& status) {
    if (status.ok()) {
      outcome_->acked[next_] = true;
    } else if (status.error_code() == grpc::StatusCode::INVALID_ARGUMENT) {
      ++outcome_->rejected;
    } else {
      outcome_->error = GrpcErrorKey(status);
    }
    ++next_;
    StartNext();
  }

  std::unique_ptr<v1::IngestService::Stub> stub_;
  absl::Duration timeout_;
  asio::io_context& io_;
  std::vector<v1::Event> events_;
  SendOutcome* outcome_ = nullptr;
  std::function<void()> done_;
  size_t next_ = 0;
  std::unique_ptr<grpc::ClientContext> context_;
  v1::IngestRequest request_;
  v1::IngestResponse response_;
};

class BatchSender : public EventSender {
 public:
  BatchSender(std::shared_ptr<grpc::Channel> channel, absl::Duration timeout,
              bool poison = false)
      : stub_(v1::IngestService::NewStub(channel)),
        timeout_(timeout),
        poison_(poison) {}

  void Send(const std::vector<v1::Event>& events,
            SendOutcome* outcome) override {
    outcome->Reset(events.size());
    grpc::ClientContext context;
    SetDeadline(&context, timeout_);
    request_.mutable_events()->Clear();
    for (const v1::Event& event : events) *request_.add_events() = event;
    if (poison_ && !events.empty()) {
      // A different position each call, so that no place in a batch is
      // special.
      request_.mutable_events(static_cast<int>(calls_ % events.size()))
          ->set_event_type(kPoisonEventType);
    }
    ++calls_;
    v1::IngestBatchResponse response;
    grpc::Status status = stub_->IngestBatch(&context, request_, &response);
    if (!status.ok()) {
      outcome->error = GrpcErrorKey(status);
      return;
    }
    for (const v1::EventResult& result : response.results()) {
      if (result.index() < 0 ||
          static_cast<size_t>(result.index()) >= events.size()) {
        continue;
      }
      if (result.status() == "accepted" || result.status() == "duplicate") {
        outcome->acked[result.index()] = true;
      } else {
        ++outcome->rejected;
      }
    }
    if (response.results_size() != static_cast<int>(events.size())) {
      outcome->error = "grpc:missing_results";
    }
  }

 private:
  std::unique_ptr<v1::IngestService::Stub> stub_;
  absl::Duration timeout_;
  bool poison_;
  uint64_t calls_ = 0;
  v1::IngestBatchRequest request_;
};

// One stream per call: the answer only comes when the stream ends, so a
// call's events are acknowledged together.
class StreamSender : public EventSender {
 public:
  StreamSender(std::shared_ptr<grpc::Channel> channel, absl::Duration timeout)
      : stub_(v1::IngestService::NewStub(channel)), timeout_(timeout) {}

  void Send(const std::vector<v1::Event>& events,
            SendOutcome* outcome) override {
    outcome->Reset(events.size());
    grpc::ClientContext context;
    SetDeadline(&context, timeout_);
    v1::StreamEventsResponse response;
    std::unique_ptr<grpc::ClientWriter<v1::Event>> writer =
        stub_->StreamEvents(&context, &response);
    for (const v1::Event& event : events) {
      if (!writer->Write(event)) break;  // Finish says why.
    }
    writer->WritesDone();
    grpc::Status status = writer->Finish();
    if (!status.ok()) {
      outcome->error = GrpcErrorKey(status);
      return;
    }
    // Rejections name their index, but only the first 100 are listed:
    // beyond that we cannot tell which events were stored.
    if (response.rejections_size() != response.rejected() ||
        response.accepted() + response.duplicates() + response.rejected() !=
            static_cast<int64_t>(events.size())) {
      outcome->error = "grpc:stream_counts_unaccounted";
      return;
    }
    outcome->acked.assign(events.size(), true);
    for (const v1::EventResult& rejection : response.rejections()) {
      if (rejection.index() >= 0 &&
          static_cast<size_t>(rejection.index()) < events.size()) {
        outcome->acked[rejection.index()] = false;
        ++outcome->rejected;
      }
    }
  }

 private:
  std::unique_ptr<v1::IngestService::Stub> stub_;
  absl::Duration timeout_;
};

absl::StatusOr<tcp::endpoint> ParseEndpoint(const std::string& host_port) {
  std::pair<std::string, std::string> parts =
      absl::StrSplit(host_port, absl::MaxSplits(':', 1));
  int port = 0;
  if (!absl::SimpleAtoi(parts.second, &port) || port <= 0 || port > 65535) {
    return absl::InvalidArgumentError(
        absl::StrCat("bad host:port '", host_port, "'"));
  }
  beast::error_code ec;
  asio::ip::address address = asio::ip::make_address(parts.first, ec);
  if (ec) {
    return absl::InvalidArgumentError(
        absl::StrCat("need a numeric address, got '", parts.first, "'"));
  }
  return tcp::endpoint(address, static_cast<uint16_t>(port));
}

// A keep-alive HTTP/1.1 connection driven by completions on `io`; each step
// has the call's timeout. A failed connection is opened again for the next
// event.
class AsyncRestSender : public AsyncEventSender {
 public:
  AsyncRestSender(asio::io_context& io, std::string host_port, std::string path,
                  absl::Duration timeout, const std::string& key)
      : io_(io),
        endpoint_(ParseEndpoint(host_port)),
        timeout_(absl::ToChronoMilliseconds(timeout)) {
    request_.method(http::verb::post);
    request_.target(path);
    request_.version(11);
    request_.set(http::field::host, host_port);
    request_.set(http::field::content_type, "application/json");
    if (!key.empty()) {
      request_.set(http::field::authorization, "Bearer " + key);
    }
    request_.keep_alive(true);
  }

  void Send(const std::vector<v1::Event>& events, SendOutcome* outcome,
            std::function<void()> done) override {
    outcome->Reset(events.size());
    bodies_.clear();
    for (const v1::Event& event : events) {
      bodies_.push_back(EventFactory::ToJson(event));
    }
    outcome_ = outcome;
    done_ = std::move(done);
    next_ = 0;
    asio::post(io_, [this] { StartNext(); });
  }

 private:
  void StartNext() {
    if (next_ == bodies_.size()) {
      std::function<void()> done = std::move(done_);
      done();
      return;
    }
    if (stream_.has_value()) {
      Write();
      return;
    }
    if (!endpoint_.ok()) {
      Failed(absl::StrCat("http:", endpoint_.status().message()));
      return;
    }
    stream_.emplace(io_);
    buffer_.clear();
    stream_->expires_after(timeout_);
    stream_->async_connect(*endpoint_, [this](beast::error_code ec) {
      if (ec) return Failed(StepError("connect", ec));
      stream_->socket().set_option(tcp::no_delay(true), ec);
      Write();
    });
  }

  void Write() {
    request_.body() = std::move(bodies_[next_]);
    request_.prepare_payload();
    stream_->expires_after(timeout_);
    http::async_write(*stream_, request_, [this](beast::error_code ec, size_t) {
      if (ec) return Failed(StepError("write", ec));
      Read();
    });
  }

  void Read() {
    response_ = {};
    stream_->expires_after(timeout_);
    http::async_read(*stream_, buffer_, response_,
                     [this](beast::error_code ec, size_t) {
                       if (ec) return Failed(StepError("read", ec));
                       Answered();
                     });
  }

  void Answered() {
    const int status = response_.result_int();
    if (status == 202 || status == 200) {
      outcome_->acked[next_] = true;
    } else if (status == 400) {
      ++outcome_->rejected;
    } else {
      outcome_->error = absl::StrCat("http:", status);
    }
    if (!response_.keep_alive()) Close();
    ++next_;
    StartNext();
  }

  std::string StepError(absl::string_view step, const beast::error_code& ec) {
    return absl::StrCat("http:", step, ": ", ec.message());
  }

  // The event is not acknowledged; the next one opens a new connection.
  void Failed(std::string error) {
    Close();
    outcome_->error = std::move(error);
    ++next_;
    // Posted: a connection refused at once must not recurse per event.
    asio::post(io_, [this] { StartNext(); });
  }

  void Close() {
    if (!stream_.has_value()) return;
    beast::error_code ignored;
    stream_->socket().shutdown(tcp::socket::shutdown_both, ignored);
    stream_.reset();
  }

  asio::io_context& io_;
  absl::StatusOr<tcp::endpoint> endpoint_;
  std::chrono::milliseconds timeout_;
  std::optional<beast::tcp_stream> stream_;
  beast::flat_buffer buffer_;
  http::request<http::string_body> request_;
  http::response<http::string_body> response_;
  std::vector<std::string> bodies_;
  SendOutcome* outcome_ = nullptr;
  std::function<void()> done_;
  size_t next_ = 0;
};

}  // namespace

absl::string_view TransportName(Transport transport) {
  switch (transport) {
    case Transport::kGrpcUnary:
      return "grpc_unary";
    case Transport::kGrpcBatch:
      return "grpc_batch";
    case Transport::kGrpcStream:
      return "grpc_stream";
    case Transport::kRest:
      return "rest";
  }
  return "unknown";
}

std::vector<std::shared_ptr<grpc::Channel>> MakeIndependentChannels(
    const std::string& target, int count, const std::string& key) {
  std::vector<std::shared_ptr<grpc::Channel>> channels;
  for (int i = 0; i < std::max(1, count); ++i) {
    grpc::ChannelArguments args;
    args.SetInt(GRPC_ARG_USE_LOCAL_SUBCHANNEL_POOL, 1);
    args.SetInt("shopstream.bench.channel", i);
    channels.push_back(auth::CreateChannelWithKey(
        target, grpc::InsecureChannelCredentials(), args, key));
  }
  return channels;
}

SenderFactory GrpcSenderFactory(
    Transport transport, std::vector<std::shared_ptr<grpc::Channel>> channels,
    absl::Duration timeout) {
  return [transport, channels = std::move(channels),
          timeout](int worker) -> std::unique_ptr<EventSender> {
    std::shared_ptr<grpc::Channel> channel =
        channels[static_cast<size_t>(worker) % channels.size()];
    switch (transport) {
      case Transport::kGrpcBatch:
        return std::make_unique<BatchSender>(channel, timeout);
      case Transport::kGrpcStream:
        return std::make_unique<StreamSender>(channel, timeout);
      default:
        return nullptr;  // unary and REST senders are asynchronous
    }
  };
}

SenderFactory PoisonedBatchSenderFactory(
    std::vector<std::shared_ptr<grpc::Channel>> channels,
    absl::Duration timeout) {
  return [channels = std::move(channels),
          timeout](int worker) -> std::unique_ptr<EventSender> {
    return std::make_unique<BatchSender>(
        channels[static_cast<size_t>(worker) % channels.size()], timeout,
        /*poison=*/true);
  };
}

AsyncSenderFactory GrpcUnarySenderFactory(
    std::vector<std::shared_ptr<grpc::Channel>> channels,
    absl::Duration timeout) {
  return [channels = std::move(channels), timeout](
             int worker,
             asio::io_context& io) -> std::unique_ptr<AsyncEventSender> {
    return std::make_unique<AsyncUnarySender>(
        channels[static_cast<size_t>(worker) % channels.size()], timeout, io);
  };
}

AsyncSenderFactory RestSenderFactory(std::string host_port, std::string path,
                                     absl::Duration timeout, std::string key) {
  return [host_port = std::move(host_port), path = std::move(path), timeout,
          key = std::move(key)](
             int, asio::io_context& io) -> std::unique_ptr<AsyncEventSender> {
    return std::make_unique<AsyncRestSender>(io, host_port, path, timeout, key);
  };
}

}  // namespace shopstream::bench
