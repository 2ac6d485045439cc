import { describe, expect, it } from "vitest";
import { Backoff } from "./backoff";

describe("Backoff", () => {
  it("doubles from the initial delay up to the cap", () => {
    const b = new Backoff({ initialMs: 1000, maxMs: 10_000, jitter: 0 });
    expect([b.next(), b.next(), b.next(), b.next(), b.next(), b.next()]).toEqual([
      1000, 2000, 4000, 8000, 10_000, 10_000,
    ]);
    expect(b.attempts).toBe(6);
    b.reset();
    expect(b.next()).toBe(1000);
  });

  it("spreads each delay by the jitter and never past the cap", () => {
    const low = new Backoff({ initialMs: 1000, maxMs: 5000, jitter: 0.2, random: () => 0 });
    const high = new Backoff({ initialMs: 1000, maxMs: 5000, jitter: 0.2, random: () => 1 });
    expect(low.next()).toBe(800);
    expect(high.next()).toBe(1200);
    for (let i = 0; i < 5; i++) high.next();
    expect(high.next()).toBe(5000);
  });
});
