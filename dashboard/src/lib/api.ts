// Talks to the gateway. fetch sends the read key (see key.ts) as a bearer
// token. EventSource and download links cannot send headers, and URLs end
// up in logs and Referer headers, so they never carry the key: each carries
// a link ticket instead, good once and briefly, for that shop's
// stream and exports only, asked for with the key right before it is used.

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

// The gateway the page talks to: its own, or ?api=.
export function apiBaseFromLocation(search: string): string {
  return new URLSearchParams(search).get("api") ?? "";
}

export const paths = {
  summary: (shop: string) => `/v1/shops/${encodeURIComponent(shop)}/summary`,
  watch: (shop: string) => `/v1/shops/${encodeURIComponent(shop)}/summary:watch`,
  timeSeries: (shop: string) => `/v1/shops/${encodeURIComponent(shop)}/timeseries`,
  timeSeriesCsv: (shop: string) => `/v1/shops/${encodeURIComponent(shop)}/timeseries.csv`,
  topProducts: (shop: string) => `/v1/shops/${encodeURIComponent(shop)}/products/top`,
  topProductsCsv: (shop: string) => `/v1/shops/${encodeURIComponent(shop)}/products/top.csv`,
  funnel: (shop: string) => `/v1/shops/${encodeURIComponent(shop)}/funnel`,
  tickets: (shop: string) => `/v1/shops/${encodeURIComponent(shop)}/tickets`,
  engagement: (shop: string) => `/v1/shops/${encodeURIComponent(shop)}/engagement`,
  breakdown: (shop: string) => `/v1/shops/${encodeURIComponent(shop)}/breakdown`,
  dataRange: (shop: string) => `/v1/shops/${encodeURIComponent(shop)}/range`,
  report: (shop: string) => `/v1/shops/${encodeURIComponent(shop)}/report.pdf`,
  events: (shop: string) => `/v1/shops/${encodeURIComponent(shop)}/events`,
  deadLetters: (shop: string) => `/v1/shops/${encodeURIComponent(shop)}/dead-letters`,
  replay: (shop: string, id: string) =>
    `/v1/shops/${encodeURIComponent(shop)}/dead-letters/${encodeURIComponent(id)}:replay`,
  keys: (shop: string) => `/v1/shops/${encodeURIComponent(shop)}/keys`,
  revokeKey: (shop: string, id: string) =>
    `/v1/shops/${encodeURIComponent(shop)}/keys/${encodeURIComponent(id)}:revoke`,
  audit: (shop: string) => `/v1/shops/${encodeURIComponent(shop)}/audit`,
};

export function apiUrl(config: ApiConfig, path: string, params: Params): string {
  const query = new URLSearchParams();
  for (const [name, value] of Object.entries(params)) {
    if (value !== null && value !== undefined && value !== "") query.set(name, String(value));
  }
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
  if (status === 401) return "the key is missing, wrong or revoked: enter one above";
  if (status === 403) return "this key may not do this for this shop";
  return `HTTP ${status}`;
}

export async function getJson<T>(
  config: ApiConfig,
  path: string,
  params: Params,
  signal?: AbortSignal,
  fetchFn: typeof fetch = fetch,
): Promise<T> {
  return requestJson<T>(config, "GET", path, params, undefined, signal, fetchFn);
}

export async function postJson<T>(
  config: ApiConfig,
  path: string,
  body: unknown,
  fetchFn: typeof fetch = fetch,
): Promise<T> {
  return requestJson<T>(config, "POST", path, {}, body, undefined, fetchFn);
}

// A file the server makes (report.pdf), fetched with the key in the
// Authorization header: link tickets do not open it.
export async function getBlob(
  config: ApiConfig,
  path: string,
  params: Params,
  fetchFn: typeof fetch = fetch,
): Promise<Blob> {
  const headers: Record<string, string> = {};
  if (config.key) headers.Authorization = `Bearer ${config.key}`;
  let response: Response;
  try {
    response = await fetchFn(apiUrl(config, path, params), { headers, cache: "no-store" });
  } catch {
    throw new ApiError(0, "the server cannot be reached");
  }
  if (!response.ok) throw new ApiError(response.status, describe(response.status, await response.text()));
  return response.blob();
}

async function requestJson<T>(
  config: ApiConfig,
  method: "GET" | "POST",
  path: string,
  params: Params,
  body: unknown,
  signal: AbortSignal | undefined,
  fetchFn: typeof fetch,
): Promise<T> {
  const headers: Record<string, string> = { Accept: "application/json" };
  if (config.key) headers.Authorization = `Bearer ${config.key}`;
  if (body !== undefined) headers["Content-Type"] = "application/json";
  let response: Response;
  try {
    response = await fetchFn(apiUrl(config, path, params), {
      method,
      headers,
      body: body === undefined ? undefined : JSON.stringify(body),
      signal,
      cache: "no-store",
    });
  } catch (error) {
    if ((error as Error).name === "AbortError") throw error;
    throw new ApiError(0, "the server cannot be reached");
  }
  const text = await response.text();
  if (!response.ok) throw new ApiError(response.status, describe(response.status, text));
  try {
    return JSON.parse(text) as T;
  } catch {
    throw new ApiError(response.status, "the server's answer is not JSON");
  }
}

// The URL for EventSource or a download link: with a fresh link ticket for
// `shop` when the page has a key; without one when it has none (a server
// without authentication needs none).
export async function linkUrl(
  config: ApiConfig,
  shop: string,
  path: string,
  params: Params,
  fetchFn: typeof fetch = fetch,
): Promise<string> {
  if (!config.key) return apiUrl(config, path, params);
  const issued = await requestJson<{ ticket?: string }>(
    config,
    "POST",
    paths.tickets(shop),
    {},
    {},
    undefined,
    fetchFn,
  );
  return apiUrl(config, path, issued.ticket ? { ...params, ticket: issued.ticket } : params);
}
