#include "ingest/processor_client.h"

#include "absl/time/clock.h"
#include "common/log.h"
#include "common/metrics.h"

namespace shopstream {

using internal::v1::PublishAck;
using internal::v1::PublishRequest;

ProcessorClient::ProcessorClient(std::shared_ptr<grpc::Channel> channel,
                                 ProcessorClientOptions options)
    : channel_(std::move(channel)),
      stub_(internal::v1::EventPipeline::NewStub(channel_)),
      options_(options) {}

ProcessorClient::~ProcessorClient() { Stop(absl::ZeroDuration()); }

void ProcessorClient::Start() {
  connection_thread_ = std::thread([this] { ConnectionLoop(); });
}

bool ProcessorClient::Ready() const {
  absl::MutexLock lock(&mu_);
  return connected_;
}

void ProcessorClient::AddOutstanding(int64_t events) {
  outstanding_events_ += events;
  IngestOutstandingEvents().Increment(static_cast<double>(events));
}

void ProcessorClient::Publish(std::vector<internal::v1::StoredEvent> events,
                              std::string request_id, EventLane lane,
                              Done done) {
  if (events.empty()) {
    done(absl::OkStatus(), {});
    return;
  }
  absl::Status refusal;
  {
    absl::MutexLock lock(&mu_);
    if (stopping_ || draining_) {
      refusal = absl::UnavailableError("ingest is shutting down");
    } else if (!connected_ || stream_broken_) {
      // A broken stream has failed what it held; what came after would wait
      // for the next stream, which may never open.
      refusal = absl::UnavailableError(
          "processor unavailable; retry with the same event_id");
    } else if (outstanding_events_ > 0 &&
               outstanding_events_ + static_cast<int64_t>(events.size()) >
                   options_.max_outstanding_events) {
      refusal = absl::ResourceExhaustedError(
          "ingest queue is full; retry after a pause");
    } else {
      AddOutstanding(events.size());
      queue_.push_back(
          {std::move(events), std::move(request_id), lane, std::move(done)});
      return;
    }
  }
  done(refusal, {});
}

void ProcessorClient::ConnectionLoop() {
  absl::Duration pause = absl::Milliseconds(50);
  while (true) {
    {
      absl::MutexLock lock(&mu_);
      if (stopping_) break;
    }
    // Only a ready channel gets a stream, so requests are not queued behind
    // a processor that is not there.
    if (!channel_->WaitForConnected(std::chrono::system_clock::now() +
                                    std::chrono::milliseconds(200))) {
      continue;
    }
    grpc::ClientContext context;
    std::unique_ptr<Stream> stream = stub_->Publish(&context);
    {
      absl::MutexLock lock(&mu_);
      connected_ = true;
      stream_broken_ = false;
    }
    LogInfo("processor stream open");
    const absl::Time opened = absl::Now();
    ServeStream(context, *stream);
    const grpc::Status status = stream->Finish();
    {
      absl::MutexLock lock(&mu_);
      connected_ = false;
      if (stopping_) break;
    }
    // The error says, for one, that the processor wants another token.
    LogWarning("processor stream closed; reconnecting",
               {{"error", status.error_message()}});
    // Back off only when streams keep failing right away.
    pause = absl::Now() - opened > absl::Seconds(5)
                ? absl::Milliseconds(50)
                : std::min(pause * 2, options_.max_reconnect_pause);
    absl::SleepFor(pause);
  }
  // Nothing is left unanswered when the client stops.
  FailInFlight(absl::UnavailableError("ingest is shutting down"));
}

void ProcessorClient::ServeStream(grpc::ClientContext& context,
                                  Stream& stream) {
  std::thread reader([this, &stream] { ReadAcks(&stream); });
  while (true) {
    PublishRequest request;
    std::vector<Pending> batch;
    {
      absl::MutexLock lock(&mu_);
      mu_.Await(absl::Condition(
          +[](ProcessorClient* c) ABSL_EXCLUSIVE_LOCKS_REQUIRED(c->mu_) {
            return !c->queue_.empty() || c->stream_broken_ || c->stopping_;
          },
          this));
      // Linger only when messages follow each other closely: under light
      // load a message goes at once, under heavy load they come at most
      // every `linger`, each carrying what gathered meanwhile.
      const absl::Time send_at = last_write_ + options_.linger;
      if (queue_.size() < static_cast<size_t>(options_.linger_submissions) &&
          absl::Now() < send_at) {
        mu_.AwaitWithTimeout(
            absl::Condition(
                +[](ProcessorClient* c) ABSL_EXCLUSIVE_LOCKS_REQUIRED(c->mu_) {
                  return c->queue_.size() >=
                             static_cast<size_t>(
                                 c->options_.linger_submissions) ||
                         c->stream_broken_ || c->stopping_;
                },
                this),
            send_at - absl::Now());
      }
      last_write_ = absl::Now();
      if (stream_broken_ || stopping_) break;
      // A message carries one lane, the processor's queues being per lane.
      const EventLane lane =
          queue_.empty() ? EventLane::kSingle : queue_.front().lane;
      request.set_bulk(lane == EventLane::kBulk);
      int events = 0;
      while (!queue_.empty() && queue_.front().lane == lane) {
        const int n = queue_.front().events.size();
        if (!batch.empty() && events + n > options_.max_events_per_message) {
          break;
        }
        events += n;
        batch.push_back(std::move(queue_.front()));
        queue_.pop_front();
      }
      request.set_sequence(next_sequence_++);
    }
    // Events move into the message outside the lock; the senders' vectors
    // keep their sizes, which is all the acks need.
    for (auto& p : batch) {
      for (auto& e : p.events) *request.add_events() = std::move(e);
      if (!p.request_id.empty()) request.add_request_ids(p.request_id);
    }
    {
      // Registered before the write, so the ack cannot outrun it.
      absl::MutexLock lock(&mu_);
      in_flight_[request.sequence()] = std::move(batch);
    }
    if (!stream.Write(request)) {
      absl::MutexLock lock(&mu_);
      stream_broken_ = true;
      break;
    }
  }
  bool stopping;
  {
    absl::MutexLock lock(&mu_);
    stopping = stopping_;
  }
  if (stopping) {
    // Let the processor answer what it has, then end the stream politely.
    stream.WritesDone();
  } else {
    context.TryCancel();
  }
  reader.join();
  FailInFlight(absl::UnavailableError(
      "lost the processor before commit was confirmed; retry with the same "
      "event_id"));
}

void ProcessorClient::ReadAcks(Stream* stream) {
  PublishAck ack;
  while (stream->Read(&ack)) {
    std::vector<Pending> answered;
    {
      absl::MutexLock lock(&mu_);
      auto it = in_flight_.find(ack.sequence());
      if (it == in_flight_.end()) continue;
      answered = std::move(it->second);
      in_flight_.erase(it);
      int64_t events = 0;
      for (const auto& p : answered) events += p.events.size();
      AddOutstanding(-events);
    }
    const absl::Status status(static_cast<absl::StatusCode>(ack.code()),
                              ack.message());
    size_t offset = 0;
    for (auto& p : answered) {
      const size_t n = p.events.size();
      if (!status.ok()) {
        p.done(status, {});
      } else if (static_cast<size_t>(ack.fate_size()) < offset + n) {
        p.done(absl::InternalError("processor ack is missing events"), {});
      } else {
        EventOutcomes outcomes(n);
        for (size_t i = 0; i < n; ++i) {
          switch (ack.fate(offset + i)) {
            case internal::v1::DUPLICATE:
              outcomes[i].fate = EventFate::kDuplicate;
              break;
            case internal::v1::DEAD_LETTERED: {
              outcomes[i].fate = EventFate::kDeadLettered;
              auto it = ack.dead_letter_reason().find(offset + i);
              if (it != ack.dead_letter_reason().end()) {
                outcomes[i].reason = it->second;
              }
              break;
            }
            case internal::v1::REFUSED: {
              outcomes[i].fate = EventFate::kRefused;
              auto it = ack.refusal_reason().find(offset + i);
              if (it != ack.refusal_reason().end()) {
                outcomes[i].reason = it->second;
              }
              break;
            }
            default:
              break;
          }
        }
        p.done(status, outcomes);
      }
      offset += n;
    }
  }
  absl::MutexLock lock(&mu_);
  stream_broken_ = true;
}

void ProcessorClient::FailInFlight(const absl::Status& status) {
  std::vector<Pending> failed;
  {
    absl::MutexLock lock(&mu_);
    for (auto& [sequence, batch] : in_flight_) {
      for (auto& p : batch) failed.push_back(std::move(p));
    }
    in_flight_.clear();
    // What never left is refused too: the client retries elsewhere or later.
    for (auto& p : queue_) failed.push_back(std::move(p));
    queue_.clear();
    for (const auto& p : failed) {
      AddOutstanding(-static_cast<int64_t>(p.events.size()));
    }
  }
  for (auto& p : failed) p.done(status, {});
}

void ProcessorClient::Stop(absl::Duration grace) {
  {
    absl::MutexLock lock(&mu_);
    if (!connection_thread_.joinable()) return;
    draining_ = true;
    auto drained = [this]() ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_) {
      return outstanding_events_ == 0 || !connected_;
    };
    mu_.AwaitWithTimeout(absl::Condition(&drained), grace);
    stopping_ = true;
  }
  connection_thread_.join();
}

}  // namespace shopstream
