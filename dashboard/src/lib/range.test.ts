import { afterAll, beforeAll, describe, expect, it } from "vitest";
import {
  MAX_POINTS,
  addBuckets,
  allowedBuckets,
  bucketCount,
  ceilToBucket,
  defaultBucket,
  floorToBucket,
  fromLocalInput,
  openingPreset,
  resolveRange,
  toApiTime,
  toLocalInput,
} from "./range";

// Local-time arithmetic is what the page does; pin the zone so the
// expectations are exact (Paris has a DST change inside the data below).
const savedTz = process.env.TZ;
beforeAll(() => {
  process.env.TZ = "Europe/Paris";
});
afterAll(() => {
  process.env.TZ = savedTz;
});

const HOUR = 3_600_000;

describe("bucket edges", () => {
  it("floors and ceils to minute, hour and local day", () => {
    const t = new Date("2026-11-26T09:37:42.123Z"); // 10:37 in Paris
    expect(floorToBucket(t, "MINUTE").toISOString()).toBe("2026-11-26T09:37:00.000Z");
    expect(floorToBucket(t, "HOUR").toISOString()).toBe("2026-11-26T09:00:00.000Z");
    expect(floorToBucket(t, "DAY").toISOString()).toBe("2026-11-25T23:00:00.000Z");
    expect(ceilToBucket(t, "HOUR").toISOString()).toBe("2026-11-26T10:00:00.000Z");
    const edge = new Date("2026-11-26T09:00:00Z");
    expect(ceilToBucket(edge, "HOUR").getTime()).toBe(edge.getTime());
  });

  it("counts calendar days across a daylight-saving change", () => {
    const before = new Date("2026-10-24T22:00:00Z"); // Oct 25 00:00 CEST
    const after = addBuckets(before, "DAY", 2); // Oct 27 00:00 CET
    expect(after.toISOString()).toBe("2026-10-26T23:00:00.000Z");
    expect(bucketCount(before, after, "DAY")).toBe(2);
    expect(bucketCount(before, after, "HOUR")).toBe(49);
  });
});

describe("bucket choice", () => {
  it("picks a readable default per span", () => {
    expect(defaultBucket(HOUR)).toBe("MINUTE");
    expect(defaultBucket(24 * HOUR)).toBe("HOUR");
    expect(defaultBucket(7 * 24 * HOUR)).toBe("HOUR");
    expect(defaultBucket(30 * 24 * HOUR)).toBe("DAY");
  });

  it("offers only buckets that fit the span and the point limit", () => {
    expect(allowedBuckets(HOUR)).toEqual(["MINUTE", "HOUR"]);
    expect(allowedBuckets(24 * HOUR)).toEqual(["MINUTE", "HOUR", "DAY"]);
    expect(allowedBuckets(7 * 24 * HOUR)).toEqual(["HOUR", "DAY"]);
    expect(allowedBuckets(400 * 24 * HOUR)).toEqual(["DAY"]);
  });
});

describe("resolveRange", () => {
  const now = new Date("2026-11-26T09:37:42Z");

  it("makes the last hour 61 whole minutes ending with the current one, summary open", () => {
    const result = resolveRange({ preset: "1h", bucket: "auto" }, now);
    expect(result.ok).toBe(true);
    if (!result.ok) return;
    expect(result.range.bucket).toBe("MINUTE");
    expect(result.range.from.toISOString()).toBe("2026-11-26T08:37:00.000Z");
    expect(result.range.to.toISOString()).toBe("2026-11-26T09:38:00.000Z");
    expect(result.range.summaryTo).toBeNull();
    expect(result.range.points).toBe(61);
  });

  it("uses local days for 30 days", () => {
    const result = resolveRange({ preset: "30d", bucket: "auto" }, now);
    if (!result.ok) throw new Error(result.error);
    expect(result.range.bucket).toBe("DAY");
    expect(result.range.from.toISOString()).toBe("2026-10-26T23:00:00.000Z");
    expect(result.range.to.toISOString()).toBe("2026-11-26T23:00:00.000Z");
    expect(result.range.points).toBe(31);
  });

  it("honours an explicit bucket", () => {
    const result = resolveRange({ preset: "24h", bucket: "MINUTE" }, now);
    if (!result.ok) throw new Error(result.error);
    expect(result.range.points).toBe(24 * 60 + 1);
  });

  it("keeps a custom range as given, both ends closed", () => {
    const customFrom = new Date("2026-11-01T00:00:00Z");
    const customTo = new Date("2026-11-03T00:00:00Z");
    const result = resolveRange({ preset: "custom", bucket: "auto", customFrom, customTo }, now);
    if (!result.ok) throw new Error(result.error);
    expect(result.range.from).toEqual(customFrom);
    expect(result.range.summaryTo).toEqual(customTo);
    expect(result.range.bucket).toBe("HOUR");
  });

  it("names the field that is wrong", () => {
    const a = resolveRange({ preset: "custom", bucket: "auto", customTo: now }, now);
    expect(a).toEqual({ ok: false, error: "From: enter a date and time" });
    const b = resolveRange({ preset: "custom", bucket: "auto", customFrom: now, customTo: now }, now);
    expect(b).toEqual({ ok: false, error: "To: must be after From" });
    const c = resolveRange({ preset: "30d", bucket: "MINUTE" }, now);
    expect(c.ok).toBe(false);
    if (!c.ok) expect(c.error).toMatch(/^Bucket: \d+ minute buckets are too many/);
    expect(MAX_POINTS).toBeLessThan(30 * 24 * 60);
  });
});

describe("time text", () => {
  it("sends whole-second UTC and reads datetime-local as local time", () => {
    expect(toApiTime(new Date("2026-11-26T09:37:42.999Z"))).toBe("2026-11-26T09:37:42Z");
    const local = fromLocalInput("2026-11-26T10:37");
    expect(local?.toISOString()).toBe("2026-11-26T09:37:00.000Z");
    expect(toLocalInput(local!)).toBe("2026-11-26T10:37");
    expect(fromLocalInput("yesterday")).toBeUndefined();
  });
});

describe("all time", () => {
  const now = new Date("2026-12-07T12:34:00Z");

  it("starts at the shop's first event and picks a bucket for the span", () => {
    const result = resolveRange(
      { preset: "all", bucket: "auto", dataStart: new Date("2026-09-01T08:00:00Z") },
      now,
    );
    expect(result.ok).toBe(true);
    if (!result.ok) return;
    expect(result.range.bucket).toBe("DAY");
    expect(result.range.from.getTime()).toBeLessThanOrEqual(Date.parse("2026-09-01T08:00:00Z"));
    expect(result.range.from.getTime()).toBeGreaterThan(Date.parse("2026-08-30T00:00:00Z"));
    expect(result.range.summaryTo).toBeNull();
  });

  it("covers a year when the first event is unknown, and an hour at least", () => {
    const unknown = resolveRange({ preset: "all", bucket: "auto", dataStart: null }, now);
    expect(unknown.ok && now.getTime() - unknown.range.from.getTime()).toBeGreaterThanOrEqual(365 * 24 * HOUR);
    const fresh = resolveRange({ preset: "all", bucket: "auto", dataStart: new Date(now.getTime() - 60_000) }, now);
    expect(fresh.ok && fresh.range.bucket).toBe("MINUTE");
    expect(fresh.ok && now.getTime() - fresh.range.from.getTime()).toBeGreaterThanOrEqual(HOUR);
  });
});

describe("openingPreset", () => {
  const now = new Date("2026-12-07T12:00:00Z");
  const ago = (ms: number) => new Date(now.getTime() - ms);

  it("keeps the preferred range while it holds the last event", () => {
    expect(openingPreset("1h", ago(10 * 60_000), now)).toBe("1h");
    expect(openingPreset("1h", null, now)).toBe("1h");
  });

  it("widens to the shortest range that holds the last event", () => {
    expect(openingPreset("1h", ago(3 * HOUR), now)).toBe("24h");
    expect(openingPreset("1h", ago(3 * 24 * HOUR), now)).toBe("7d");
    expect(openingPreset("24h", ago(20 * 24 * HOUR), now)).toBe("30d");
    expect(openingPreset("1h", ago(400 * 24 * HOUR), now)).toBe("all");
  });
});
