// Axis ticks that stay readable at any range and width: as many time
// labels as fit side by side without touching, and count ticks on whole
// numbers only, so that no two y labels read the same.
import type { Bucket } from "./types";

export type TickUnit = "minute" | "hour" | "day" | "month";
export interface TickStep {
  unit: TickUnit;
  count: number;
}

// Finest first. Day steps stop at two weeks: past that, months read better.
export const TIME_STEPS: TickStep[] = [
  { unit: "minute", count: 1 },
  { unit: "minute", count: 2 },
  { unit: "minute", count: 5 },
  { unit: "minute", count: 10 },
  { unit: "minute", count: 15 },
  { unit: "minute", count: 30 },
  { unit: "hour", count: 1 },
  { unit: "hour", count: 2 },
  { unit: "hour", count: 3 },
  { unit: "hour", count: 6 },
  { unit: "hour", count: 12 },
  { unit: "day", count: 1 },
  { unit: "day", count: 2 },
  { unit: "day", count: 7 },
  { unit: "day", count: 14 },
  { unit: "month", count: 1 },
  { unit: "month", count: 3 },
  { unit: "month", count: 6 },
  { unit: "month", count: 12 },
];

const UNIT_RANK: Record<TickUnit, number> = { minute: 0, hour: 1, day: 2, month: 3 };
const BUCKET_UNIT: Record<Bucket, TickUnit> = { MINUTE: "minute", HOUR: "hour", DAY: "day" };

// Ticks fall on local edges (the browser's time zone, as the buckets do).
export function stepTicks(from: Date, to: Date, step: TickStep): Date[] {
  const d = new Date(from.getTime());
  d.setSeconds(0, 0);
  if (step.unit !== "minute") d.setMinutes(0);
  if (step.unit === "day" || step.unit === "month") d.setHours(0);
  if (step.unit === "month") d.setDate(1);
  // Align to the step: 15-minute ticks on :00, :15, ...; 6-hour ticks on
  // 0, 6, 12, 18 h; quarters on January, April, ...
  if (step.unit === "minute") d.setMinutes(d.getMinutes() - (d.getMinutes() % step.count));
  if (step.unit === "hour") d.setHours(d.getHours() - (d.getHours() % step.count));
  if (step.unit === "month") d.setMonth(d.getMonth() - (d.getMonth() % step.count));
  const ticks: Date[] = [];
  for (let i = 0; i < 10_000 && d <= to; i++) {
    if (d >= from) ticks.push(new Date(d.getTime()));
    if (step.unit === "minute") d.setMinutes(d.getMinutes() + step.count);
    else if (step.unit === "hour") d.setHours(d.getHours() + step.count);
    else if (step.unit === "day") d.setDate(d.getDate() + step.count);
    else d.setMonth(d.getMonth() + step.count);
  }
  return ticks;
}

export interface TimeAxisInput {
  from: Date;
  to: Date;
  bucket: Bucket;
  // Pixels the axis spans.
  width: number;
  // The label of each tick; `first` and `newDay` let a label name the
  // date only where it changes.
  label: (tick: Date, step: TickStep, first: boolean, newDay: boolean) => string;
  // Width in pixels of a label as drawn.
  measure: (text: string) => number;
  // Room between two labels.
  gap?: number;
}

export interface TimeAxis {
  step: TickStep;
  ticks: Date[];
  labels: string[];
}

function labelsFor(ticks: Date[], step: TickStep, label: TimeAxisInput["label"]): string[] {
  return ticks.map((tick, i) => {
    const before = ticks[i - 1];
    const newDay = before !== undefined && before.toDateString() !== tick.toDateString();
    return label(tick, step, i === 0, newDay);
  });
}

// Whether labels centred on their ticks leave `gap` between neighbours.
export function labelsFit(positions: number[], widths: number[], gap: number): boolean {
  for (let i = 1; i < positions.length; i++) {
    if (positions[i] - widths[i] / 2 < positions[i - 1] + widths[i - 1] / 2 + gap) return false;
  }
  return true;
}

// The finest step, not finer than a bucket, whose labels fit.
export function timeAxis(input: TimeAxisInput): TimeAxis {
  const gap = input.gap ?? 8;
  const span = input.to.getTime() - input.from.getTime();
  const candidates = TIME_STEPS.filter((s) => UNIT_RANK[s.unit] >= UNIT_RANK[BUCKET_UNIT[input.bucket]]);
  let last: TimeAxis | null = null;
  for (const step of candidates) {
    const ticks = stepTicks(input.from, input.to, step);
    if (ticks.length === 0) continue;
    const labels = labelsFor(ticks, step, input.label);
    last = { step, ticks, labels };
    if (span <= 0) return last;
    const positions = ticks.map((t) => ((t.getTime() - input.from.getTime()) / span) * input.width);
    if (labelsFit(positions, labels.map(input.measure), gap)) return last;
  }
  // Even yearly labels do not fit (a very narrow axis): the first alone.
  if (last) return { step: last.step, ticks: last.ticks.slice(0, 1), labels: last.labels.slice(0, 1) };
  return { step: candidates[0], ticks: [], labels: [] };
}

// Tick increments for an axis of counts: whole numbers only, so that 0,
// 0.5, 1 never show as "0", "1", "1".
export const COUNT_INCREMENTS: number[] = (() => {
  const list: number[] = [];
  for (let magnitude = 1; magnitude <= 1e12; magnitude *= 10) list.push(magnitude, 2 * magnitude, 5 * magnitude);
  return list;
})();

// Drops ticks whose label repeats the one before (what rounding can do to
// money ticks at small scales).
export function distinctTicks(ticks: number[], label: (tick: number) => string): number[] {
  const kept: number[] = [];
  let previous: string | null = null;
  for (const tick of ticks) {
    const text = label(tick);
    if (text !== previous) kept.push(tick);
    previous = text;
  }
  return kept;
}
