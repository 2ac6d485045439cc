// How a figure moved against the period it is compared with, and whether
// that is good news: more views are, a higher bounce rate is not.

export type Direction = "up" | "down" | "flat" | "new" | "none";
export type Tone = "good" | "bad" | "neutral";

export interface Change {
  direction: Direction;
  // (current - previous) / previous * 100; null when there is no base.
  percent: number | null;
  tone: Tone;
}

export function percentChange(current: number, previous: number, lowerIsBetter = false): Change {
  if (!Number.isFinite(current) || !Number.isFinite(previous)) {
    return { direction: "none", percent: null, tone: "neutral" };
  }
  if (previous === 0) {
    // Nothing to divide by: from zero is "new", zero to zero is flat.
    if (current === 0) return { direction: "flat", percent: 0, tone: "neutral" };
    return { direction: "new", percent: null, tone: lowerIsBetter ? "bad" : "good" };
  }
  const percent = ((current - previous) / Math.abs(previous)) * 100;
  if (Math.abs(percent) < 0.005) return { direction: "flat", percent: 0, tone: "neutral" };
  const direction: Direction = percent > 0 ? "up" : "down";
  const improved = lowerIsBetter ? direction === "down" : direction === "up";
  return { direction, percent, tone: improved ? "good" : "bad" };
}

// "+12.5%", "−3%", "±0%", "new": `percentText` writes the magnitude in the
// page's locale (fmt.percent).
export function changeText(change: Change, percentText: (value: number) => string): string {
  if (change.direction === "none") return "";
  if (change.direction === "new") return "new";
  if (change.direction === "flat") return `±${percentText(0)}`;
  const sign = change.direction === "up" ? "+" : "−";
  return `${sign}${percentText(Math.abs(change.percent!))}`;
}

export const ARROWS: Record<Direction, string> = { up: "▲", down: "▼", flat: "", new: "▲", none: "" };
