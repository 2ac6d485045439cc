#include "bench/event_sender.h"

#include <boost/asio/connect.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/tcp.hpp>
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

class UnarySender : public EventSender {
 public:
  UnarySender(std::shared_ptr<grpc::Channel> channel, absl::Duration timeout)
      : stub_(v1::IngestService::NewStub(channel)), timeout_(timeout) {}

  void Send(const std::vector<v1::Event>& events,
            SendOutcome* outcome) override {
    outcome->Reset(events.size());
    for (size_t i = 0; i < events.size(); ++i) {
      grpc::ClientContext context;
      SetDeadline(&context, timeout_);
      v1::IngestRequest request;
      *request.mutable_event() = events[i];
      v1::IngestResponse response;
      grpc::Status status = stub_->Ingest(&context, request, &response);
      if (status.ok()) {
        outcome->acked[i] = true;
      } else if (status.error_code() == grpc::StatusCode::INVALID_ARGUMENT) {
        ++outcome->rejected;
      } else {
        outcome->error = GrpcErrorKey(status);
      }
    }
  }

 private:
  std::unique_ptr<v1::IngestService::Stub> stub_;
  absl::Duration timeout_;
};

class BatchSender : public EventSender {
 public:
  BatchSender(std::shared_ptr<grpc::Channel> channel, absl::Duration timeout)
      : stub_(v1::IngestService::NewStub(channel)), timeout_(timeout) {}

  void Send(const std::vector<v1::Event>& events,
            SendOutcome* outcome) override {
    outcome->Reset(events.size());
    grpc::ClientContext context;
    SetDeadline(&context, timeout_);
    request_.mutable_events()->Clear();
    for (const v1::Event& event : events) *request_.add_events() = event;
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

// A keep-alive HTTP/1.1 connection driven synchronously: each step is an
// async Beast operation run to completion on a private io_context, which
// gives every step a timeout (blocking socket calls would have none).
class HttpConnection {
 public:
  // `key`: the API key sent with every request (none when empty).
  HttpConnection(std::string host_port, absl::Duration timeout,
                 std::string key = "")
      : host_port_(std::move(host_port)),
        authorization_(key.empty() ? "" : "Bearer " + key),
        timeout_(absl::ToChronoMilliseconds(timeout)) {}

  // The response status, or the transport error.
  absl::StatusOr<int> Post(const std::string& path, const std::string& body) {
    if (!stream_.has_value()) {
      if (absl::Status s = Connect(); !s.ok()) return s;
    }
    http::request<http::string_body> request{http::verb::post, path, 11};
    request.set(http::field::host, host_port_);
    request.set(http::field::content_type, "application/json");
    if (!authorization_.empty()) {
      request.set(http::field::authorization, authorization_);
    }
    request.keep_alive(true);
    request.body() = body;
    request.prepare_payload();
    beast::error_code ec = Await([&](auto handler) {
      http::async_write(*stream_, request, std::move(handler));
    });
    if (ec) return Fail("write", ec);
    http::response<http::string_body> response;
    ec = Await([&](auto handler) {
      http::async_read(*stream_, buffer_, response, std::move(handler));
    });
    if (ec) return Fail("read", ec);
    if (!response.keep_alive()) Close();
    return static_cast<int>(response.result_int());
  }

 private:
  template <typename Start>
  beast::error_code Await(Start start) {
    beast::error_code result = asio::error::would_block;
    stream_->expires_after(timeout_);
    start([&result](beast::error_code ec, auto&&...) { result = ec; });
    io_.restart();
    io_.run();
    return result;
  }

  absl::Status Connect() {
    absl::StatusOr<tcp::endpoint> endpoint = ParseEndpoint(host_port_);
    if (!endpoint.ok()) return endpoint.status();
    stream_.emplace(io_);
    buffer_.clear();
    beast::error_code ec = Await([&](auto handler) {
      stream_->async_connect(*endpoint, std::move(handler));
    });
    if (ec) return Fail("connect", ec);
    stream_->socket().set_option(tcp::no_delay(true), ec);
    return absl::OkStatus();
  }

  absl::Status Fail(absl::string_view step, const beast::error_code& ec) {
    Close();
    return absl::UnavailableError(absl::StrCat(step, ": ", ec.message()));
  }

  void Close() {
    if (!stream_.has_value()) return;
    beast::error_code ignored;
    stream_->socket().shutdown(tcp::socket::shutdown_both, ignored);
    stream_.reset();
  }

  std::string host_port_;
  std::string authorization_;
  std::chrono::milliseconds timeout_;
  asio::io_context io_{1};
  std::optional<beast::tcp_stream> stream_;
  beast::flat_buffer buffer_;
};

class RestSender : public EventSender {
 public:
  RestSender(std::string host_port, std::string path, absl::Duration timeout,
             std::string key)
      : connection_(std::move(host_port), timeout, std::move(key)),
        path_(std::move(path)) {}

  void Send(const std::vector<v1::Event>& events,
            SendOutcome* outcome) override {
    outcome->Reset(events.size());
    for (size_t i = 0; i < events.size(); ++i) {
      absl::StatusOr<int> status =
          connection_.Post(path_, EventFactory::ToJson(events[i]));
      if (!status.ok()) {
        outcome->error = absl::StrCat("http:", status.status().message());
      } else if (*status == 202 || *status == 200) {
        outcome->acked[i] = true;
      } else if (*status == 400) {
        ++outcome->rejected;
      } else {
        outcome->error = absl::StrCat("http:", *status);
      }
    }
  }

 private:
  HttpConnection connection_;
  std::string path_;
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
        return std::make_unique<UnarySender>(channel, timeout);
    }
  };
}

SenderFactory RestSenderFactory(std::string host_port, std::string path,
                                absl::Duration timeout, std::string key) {
  return [host_port = std::move(host_port), path = std::move(path), timeout,
          key = std::move(key)](int) -> std::unique_ptr<EventSender> {
    return std::make_unique<RestSender>(host_port, path, timeout, key);
  };
}

absl::StatusOr<int> PostOnce(const std::string& host_port,
                             const std::string& path, const std::string& body,
                             absl::Duration timeout, const std::string& key) {
  HttpConnection connection(host_port, timeout, key);
  return connection.Post(path, body);
}

}  // namespace shopstream::bench
