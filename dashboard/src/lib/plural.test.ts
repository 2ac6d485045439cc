import { describe, expect, it } from "vitest";
import { counted, plural } from "./plural";

describe("plural", () => {
  it("takes the singular for exactly one only", () => {
    expect(counted(1, "1", "session")).toBe("1 session");
    expect(counted(2, "2", "session")).toBe("2 sessions");
    expect(counted(0, "0", "session")).toBe("0 sessions");
    expect(counted(1.5, "1.5", "page")).toBe("1.5 pages");
    expect(counted(1000, "1,000", "event")).toBe("1,000 events");
  });

  it("knows irregular plurals when told", () => {
    expect(plural(1, "entry", "entries")).toBe("entry");
    expect(plural(3, "entry", "entries")).toBe("entries");
  });
});
