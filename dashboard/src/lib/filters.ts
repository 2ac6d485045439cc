// The analytics filter (AnalyticsFilter in proto/shopstream/v1/analytics.proto):
// fields combined with AND, each an exact value. The page keeps it as a
// plain record and sends it as `filter.<field>` query parameters.

export const FILTER_FIELDS = [
  "event_type",
  "product_id",
  "page",
  "referrer_host",
  "utm_source",
  "utm_medium",
  "utm_campaign",
  "device_class",
  "browser",
  "os",
] as const;

export type FilterField = (typeof FILTER_FIELDS)[number];
export type Filter = Partial<Record<FilterField, string>>;

export const FILTER_LABELS: Record<FilterField, string> = {
  event_type: "Event type",
  product_id: "Product",
  page: "Page",
  referrer_host: "Referrer",
  utm_source: "UTM source",
  utm_medium: "UTM medium",
  utm_campaign: "UTM campaign",
  device_class: "Device",
  browser: "Browser",
  os: "OS",
};

export const EVENT_TYPES = ["page_view", "add_to_cart", "purchase", "custom"] as const;
export const DEVICE_CLASSES = ["mobile", "tablet", "desktop"] as const;

export function isFilterField(name: string): name is FilterField {
  return (FILTER_FIELDS as readonly string[]).includes(name);
}

// A copy with `field` set to `value`; an empty value removes the field.
export function withFilter(filter: Filter, field: FilterField, value: string): Filter {
  const next: Filter = { ...filter };
  const trimmed = value.trim();
  if (trimmed) next[field] = trimmed;
  else delete next[field];
  return next;
}

export function withoutFilter(filter: Filter, field: FilterField): Filter {
  return withFilter(filter, field, "");
}

export interface FilterChip {
  field: FilterField;
  value: string;
  // What the chip reads, e.g. "Browser: Firefox".
  text: string;
  // Its remove button's accessible name.
  removeLabel: string;
}

// In the order of FILTER_FIELDS, so chips do not jump around as they come
// and go.
export function filterChips(filter: Filter): FilterChip[] {
  return FILTER_FIELDS.filter((field) => filter[field]).map((field) => {
    const value = filter[field]!;
    const text = `${FILTER_LABELS[field]}: ${value}`;
    return { field, value, text, removeLabel: `Remove filter ${text}` };
  });
}

// `filter.<field>=<value>` for every set field, as the gateway takes them.
export function filterParams(filter: Filter): Record<string, string> {
  const params: Record<string, string> = {};
  for (const field of FILTER_FIELDS) {
    const value = filter[field];
    if (value) params[`filter.${field}`] = value;
  }
  return params;
}

export function filterIsEmpty(filter: Filter): boolean {
  return FILTER_FIELDS.every((field) => !filter[field]);
}
