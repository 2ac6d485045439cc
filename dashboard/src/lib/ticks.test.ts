import { describe, expect, it } from "vitest";
import { COUNT_INCREMENTS, distinctTicks, labelsFit, stepTicks, timeAxis, type TickStep } from "./ticks";

// Tests run in the zone of the machine; ticks follow local time, so the
// expectations are built with local-time constructors too.
const at = (y: number, mo: number, d: number, h = 0, mi = 0) => new Date(y, mo - 1, d, h, mi);
const pad = (n: number) => String(n).padStart(2, "0");
const label = (t: Date, step: TickStep, first: boolean, newDay: boolean) =>
  step.unit === "minute" || step.unit === "hour"
    ? `${first || newDay ? `${t.getMonth() + 1}/${t.getDate()} ` : ""}${pad(t.getHours())}:${pad(t.getMinutes())}`
    : `${t.getMonth() + 1}/${t.getDate()}`;
const measure = (text: string) => text.length * 7;

function overlaps(axis: { ticks: Date[]; labels: string[] }, from: Date, to: Date, width: number): boolean {
  const span = to.getTime() - from.getTime();
  const pos = axis.ticks.map((t) => ((t.getTime() - from.getTime()) / span) * width);
  return !labelsFit(pos, axis.labels.map(measure), 0);
}

describe("stepTicks", () => {
  it("puts ticks on local edges of the step", () => {
    const ticks = stepTicks(at(2026, 12, 7, 9, 7), at(2026, 12, 7, 10, 0), { unit: "minute", count: 15 });
    expect(ticks.map((t) => t.getMinutes())).toEqual([15, 30, 45, 0]);
    const hours = stepTicks(at(2026, 12, 7, 1), at(2026, 12, 8, 0), { unit: "hour", count: 6 });
    expect(hours.map((t) => t.getHours())).toEqual([6, 12, 18, 0]);
    const months = stepTicks(at(2026, 2, 10), at(2026, 12, 1), { unit: "month", count: 3 });
    expect(months.map((t) => t.getMonth() + 1)).toEqual([4, 7, 10]);
  });
});

describe("timeAxis", () => {
  it("keeps 7 days of hourly buckets readable at 400 and 1280 px", () => {
    const from = at(2026, 11, 30);
    const to = at(2026, 12, 7);
    for (const width of [300, 400, 1280]) {
      const axis = timeAxis({ from, to, bucket: "HOUR", width, label, measure });
      expect(axis.ticks.length).toBeGreaterThan(1);
      expect(overlaps(axis, from, to, width)).toBe(false);
    }
    // Wide enough for more than one label a day.
    const wide = timeAxis({ from, to, bucket: "HOUR", width: 1280, label, measure });
    const narrow = timeAxis({ from, to, bucket: "HOUR", width: 400, label, measure });
    expect(wide.ticks.length).toBeGreaterThan(narrow.ticks.length);
  });

  it("keeps 30 days of daily buckets readable at 400 px", () => {
    const from = at(2026, 11, 7);
    const to = at(2026, 12, 7);
    const axis = timeAxis({ from, to, bucket: "DAY", width: 400, label, measure });
    expect(axis.step.unit).not.toBe("hour");
    expect(overlaps(axis, from, to, 400)).toBe(false);
    // Every label a day: thirty 4-to-5-character labels would overlap.
    const everyDay = stepTicks(from, to, { unit: "day", count: 1 });
    expect(overlaps({ ticks: everyDay, labels: everyDay.map((t) => label(t, { unit: "day", count: 1 }, false, false)) }, from, to, 400)).toBe(true);
  });

  it("never ticks finer than a bucket", () => {
    const axis = timeAxis({ from: at(2026, 12, 1), to: at(2026, 12, 3), bucket: "DAY", width: 4000, label, measure });
    expect(axis.step).toEqual({ unit: "day", count: 1 });
  });

  it("names the date where it changes", () => {
    const axis = timeAxis({ from: at(2026, 12, 6, 20), to: at(2026, 12, 7, 4), bucket: "HOUR", width: 2000, label, measure });
    expect(axis.labels[0]).toBe("12/6 20:00");
    expect(axis.labels).toContain("12/7 00:00");
    expect(axis.labels).toContain("01:00");
  });
});

describe("count ticks", () => {
  it("steps by whole numbers only", () => {
    expect(COUNT_INCREMENTS.slice(0, 4)).toEqual([1, 2, 5, 10]);
    expect(COUNT_INCREMENTS.every(Number.isInteger)).toBe(true);
  });

  it("drops ticks that would read like the one before", () => {
    const ticks = [0, 0.5, 1, 1.5, 2];
    expect(distinctTicks(ticks, (t) => String(Math.floor(t)))).toEqual([0, 1, 2]);
    expect(distinctTicks(ticks, (t) => t.toFixed(1))).toEqual(ticks);
  });
});
