import { describe, expect, it } from "vitest";
import { alignPrevious } from "./comparison";
import type { TimeSeriesPoint } from "./types";

const point = (start: string, page_views: number): TimeSeriesPoint => ({
  start,
  page_views,
  add_to_carts: 0,
  purchases: 0,
  revenue: page_views * 2,
});

describe("alignPrevious", () => {
  const current = [point("2026-12-07T00:00:00Z", 5), point("2026-12-07T01:00:00Z", 6), point("2026-12-07T02:00:00Z", 7)];

  it("puts the i-th previous bucket beside the i-th current one", () => {
    const previous = [point("2026-12-06T00:00:00Z", 1), point("2026-12-06T01:00:00Z", 2), point("2026-12-06T02:00:00Z", 3)];
    expect(alignPrevious(current, previous, "page_views")).toEqual([1, 2, 3]);
    expect(alignPrevious(current, previous, "revenue")).toEqual([2, 4, 6]);
  });

  it("leaves gaps where the previous period is shorter and drops what is past the current one", () => {
    expect(alignPrevious(current, [point("a", 9)], "page_views")).toEqual([9, null, null]);
    const longer = [1, 2, 3, 4, 5].map((v) => point(`p${v}`, v));
    expect(alignPrevious(current, longer, "page_views")).toEqual([1, 2, 3]);
  });

  it("has nothing without a comparison", () => {
    expect(alignPrevious(current, undefined, "page_views")).toEqual([null, null, null]);
  });
});
