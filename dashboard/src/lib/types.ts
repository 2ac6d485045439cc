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
  unique_sessions_estimated?: boolean;
  // Only when asked for (compare=PREVIOUS_PERIOD).
  comparison?: { from: string; to: string; summary: Summary };
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
  comparison?: { from: string; to: string; points: TimeSeriesPoint[] };
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

export interface Engagement {
  sessions: number;
  bounced_sessions: number;
  bounce_rate: number;
  average_session_duration_seconds: number;
  median_session_duration_seconds: number;
  median_session_duration_estimated?: boolean;
  pages_per_session: number;
  comparison?: { from: string; to: string; engagement: Engagement };
}

export type Dimension =
  | "PAGE"
  | "REFERRER_HOST"
  | "UTM_SOURCE"
  | "UTM_MEDIUM"
  | "UTM_CAMPAIGN"
  | "DEVICE_CLASS"
  | "BROWSER"
  | "OS";

export interface BreakdownRow {
  value: string;
  page_views: number;
  add_to_carts: number;
  purchases: number;
  revenue: number;
  events: number;
  sessions: number;
}

export interface Breakdown {
  dimension: Dimension | string;
  rows: BreakdownRow[];
  sessions_estimated?: boolean;
}

export interface DataRange {
  first_event_at: string | null;
  last_event_at: string | null;
}

export interface StoredEventView {
  event_id: string;
  shop_id: string;
  event_type: string;
  timestamp: string;
  product_id: string;
  session_id: string;
  order_amount?: number | null;
  received_at?: string;
  page?: string;
  referrer_host?: string;
  utm_source?: string;
  utm_medium?: string;
  utm_campaign?: string;
  device_class?: string;
  browser?: string;
  os?: string;
  name?: string;
}

export interface ListEventsResponse {
  events: StoredEventView[];
  next_page_token?: string;
}

export interface DeadLetter {
  dead_letter_id: string;
  shop_id: string;
  event_id: string;
  event?: StoredEventView | null;
  reason: string;
  dead_lettered_at: string;
  replayed_at?: string | null;
  replayed_by?: string;
}

export interface ApiKeyView {
  key_id: string;
  shop_id: string;
  scope: string;
  description: string;
  origins: string[];
  created_at: string;
  revoked_at?: string | null;
}

export interface CreatedKey {
  key: ApiKeyView;
  secret: string;
}

export interface AuditEntry {
  at: string;
  shop_id: string;
  actor: string;
  action: string;
  target: string;
  outcome: string;
}
