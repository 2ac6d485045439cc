import { describe, expect, it } from "vitest";
import { filterChips, filterIsEmpty, filterParams, withFilter, withoutFilter } from "./filters";

describe("filters", () => {
  it("adds, replaces and removes fields without touching the others", () => {
    let f = withFilter({}, "browser", " Firefox ");
    f = withFilter(f, "device_class", "mobile");
    expect(f).toEqual({ browser: "Firefox", device_class: "mobile" });
    f = withFilter(f, "browser", "Chrome");
    expect(f.browser).toBe("Chrome");
    f = withoutFilter(f, "browser");
    expect(f).toEqual({ device_class: "mobile" });
    expect(withFilter(f, "device_class", "  ")).toEqual({});
  });

  it("does not change the filter it was given", () => {
    const f = { page: "/a" };
    withFilter(f, "page", "/b");
    withoutFilter(f, "page");
    expect(f).toEqual({ page: "/a" });
  });

  it("shows one removable chip per set field, in a stable order", () => {
    const chips = filterChips({ os: "Linux", product_id: "p-1", utm_source: "" });
    expect(chips.map((c) => c.text)).toEqual(["Product: p-1", "OS: Linux"]);
    expect(chips[1].removeLabel).toBe("Remove filter OS: Linux");
    expect(filterChips({})).toEqual([]);
  });

  it("sends every set field as filter.<field>", () => {
    expect(filterParams({ event_type: "purchase", referrer_host: "example.com", page: "" })).toEqual({
      "filter.event_type": "purchase",
      "filter.referrer_host": "example.com",
    });
    expect(filterIsEmpty({ page: "" })).toBe(true);
    expect(filterIsEmpty({ page: "/" })).toBe(false);
  });
});
