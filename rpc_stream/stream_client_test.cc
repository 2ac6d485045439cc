// The stream engine against a real gRPC server in the same process, whose
// streams are served with AnsweringReactor like the services' own.
#include "rpc_stream/stream_client.h"

#include <arpa/inet.h>
#include <grpcpp/grpcpp.h>
#include <netinet/in.h>
#include <poll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <atomic>
#include <future>
#include <map>
#include <thread>

#include "absl/strings/match.h"
#include "absl/synchronization/mutex.h"
#include "absl/time/clock.h"
#include "common/clock.h"
#include "common/grpc_status.h"
#include "common/internal_rpc_auth.h"
#include "common/keepalive.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "rpc_stream/answering_reactor.h"
#include "rpc_stream/testing/tally.grpc.pb.h"

namespace shopstream::rpc_stream {
namespace {

namespace tally = ::shopstream::internal::testing;
using tally::TallyRequest;
using tally::TallyResponse;
using ::testing::ElementsAre;

constexpr char kToken[] = "0123456789abcdef0123456789abcdef-tally";

// One submission: a word, answered with the word in upper case.
struct Word {
  std::string text;
  int kind = 0;
};

std::string Upper(std::string text) {
  for (char& c : text) c = static_cast<char>(std::toupper(c));
  return text;
}

// Answers come per item.
struct ItemTraits {
  using Service = tally::Tally;
  using Request = TallyRequest;
  using Response = TallyResponse;
  using Item = Word;
  using Result = std::string;
  struct Receipt {};
  static constexpr bool kAnswersWholeMessages = false;

  static void StartCall(Service::Stub& stub, grpc::ClientContext* context,
                        grpc::ClientBidiReactor<Request, Response>* reactor) {
    stub.async()->Items(context, reactor);
  }
  static int64_t Weight(const Word&) { return 1; }
  static int MessageClass(const Word& word) { return word.kind; }
  static Receipt Pack(uint64_t id, Word&& word, Request& request) {
    tally::TallyItem* item = request.add_items();
    item->set_id(id);
    item->set_text(std::move(word.text));
    item->set_kind(word.kind);
    return {};
  }
  static void Seal(uint64_t sequence, Request& request) {
    request.set_sequence(sequence);
  }
  template <typename F>
  static void ForEachResult(Response& response, F&& f) {
    for (tally::TallyAnswer& answer : *response.mutable_answers()) {
      f(answer.id(), Of(answer));
    }
  }
  static absl::StatusOr<std::string> Of(const tally::TallyAnswer& answer) {
    if (answer.code() != 0) {
      return absl::Status(static_cast<absl::StatusCode>(answer.code()),
                          answer.text());
    }
    return answer.text();
  }
};

// Each message is answered as a whole; an item's answer is found by its
// place in the message.
struct MessageTraits : ItemTraits {
  struct Receipt {
    int index = 0;
  };
  static constexpr bool kAnswersWholeMessages = true;

  static void StartCall(Service::Stub& stub, grpc::ClientContext* context,
                        grpc::ClientBidiReactor<Request, Response>* reactor) {
    stub.async()->Messages(context, reactor);
  }
  static Receipt Pack(uint64_t id, Word&& word, Request& request) {
    Receipt receipt{request.items_size()};
    ItemTraits::Pack(id, std::move(word), request);
    return receipt;
  }
  static uint64_t AnsweredMessage(const Response& response) {
    return response.sequence();
  }
  static absl::StatusOr<std::string> ResultOf(const Response& response,
                                              const Receipt& receipt) {
    if (receipt.index >= response.answers_size()) {
      return absl::InternalError("no answer");
    }
    return Of(response.answers(receipt.index));
  }
};

class TallyService;

// Answers every item with its upper case, at once or, while the service
// holds, when it is released.
class TallyReactor final
    : public AnsweringReactor<TallyRequest, TallyResponse> {
 public:
  TallyReactor(TallyService* service, grpc::CallbackServerContext* context,
               OpenStreams* streams, const InternalRpcGate& gate,
               int64_t max_unanswered, bool whole_messages)
      : AnsweringReactor(context, streams, max_unanswered,
                         /*coalesce=*/!whole_messages),
        service_(service),
        whole_messages_(whole_messages) {
    Open(gate);
  }

  // Item by item, as answers come from work that ends one after the
  // other; written together.
  void AnswerNow(const TallyRequest& request) {
    if (whole_messages_) {
      Answer(1, [&](TallyResponse& response) {
        response.set_sequence(request.sequence());
        for (const auto& item : request.items()) {
          AnswerItem(item, *response.add_answers());
        }
      });
      return;
    }
    DeferredWrites together;
    for (const auto& item : request.items()) {
      Answer(1, [&](TallyResponse& response) {
        AnswerItem(item, *response.add_answers());
      });
    }
  }

 private:
  int64_t Units(const TallyRequest& request) const override {
    return whole_messages_ ? 1 : request.items_size();
  }
  void OnMessage(TallyRequest& request) override;
  void OnCancel() override;

  static void AnswerItem(const tally::TallyItem& item,
                         tally::TallyAnswer& answer) {
    answer.set_id(item.id());
    if (item.text() == "refuse") {
      answer.set_code(static_cast<int>(absl::StatusCode::kInvalidArgument));
      answer.set_text("refused");
    } else {
      answer.set_text(Upper(item.text()));
    }
  }

  TallyService* const service_;
  const bool whole_messages_;
};

// Admits the stream, reads its first message and then nothing more, until
// told to end it: a server that stopped reading, whose client's next large
// write cannot complete.
class StallingReactor final
    : public grpc::ServerBidiReactor<TallyRequest, TallyResponse> {
 public:
  StallingReactor(TallyService* service, grpc::CallbackServerContext* context);
  void End();

 private:
  void OnReadDone(bool ok) override;
  void OnCancel() override { End(); }
  void OnDone() override;

  TallyService* const service_;
  TallyRequest request_;
  absl::Mutex mu_;
  bool finished_ ABSL_GUARDED_BY(mu_) = false;
};

class TallyService final : public tally::Tally::CallbackService {
 public:
  explicit TallyService(InternalRpcGate gate = InternalRpcGate::AdmitAll())
      : gate_(std::move(gate)) {}

  grpc::ServerBidiReactor<TallyRequest, TallyResponse>* Items(
      grpc::CallbackServerContext* context) override {
    return Serve(context, /*whole_messages=*/false);
  }
  grpc::ServerBidiReactor<TallyRequest, TallyResponse>* Messages(
      grpc::CallbackServerContext* context) override {
    return Serve(context, /*whole_messages=*/true);
  }

  // New streams read one message and stall (or, false, answer).
  void set_stall(bool stall) {
    absl::MutexLock lock(&mu_);
    stall_ = stall;
  }
  // Reading pauses while more than this many units wait for an answer.
  void set_max_unanswered(int64_t units) {
    absl::MutexLock lock(&mu_);
    max_unanswered_ = units;
  }
  // Answers wait for Release.
  void Hold() {
    absl::MutexLock lock(&mu_);
    holding_ = true;
  }
  // Answers what waits, and from now on everything at once.
  void Release() {
    std::vector<std::pair<TallyReactor*, TallyRequest>> held;
    {
      absl::MutexLock lock(&mu_);
      holding_ = false;
      held.swap(held_);
    }
    for (auto& [reactor, request] : held) reactor->AnswerNow(request);
  }
  // Ends every stalled stream with UNAVAILABLE.
  void EndStalled() {
    absl::MutexLock lock(&mu_);
    for (StallingReactor* reactor : stalled_) reactor->End();
  }

  // Called by the reactors. A message whose first item starts with "hold"
  // waits for Release whatever the mode.
  void Received(TallyReactor* reactor, TallyRequest& request) {
    bool hold;
    {
      absl::MutexLock lock(&mu_);
      received_.push_back(request);
      hold = holding_ || (request.items_size() > 0 &&
                          absl::StartsWith(request.items(0).text(), "hold"));
      if (hold) held_.emplace_back(reactor, request);
    }
    if (!hold) reactor->AnswerNow(request);
  }
  void Received(const TallyRequest& request) {
    absl::MutexLock lock(&mu_);
    received_.push_back(request);
  }
  // A cancelled stream's held answers are given up: nobody reads them.
  void Forget(TallyReactor* reactor) {
    std::vector<TallyRequest> forgotten;
    {
      absl::MutexLock lock(&mu_);
      for (auto it = held_.begin(); it != held_.end();) {
        if (it->first == reactor) {
          forgotten.push_back(std::move(it->second));
          it = held_.erase(it);
        } else {
          ++it;
        }
      }
    }
    for (const auto& request : forgotten) reactor->AnswerNow(request);
  }
  void Gone(StallingReactor* reactor) {
    absl::MutexLock lock(&mu_);
    stalled_.erase(reactor);
  }

  std::vector<TallyRequest> received() {
    absl::MutexLock lock(&mu_);
    return received_;
  }
  // Items received so far.
  int received_items() {
    absl::MutexLock lock(&mu_);
    int n = 0;
    for (const auto& r : received_) n += r.items_size();
    return n;
  }
  bool AwaitReceivedItems(int n) {
    absl::MutexLock lock(&mu_);
    auto reached = [this, n]() ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_) {
      int got = 0;
      for (const auto& r : received_) got += r.items_size();
      return got >= n;
    };
    return mu_.AwaitWithTimeout(absl::Condition(&reached), absl::Seconds(30));
  }

  OpenStreams& streams() { return streams_; }

 private:
  grpc::ServerBidiReactor<TallyRequest, TallyResponse>* Serve(
      grpc::CallbackServerContext* context, bool whole_messages) {
    absl::MutexLock lock(&mu_);
    if (stall_) {
      auto* reactor = new StallingReactor(this, context);
      stalled_.insert(reactor);
      return reactor;
    }
    return new TallyReactor(this, context, &streams_, gate_, max_unanswered_,
                            whole_messages);
  }

  const InternalRpcGate gate_;
  OpenStreams streams_;
  absl::Mutex mu_;
  bool stall_ ABSL_GUARDED_BY(mu_) = false;
  bool holding_ ABSL_GUARDED_BY(mu_) = false;
  int64_t max_unanswered_ ABSL_GUARDED_BY(mu_) = 1000;
  std::vector<std::pair<TallyReactor*, TallyRequest>> held_
      ABSL_GUARDED_BY(mu_);
  std::vector<TallyRequest> received_ ABSL_GUARDED_BY(mu_);
  absl::flat_hash_set<StallingReactor*> stalled_ ABSL_GUARDED_BY(mu_);
};

void TallyReactor::OnMessage(TallyRequest& request) {
  service_->Received(this, request);
}

void TallyReactor::OnCancel() { service_->Forget(this); }

StallingReactor::StallingReactor(TallyService* service,
                                 grpc::CallbackServerContext* context)
    : service_(service) {
  context->AddInitialMetadata(kStreamOpenMetadataKey, "1");
  StartSendInitialMetadata();
  StartRead(&request_);
}

void StallingReactor::OnReadDone(bool ok) {
  if (ok) service_->Received(request_);
}

void StallingReactor::End() {
  absl::MutexLock lock(&mu_);
  if (finished_) return;
  finished_ = true;
  Finish(grpc::Status(grpc::StatusCode::UNAVAILABLE, "stalled stream ends"));
}

void StallingReactor::OnDone() {
  service_->Gone(this);
  delete this;
}

// A server on a loopback port that can be stopped and started again on it.
class TallyServer {
 public:
  explicit TallyServer(
      TallyService* service,
      const std::function<void(grpc::ServerBuilder&)>& configure = nullptr,
      int port = 0)
      : service_(service) {
    grpc::ServerBuilder builder;
    builder.AddListeningPort("127.0.0.1:" + std::to_string(port),
                             grpc::InsecureServerCredentials(), &port_);
    builder.RegisterService(service);
    if (configure) configure(builder);
    server_ = builder.BuildAndStart();
  }
  ~TallyServer() { Stop(); }
  void Stop() {
    if (server_ == nullptr) return;
    service_->EndStalled();
    service_->Release();
    server_->Shutdown(std::chrono::system_clock::now());
    server_.reset();
  }
  int port() const { return port_; }
  std::string target() const { return "127.0.0.1:" + std::to_string(port_); }

 private:
  TallyService* service_;
  std::unique_ptr<grpc::Server> server_;
  int port_ = 0;
};

// What the submissions got, gathered from gRPC's threads.
class Answers {
 public:
  template <typename Client>
  void Submit(Client& client, std::string text, int kind = 0,
              absl::Time deadline = absl::InfiniteFuture(), bool write = true) {
    const int index = Reserve(text);
    client.Submit(
        Word{std::move(text), kind}, deadline,
        [this, index](absl::StatusOr<std::string> result) {
          absl::MutexLock lock(&mu_);
          ++calls_[index];
          results_[index] = std::move(result);
        },
        write);
  }
  // Until every submission has its answer.
  bool AwaitAll() {
    absl::MutexLock lock(&mu_);
    auto all = [this]() ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_) {
      return results_.size() == texts_.size();
    };
    return mu_.AwaitWithTimeout(absl::Condition(&all), absl::Seconds(30));
  }
  bool AwaitAnswer(int index) {
    absl::MutexLock lock(&mu_);
    auto answered = [this, index]() ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_) {
      return results_.contains(index);
    };
    return mu_.AwaitWithTimeout(absl::Condition(&answered), absl::Seconds(30));
  }
  absl::StatusOr<std::string> result(int index) {
    absl::MutexLock lock(&mu_);
    return results_.at(index);
  }
  absl::StatusCode code(int index) { return result(index).status().code(); }
  std::string text(int index) {
    absl::MutexLock lock(&mu_);
    return texts_.at(index);
  }
  int calls(int index) {
    absl::MutexLock lock(&mu_);
    return calls_[index];
  }
  int size() {
    absl::MutexLock lock(&mu_);
    return static_cast<int>(texts_.size());
  }

 private:
  int Reserve(const std::string& text) {
    absl::MutexLock lock(&mu_);
    texts_.push_back(text);
    return static_cast<int>(texts_.size()) - 1;
  }

  absl::Mutex mu_;
  std::vector<std::string> texts_ ABSL_GUARDED_BY(mu_);
  std::map<int, absl::StatusOr<std::string>> results_ ABSL_GUARDED_BY(mu_);
  std::map<int, int> calls_ ABSL_GUARDED_BY(mu_);
};

std::shared_ptr<grpc::Channel> Channel(const std::string& target,
                                       const std::string& token = "") {
  return CreateInternalRpcChannel(target, grpc::InsecureChannelCredentials(),
                                  grpc::ChannelArguments(), token);
}

// Holds the client's message writes while closed, so that a write stays
// in progress for as long as a test needs: what is submitted meanwhile
// waits, unsent.
class WriteGate {
 public:
  void Close() {
    absl::MutexLock lock(&mu_);
    closed_ = true;
  }
  // Lets the held writes go on, and every later one.
  void Open() {
    std::vector<grpc::experimental::InterceptorBatchMethods*> held;
    {
      absl::MutexLock lock(&mu_);
      closed_ = false;
      held.swap(held_);
    }
    for (auto* methods : held) methods->Proceed();
  }
  // True when `methods` is held, to be proceeded by Open.
  bool Hold(grpc::experimental::InterceptorBatchMethods* methods) {
    absl::MutexLock lock(&mu_);
    if (!closed_) return false;
    held_.push_back(methods);
    return true;
  }
  bool AwaitHeld() {
    absl::MutexLock lock(&mu_);
    auto held = [this]() ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_) {
      return !held_.empty();
    };
    return mu_.AwaitWithTimeout(absl::Condition(&held), absl::Seconds(30));
  }

 private:
  class Interceptor final : public grpc::experimental::Interceptor {
   public:
    explicit Interceptor(WriteGate* gate) : gate_(gate) {}
    void Intercept(
        grpc::experimental::InterceptorBatchMethods* methods) override {
      if (methods->QueryInterceptionHookPoint(
              grpc::experimental::InterceptionHookPoints::PRE_SEND_MESSAGE) &&
          gate_->Hold(methods)) {
        return;
      }
      methods->Proceed();
    }

   private:
    WriteGate* gate_;
  };

 public:
  class Factory final
      : public grpc::experimental::ClientInterceptorFactoryInterface {
   public:
    explicit Factory(WriteGate* gate) : gate_(gate) {}
    grpc::experimental::Interceptor* CreateClientInterceptor(
        grpc::experimental::ClientRpcInfo*) override {
      return new Interceptor(gate_);
    }

   private:
    WriteGate* gate_;
  };

  std::shared_ptr<grpc::Channel> Channel(const std::string& target) {
    std::vector<
        std::unique_ptr<grpc::experimental::ClientInterceptorFactoryInterface>>
        factories;
    factories.push_back(std::make_unique<Factory>(this));
    return grpc::experimental::CreateCustomChannelWithInterceptors(
        target, grpc::InsecureChannelCredentials(), grpc::ChannelArguments(),
        std::move(factories));
  }

 private:
  absl::Mutex mu_;
  bool closed_ ABSL_GUARDED_BY(mu_) = false;
  std::vector<grpc::experimental::InterceptorBatchMethods*> held_
      ABSL_GUARDED_BY(mu_);
};

template <typename Client>
bool AwaitReady(const Client& client, bool ready = true) {
  for (int i = 0; i < 1500 && client.Ready() != ready; ++i) {
    absl::SleepFor(absl::Milliseconds(20));
  }
  return client.Ready() == ready;
}

// A ticker on a clock the test moves: Tick moves it `by` (at least an
// interval, or the ticker sleeps on) and returns once every registered
// tick has run on the moved clock.
class ManualTicker {
 public:
  static constexpr absl::Duration kInterval = absl::Milliseconds(50);

  Ticker& ticker() { return ticker_; }
  const Clock& clock() const { return clock_; }
  bool Tick(absl::Duration by) { return clock_.AdvanceRound(by); }

 private:
  FakeClock clock_;
  Ticker ticker_{kInterval, clock_};
};

StreamClientOptions Options() {
  StreamClientOptions options;
  options.name = "tally";
  return options;
}

TEST(StreamClientTest, AnswersEverySubmissionByItsId) {
  TallyService service;
  TallyServer server(&service);
  StreamClient<ItemTraits> client(Channel(server.target()), Options());
  client.Start();
  ASSERT_TRUE(AwaitReady(client));

  Answers answers;
  std::vector<std::thread> threads;
  for (int t = 0; t < 4; ++t) {
    threads.emplace_back([&, t] {
      for (int i = 0; i < 50; ++i) {
        answers.Submit(client, absl::StrCat("w", t, "-", i));
      }
    });
  }
  for (auto& t : threads) t.join();
  answers.Submit(client, "refuse");
  ASSERT_TRUE(answers.AwaitAll());
  for (int i = 0; i < 200; ++i) {
    ASSERT_TRUE(answers.result(i).ok()) << answers.result(i).status();
    EXPECT_EQ(*answers.result(i), Upper(answers.text(i)));
    EXPECT_EQ(answers.calls(i), 1);
  }
  EXPECT_EQ(answers.code(200), absl::StatusCode::kInvalidArgument);
  EXPECT_EQ(answers.result(200).status().message(), "refused");
  EXPECT_EQ(service.received_items(), 201);
}

TEST(StreamClientTest, AWholeMessageAnswerIsSplitByItem) {
  TallyService service;
  TallyServer server(&service);
  StreamClient<MessageTraits> client(Channel(server.target()), Options());
  client.Start();
  ASSERT_TRUE(AwaitReady(client));
  Answers answers;
  for (int i = 0; i < 100; ++i) answers.Submit(client, absl::StrCat("m", i));
  answers.Submit(client, "refuse");
  ASSERT_TRUE(answers.AwaitAll());
  for (int i = 0; i < 100; ++i) {
    ASSERT_TRUE(answers.result(i).ok()) << answers.result(i).status();
    EXPECT_EQ(*answers.result(i), absl::StrCat("M", i));
  }
  EXPECT_EQ(answers.code(100), absl::StatusCode::kInvalidArgument);
}

// Classes interleave in submission order but not in messages: each
// whole-message answer settles only the items its message carried.
TEST(StreamClientTest, AWholeMessageAnswerSettlesOnlyItsOwnItems) {
  TallyService service;
  TallyServer server(&service);
  WriteGate gate;
  StreamClient<MessageTraits> client(gate.Channel(server.target()), Options());
  client.Start();
  ASSERT_TRUE(AwaitReady(client));
  Answers answers;
  gate.Close();
  answers.Submit(client, "a", /*kind=*/0);
  ASSERT_TRUE(gate.AwaitHeld());
  answers.Submit(client, "b", /*kind=*/1);
  answers.Submit(client, "c", /*kind=*/0);
  answers.Submit(client, "d", /*kind=*/1);
  answers.Submit(client, "e", /*kind=*/0);
  gate.Open();
  ASSERT_TRUE(answers.AwaitAll());
  for (int i = 0; i < answers.size(); ++i) {
    ASSERT_TRUE(answers.result(i).ok())
        << i << ": " << answers.result(i).status();
    EXPECT_EQ(*answers.result(i), Upper(answers.text(i))) << i;
  }
  std::vector<int> sizes;
  for (const auto& message : service.received()) {
    sizes.push_back(message.items_size());
  }
  // a alone; then b and d, whose range of ids spans c; then c and e.
  EXPECT_THAT(sizes, ElementsAre(1, 2, 2));
}

// While a write is in progress, what is submitted waits and then goes out
// together: a class's items in messages of their own, at most
// max_message_items each, the class whose oldest waits longest first.
TEST(StreamClientTest, WhatWaitsDuringAWriteGoesOutTogetherByClass) {
  TallyService service;
  TallyServer server(&service);
  WriteGate gate;
  StreamClientOptions options = Options();
  options.max_message_items = 8;
  StreamClient<ItemTraits> client(gate.Channel(server.target()), options);
  client.Start();
  ASSERT_TRUE(AwaitReady(client));

  Answers answers;
  answers.Submit(client, "first");
  ASSERT_TRUE(service.AwaitReceivedItems(1));
  gate.Close();
  // A class of its own, so that it goes alone even should the first
  // message's write not have been reported done yet.
  answers.Submit(client, "held", /*kind=*/2);
  ASSERT_TRUE(gate.AwaitHeld());
  for (int i = 0; i < 10; ++i) answers.Submit(client, "a", /*kind=*/0);
  for (int i = 0; i < 3; ++i) answers.Submit(client, "b", /*kind=*/1);
  for (int i = 0; i < 2; ++i) answers.Submit(client, "c", /*kind=*/0);
  gate.Open();
  ASSERT_TRUE(answers.AwaitAll());
  for (int i = 0; i < answers.size(); ++i) {
    EXPECT_TRUE(answers.result(i).ok())
        << i << ": " << answers.result(i).status();
  }
  std::vector<int> sizes;
  for (const auto& message : service.received()) {
    sizes.push_back(message.items_size());
  }
  // a x8, then a x2 with the c x2 of the same class, then b x3.
  EXPECT_THAT(sizes, ElementsAre(1, 1, 8, 4, 3));
}

// Submissions made without a write wait for Flush and then leave in one
// message, however many there are (the gateway's turn of its event loop).
TEST(StreamClientTest, SubmissionsWithoutAWriteLeaveTogetherOnFlush) {
  TallyService service;
  TallyServer server(&service);
  StreamClient<ItemTraits> client(Channel(server.target()), Options());
  client.Start();
  ASSERT_TRUE(AwaitReady(client));
  Answers answers;
  for (int i = 0; i < 5; ++i) {
    answers.Submit(client, absl::StrCat("q", i), /*kind=*/0,
                   absl::InfiniteFuture(), /*write=*/false);
  }
  client.Flush();
  ASSERT_TRUE(answers.AwaitAll());
  for (int i = 0; i < answers.size(); ++i) {
    ASSERT_TRUE(answers.result(i).ok()) << answers.result(i).status();
    EXPECT_EQ(*answers.result(i), Upper(answers.text(i)));
  }
  std::vector<int> sizes;
  for (const auto& message : service.received()) {
    sizes.push_back(message.items_size());
  }
  EXPECT_THAT(sizes, ElementsAre(5));
  // A write starts again on its own for a submission that asks for one.
  answers.Submit(client, "next");
  ASSERT_TRUE(answers.AwaitAll());
  EXPECT_EQ(*answers.result(5), "NEXT");
}

TEST(StreamClientTest,
     ASubmissionPastItsDeadlineIsAnsweredOnceAndLateAnswersAreDropped) {
  TallyService service;
  service.Hold();
  TallyServer server(&service);
  ManualTicker ticks;
  StreamClient<ItemTraits> client(Channel(server.target()), Options(),
                                  ticks.ticker());
  client.Start();
  ASSERT_TRUE(AwaitReady(client));
  Answers answers;
  answers.Submit(client, "late", 0, ticks.clock().Now() + absl::Seconds(1));
  ASSERT_TRUE(service.AwaitReceivedItems(1));
  ASSERT_TRUE(ticks.Tick(absl::Milliseconds(999)));
  EXPECT_EQ(answers.calls(0), 0) << "answered before its deadline";
  ASSERT_TRUE(ticks.Tick(ManualTicker::kInterval));
  ASSERT_TRUE(answers.AwaitAnswer(0));
  EXPECT_EQ(answers.code(0), absl::StatusCode::kDeadlineExceeded);
  service.Release();
  // The server's answer arrives after the deadline; the stream goes on.
  answers.Submit(client, "next");
  ASSERT_TRUE(answers.AwaitAll());
  EXPECT_EQ(*answers.result(1), "NEXT");
  EXPECT_EQ(answers.calls(0), 1);
}

TEST(StreamClientTest,
     BeyondTheOutstandingBoundSubmissionsAreRefusedWithARetryDelay) {
  TallyService service;
  service.Hold();
  TallyServer server(&service);
  StreamClientOptions options = Options();
  options.max_outstanding_weight = 5;
  options.retry_delay = absl::Seconds(3);
  StreamClient<ItemTraits> client(Channel(server.target()), options);
  client.Start();
  ASSERT_TRUE(AwaitReady(client));
  Answers answers;
  for (int i = 0; i < 6; ++i) answers.Submit(client, absl::StrCat("b", i));
  ASSERT_TRUE(answers.AwaitAnswer(5));
  const absl::Status refused = answers.result(5).status();
  EXPECT_EQ(refused.code(), absl::StatusCode::kResourceExhausted);
  EXPECT_EQ(RetryDelayOf(refused), absl::Seconds(3));

  service.Release();
  for (int i = 0; i < 5; ++i) {
    ASSERT_TRUE(answers.AwaitAnswer(i));
    EXPECT_TRUE(answers.result(i).ok()) << i;
  }
  // Answered, they no longer count against the bound.
  answers.Submit(client, "after");
  ASSERT_TRUE(answers.AwaitAll());
  EXPECT_EQ(*answers.result(6), "AFTER");
}

// The server ends the stream while an answer is owed and a write is in
// progress: what was sent is answered UNAVAILABLE, what never left goes on
// the next stream.
TEST(StreamClientTest,
     AfterTheStreamEndsSentIsUnavailableAndUnsentGoesOnTheNext) {
  TallyService service;
  service.set_stall(true);
  TallyServer server(&service);
  WriteGate gate;
  StreamClient<ItemTraits> client(gate.Channel(server.target()), Options());
  client.Start();
  ASSERT_TRUE(AwaitReady(client));
  Answers answers;
  answers.Submit(client, "read");
  ASSERT_TRUE(service.AwaitReceivedItems(1));
  gate.Close();
  answers.Submit(client, "in-write", /*kind=*/1);
  ASSERT_TRUE(gate.AwaitHeld());
  answers.Submit(client, "queued-1");
  answers.Submit(client, "queued-2");

  service.set_stall(false);
  service.EndStalled();
  ASSERT_TRUE(answers.AwaitAnswer(0));
  ASSERT_TRUE(answers.AwaitAnswer(1));
  EXPECT_EQ(answers.code(0), absl::StatusCode::kUnavailable);
  EXPECT_EQ(answers.code(1), absl::StatusCode::kUnavailable);
  // The write in progress fails once let go; the next stream opens.
  gate.Open();
  ASSERT_TRUE(answers.AwaitAll());
  EXPECT_EQ(*answers.result(2), "QUEUED-1");
  EXPECT_EQ(*answers.result(3), "QUEUED-2");
  EXPECT_EQ(service.received_items(), 3);
}

TEST(StreamClientTest, ReconnectsWhenTheServerComesBack) {
  TallyService service;
  auto server = std::make_unique<TallyServer>(&service);
  const int port = server->port();
  StreamClientOptions options = Options();
  options.max_backoff = absl::Milliseconds(200);
  StreamClient<ItemTraits> client(Channel(server->target()), options);
  client.Start();
  ASSERT_TRUE(AwaitReady(client));

  server.reset();
  ASSERT_TRUE(AwaitReady(client, false));
  Answers answers;
  answers.Submit(client, "while-down");
  ASSERT_TRUE(answers.AwaitAnswer(0));
  EXPECT_EQ(answers.code(0), absl::StatusCode::kUnavailable);

  server = std::make_unique<TallyServer>(&service, nullptr, port);
  ASSERT_TRUE(AwaitReady(client));
  answers.Submit(client, "after");
  ASSERT_TRUE(answers.AwaitAll());
  EXPECT_EQ(*answers.result(1), "AFTER");
}

TEST(StreamClientTest, StopAnswersWhatIsOutstandingAndRefusesMore) {
  TallyService service;
  service.Hold();
  TallyServer server(&service);
  StreamClient<ItemTraits> client(Channel(server.target()), Options());
  client.Start();
  ASSERT_TRUE(AwaitReady(client));
  Answers answers;
  for (int i = 0; i < 3; ++i) answers.Submit(client, "held");
  ASSERT_TRUE(service.AwaitReceivedItems(3));
  client.Stop();
  // Stop returns with every submission answered.
  EXPECT_EQ(answers.calls(0) + answers.calls(1) + answers.calls(2), 3);
  for (int i = 0; i < 3; ++i) {
    EXPECT_EQ(answers.code(i), absl::StatusCode::kUnavailable);
  }
  answers.Submit(client, "after");
  EXPECT_EQ(answers.calls(3), 1);
  EXPECT_EQ(answers.code(3), absl::StatusCode::kUnavailable);
  EXPECT_FALSE(client.Ready());
}

TEST(StreamClientTest, StopWithGraceLetsOutstandingAnswersArrive) {
  TallyService service;
  service.Hold();
  TallyServer server(&service);
  StreamClient<ItemTraits> client(Channel(server.target()), Options());
  client.Start();
  ASSERT_TRUE(AwaitReady(client));
  Answers answers;
  answers.Submit(client, "held");
  ASSERT_TRUE(service.AwaitReceivedItems(1));
  auto stopped =
      std::async(std::launch::async, [&] { client.Stop(absl::Seconds(60)); });
  service.Release();
  stopped.wait();
  EXPECT_EQ(*answers.result(0), "HELD");
}

TEST(StreamClientTest, OnlyAChannelWithTheServiceTokenOpensAStream) {
  TallyService service(InternalRpcGate::RequireToken(kToken));
  TallyServer server(&service);
  StreamClientOptions options = Options();
  options.max_backoff = absl::Milliseconds(100);
  StreamClient<ItemTraits> stranger(Channel(server.target()), options);
  stranger.Start();
  StreamClient<ItemTraits> trusted(Channel(server.target(), kToken), options);
  trusted.Start();
  ASSERT_TRUE(AwaitReady(trusted));
  Answers answers;
  answers.Submit(trusted, "trusted");
  answers.Submit(stranger, "stranger");
  ASSERT_TRUE(answers.AwaitAll());
  EXPECT_EQ(*answers.result(0), "TRUSTED");
  EXPECT_EQ(answers.code(1), absl::StatusCode::kUnavailable);
  EXPECT_FALSE(stranger.Ready());
  EXPECT_EQ(service.received_items(), 1);
}

// With a window of one unanswered message per class, a class's next
// submissions wait for the answer and then go together, while another
// class goes on.
TEST(StreamClientTest, AWindowHoldsAClassUntilAnAnswerAndLetsOthersGo) {
  TallyService service;
  TallyServer server(&service);
  StreamClientOptions options = Options();
  options.max_unanswered_messages = 1;
  StreamClient<ItemTraits> client(Channel(server.target()), options);
  client.Start();
  ASSERT_TRUE(AwaitReady(client));
  Answers answers;
  answers.Submit(client, "hold-first");
  ASSERT_TRUE(service.AwaitReceivedItems(1));
  for (int i = 0; i < 5; ++i) answers.Submit(client, "waits", /*kind=*/0);
  answers.Submit(client, "other", /*kind=*/1);
  // Answered while the first class's window is full; had the five been
  // sent, they would have reached the server before it.
  ASSERT_TRUE(answers.AwaitAnswer(6));
  EXPECT_EQ(*answers.result(6), "OTHER");
  EXPECT_EQ(service.received_items(), 2);

  service.Release();
  ASSERT_TRUE(answers.AwaitAll());
  std::vector<int> sizes;
  for (const auto& message : service.received()) {
    sizes.push_back(message.items_size());
  }
  EXPECT_THAT(sizes, ElementsAre(1, 1, 5));
  for (int i = 0; i < 7; ++i) EXPECT_TRUE(answers.result(i).ok()) << i;
}

// Answers given one by one within a DeferredWrites scope leave in one
// response, not a first write for the first and another for the rest.
TEST(StreamClientTest, AnswersOfOneScopeLeaveInOneResponse) {
  TallyService service;
  TallyServer server(&service);
  auto stub = tally::Tally::NewStub(Channel(server.target()));
  grpc::ClientContext context;
  auto stream = stub->Items(&context);
  TallyRequest request;
  for (int i = 1; i <= 3; ++i) {
    tally::TallyItem* item = request.add_items();
    item->set_id(i);
    item->set_text("x");
  }
  ASSERT_TRUE(stream->Write(request));
  stream->WritesDone();
  std::vector<int> answers_per_response;
  TallyResponse response;
  while (stream->Read(&response)) {
    answers_per_response.push_back(response.answers_size());
  }
  EXPECT_TRUE(stream->Finish().ok());
  EXPECT_THAT(answers_per_response, ElementsAre(3));
}

// A backend that stopped reading: the write of a large message never
// completes, later submissions wait until their deadline or are refused
// beyond the bound, and Stop does not wait for the backend.
TEST(StreamClientTest, SubmissionsToAStalledServerExpireAndStopReturns) {
  TallyService service;
  service.set_stall(true);
  TallyServer server(&service);
  StreamClientOptions options = Options();
  options.max_outstanding_weight = 10;
  ManualTicker ticks;
  auto client = std::make_unique<StreamClient<ItemTraits>>(
      Channel(server.target()), options, ticks.ticker());
  client->Start();
  ASSERT_TRUE(AwaitReady(*client));

  Answers answers;
  constexpr int kSubmissions = 40;
  const std::string large(1 << 20, 'x');
  for (int i = 0; i < kSubmissions; ++i) {
    answers.Submit(*client, large, 0,
                   ticks.clock().Now() + absl::Milliseconds(500));
  }
  ASSERT_TRUE(ticks.Tick(absl::Milliseconds(500)));
  ASSERT_TRUE(answers.AwaitAll());
  int expired = 0;
  int refused = 0;
  for (int i = 0; i < kSubmissions; ++i) {
    expired += answers.code(i) == absl::StatusCode::kDeadlineExceeded;
    refused += answers.code(i) == absl::StatusCode::kResourceExhausted;
  }
  EXPECT_GT(expired, 0);
  EXPECT_GT(refused, 0);
  EXPECT_EQ(expired + refused, kSubmissions);

  auto stopped = std::async(std::launch::async, [&] { client->Stop(); });
  EXPECT_EQ(stopped.wait_for(std::chrono::seconds(30)),
            std::future_status::ready)
      << "Stop() waited for a stalled server";
  stopped.wait();
}

// A TCP relay that can go silent: its connections stay open but carry
// nothing either way, as when the server's host vanishes without a reset.
class SilenceableRelay {
 public:
  explicit SilenceableRelay(int backend_port) : backend_port_(backend_port) {
    listener_ = socket(AF_INET, SOCK_STREAM, 0);
    sockaddr_in address = Loopback(0);
    bind(listener_, reinterpret_cast<sockaddr*>(&address), sizeof(address));
    listen(listener_, 16);
    socklen_t length = sizeof(address);
    getsockname(listener_, reinterpret_cast<sockaddr*>(&address), &length);
    port_ = ntohs(address.sin_port);
    threads_.emplace_back([this] { AcceptLoop(); });
  }
  ~SilenceableRelay() {
    stopping_ = true;
    shutdown(listener_, SHUT_RDWR);
    for (std::thread& t : threads_) t.join();
    close(listener_);
  }
  int port() const { return port_; }
  void Silence() { silent_ = true; }

 private:
  static sockaddr_in Loopback(int port) {
    sockaddr_in address{};
    address.sin_family = AF_INET;
    address.sin_port = htons(port);
    address.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    return address;
  }
  void AcceptLoop() {
    while (!stopping_) {
      pollfd ready{listener_, POLLIN, 0};
      if (poll(&ready, 1, 50) <= 0) continue;
      const int client = accept(listener_, nullptr, nullptr);
      if (client < 0) continue;
      const int backend = socket(AF_INET, SOCK_STREAM, 0);
      sockaddr_in address = Loopback(backend_port_);
      if (connect(backend, reinterpret_cast<sockaddr*>(&address),
                  sizeof(address)) != 0) {
        close(client);
        close(backend);
        continue;
      }
      threads_.emplace_back(
          [this, client, backend] { Relay(client, backend); });
    }
  }
  void Relay(int a, int b) {
    char buffer[16384];
    while (!stopping_) {
      if (silent_) {
        std::this_thread::sleep_for(std::chrono::milliseconds(20));
        continue;
      }
      pollfd fds[2] = {{a, POLLIN, 0}, {b, POLLIN, 0}};
      if (poll(fds, 2, 50) <= 0) continue;
      bool closed = false;
      for (int i = 0; i < 2 && !closed; ++i) {
        if (fds[i].revents == 0) continue;
        const ssize_t n = read(fds[i].fd, buffer, sizeof(buffer));
        closed = n <= 0 || write(fds[1 - i].fd, buffer, n) != n;
      }
      if (closed) break;
    }
    close(a);
    close(b);
  }

  const int backend_port_;
  int listener_ = -1;
  int port_ = 0;
  std::atomic<bool> stopping_{false};
  std::atomic<bool> silent_{false};
  std::vector<std::thread> threads_;  // joined only from the destructor
};

TEST(StreamClientTest, KeepaliveNoticesAServerThatWentSilent) {
  TallyService service;
  TallyServer server(&service, [](grpc::ServerBuilder& builder) {
    AllowClientKeepalive(builder, absl::Milliseconds(100));
  });
  auto relay = std::make_unique<SilenceableRelay>(server.port());

  // The services' channel settings, with times short enough for a test.
  grpc::ChannelArguments args;
  SetClientKeepalive(args, {.time = absl::Milliseconds(300),
                            .timeout = absl::Milliseconds(300)});
  StreamClientOptions options = Options();
  options.max_backoff = absl::Milliseconds(100);
  StreamClient<ItemTraits> client(
      grpc::CreateCustomChannel("127.0.0.1:" + std::to_string(relay->port()),
                                grpc::InsecureChannelCredentials(), args),
      options);
  client.Start();
  ASSERT_TRUE(AwaitReady(client));

  // While the server answers, pings keep the idle stream open: the server
  // accepts them, no GOAWAY.
  for (int i = 0; i < 100; ++i) {
    ASSERT_TRUE(client.Ready()) << "stream dropped at " << i * 20 << " ms";
    absl::SleepFor(absl::Milliseconds(20));
  }

  // Silent: unanswered pings end the stream within about 600 ms, where TCP
  // alone would take minutes.
  relay->Silence();
  EXPECT_TRUE(AwaitReady(client, false))
      << "the stream to a silent server stayed open";
  client.Stop();
  // The server's side of the silent connection waits on it until closed.
  relay.reset();
}

}  // namespace
}  // namespace shopstream::rpc_stream
