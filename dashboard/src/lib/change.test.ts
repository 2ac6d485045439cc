import { describe, expect, it } from "vitest";
import { changeText, percentChange } from "./change";

const pct = (v: number) => `${Math.round(v * 100) / 100}%`;

describe("percentChange", () => {
  it("measures the change against the earlier period", () => {
    expect(percentChange(150, 100)).toEqual({ direction: "up", percent: 50, tone: "good" });
    expect(percentChange(75, 100)).toEqual({ direction: "down", percent: -25, tone: "bad" });
    expect(percentChange(100, 100)).toEqual({ direction: "flat", percent: 0, tone: "neutral" });
  });

  it("counts a fall as good news where lower is better (bounce rate)", () => {
    expect(percentChange(40, 50, true)).toEqual({ direction: "down", percent: -20, tone: "good" });
    expect(percentChange(60, 50, true)).toEqual({ direction: "up", percent: 20, tone: "bad" });
  });

  it("has no percentage without a base", () => {
    expect(percentChange(5, 0)).toEqual({ direction: "new", percent: null, tone: "good" });
    expect(percentChange(5, 0, true).tone).toBe("bad");
    expect(percentChange(0, 0)).toEqual({ direction: "flat", percent: 0, tone: "neutral" });
    expect(percentChange(Number.NaN, 3).direction).toBe("none");
  });

  it("writes the change with its sign", () => {
    expect(changeText(percentChange(150, 100), pct)).toBe("+50%");
    expect(changeText(percentChange(2, 3), pct)).toBe("−33.33%");
    expect(changeText(percentChange(3, 3), pct)).toBe("±0%");
    expect(changeText(percentChange(3, 0), pct)).toBe("new");
  });
});
