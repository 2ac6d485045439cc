import { describe, expect, it } from "vitest";
import { ApiError, apiUrl, configFromLocation, getJson, paths } from "./api";

describe("api", () => {
  it("reads the key from the page URL and puts it only where asked", () => {
    const config = configFromLocation("?key=read-123&shop=x");
    expect(config).toEqual({ baseUrl: "", key: "read-123" });
    expect(apiUrl(config, paths.summary("a/b"), { from: "2026-01-01T00:00:00Z", to: null })).toBe(
      "/v1/shops/a%2Fb/summary?from=2026-01-01T00%3A00%3A00Z",
    );
    expect(apiUrl(config, paths.watch("s"), {}, true)).toBe("/v1/shops/s/summary:watch?key=read-123");
    expect(configFromLocation("?key=").key).toBeNull();
  });

  it("sends the key as a bearer token and turns error bodies into messages", async () => {
    const seen: { url: string; auth: string | undefined }[] = [];
    const fakeFetch = (async (url: string, init: RequestInit) => {
      seen.push({ url, auth: (init.headers as Record<string, string>).Authorization });
      if (url.includes("funnel")) {
        return new Response('{"error":"shop_id: required"}', { status: 400 });
      }
      if (url.includes("timeseries")) return new Response("", { status: 501 });
      return new Response('{"total_page_views":3}', { status: 200 });
    }) as unknown as typeof fetch;
    const config = { baseUrl: "http://h:1", key: "k" };
    await expect(getJson(config, "/v1/shops/s/summary", {}, undefined, fakeFetch)).resolves.toEqual({
      total_page_views: 3,
    });
    expect(seen[0]).toEqual({ url: "http://h:1/v1/shops/s/summary", auth: "Bearer k" });
    await expect(getJson(config, "/v1/shops/s/funnel", {}, undefined, fakeFetch)).rejects.toThrow("shop_id: required");
    const unsupported = await getJson(config, "/v1/shops/s/timeseries", {}, undefined, fakeFetch).catch((e) => e);
    expect(unsupported).toBeInstanceOf(ApiError);
    expect((unsupported as ApiError).unsupported).toBe(true);
  });
});
