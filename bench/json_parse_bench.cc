// shopstream-json-parse-bench: CPU nanoseconds and heap allocations per
// REST body for each way of turning request JSON into its protobuf message,
// on the bodies the write path sees: the gateway's own (JsonTranscoder, on
// simdjson), and protobuf's JsonStringToMessage alone and after the checks
// the REST contract needs. Candidates run interleaved, in rotating order,
// for several rounds; the median round is the figure (the host is shared
// and noisy). Not part of make test: run it by hand. The figures, and those
// of the RapidJSON layer the gateway had before, are in bench/history.md,
// "Request JSON: parser choice".
#include <algorithm>
#include <atomic>
#include <chrono>
#include <cstddef>
#include <cstdio>
#include <cstdlib>
#include <ctime>
#include <functional>
#include <new>
#include <string>
#include <vector>

#include "absl/flags/flag.h"
#include "absl/flags/parse.h"
#include "absl/status/status.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "gateway/json_transcoder.h"
#include "google/protobuf/util/json_util.h"
#include "google/protobuf/util/message_differencer.h"
#include "shopstream/v1/ingest.pb.h"
#include "simdjson.h"

ABSL_FLAG(int, rounds, 15, "rounds; each runs every candidate once");
ABSL_FLAG(int, round_ms, 60, "time per candidate and body in a round");

// Every heap allocation of the process, so a candidate's count per body can
// be read as the difference around its calls.
namespace {
std::atomic<uint64_t> allocations{0};
}  // namespace

void* operator new(size_t size) {
  allocations.fetch_add(1, std::memory_order_relaxed);
  if (void* p = std::malloc(size == 0 ? 1 : size)) return p;
  throw std::bad_alloc();
}
void operator delete(void* p) noexcept { std::free(p); }
void operator delete(void* p, size_t) noexcept { std::free(p); }

namespace {

using shopstream::gateway::JsonTranscoder;
using shopstream::v1::CollectRequest;
using shopstream::v1::IngestBatchRequest;
using shopstream::v1::IngestRequest;

constexpr char kCaseStudyEvent[] =
    R"({"event_id":"evt-20251002-000123","shop_id":"shop-42",)"
    R"("event_type":"purchase","timestamp":"2025-10-02T10:30:00Z",)"
    R"("product_id":"prod-123","session_id":"sess-9f8e7d",)"
    R"("order_amount":299.99})";

constexpr char kBeacon[] =
    R"({"events": [{"event_type": "page_view", "session_id": "s-1",)"
    R"( "page": "/p/1?utm_source=news", "utm_source": "news",)"
    R"( "screen_width": 390,)"
    R"( "referrer": "https://www.google.com/search?q=shoes",)"
    R"( "timestamp": "2020-01-01T00:00:00Z"},)"
    R"( {"name": "newsletter_signup", "properties": {"plan": "free"},)"
    R"( "session_id": "s-1"}]})";

std::string Batch(int events) {
  std::string json = R"({"events":[)";
  for (int i = 0; i < events; ++i) {
    const char* type = i % 10 == 9  ? "purchase"
                       : i % 3 == 0 ? "add_to_cart"
                                    : "page_view";
    absl::StrAppend(
        &json, i == 0 ? "" : ",",
        absl::StrFormat(R"({"event_id":"evt-batch-%06d",)"
                        R"("shop_id":"shop-42",)"
                        R"("event_type":"%s",)"
                        R"("timestamp":"2025-10-02T10:%02d:%02dZ",)"
                        R"("product_id":"prod-%d",)"
                        R"("session_id":"sess-%d")",
                        i, type, i / 60 % 60, i % 60, i * 37 % 1000, i / 8));
    if (std::string(type) == "purchase") {
      absl::StrAppend(&json, absl::StrFormat(R"(,"order_amount":%d.%02d)",
                                             10 + i * 7 % 490, i * 13 % 100));
    }
    json += "}";
  }
  json += "]}";
  return json;
}

// One way to parse one body; false when it refuses the body.
using Parse = std::function<bool()>;

struct Candidate {
  std::string name;
  Parse parse;
};

struct Body {
  std::string name;
  std::string json;
  std::vector<Candidate> candidates;
};

double Median(std::vector<double> values) {
  std::sort(values.begin(), values.end());
  const size_t n = values.size();
  return n % 2 == 1 ? values[n / 2] : (values[n / 2 - 1] + values[n / 2]) / 2;
}

// This thread's CPU time: on a shared host, wall time counts other
// processes' turns too.
std::chrono::nanoseconds ThreadCpuTime() {
  timespec now;
  clock_gettime(CLOCK_THREAD_CPUTIME_ID, &now);
  return std::chrono::seconds(now.tv_sec) +
         std::chrono::nanoseconds(now.tv_nsec);
}

// CPU nanoseconds per call of `parse`, over about `budget` of CPU time.
double NsPerCall(const Parse& parse, std::chrono::nanoseconds budget) {
  int64_t calls = 0;
  const std::chrono::nanoseconds start = ThreadCpuTime();
  std::chrono::nanoseconds now = start;
  while (now - start < budget) {
    for (int i = 0; i < 16; ++i) {
      if (!parse()) {
        std::fprintf(stderr, "a candidate refused its body\n");
        std::exit(1);
      }
    }
    calls += 16;
    now = ThreadCpuTime();
  }
  return static_cast<double>((now - start).count()) /
         static_cast<double>(calls);
}

uint64_t AllocationsPerCall(const Parse& parse) {
  parse();  // warm: per-thread buffers and per-type lookups are made once
  const uint64_t before = allocations.load();
  constexpr int kCalls = 100;
  for (int i = 0; i < kCalls; ++i) parse();
  return (allocations.load() - before) / kCalls;
}

// protobuf's own parser, with what it can be told: unknown keys skipped.
template <typename MessageT>
bool ProtobufParse(const std::string& json, MessageT* message) {
  google::protobuf::util::JsonParseOptions options;
  options.ignore_unknown_fields = true;
  return google::protobuf::util::JsonStringToMessage(json, message, options)
      .ok();
}

template <typename MessageT>
std::vector<Candidate> MessageCandidates(const std::string& json,
                                         const JsonTranscoder& transcoder) {
  return {
      {"json_transcoder (simdjson)",
       [&json, &transcoder] {
         MessageT message;
         std::vector<std::string> ignored;
         return transcoder.ParseMessage(json, &message, &ignored).ok();
       }},
      {"protobuf_json_util",
       [&json] {
         MessageT message;
         return ProtobufParse(json, &message);
       }},
      // The checks protobuf's parser cannot make (field-named errors, wrong
      // types, ignored keys named) need a walk of their own first.
      {"checks_then_protobuf_json_util",
       [&json, &transcoder] {
         MessageT checked;
         std::vector<std::string> ignored;
         if (!transcoder.ParseMessage(json, &checked, &ignored).ok()) {
           return false;
         }
         MessageT message;
         return ProtobufParse(json, &message);
       }},
  };
}

std::vector<Candidate> EventCandidates(const std::string& json,
                                       const JsonTranscoder& transcoder) {
  const google::protobuf::FieldDescriptor* event =
      IngestRequest::descriptor()->FindFieldByName("event");
  return {
      {"json_transcoder (simdjson)",
       [&json, &transcoder, event] {
         IngestRequest request;
         std::vector<std::string> ignored;
         return transcoder.ParseField(json, event, &request, &ignored).ok();
       }},
      {"protobuf_json_util",
       [&json] {
         IngestRequest request;
         return ProtobufParse(json, request.mutable_event());
       }},
      {"checks_then_protobuf_json_util",
       [&json, &transcoder, event] {
         IngestRequest checked;
         std::vector<std::string> ignored;
         if (!transcoder.ParseField(json, event, &checked, &ignored).ok()) {
           return false;
         }
         IngestRequest request;
         return ProtobufParse(json, request.mutable_event());
       }},
  };
}

// Every candidate must fill the same message, or the figures compare
// different work.
template <typename MessageT>
bool SameMessages(const std::string& json, const JsonTranscoder& transcoder) {
  MessageT ours, protobufs;
  if (!transcoder.ParseMessage(json, &ours).ok()) return false;
  if (!ProtobufParse(json, &protobufs)) return false;
  return google::protobuf::util::MessageDifferencer::Equals(ours, protobufs);
}

}  // namespace

int main(int argc, char** argv) {
  absl::ParseCommandLine(argc, argv);
  const int rounds = absl::GetFlag(FLAGS_rounds);
  const std::chrono::milliseconds budget(absl::GetFlag(FLAGS_round_ms));

  const JsonTranscoder transcoder;
  const std::string event_json = kCaseStudyEvent;
  const std::string batch_json = Batch(50);
  const std::string beacon_json = kBeacon;
  if (!SameMessages<shopstream::v1::Event>(event_json, transcoder) ||
      !SameMessages<IngestBatchRequest>(batch_json, transcoder) ||
      !SameMessages<CollectRequest>(beacon_json, transcoder)) {
    std::fprintf(stderr, "candidates disagree on a body\n");
    return 1;
  }

  std::vector<Body> bodies;
  bodies.push_back({"event (POST /v1/events)", event_json,
                    EventCandidates(event_json, transcoder)});
  bodies.push_back(
      {"batch of 50 (POST /v1/events:batch)", batch_json,
       MessageCandidates<IngestBatchRequest>(batch_json, transcoder)});
  bodies.push_back(
      {"beacon (POST /v1/collect)", beacon_json,
       MessageCandidates<CollectRequest>(beacon_json, transcoder)});

  std::printf("simdjson %d.%d.%d, On-Demand kernel %s (runtime best: %s)\n",
              simdjson::SIMDJSON_VERSION_MAJOR,
              simdjson::SIMDJSON_VERSION_MINOR,
              simdjson::SIMDJSON_VERSION_REVISION,
              simdjson::builtin_implementation()->name().c_str(),
              simdjson::get_active_implementation()->name().c_str());
  std::printf(
      "%d rounds of %lld ms of CPU time per candidate and body, "
      "interleaved; ns are CPU ns per body\n\n",
      rounds, static_cast<long long>(budget.count()));
  std::printf(
      "| body | bytes | candidate | median ns | min ns | max ns | "
      "allocations |\n|---|---:|---|---:|---:|---:|---:|\n");
  for (Body& body : bodies) {
    const size_t n = body.candidates.size();
    std::vector<std::vector<double>> ns(n);
    for (int round = 0; round < rounds; ++round) {
      for (size_t k = 0; k < n; ++k) {
        const size_t i = (k + static_cast<size_t>(round)) % n;
        ns[i].push_back(NsPerCall(body.candidates[i].parse, budget));
      }
    }
    for (size_t i = 0; i < n; ++i) {
      std::printf("| %s | %zu | %s | %.0f | %.0f | %.0f | %llu |\n",
                  body.name.c_str(), body.json.size(),
                  body.candidates[i].name.c_str(), Median(ns[i]),
                  *std::min_element(ns[i].begin(), ns[i].end()),
                  *std::max_element(ns[i].begin(), ns[i].end()),
                  static_cast<unsigned long long>(
                      AllocationsPerCall(body.candidates[i].parse)));
    }
  }
  return 0;
}
