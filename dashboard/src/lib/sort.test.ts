import { describe, expect, it } from "vitest";
import { nextSort, serverOrderFor, sortProducts } from "./sort";
import type { ProductStats } from "./types";

const p = (product_id: string, page_views: number, revenue: number, conversion_rate = 0): ProductStats => ({
  product_id,
  page_views,
  add_to_carts: 0,
  purchases: 0,
  revenue,
  conversion_rate,
});

describe("sortProducts", () => {
  const products = [p("b", 5, 10), p("a", 5, 30), p("c", 9, 20)];

  it("sorts by any metric, ties by product id ascending", () => {
    expect(sortProducts(products, { column: "page_views", direction: "desc" }).map((x) => x.product_id)).toEqual([
      "c",
      "a",
      "b",
    ]);
    expect(sortProducts(products, { column: "page_views", direction: "asc" }).map((x) => x.product_id)).toEqual([
      "a",
      "b",
      "c",
    ]);
    expect(sortProducts(products, { column: "revenue", direction: "desc" }).map((x) => x.product_id)).toEqual([
      "a",
      "c",
      "b",
    ]);
    expect(sortProducts(products, { column: "product_id", direction: "desc" }).map((x) => x.product_id)).toEqual([
      "c",
      "b",
      "a",
    ]);
  });

  it("leaves its input alone", () => {
    sortProducts(products, { column: "revenue", direction: "asc" });
    expect(products.map((x) => x.product_id)).toEqual(["b", "a", "c"]);
  });
});

describe("nextSort", () => {
  it("flips the sorted column and starts others descending (ids ascending)", () => {
    expect(nextSort({ column: "revenue", direction: "desc" }, "revenue")).toEqual({ column: "revenue", direction: "asc" });
    expect(nextSort({ column: "revenue", direction: "asc" }, "purchases")).toEqual({
      column: "purchases",
      direction: "desc",
    });
    expect(nextSort({ column: "revenue", direction: "asc" }, "product_id")).toEqual({
      column: "product_id",
      direction: "asc",
    });
  });

  it("asks the server for the top by the metric where it has one", () => {
    expect(serverOrderFor("revenue")).toBe("REVENUE");
    expect(serverOrderFor("add_to_carts")).toBe("ADD_TO_CARTS");
    expect(serverOrderFor("conversion_rate")).toBeNull();
  });
});
