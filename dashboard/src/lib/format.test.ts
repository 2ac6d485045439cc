import { describe, expect, it } from "vitest";
import { currencyFrom, makeFormatters } from "./format";

describe("makeFormatters", () => {
  it("writes counts, percentages and money the way the locale does", () => {
    const en = makeFormatters("en-US", "USD", "UTC");
    expect(en.count(1234567)).toBe("1,234,567");
    expect(en.percent(8)).toBe("8%");
    expect(en.percent(33.33)).toBe("33.33%");
    expect(en.money(75.5)).toBe("$75.50");
    expect(en.money(1299.99)).toBe("$1,299.99");

    const de = makeFormatters("de-DE", "EUR", "UTC");
    expect(de.count(1234567)).toBe("1.234.567");
    expect(de.money(1299.99)).toBe("1.299,99\u00a0€");
    expect(de.percent(12.5)).toBe("12,5\u00a0%");
  });

  it("falls back to dollars for a currency code Intl does not know", () => {
    expect(makeFormatters("en-US", "XX1", "UTC").money(1)).toBe("$1.00");
  });

  it("labels buckets at their granularity in the given zone", () => {
    const f = makeFormatters("en-GB", "EUR", "Europe/Paris");
    const start = new Date("2026-11-26T09:00:00Z");
    expect(f.bucketStart(start, "MINUTE")).toBe("10:00");
    expect(f.bucketStart(start, "DAY")).toBe("26 Nov 2026");
  });
});

describe("currencyFrom", () => {
  it("takes a three-letter code from the URL, USD otherwise", () => {
    expect(currencyFrom("?currency=eur")).toBe("EUR");
    expect(currencyFrom("?key=abc")).toBe("USD");
    expect(currencyFrom("?currency=euro")).toBe("USD");
  });
});
