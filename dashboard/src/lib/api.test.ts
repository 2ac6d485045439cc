import { describe, expect, it } from "vitest";
import { ApiError, apiBaseFromLocation, apiUrl, getJson, linkUrl, paths } from "./api";

type Seen = { url: string; method: string; auth: string | undefined; body: unknown };

function recordingFetch(answer: (url: string) => Response): { seen: Seen[]; fetchFn: typeof fetch } {
  const seen: Seen[] = [];
  const fetchFn = (async (url: string, init: RequestInit) => {
    seen.push({
      url,
      method: init.method ?? "GET",
      auth: (init.headers as Record<string, string>).Authorization,
      body: init.body,
    });
    return answer(url);
  }) as unknown as typeof fetch;
  return { seen, fetchFn };
}

describe("api", () => {
  it("builds URLs without the key", () => {
    const config = { baseUrl: "", key: "read-123" };
    expect(apiUrl(config, paths.summary("a/b"), { from: "2026-01-01T00:00:00Z", to: null })).toBe(
      "/v1/shops/a%2Fb/summary?from=2026-01-01T00%3A00%3A00Z",
    );
    expect(apiUrl(config, paths.watch("s"), {})).toBe("/v1/shops/s/summary:watch");
    expect(apiBaseFromLocation("?api=http://h:8080&shop=x")).toBe("http://h:8080");
    expect(apiBaseFromLocation("?shop=x")).toBe("");
  });

  it("gives links a fresh ticket, asked for with the key, and never the key", async () => {
    let issued = 0;
    const { seen, fetchFn } = recordingFetch(
      () => new Response(JSON.stringify({ ticket: `sst_${++issued}`, shop_id: "s" }), { status: 200 }),
    );
    const config = { baseUrl: "http://h:1", key: "ssk_secret" };
    const first = await linkUrl(config, "s", paths.watch("s"), { from: "x" }, fetchFn);
    const second = await linkUrl(config, "s", paths.timeSeriesCsv("s"), {}, fetchFn);
    expect(first).toBe("http://h:1/v1/shops/s/summary:watch?from=x&ticket=sst_1");
    expect(second).toBe("http://h:1/v1/shops/s/timeseries.csv?ticket=sst_2");
    expect(seen).toEqual([
      { url: "http://h:1/v1/shops/s/tickets", method: "POST", auth: "Bearer ssk_secret", body: "{}" },
      { url: "http://h:1/v1/shops/s/tickets", method: "POST", auth: "Bearer ssk_secret", body: "{}" },
    ]);
    for (const url of [first, second, ...seen.map((s) => s.url)]) expect(url).not.toContain("ssk_secret");
  });

  it("links need no ticket without a key, or from a server that checks none", async () => {
    const { seen, fetchFn } = recordingFetch(() => new Response('{"ticket":"","shop_id":"s"}', { status: 200 }));
    expect(await linkUrl({ baseUrl: "", key: null }, "s", paths.watch("s"), {}, fetchFn)).toBe(
      "/v1/shops/s/summary:watch",
    );
    expect(seen).toEqual([]);
    expect(await linkUrl({ baseUrl: "", key: "k" }, "s", paths.watch("s"), {}, fetchFn)).toBe(
      "/v1/shops/s/summary:watch",
    );
    expect(seen).toHaveLength(1);
  });

  it("a refused ticket is an error, not a link with the key", async () => {
    const { fetchFn } = recordingFetch(() => new Response('{"error":"API key is not valid"}', { status: 401 }));
    const refused = await linkUrl({ baseUrl: "", key: "k" }, "s", paths.watch("s"), {}, fetchFn).catch((e) => e);
    expect(refused).toBeInstanceOf(ApiError);
    expect((refused as ApiError).status).toBe(401);
    expect((refused as ApiError).message).toBe("API key is not valid");
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
