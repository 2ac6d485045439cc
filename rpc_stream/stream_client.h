#ifndef SHOPSTREAM_RPC_STREAM_STREAM_CLIENT_H_
#define SHOPSTREAM_RPC_STREAM_STREAM_CLIENT_H_

#include <grpcpp/grpcpp.h>
#include <grpcpp/support/client_callback.h>
#include <prometheus/gauge.h>

#include <cstdint>
#include <deque>
#include <map>
#include <memory>
#include <string>
#include <utility>
#include <vector>

#include "absl/container/flat_hash_map.h"
#include "absl/functional/any_invocable.h"
#include "absl/random/random.h"
#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/strings/str_cat.h"
#include "absl/synchronization/mutex.h"
#include "absl/time/time.h"
#include "common/clock.h"
#include "common/grpc_status.h"
#include "common/log.h"
#include "rpc_stream/deferred_writes.h"
#include "rpc_stream/reconnect_backoff.h"
#include "rpc_stream/stream_open.h"
#include "rpc_stream/ticker.h"

namespace shopstream::rpc_stream {

struct StreamClientOptions {
  // Names the stream in logs and errors ("processor 127.0.0.1:50053").
  std::string name = "stream";
  // A message carries at most this many submissions and this much weight
  // (Traits::Weight); what does not fit goes in the next one. A submission
  // heavier than the limit goes alone.
  int max_message_items = 1000;
  int64_t max_message_weight = int64_t{1} << 40;
  // Weight taken and not yet answered. Beyond it Submit answers
  // RESOURCE_EXHAUSTED with a RetryInfo of `retry_delay`, so that memory
  // stays bounded when the server does not keep up.
  int64_t max_outstanding_weight = 10000;
  absl::Duration retry_delay = absl::Seconds(1);
  // Messages of one class (Traits::MessageClass) sent and not yet wholly
  // answered; while as many are, that class's submissions wait and go
  // together once one is answered. The answer is what clocks the next
  // message, not a timer: under light load a submission goes at once,
  // under load each message carries what came during the last answer's
  // round trip. 0: no window, only one write at a time.
  int max_unanswered_messages = 0;
  // Waits between attempts to open a stream: doubling from the initial
  // wait to the cap, each spread by +/- jitter; back at the initial wait
  // after a stream that stayed open `stable_after`.
  absl::Duration initial_backoff = absl::Milliseconds(50);
  absl::Duration max_backoff = absl::Seconds(1);
  double backoff_jitter = 0.2;
  absl::Duration stable_after = absl::Seconds(5);
  // An attempt the server has not admitted within this is given up.
  absl::Duration open_timeout = absl::Seconds(5);
  // Moved by the outstanding weight; clients may share one.
  prometheus::Gauge* outstanding_gauge = nullptr;
};

// Many small submissions over one long-lived bidirectional stream, on
// gRPC's callback API: no thread of its own and none that waits.
//
// One message is being written at a time, and with a window
// (max_unanswered_messages) at most so many of a class are unanswered;
// what is submitted meanwhile goes out together in the next one, so under
// load a message carries many submissions and each costs a few bytes
// instead of a call, and the threads of both ends wake once per message.
// Answers are matched to submissions by the sequence numbers the client
// assigns; the answers of one response are handed out within one
// DeferredWrites scope.
//
// Every submission is answered exactly once (its Done runs on a gRPC
// thread, or in Submit itself when refused):
// - with its result, or the server's error for it;
// - UNAVAILABLE when no stream is open, when the stream ends after it was
//   sent and before its answer (the server may or may not have acted: the
//   caller retries, which must be safe), or on Stop;
// - RESOURCE_EXHAUSTED with a retry delay beyond max_outstanding_weight;
// - DEADLINE_EXCEEDED once its deadline passes, sent or not (a late
//   answer is dropped); deadlines are looked at on every tick of the
//   client's Ticker, whose clock they are read on.
// What was submitted but not yet sent when a stream ends goes on the next
// stream if that one opens; if the attempt fails, it is answered
// UNAVAILABLE.
//
// A stream is open (Ready) once the server has admitted it by sending
// initial metadata with kStreamOpenMetadataKey. Credentials and keepalive
// are the channel's: make it with CreateInternalRpcChannel and
// SetClientKeepalive (common/).
//
// Traits tie the engine to a protocol:
//   using Service;   // generated service class, Service::Stub
//   using Request, Response;  // the stream's messages
//   using Item;      // one submission, moved into a Request
//   using Result;    // what an answered submission gets
//   using Receipt;   // kept per sent item to read its answer
//   // Whether a response answers a whole message (by the sequence Seal
//   // put in it) or items by their ids.
//   static constexpr bool kAnswersWholeMessages;
//   static void StartCall(Service::Stub&, grpc::ClientContext*,
//                         grpc::ClientBidiReactor<Request, Response>*);
//   static int64_t Weight(const Item&);
//   // Items of different classes never share a message, and each class
//   // has a window of its own.
//   static int MessageClass(const Item&);
//   static Receipt Pack(uint64_t id, Item&& item, Request& request);
//   static void Seal(uint64_t sequence, Request& request);
//   // With kAnswersWholeMessages:
//   static uint64_t AnsweredMessage(const Response&);
//   static absl::StatusOr<Result> ResultOf(const Response&, const Receipt&);
//   // Otherwise, calling f(uint64_t id, absl::StatusOr<Result>) per answer:
//   template <typename F> static void ForEachResult(Response&, F&& f);
template <typename Traits>
class StreamClient {
 public:
  using Item = typename Traits::Item;
  using Result = typename Traits::Result;
  using Done = absl::AnyInvocable<void(absl::StatusOr<Result>)>;

  // Deadlines, reconnects and open timeouts are timed by `ticker` and read
  // on its clock; it must outlive the client.
  StreamClient(std::shared_ptr<grpc::Channel> channel,
               StreamClientOptions options, Ticker& ticker = Ticker::Shared())
      : core_(std::make_shared<Core>(std::move(channel), std::move(options),
                                     ticker)) {}
  ~StreamClient() { Stop(); }
  StreamClient(const StreamClient&) = delete;
  StreamClient& operator=(const StreamClient&) = delete;

  // Opens the first stream.
  void Start() { core_->Start(); }

  // Refuses new submissions, waits up to `grace` for what was taken to be
  // answered, then cancels the stream and answers the rest UNAVAILABLE.
  // Returns once no Done of this client runs or will run. Blocks: not from
  // a gRPC callback.
  void Stop(absl::Duration grace = absl::ZeroDuration()) { core_->Stop(grace); }

  // `done` runs exactly once (see the class comment). With `write` false
  // the submission waits for the next write or Flush, so that a caller
  // that submits many in a row (an event loop's turn) starts one write
  // for them all.
  void Submit(Item item, absl::Time deadline, Done done, bool write = true) {
    core_->Submit(std::move(item), deadline, std::move(done), write);
  }

  // Starts a write of what waits, unless one is in progress.
  void Flush() { core_->Flush(); }

  // Whether a stream is open and submissions are taken.
  bool Ready() const { return core_->Ready(); }

 private:
  class Core;
  class Stream;

  // Shared with the stream and the timer, whose callbacks may come after
  // the client is gone.
  std::shared_ptr<Core> core_;
};

// ---- implementation ----

template <typename Traits>
class StreamClient<Traits>::Stream final
    : public grpc::ClientBidiReactor<typename Traits::Request,
                                     typename Traits::Response> {
 public:
  explicit Stream(std::shared_ptr<Core> core) : core_(std::move(core)) {}

  void OnReadInitialMetadataDone(bool ok) override {
    core_->OnOpened(this, ok && context.GetServerInitialMetadata().count(
                                    kStreamOpenMetadataKey) > 0);
  }
  void OnReadDone(bool ok) override {
    if (!ok) {
      core_->OnReadEnded(this);
      return;
    }
    core_->OnResponse(this, response);
    this->StartRead(&response);
  }
  void OnWriteDone(bool ok) override { core_->OnWriteDone(this, ok); }
  void OnDone(const grpc::Status& status) override {
    core_->OnStreamDone(status);
    delete this;
  }

  grpc::ClientContext context;
  // The message being written; Core packs it only while no write is in
  // progress.
  typename Traits::Request request;
  typename Traits::Response response;

 private:
  const std::shared_ptr<Core> core_;
};

template <typename Traits>
class StreamClient<Traits>::Core
    : public std::enable_shared_from_this<StreamClient<Traits>::Core> {
 public:
  Core(std::shared_ptr<grpc::Channel> channel, StreamClientOptions options,
       Ticker& ticker)
      : channel_(channel),
        stub_(Traits::Service::NewStub(channel)),
        options_(std::move(options)),
        ticker_(ticker),
        clock_(ticker.clock()),
        backoff_(options_.initial_backoff, options_.max_backoff,
                 options_.backoff_jitter) {}

  // The channel is left alive on purpose. Its callback API runs on gRPC
  // 1.51's shared callback queue, which shuts down with the last channel
  // that used it; a process that exits while that queue's threads wind
  // down aborts in gRPC (a queue unreffed twice), about one exit in ten
  // right after a client's channel went. Clients are few and live as long
  // as their process, so one channel each stays.
  ~Core() { new std::shared_ptr<grpc::Channel>(std::move(channel_)); }

  void Start() {
    {
      absl::MutexLock lock(&mu_);
      if (started_) return;
      started_ = true;
    }
    // A weak reference: Stop removes the tick before the client lets go.
    ticker_id_ = ticker_.Add([weak = this->weak_from_this()] {
      if (std::shared_ptr<Core> core = weak.lock()) core->OnTick();
    });
    OpenStream();
  }

  void Stop(absl::Duration grace) {
    std::vector<Done> failed;
    {
      absl::MutexLock lock(&mu_);
      if (!started_ || stopping_) return;
      stopping_ = true;
      auto answered = [this]() ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_) {
        return outstanding_weight_ == 0 || !open_;
      };
      clock_.AwaitWithDeadline(mu_, absl::Condition(&answered),
                               clock_.Now() + grace);
      for (auto& [id, pending] : pending_) {
        failed.push_back(std::move(pending.done));
      }
      ChangeOutstanding(-outstanding_weight_);
      pending_.clear();
      classes_.clear();
      messages_.clear();
      open_ = false;
      if (stream_ != nullptr) stream_->context.TryCancel();
      ++dispatching_;
    }
    // Not under the lock: a tick that runs now takes it.
    ticker_.Remove(ticker_id_);
    const absl::Status stopping = absl::UnavailableError(
        absl::StrCat(options_.name, ": shutting down; retry"));
    for (Done& done : failed) done(stopping);
    absl::MutexLock lock(&mu_);
    --dispatching_;
    auto quiet = [this]() ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_) {
      return stream_ == nullptr && dispatching_ == 0;
    };
    mu_.Await(absl::Condition(&quiet));
  }

  bool Ready() const {
    absl::MutexLock lock(&mu_);
    return open_ && !stopping_;
  }

  void Submit(Item item, absl::Time deadline, Done done, bool write) {
    const int64_t weight = Traits::Weight(item);
    absl::Status refusal;
    Stream* write_on = nullptr;
    {
      absl::MutexLock lock(&mu_);
      if (stopping_) {
        refusal = absl::UnavailableError(
            absl::StrCat(options_.name, ": shutting down; retry"));
      } else if (!open_) {
        refusal = absl::UnavailableError(
            absl::StrCat(options_.name, ": no open stream; retry"));
      } else if (outstanding_weight_ > 0 &&
                 outstanding_weight_ + weight >
                     options_.max_outstanding_weight) {
        refusal = WithRetryDelay(
            absl::ResourceExhaustedError(absl::StrCat(
                options_.name, ": too much is waiting; retry after a pause")),
            options_.retry_delay);
      } else {
        const uint64_t id = next_id_++;
        const int message_class = Traits::MessageClass(item);
        pending_.try_emplace(id, std::move(done), deadline, weight,
                             message_class);
        classes_[message_class].queue.push_back({id, std::move(item)});
        ChangeOutstanding(weight);
        if (write) write_on = WriteNextLocked();
      }
    }
    if (write_on != nullptr) {
      write_on->StartWrite(&write_on->request);
    } else if (!refusal.ok()) {
      done(std::move(refusal));
    }
  }

  void Flush() {
    Stream* write_on = nullptr;
    {
      absl::MutexLock lock(&mu_);
      write_on = WriteNextLocked();
    }
    if (write_on != nullptr) write_on->StartWrite(&write_on->request);
  }

  // ---- from the stream's reactions ----

  void OnOpened(Stream* stream, bool admitted) {
    Stream* write_on = nullptr;
    {
      absl::MutexLock lock(&mu_);
      if (!admitted || stopping_ || ended_) return;
      open_ = true;
      opened_at_ = clock_.Now();
      // What waited through the reconnect goes first.
      write_on = WriteNextLocked();
    }
    LogInfo("stream open", {{"stream", options_.name}});
    if (write_on != nullptr) stream->StartWrite(&stream->request);
  }

  void OnResponse(Stream* stream, typename Traits::Response& response) {
    Stream* write_on = nullptr;
    if constexpr (Traits::kAnswersWholeMessages) {
      std::vector<std::pair<Done, typename Traits::Receipt>> settled;
      {
        absl::MutexLock lock(&mu_);
        auto message = messages_.find(Traits::AnsweredMessage(response));
        if (message == messages_.end()) return;
        const Message answered = message->second;
        for (uint64_t id = answered.first; id <= answered.last; ++id) {
          auto it = pending_.find(id);
          // Expired, or of another class and so in another message.
          if (it == pending_.end() || it->second.message != answered.first) {
            continue;
          }
          settled.emplace_back(std::move(it->second.done),
                               std::move(it->second.receipt));
          ChangeOutstanding(-it->second.weight);
          pending_.erase(it);
        }
        EndMessage(message);
        write_on = WriteNextLocked();
        ++dispatching_;
      }
      if (write_on != nullptr) stream->StartWrite(&stream->request);
      DeferredWrites together;
      for (auto& [done, receipt] : settled) {
        done(Traits::ResultOf(response, receipt));
      }
    } else {
      std::vector<std::pair<uint64_t, absl::StatusOr<Result>>> results;
      Traits::ForEachResult(response,
                            [&results](uint64_t id, absl::StatusOr<Result> r) {
                              results.emplace_back(id, std::move(r));
                            });
      std::vector<std::pair<Done, absl::StatusOr<Result>*>> answered;
      answered.reserve(results.size());
      {
        absl::MutexLock lock(&mu_);
        for (auto& [id, result] : results) {
          auto it = pending_.find(id);
          if (it == pending_.end()) continue;  // expired
          answered.emplace_back(TakeLocked(it), &result);
        }
        write_on = WriteNextLocked();
        ++dispatching_;
      }
      if (write_on != nullptr) stream->StartWrite(&stream->request);
      DeferredWrites together;
      for (auto& [done, result] : answered) done(std::move(*result));
    }
    EndDispatch();
  }

  void OnWriteDone(Stream* stream, bool ok) {
    Stream* write_on = nullptr;
    bool release = false;
    {
      absl::MutexLock lock(&mu_);
      writing_ = false;
      // A failed write means the stream is broken; what waits goes on the
      // next one.
      if (!ok) write_broken_ = true;
      write_on = WriteNextLocked();
      release = write_on == nullptr && ended_ && hold_;
      if (release) hold_ = false;
    }
    if (write_on != nullptr) {
      stream->StartWrite(&stream->request);
    } else if (release) {
      stream->RemoveHold();
    }
  }

  // Nothing more will be read: what was sent is answered UNAVAILABLE, and
  // once no write is in progress the stream may end.
  void OnReadEnded(Stream* stream) {
    std::vector<Done> lost;
    bool release = false;
    {
      absl::MutexLock lock(&mu_);
      ended_ = true;
      open_ = false;
      for (auto it = pending_.begin(); it != pending_.end();) {
        if (it->second.message != 0) {
          lost.push_back(std::move(it->second.done));
          ChangeOutstanding(-it->second.weight);
          pending_.erase(it++);
        } else {
          ++it;
        }
      }
      messages_.clear();
      for (auto& [message_class, state] : classes_) state.unanswered = 0;
      release = !writing_ && hold_;
      if (release) hold_ = false;
      ++dispatching_;
    }
    const absl::Status status = absl::UnavailableError(absl::StrCat(
        options_.name, ": the stream ended before an answer; retry"));
    for (Done& done : lost) done(status);
    if (release) stream->RemoveHold();
    EndDispatch();
  }

  void OnStreamDone(const grpc::Status& status) {
    std::vector<Done> failed;
    bool log = false;
    {
      absl::MutexLock lock(&mu_);
      stream_ = nullptr;
      open_ = false;
      if (stopping_) return;
      const absl::Time now = clock_.Now();
      const bool was_open = opened_at_ != absl::InfinitePast();
      if (!was_open) {
        // Waited through a whole attempt: no longer.
        for (auto& [message_class, state] : classes_) {
          for (const Queued& q : state.queue) {
            auto it = pending_.find(q.id);
            if (it == pending_.end()) continue;
            failed.push_back(std::move(it->second.done));
            ChangeOutstanding(-it->second.weight);
            pending_.erase(it);
          }
          state.queue.clear();
        }
      }
      if (was_open && now - opened_at_ >= options_.stable_after) {
        backoff_.Reset();
      }
      reconnect_at_ = now + backoff_.Next(random_);
      // An open stream's end is news; attempts that keep failing (a
      // refused token, a server that is down) are logged every few
      // seconds, not at every attempt.
      log = was_open || now - last_failure_log_ >= kFailureLogInterval;
      if (log && !was_open) last_failure_log_ = now;
      ++dispatching_;
    }
    if (log) {
      LogWarning("stream closed; reconnecting",
                 {{"stream", options_.name},
                  {"code", absl::StrCat(status.error_code())},
                  {"error", status.error_message()}});
    }
    const absl::Status unavailable = absl::UnavailableError(
        absl::StrCat(options_.name, ": could not open a stream (",
                     status.error_message(), "); retry"));
    for (Done& done : failed) done(unavailable);
    EndDispatch();
  }

 private:
  static constexpr absl::Duration kFailureLogInterval = absl::Seconds(5);

  struct Pending {
    Pending(Done done, absl::Time deadline, int64_t weight, int message_class)
        : done(std::move(done)),
          deadline(deadline),
          weight(weight),
          message_class(message_class) {}
    Done done;
    absl::Time deadline;
    int64_t weight;
    int message_class;
    // The sequence of the message that carried it; 0 while unsent.
    uint64_t message = 0;
    typename Traits::Receipt receipt{};
  };
  struct Queued {
    uint64_t id;
    Item item;
  };
  // The submissions of one class: those waiting to be sent, and how many
  // messages are sent and not yet wholly answered.
  struct Class {
    std::deque<Queued> queue;
    int unanswered = 0;
  };
  // A sent message: the first and last id it carried (those between
  // that it did not carry had expired or are of another class) and how
  // many of them await an answer.
  struct Message {
    uint64_t first;
    uint64_t last;
    int message_class;
    int unanswered;
  };
  using MessageMap = absl::flat_hash_map<uint64_t, Message>;

  void ChangeOutstanding(int64_t delta) ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_) {
    outstanding_weight_ += delta;
    if (options_.outstanding_gauge != nullptr && delta != 0) {
      options_.outstanding_gauge->Increment(static_cast<double>(delta));
    }
  }

  void EndDispatch() {
    absl::MutexLock lock(&mu_);
    --dispatching_;
  }

  // The message is answered: its class may send another.
  void EndMessage(typename MessageMap::iterator message)
      ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_) {
    Class& state = classes_[message->second.message_class];
    if (state.unanswered > 0) --state.unanswered;
    messages_.erase(message);
  }

  // Takes a submission out, answered or given up, and counts it against
  // its message.
  Done TakeLocked(typename absl::flat_hash_map<uint64_t, Pending>::iterator it)
      ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_) {
    Done done = std::move(it->second.done);
    ChangeOutstanding(-it->second.weight);
    if (it->second.message != 0) {
      auto message = messages_.find(it->second.message);
      if (message != messages_.end() && --message->second.unanswered == 0) {
        EndMessage(message);
      }
    }
    pending_.erase(it);
    return done;
  }

  // When a message can be written now, packs it into the stream's request
  // and returns the stream, whose StartWrite the caller calls outside the
  // lock (writing_ keeps the stream from finishing meanwhile).
  Stream* WriteNextLocked() ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_) {
    if (stream_ == nullptr || !open_ || writing_ || write_broken_ || ended_) {
      return nullptr;
    }
    // The class whose oldest waiting submission is oldest, among those
    // with room in their window.
    Class* chosen = nullptr;
    int chosen_class = 0;
    uint64_t oldest = 0;
    for (auto& [message_class, state] : classes_) {
      while (!state.queue.empty() &&
             !pending_.contains(state.queue.front().id)) {
        state.queue.pop_front();  // expired while it waited
      }
      if (state.queue.empty()) continue;
      if (options_.max_unanswered_messages > 0 &&
          state.unanswered >= options_.max_unanswered_messages) {
        continue;
      }
      if (chosen == nullptr || state.queue.front().id < oldest) {
        chosen = &state;
        chosen_class = message_class;
        oldest = state.queue.front().id;
      }
    }
    if (chosen == nullptr) return nullptr;
    typename Traits::Request& request = stream_->request;
    request.Clear();
    const uint64_t sequence = oldest;
    int items = 0;
    int64_t weight = 0;
    uint64_t last = 0;
    while (!chosen->queue.empty() && items < options_.max_message_items) {
      Queued& q = chosen->queue.front();
      auto it = pending_.find(q.id);
      if (it == pending_.end()) {
        chosen->queue.pop_front();
        continue;
      }
      const int64_t w = it->second.weight;
      if (items > 0 && weight + w > options_.max_message_weight) break;
      it->second.receipt = Traits::Pack(q.id, std::move(q.item), request);
      it->second.message = sequence;
      last = q.id;
      weight += w;
      ++items;
      chosen->queue.pop_front();
    }
    Traits::Seal(sequence, request);
    messages_[sequence] = {sequence, last, chosen_class,
                           Traits::kAnswersWholeMessages ? 1 : items};
    ++chosen->unanswered;
    writing_ = true;
    return stream_;
  }

  void OpenStream() {
    auto* stream = new Stream(this->shared_from_this());
    {
      absl::MutexLock lock(&mu_);
      if (stopping_ || stream_ != nullptr) {
        delete stream;
        return;
      }
      stream_ = stream;
      open_ = false;
      ended_ = false;
      writing_ = false;
      write_broken_ = false;
      hold_ = true;
      attempt_started_ = clock_.Now();
      opened_at_ = absl::InfinitePast();
    }
    Traits::StartCall(*stub_, &stream->context, stream);
    // Writes start from Submit, outside the reactions: the hold keeps the
    // stream from finishing until the read side has ended and no write is
    // in progress.
    stream->AddHold();
    stream->StartRead(&stream->response);
    stream->StartCall();
  }

  void OnTick() {
    std::vector<Done> expired;
    bool open_stream = false;
    Stream* write_on = nullptr;
    {
      absl::MutexLock lock(&mu_);
      if (stopping_) return;
      const absl::Time now = clock_.Now();
      for (auto it = pending_.begin(); it != pending_.end();) {
        auto next = std::next(it);
        if (it->second.deadline <= now) expired.push_back(TakeLocked(it));
        it = next;
      }
      if (stream_ == nullptr) {
        open_stream = now >= reconnect_at_;
      } else if (!open_ && !ended_ &&
                 now - attempt_started_ >= options_.open_timeout) {
        stream_->context.TryCancel();
      }
      // An expired message no longer holds its class's window.
      if (!expired.empty()) write_on = WriteNextLocked();
      ++dispatching_;
    }
    if (write_on != nullptr) write_on->StartWrite(&write_on->request);
    if (open_stream) OpenStream();
    const absl::Status late = absl::DeadlineExceededError(
        absl::StrCat(options_.name, ": no answer in time"));
    for (Done& done : expired) done(late);
    EndDispatch();
  }

  // Never released (see ~Core).
  std::shared_ptr<grpc::Channel> channel_;
  const std::unique_ptr<typename Traits::Service::Stub> stub_;
  const StreamClientOptions options_;
  Ticker& ticker_;
  const Clock& clock_;

  mutable absl::Mutex mu_;
  bool started_ ABSL_GUARDED_BY(mu_) = false;
  bool stopping_ ABSL_GUARDED_BY(mu_) = false;
  // The stream being opened or open; null between attempts.
  Stream* stream_ ABSL_GUARDED_BY(mu_) = nullptr;
  bool open_ ABSL_GUARDED_BY(mu_) = false;   // admitted, reading
  bool ended_ ABSL_GUARDED_BY(mu_) = false;  // its read side ended
  bool writing_ ABSL_GUARDED_BY(mu_) = false;
  bool write_broken_ ABSL_GUARDED_BY(mu_) = false;
  bool hold_ ABSL_GUARDED_BY(mu_) = false;
  absl::Time attempt_started_ ABSL_GUARDED_BY(mu_);
  absl::Time opened_at_ ABSL_GUARDED_BY(mu_) = absl::InfinitePast();
  absl::Time reconnect_at_ ABSL_GUARDED_BY(mu_) = absl::InfinitePast();
  absl::Time last_failure_log_ ABSL_GUARDED_BY(mu_) = absl::InfinitePast();
  ReconnectBackoff backoff_ ABSL_GUARDED_BY(mu_);
  absl::BitGen random_ ABSL_GUARDED_BY(mu_);

  // Every submission not yet answered, sent or not.
  absl::flat_hash_map<uint64_t, Pending> pending_ ABSL_GUARDED_BY(mu_);
  // Submitted, not yet sent, per class in submission order; few classes.
  std::map<int, Class> classes_ ABSL_GUARDED_BY(mu_);
  // Sent messages not yet wholly answered, by sequence.
  MessageMap messages_ ABSL_GUARDED_BY(mu_);
  int64_t outstanding_weight_ ABSL_GUARDED_BY(mu_) = 0;
  uint64_t next_id_ ABSL_GUARDED_BY(mu_) = 1;
  // Done callbacks being run outside the lock; Stop waits for them.
  int dispatching_ ABSL_GUARDED_BY(mu_) = 0;
  // Set by Start, before any tick can run.
  uint64_t ticker_id_ = 0;
};

}  // namespace shopstream::rpc_stream

#endif  // SHOPSTREAM_RPC_STREAM_STREAM_CLIENT_H_
