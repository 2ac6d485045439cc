import type { ProductMetric, ProductStats } from "./types";

export type ProductColumn =
  | "product_id"
  | "page_views"
  | "add_to_carts"
  | "purchases"
  | "revenue"
  | "conversion_rate";
export type Direction = "asc" | "desc";

export interface SortState {
  column: ProductColumn;
  direction: Direction;
}

// Ties go to the smaller product id, as the API orders them.
export function sortProducts(products: ProductStats[], sort: SortState): ProductStats[] {
  const sign = sort.direction === "asc" ? 1 : -1;
  const byId = (a: ProductStats, b: ProductStats) =>
    a.product_id < b.product_id ? -1 : a.product_id > b.product_id ? 1 : 0;
  return [...products].sort((a, b) => {
    if (sort.column === "product_id") return sign * byId(a, b);
    const difference = (a[sort.column] as number) - (b[sort.column] as number);
    return difference !== 0 ? sign * difference : byId(a, b);
  });
}

// A second click on the sorted column flips it; a new column starts with
// the biggest numbers (or A to Z for ids).
export function nextSort(current: SortState, column: ProductColumn): SortState {
  if (current.column === column) {
    return { column, direction: current.direction === "asc" ? "desc" : "asc" };
  }
  return { column, direction: column === "product_id" ? "asc" : "desc" };
}

// The server's top-N is chosen by one metric; sorting by a metric asks it
// for the top products by that metric, so the table is not merely the
// page-view leaders re-sorted.
export function serverOrderFor(column: ProductColumn): ProductMetric | null {
  switch (column) {
    case "page_views":
      return "PAGE_VIEWS";
    case "add_to_carts":
      return "ADD_TO_CARTS";
    case "purchases":
      return "PURCHASES";
    case "revenue":
      return "REVENUE";
    default:
      return null;
  }
}
