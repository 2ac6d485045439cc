// What the page shows, in its address, so that a copied link opens the
// same view: shop, range, bucket, filters, comparison and tab. The read
// key is never part of it (see key.ts): it is neither read from here nor
// written.
import { FILTER_FIELDS, type Filter } from "./filters";
import { type BucketChoice, PRESETS, type Preset } from "./range";
import type { Bucket } from "./types";

export type Tab = "analytics" | "report" | "admin";
const TABS: Tab[] = ["analytics", "report", "admin"];
const BUCKET_IDS: Bucket[] = ["MINUTE", "HOUR", "DAY"];

export interface ViewState {
  shop: string;
  // null: not in the address; the page picks one (see openingPreset).
  preset: Preset | null;
  // Custom ranges: RFC 3339 instants.
  from: string | null;
  to: string | null;
  bucket: BucketChoice;
  filter: Filter;
  compare: boolean;
  tab: Tab;
}

// Parameters of the page that are not view state but stay in the address.
const KEPT = ["api", "currency"];

function instant(text: string | null): string | null {
  if (!text) return null;
  const time = Date.parse(text);
  return Number.isNaN(time) ? null : new Date(time).toISOString();
}

export function readViewState(search: string): ViewState {
  const params = new URLSearchParams(search);
  const rangeId = params.get("range");
  const preset = PRESETS.find((p) => p.id === rangeId)?.id ?? null;
  const bucket = params.get("bucket")?.toUpperCase() ?? "";
  const filter: Filter = {};
  for (const field of FILTER_FIELDS) {
    const value = params.get(`filter.${field}`)?.trim();
    if (value) filter[field] = value;
  }
  const tab = params.get("tab") ?? "";
  return {
    shop: params.get("shop")?.trim() || "default",
    preset,
    from: preset === "custom" ? instant(params.get("from")) : null,
    to: preset === "custom" ? instant(params.get("to")) : null,
    bucket: (BUCKET_IDS as string[]).includes(bucket) ? (bucket as Bucket) : "auto",
    filter,
    compare: params.get("compare") === "previous",
    tab: (TABS as string[]).includes(tab) ? (tab as Tab) : "analytics",
  };
}

// The page's query for `state`; of the current one (`search`) only api and
// currency stay, so that a key in it never does.
export function writeViewState(state: ViewState, search: string): string {
  const current = new URLSearchParams(search);
  const params = new URLSearchParams();
  for (const name of KEPT) {
    const value = current.get(name);
    if (value !== null) params.set(name, value);
  }
  params.set("shop", state.shop);
  if (state.preset) params.set("range", state.preset);
  if (state.preset === "custom") {
    if (state.from) params.set("from", state.from);
    if (state.to) params.set("to", state.to);
  }
  if (state.bucket !== "auto") params.set("bucket", state.bucket);
  for (const field of FILTER_FIELDS) {
    const value = state.filter[field];
    if (value) params.set(`filter.${field}`, value);
  }
  if (state.compare) params.set("compare", "previous");
  if (state.tab !== "analytics") params.set("tab", state.tab);
  const text = params.toString();
  return text ? `?${text}` : "";
}
