#ifndef SHOPSTREAM_BENCH_EVENT_FACTORY_H_
#define SHOPSTREAM_BENCH_EVENT_FACTORY_H_

#include <cstdint>
#include <random>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "shopstream/v1/event.pb.h"

namespace shopstream::bench {

// How often each event type is sent, as relative weights, and the range of
// purchase amounts.
struct EventMix {
  int page_view_weight = 70;
  int add_to_cart_weight = 20;
  int purchase_weight = 10;
  double min_amount = 1.0;
  double max_amount = 500.0;

  // Parses "page_view=70,add_to_cart=20,purchase=10"; missing types get 0.
  static absl::StatusOr<EventMix> Parse(absl::string_view text);
};

// The id of the `sequence`-th event of `worker` under `prefix`. The acked
// ids are kept as (worker, sequence) numbers and rebuilt with this for the
// PostgreSQL check, which keeps a million acknowledgements cheap.
std::string BenchEventId(absl::string_view prefix, int worker,
                         uint64_t sequence);

// Makes the events of one worker: each with a unique id (run prefix, worker,
// sequence), the run's shop, a type drawn from the mix and the current time.
class EventFactory {
 public:
  EventFactory(EventMix mix, std::string shop_id, std::string id_prefix,
               int worker);

  // The next event; its sequence number is next_sequence() before the call.
  void Next(v1::Event* event);
  uint64_t next_sequence() const { return next_sequence_; }
  int worker() const { return worker_; }

  // The REST body of an event, the JSON the gateway accepts.
  static std::string ToJson(const v1::Event& event);

 private:
  EventMix mix_;
  std::string shop_id_;
  std::string id_prefix_;
  int worker_;
  uint64_t next_sequence_ = 0;
  std::mt19937_64 random_;
};

}  // namespace shopstream::bench

#endif  // SHOPSTREAM_BENCH_EVENT_FACTORY_H_
