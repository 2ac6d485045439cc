// JSON shapes of the analytics API (proto/shopstream/v1/analytics.proto) as
// the gateway prints them: int64 as numbers, timestamps as RFC 3339 text.

export interface Summary {
  total_page_views: number;
  total_add_to_carts: number;
  total_purchases: number;
  conversion_rate: number;
  average_purchase_value: number;
  max_purchase_value: number;
  min_purchase_value: number;
  top_product_id: string | null;
  // Extended summary; absent from servers that predate it.
  revenue?: number;
  unique_sessions?: number;
  add_to_cart_rate?: number;
  as_of?: string;
}

export type Bucket = "MINUTE" | "HOUR" | "DAY";

export interface TimeSeriesPoint {
  start: string;
  page_views: number;
  add_to_carts: number;
  purchases: number;
  revenue: number;
}

export interface TimeSeries {
  bucket: Bucket | string;
  time_zone: string;
  points: TimeSeriesPoint[];
}

export type ProductMetric = "PAGE_VIEWS" | "ADD_TO_CARTS" | "PURCHASES" | "REVENUE";

export interface ProductStats {
  product_id: string;
  page_views: number;
  add_to_carts: number;
  purchases: number;
  revenue: number;
  conversion_rate: number;
}

export interface TopProducts {
  order_by: ProductMetric | string;
  products: ProductStats[];
}

export interface FunnelStep {
  event_type: string;
  events: number;
  sessions: number;
  conversion_from_previous: number;
}

export interface Funnel {
  steps: FunnelStep[];
  overall_conversion: number;
}
