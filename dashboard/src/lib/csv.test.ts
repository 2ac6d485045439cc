import { describe, expect, it } from "vitest";
import { csvField, csvFileName, funnelCsv, productsCsv, summaryCsv, timeSeriesCsv, toCsv } from "./csv";

describe("csvField", () => {
  it("quotes what RFC 4180 requires and defuses formulas", () => {
    expect(csvField("prod-123")).toBe("prod-123");
    expect(csvField('say "hi", then go')).toBe('"say ""hi"", then go"');
    expect(csvField("two\nlines")).toBe('"two\nlines"');
    expect(csvField("=HYPERLINK(1)")).toBe("'=HYPERLINK(1)");
    expect(csvField("-1+1")).toBe("'-1+1");
    expect(csvField(-1.5)).toBe("-1.5");
    expect(csvField(null)).toBe("");
    expect(csvField(Number.NaN)).toBe("");
  });

  it("joins rows with CRLF and ends with one", () => {
    expect(toCsv(["a", "b"], [[1, "x"], [2, null]])).toBe("a,b\r\n1,x\r\n2,\r\n");
  });
});

describe("panel CSVs", () => {
  it("writes the summary as one metric per row, extended fields when present", () => {
    const text = summaryCsv(
      {
        total_page_views: 150,
        total_add_to_carts: 45,
        total_purchases: 12,
        conversion_rate: 8,
        average_purchase_value: 75.5,
        max_purchase_value: 299.99,
        min_purchase_value: 9.99,
        top_product_id: null,
        revenue: 906,
      },
      { shopId: "default", from: "2026-11-26T08:00:00Z", to: "" },
    );
    const lines = text.trimEnd().split("\r\n");
    expect(lines[0]).toBe("shop_id,from,to,metric,value");
    expect(lines[1]).toBe("default,2026-11-26T08:00:00Z,,total_page_views,150");
    expect(lines[8]).toBe("default,2026-11-26T08:00:00Z,,top_product_id,");
    expect(lines[9]).toBe("default,2026-11-26T08:00:00Z,,revenue,906");
    expect(lines).toHaveLength(10);
  });

  it("writes series, products and funnel with one header each", () => {
    expect(
      timeSeriesCsv([{ start: "2026-11-26T09:00:00Z", page_views: 3, add_to_carts: 1, purchases: 1, revenue: 99.99 }]),
    ).toBe("bucket_start,page_views,add_to_carts,purchases,revenue\r\n2026-11-26T09:00:00Z,3,1,1,99.99\r\n");
    expect(
      productsCsv([{ product_id: "p,1", page_views: 2, add_to_carts: 1, purchases: 0, revenue: 0, conversion_rate: 0 }]),
    ).toBe('product_id,page_views,add_to_carts,purchases,revenue,conversion_rate\r\n"p,1",2,1,0,0,0\r\n');
    expect(
      funnelCsv({
        steps: [
          { event_type: "page_view", events: 10, sessions: 4, conversion_from_previous: 100 },
          { event_type: "purchase", events: 1, sessions: 1, conversion_from_previous: 25 },
        ],
        overall_conversion: 25,
      }),
    ).toBe(
      "step,event_type,events,sessions,conversion_from_previous\r\n1,page_view,10,4,100\r\n2,purchase,1,1,25\r\n",
    );
  });

  it("names files safely", () => {
    expect(csvFileName("my shop/1", "summary", new Date("2026-11-26T09:37:42.5Z"))).toBe(
      "shopstream-my_shop_1-summary-2026-11-26T09-37-42Z.csv",
    );
  });
});
