#include "query/time_buckets.h"

#include "absl/strings/str_cat.h"
#include "rollups/rollup_schema.h"

namespace shopstream {
namespace {

constexpr std::array<int64_t, kSourceCount> kUnitMicros = {
    1, 60'000'000, 3'600'000'000, rollups::kDayMicros, rollups::kWeekMicros};
// Where each source's buckets start counting: weeks from Monday 1970-01-05,
// the same origin the processor bins product weeks with.
constexpr std::array<int64_t, kSourceCount> kOriginMicros = {
    0, 0, 0, 0, rollups::kWeekOriginMicros};

int64_t FloorTo(int64_t t, int64_t unit) {
  int64_t q = t / unit;
  if (t % unit != 0 && t < 0) --q;
  return q * unit;
}

int64_t CeilTo(int64_t t, int64_t unit) {
  const int64_t f = FloorTo(t, unit);
  return f == t ? t : f + unit;
}

absl::CivilSecond FloorCivil(absl::CivilSecond cs, v1::BucketSize size) {
  switch (size) {
    case v1::MINUTE:
      return absl::CivilMinute(cs);
    case v1::DAY:
      return absl::CivilDay(cs);
    default:
      return absl::CivilHour(cs);
  }
}

absl::CivilSecond NextBoundary(absl::CivilSecond cs, v1::BucketSize size) {
  switch (size) {
    case v1::MINUTE:
      return absl::CivilMinute(cs) + 1;
    case v1::DAY:
      return absl::CivilDay(cs) + 1;
    default:
      return absl::CivilHour(cs) + 1;
  }
}

int64_t UnitOf(v1::BucketSize size) {
  switch (size) {
    case v1::MINUTE:
      return kUnitMicros[1];
    case v1::DAY:
      return kUnitMicros[3];
    default:
      return kUnitMicros[2];
  }
}

// The first bucket edge after `t`.
absl::Time NextEdge(absl::Time t, v1::BucketSize size,
                    const absl::TimeZone& zone) {
  while (true) {
    const absl::CivilSecond boundary = NextBoundary(zone.At(t).cs, size);
    const absl::TimeZone::TimeInfo info = zone.At(boundary);
    absl::Time candidate;
    if (info.kind == absl::TimeZone::TimeInfo::SKIPPED) {
      // Local time jumps across the boundary: the bucket starts at the jump.
      candidate = info.trans;
    } else {
      candidate = info.pre > t ? info.pre : info.post;
    }
    absl::TimeZone::CivilTransition transition;
    if (zone.NextTransition(t, &transition)) {
      const absl::Time jump = zone.At(transition.to).trans;
      if (jump > t && jump < candidate) {
        // Local time moves back onto a boundary: a repeated bucket begins.
        if (FloorCivil(transition.to, size) == transition.to) return jump;
        t = jump;
        continue;
      }
    }
    return candidate;
  }
}

}  // namespace

int64_t SourceUnitMicros(Source source) {
  return kUnitMicros[static_cast<int>(source)];
}

int64_t CeilMicros(absl::Time t) {
  const int64_t floor = absl::ToUnixMicros(t);
  return absl::FromUnixMicros(floor) < t ? floor + 1 : floor;
}

void RangePlan::Add(int64_t begin, int64_t end, int bucket) {
  if (begin < end) Split(begin, end, bucket, kSourceCount - 1);
}

void RangePlan::Split(int64_t begin, int64_t end, int bucket, int level) {
  for (; level > 0; --level) {
    if (!allowed_[level]) continue;
    const int64_t unit = kUnitMicros[level];
    const int64_t origin = kOriginMicros[level];
    const int64_t inner_begin = CeilTo(begin - origin, unit) + origin;
    const int64_t inner_end = FloorTo(end - origin, unit) + origin;
    if (inner_begin >= inner_end) continue;
    // Left to right, so every source's pieces stay in time order.
    if (begin < inner_begin) Split(begin, inner_begin, bucket, level - 1);
    Append(level, inner_begin, inner_end, bucket);
    if (inner_end < end) Split(inner_end, end, bucket, level - 1);
    return;
  }
  Append(0, begin, end, bucket);
}

void RangePlan::Append(int level, int64_t begin, int64_t end, int bucket) {
  auto& segments = segments_[level];
  if (!segments.empty() && segments.back().end == begin &&
      (level > 0 || segments.back().bucket == bucket)) {
    segments.back().end = end;
    return;
  }
  segments.push_back({begin, end, bucket});
}

absl::StatusOr<std::vector<int64_t>> BucketEdges(int64_t from, int64_t to,
                                                 v1::BucketSize size,
                                                 const absl::TimeZone& zone,
                                                 int max_buckets) {
  const absl::Time from_time = absl::FromUnixMicros(from);
  const absl::Time to_time = absl::FromUnixMicros(to);
  // Buckets last at most a unit and the largest offset change, so the edge
  // at or before `from` follows this instant.
  absl::Time edge = NextEdge(
      from_time - absl::Microseconds(2 * UnitOf(size)) - absl::Hours(3), size,
      zone);
  while (true) {
    const absl::Time next = NextEdge(edge, size, zone);
    if (next > from_time) break;
    edge = next;
  }
  std::vector<int64_t> edges = {absl::ToUnixMicros(edge)};
  while (edge < to_time) {
    if (static_cast<int>(edges.size()) > max_buckets) {
      return absl::ResourceExhaustedError(
          absl::StrCat("more than ", max_buckets, " buckets"));
    }
    edge = NextEdge(edge, size, zone);
    edges.push_back(absl::ToUnixMicros(edge));
  }
  return edges;
}

}  // namespace shopstream
