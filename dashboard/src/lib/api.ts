// Talks to the gateway. The read key comes from the page's own URL
// (?key=...): fetch sends it as a bearer token; EventSource and download
// links cannot send headers, so they carry it as the `key` parameter.

export interface ApiConfig {
  // "" for the page's own origin; "http://host:8080" otherwise.
  baseUrl: string;
  key: string | null;
}

export class ApiError extends Error {
  constructor(
    readonly status: number,
    message: string,
  ) {
    super(message);
  }

  // True for answers that mean "this server has no such endpoint yet".
  get unsupported(): boolean {
    return this.status === 404 || this.status === 501;
  }
}

export type Params = Record<string, string | number | null | undefined>;

export function configFromLocation(search: string): ApiConfig {
  const params = new URLSearchParams(search);
  const key = params.get("key");
  return { baseUrl: params.get("api") ?? "", key: key && key.length > 0 ? key : null };
}

export const paths = {
  summary: (shop: string) => `/v1/shops/${encodeURIComponent(shop)}/summary`,
  watch: (shop: string) => `/v1/shops/${encodeURIComponent(shop)}/summary:watch`,
  timeSeries: (shop: string) => `/v1/shops/${encodeURIComponent(shop)}/timeseries`,
  timeSeriesCsv: (shop: string) => `/v1/shops/${encodeURIComponent(shop)}/timeseries.csv`,
  topProducts: (shop: string) => `/v1/shops/${encodeURIComponent(shop)}/products/top`,
  topProductsCsv: (shop: string) => `/v1/shops/${encodeURIComponent(shop)}/products/top.csv`,
  funnel: (shop: string) => `/v1/shops/${encodeURIComponent(shop)}/funnel`,
};

export function apiUrl(config: ApiConfig, path: string, params: Params, withKey = false): string {
  const query = new URLSearchParams();
  for (const [name, value] of Object.entries(params)) {
    if (value !== null && value !== undefined && value !== "") query.set(name, String(value));
  }
  if (withKey && config.key) query.set("key", config.key);
  const text = query.toString();
  return `${config.baseUrl}${path}${text ? `?${text}` : ""}`;
}

function describe(status: number, body: string): string {
  try {
    const parsed = JSON.parse(body) as { error?: unknown };
    if (typeof parsed.error === "string" && parsed.error) return parsed.error;
  } catch {
    // Not JSON: fall through.
  }
  if (status === 401) return "the API key is missing or wrong: open the page with ?key=<read key>";
  if (status === 403) return "this API key may not read this shop";
  return `HTTP ${status}`;
}

export async function getJson<T>(
  config: ApiConfig,
  path: string,
  params: Params,
  signal?: AbortSignal,
  fetchFn: typeof fetch = fetch,
): Promise<T> {
  const headers: Record<string, string> = { Accept: "application/json" };
  if (config.key) headers.Authorization = `Bearer ${config.key}`;
  let response: Response;
  try {
    response = await fetchFn(apiUrl(config, path, params), { headers, signal, cache: "no-store" });
  } catch (error) {
    if ((error as Error).name === "AbortError") throw error;
    throw new ApiError(0, "the server cannot be reached");
  }
  const body = await response.text();
  if (!response.ok) throw new ApiError(response.status, describe(response.status, body));
  try {
    return JSON.parse(body) as T;
  } catch {
    throw new ApiError(response.status, "the server's answer is not JSON");
  }
}
