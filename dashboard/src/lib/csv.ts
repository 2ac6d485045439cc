import type { Funnel, ProductStats, Summary, TimeSeriesPoint } from "./types";

export type CsvValue = string | number | null | undefined;

// RFC 4180 quoting. Text that a spreadsheet would run as a formula (a
// product id like "=HYPERLINK(...)") gets a leading apostrophe.
export function csvField(value: CsvValue): string {
  if (value === null || value === undefined) return "";
  if (typeof value === "number") return Number.isFinite(value) ? String(value) : "";
  let text = value;
  if (/^[=+\-@\t\r]/.test(text)) text = `'${text}`;
  return /[",\r\n]/.test(text) ? `"${text.replace(/"/g, '""')}"` : text;
}

export function toCsv(header: string[], rows: CsvValue[][]): string {
  return [header, ...rows].map((row) => row.map(csvField).join(",")).join("\r\n") + "\r\n";
}

export interface CsvContext {
  shopId: string;
  from: string;
  // Empty: open-ended.
  to: string;
}

export function summaryCsv(summary: Summary, context: CsvContext): string {
  const rows: [string, CsvValue][] = [
    ["total_page_views", summary.total_page_views],
    ["total_add_to_carts", summary.total_add_to_carts],
    ["total_purchases", summary.total_purchases],
    ["conversion_rate", summary.conversion_rate],
    ["average_purchase_value", summary.average_purchase_value],
    ["max_purchase_value", summary.max_purchase_value],
    ["min_purchase_value", summary.min_purchase_value],
    ["top_product_id", summary.top_product_id],
  ];
  if (summary.revenue !== undefined) rows.push(["revenue", summary.revenue]);
  if (summary.unique_sessions !== undefined) rows.push(["unique_sessions", summary.unique_sessions]);
  if (summary.add_to_cart_rate !== undefined) rows.push(["add_to_cart_rate", summary.add_to_cart_rate]);
  return toCsv(
    ["shop_id", "from", "to", "metric", "value"],
    rows.map(([metric, value]) => [context.shopId, context.from, context.to, metric, value]),
  );
}

export function timeSeriesCsv(points: TimeSeriesPoint[]): string {
  return toCsv(
    ["bucket_start", "page_views", "add_to_carts", "purchases", "revenue"],
    points.map((p) => [p.start, p.page_views, p.add_to_carts, p.purchases, p.revenue]),
  );
}

// In the order shown, so the file matches the table on screen.
export function productsCsv(products: ProductStats[]): string {
  return toCsv(
    ["product_id", "page_views", "add_to_carts", "purchases", "revenue", "conversion_rate"],
    products.map((p) => [
      p.product_id,
      p.page_views,
      p.add_to_carts,
      p.purchases,
      p.revenue,
      p.conversion_rate,
    ]),
  );
}

export function funnelCsv(funnel: Funnel): string {
  return toCsv(
    ["step", "event_type", "events", "sessions", "conversion_from_previous"],
    funnel.steps.map((s, i) => [i + 1, s.event_type, s.events, s.sessions, s.conversion_from_previous]),
  );
}

// "shopstream-default-summary-2026-11-26T10-00-00Z.csv": sortable, and
// valid on every file system.
export function csvFileName(shopId: string, what: string, at: Date): string {
  const safeShop = shopId.replace(/[^A-Za-z0-9_-]+/g, "_") || "all";
  const stamp = at.toISOString().replace(/\.\d{3}Z$/, "Z").replace(/:/g, "-");
  return `shopstream-${safeShop}-${what}-${stamp}.csv`;
}
