import type { Bucket } from "./types";

export type Preset = "1h" | "24h" | "7d" | "30d" | "all" | "custom";
export type BucketChoice = Bucket | "auto";

export interface RangeChoice {
  preset: Preset;
  bucket: BucketChoice;
  // Only for "custom".
  customFrom?: Date;
  customTo?: Date;
  // Only for "all": the shop's first stored event (GET .../range); unknown,
  // a year back.
  dataStart?: Date | null;
}

// What the page asks the API for. Relative ranges leave the summary's end
// open so that events arriving now count; the chart needs both ends.
export interface ResolvedRange {
  from: Date;
  to: Date;
  bucket: Bucket;
  summaryTo: Date | null;
  points: number;
}

const MINUTE_MS = 60_000;
const HOUR_MS = 60 * MINUTE_MS;
const DAY_MS = 24 * HOUR_MS;

// Past this many points a chart is a smear, and the requests get slow.
export const MAX_POINTS = 2_000;

export const PRESETS: { id: Preset; label: string; spanMs: number }[] = [
  { id: "1h", label: "Last hour", spanMs: HOUR_MS },
  { id: "24h", label: "Last 24 hours", spanMs: DAY_MS },
  { id: "7d", label: "Last 7 days", spanMs: 7 * DAY_MS },
  { id: "30d", label: "Last 30 days", spanMs: 30 * DAY_MS },
  { id: "all", label: "All time", spanMs: 0 },
  { id: "custom", label: "Custom", spanMs: 0 },
];

export const BUCKETS: { id: Bucket; label: string; nominalMs: number }[] = [
  { id: "MINUTE", label: "Minute", nominalMs: MINUTE_MS },
  { id: "HOUR", label: "Hour", nominalMs: HOUR_MS },
  { id: "DAY", label: "Day", nominalMs: DAY_MS },
];

function nominalMs(bucket: Bucket): number {
  return BUCKETS.find((b) => b.id === bucket)!.nominalMs;
}

// Bucket edges follow the browser's time zone (the page sends it as
// time_zone), so they are computed with local-time arithmetic.
export function floorToBucket(date: Date, bucket: Bucket): Date {
  const d = new Date(date.getTime());
  if (bucket === "MINUTE") d.setSeconds(0, 0);
  else if (bucket === "HOUR") d.setMinutes(0, 0, 0);
  else d.setHours(0, 0, 0, 0);
  return d;
}

export function addBuckets(date: Date, bucket: Bucket, count: number): Date {
  const d = new Date(date.getTime());
  if (bucket === "DAY") d.setDate(d.getDate() + count);
  else d.setTime(d.getTime() + count * nominalMs(bucket));
  return d;
}

export function ceilToBucket(date: Date, bucket: Bucket): Date {
  const floor = floorToBucket(date, bucket);
  return floor.getTime() === date.getTime() ? floor : addBuckets(floor, bucket, 1);
}

// Buckets between two edges; DAY counts calendar days.
export function bucketCount(from: Date, to: Date, bucket: Bucket): number {
  if (to <= from) return 0;
  if (bucket !== "DAY") return Math.ceil((to.getTime() - from.getTime()) / nominalMs(bucket));
  return Math.round((to.getTime() - from.getTime()) / DAY_MS);
}

// The finest bucket that keeps the chart readable: about 60 to 720 points.
export function defaultBucket(spanMs: number): Bucket {
  if (spanMs <= 6 * HOUR_MS) return "MINUTE";
  if (spanMs <= 8 * DAY_MS) return "HOUR";
  return "DAY";
}

// The buckets the picker offers for a span: not more than MAX_POINTS of
// them, and not coarser than the span itself.
export function allowedBuckets(spanMs: number): Bucket[] {
  return BUCKETS.filter(
    (b) => spanMs / b.nominalMs <= MAX_POINTS && (b.id === "MINUTE" || b.nominalMs <= spanMs),
  ).map((b) => b.id);
}

export const ALL_TIME_FALLBACK_MS = 365 * DAY_MS;

// `now` matters for "all" only, whose span grows with the clock.
export function spanOf(choice: RangeChoice, now: Date = new Date()): number {
  if (choice.preset === "custom") {
    if (!choice.customFrom || !choice.customTo) return 0;
    return choice.customTo.getTime() - choice.customFrom.getTime();
  }
  if (choice.preset === "all") {
    const start = choice.dataStart ?? new Date(now.getTime() - ALL_TIME_FALLBACK_MS);
    // At least an hour, so that a shop whose data began a minute ago still
    // gets a chart.
    return Math.max(HOUR_MS, now.getTime() - start.getTime());
  }
  return PRESETS.find((p) => p.id === choice.preset)!.spanMs;
}

// The range the page opens on when the address names none: `preferred`,
// unless the shop's last event is older than its window; then the
// shortest preset whose window holds that event, or all time.
export function openingPreset(preferred: Preset, lastEventAt: Date | null, now: Date): Preset {
  if (lastEventAt === null || preferred === "custom" || preferred === "all") return preferred;
  const order: Preset[] = ["1h", "24h", "7d", "30d"];
  const holds = (id: Preset) =>
    lastEventAt.getTime() >= now.getTime() - PRESETS.find((p) => p.id === id)!.spanMs;
  if (holds(preferred)) return preferred;
  return order.slice(order.indexOf(preferred) + 1).find(holds) ?? "all";
}

export type RangeResult = { ok: true; range: ResolvedRange } | { ok: false; error: string };

export function resolveRange(choice: RangeChoice, now: Date): RangeResult {
  const span = spanOf(choice, now);
  if (choice.preset === "custom") {
    const { customFrom, customTo } = choice;
    if (!customFrom || Number.isNaN(customFrom.getTime())) {
      return { ok: false, error: "From: enter a date and time" };
    }
    if (!customTo || Number.isNaN(customTo.getTime())) {
      return { ok: false, error: "To: enter a date and time" };
    }
    if (customTo <= customFrom) return { ok: false, error: "To: must be after From" };
  }
  const bucket = choice.bucket === "auto" ? defaultBucket(span) : choice.bucket;
  let from: Date;
  let to: Date;
  let summaryTo: Date | null;
  if (choice.preset === "custom") {
    from = choice.customFrom!;
    to = choice.customTo!;
    summaryTo = to;
  } else {
    // Whole buckets, the last one holding "now".
    to = addBuckets(floorToBucket(now, bucket), bucket, 1);
    from = floorToBucket(new Date(now.getTime() - span), bucket);
    summaryTo = null;
  }
  const points = bucketCount(floorToBucket(from, bucket), ceilToBucket(to, bucket), bucket);
  if (points > MAX_POINTS) {
    return {
      ok: false,
      error: `Bucket: ${points} ${bucket.toLowerCase()} buckets are too many; choose a coarser one`,
    };
  }
  return { ok: true, range: { from, to, bucket, summaryTo, points } };
}

// RFC 3339 in UTC with whole seconds, as the API's query parameters take it.
export function toApiTime(date: Date): string {
  return new Date(Math.floor(date.getTime() / 1000) * 1000).toISOString().replace(".000Z", "Z");
}

// <input type="datetime-local"> speaks local wall-clock time.
export function toLocalInput(date: Date): string {
  const pad = (n: number) => String(n).padStart(2, "0");
  return `${date.getFullYear()}-${pad(date.getMonth() + 1)}-${pad(date.getDate())}T${pad(
    date.getHours(),
  )}:${pad(date.getMinutes())}`;
}

export function fromLocalInput(text: string): Date | undefined {
  if (!/^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}(:\d{2})?$/.test(text)) return undefined;
  const date = new Date(text); // no zone designator: local time
  return Number.isNaN(date.getTime()) ? undefined : date;
}
