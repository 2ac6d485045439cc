import { describe, expect, it } from "vitest";
import { durationText } from "./duration";

describe("durationText", () => {
  it("writes seconds, minutes and hours", () => {
    expect(durationText(0)).toBe("0 s");
    expect(durationText(44.6)).toBe("45 s");
    expect(durationText(200)).toBe("3 min 20 s");
    expect(durationText(120)).toBe("2 min");
    expect(durationText(3900)).toBe("1 h 5 min");
    expect(durationText(7200)).toBe("2 h");
    expect(durationText(-1)).toBe("—");
  });
});
