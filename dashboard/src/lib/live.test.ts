import { describe, expect, it } from "vitest";
import { Backoff } from "./backoff";
import { type ConnectionState, type EventSourceLike, LiveSummary } from "./live";
import type { Summary } from "./types";

function summaryWith(views: number): Summary {
  return {
    total_page_views: views,
    total_add_to_carts: 0,
    total_purchases: 0,
    conversion_rate: 0,
    average_purchase_value: 0,
    max_purchase_value: 0,
    min_purchase_value: 0,
    top_product_id: null,
  };
}

class FakeStream implements EventSourceLike {
  onopen: ((event: Event) => void) | null = null;
  onmessage: ((event: MessageEvent) => void) | null = null;
  onerror: ((event: Event) => void) | null = null;
  closed = false;
  close() {
    this.closed = true;
  }
  open() {
    this.onopen?.({} as Event);
  }
  send(data: string) {
    this.onmessage?.({ data } as MessageEvent);
  }
  fail() {
    this.onerror?.({} as Event);
  }
}

// Timers run only when the test says so; the delays asked for are kept.
class ManualTimers {
  pending: { id: number; fn: () => void; ms: number }[] = [];
  private nextId = 1;
  set = (fn: () => void, ms: number) => {
    const id = this.nextId++;
    this.pending.push({ id, fn, ms });
    return id;
  };
  clear = (handle: unknown) => {
    this.pending = this.pending.filter((t) => t.id !== handle);
  };
  delays(): number[] {
    return this.pending.map((t) => t.ms);
  }
  // Runs the timer with this delay (the first one if several).
  run(ms: number) {
    const index = this.pending.findIndex((t) => t.ms === ms);
    if (index < 0) throw new Error(`no timer of ${ms} ms; pending ${this.delays().join(",")}`);
    const [timer] = this.pending.splice(index, 1);
    timer.fn();
  }
}

const flush = () => new Promise((resolve) => setTimeout(resolve, 0));

function setUp(
  fetchSummary: () => Promise<Summary>,
  streamUrl: string | (() => Promise<string>) | null = "/watch",
) {
  const urls: string[] = [];
  const streams: FakeStream[] = [];
  const timers = new ManualTimers();
  const summaries: Summary[] = [];
  const states: ConnectionState[] = [];
  const live = new LiveSummary({
    streamUrl,
    fetchSummary,
    onSummary: (s) => summaries.push(s),
    onState: (s) => states.push(s),
    openStream: (url) => {
      urls.push(url);
      const stream = new FakeStream();
      streams.push(stream);
      return stream;
    },
    pollIntervalMs: 1000,
    reconnect: new Backoff({ initialMs: 1000, maxMs: 8000, jitter: 0 }),
    pollRetry: new Backoff({ initialMs: 2000, maxMs: 2000, jitter: 0 }),
    timers,
  });
  return { live, streams, timers, summaries, states, urls };
}

describe("LiveSummary", () => {
  it("streams: every message is a summary, and the state says live", () => {
    const t = setUp(() => Promise.reject(new Error("not used")));
    t.live.start();
    expect(t.states).toEqual(["connecting"]);
    t.streams[0].open();
    t.streams[0].send(JSON.stringify(summaryWith(1)));
    t.streams[0].send("not json");
    t.streams[0].send(JSON.stringify(summaryWith(2)));
    expect(t.summaries.map((s) => s.total_page_views)).toEqual([1, 2]);
    expect(t.live.connectionState).toBe("live");
    expect(t.timers.pending).toEqual([]);
  });

  it("polls while the stream is down and reconnects with growing delays", async () => {
    let views = 0;
    const t = setUp(() => Promise.resolve(summaryWith(++views)));
    t.live.start();
    // A server without the stream: the connection fails at once, again and
    // again; each retry waits twice as long, up to the cap.
    t.streams[0].fail();
    expect(t.streams[0].closed).toBe(true);
    await flush();
    expect(t.live.connectionState).toBe("polling");
    expect(t.summaries.map((s) => s.total_page_views)).toEqual([1]);
    expect(t.timers.delays().sort()).toEqual([1000, 1000]); // reconnect, next poll

    const reconnectDelays: number[] = [];
    for (let attempt = 1; attempt <= 5; attempt++) {
      const reconnect = t.timers.pending.find((p) => p.fn.toString().includes("openStream"))!;
      reconnectDelays.push(reconnect.ms);
      t.timers.clear(reconnect.id);
      reconnect.fn();
      t.streams[attempt].fail();
    }
    expect(reconnectDelays).toEqual([1000, 2000, 4000, 8000, 8000]);
    expect(t.streams).toHaveLength(6);

    // Polling went on meanwhile, one poll timer at a time.
    t.timers.run(1000);
    await flush();
    expect(t.summaries.at(-1)!.total_page_views).toBe(2);
    expect(t.timers.delays().filter((d) => d === 1000)).toHaveLength(1);

    // The stream comes back: polling stops, the backoff starts over.
    const reconnect = t.timers.pending.find((p) => p.ms === 8000)!;
    t.timers.clear(reconnect.id);
    reconnect.fn();
    t.streams[6].open();
    expect(t.live.connectionState).toBe("live");
    expect(t.timers.pending).toEqual([]);
    t.streams[6].fail();
    expect(t.timers.delays()).toContain(1000);
    t.live.stop();
  });

  it("says offline while polling fails too, and recovers", async () => {
    let up = false;
    const t = setUp(() => (up ? Promise.resolve(summaryWith(7)) : Promise.reject(new Error("the server cannot be reached"))), null);
    t.live.start();
    await flush();
    expect(t.live.connectionState).toBe("offline");
    expect(t.timers.delays()).toEqual([2000]);
    up = true;
    t.timers.run(2000);
    await flush();
    expect(t.live.connectionState).toBe("polling");
    expect(t.summaries.map((s) => s.total_page_views)).toEqual([7]);
  });

  it("does nothing after stop", async () => {
    const t = setUp(() => Promise.resolve(summaryWith(1)));
    t.live.start();
    t.streams[0].fail();
    t.live.stop();
    await flush();
    expect(t.summaries).toEqual([]);
    expect(t.timers.pending).toEqual([]);
    expect(t.streams[0].closed).toBe(true);
  });

  it("asks for a fresh URL before every attempt", async () => {
    let tickets = 0;
    const t = setUp(
      () => Promise.resolve(summaryWith(0)),
      () => Promise.resolve(`/watch?ticket=${++tickets}`),
    );
    t.live.start();
    expect(t.states).toEqual(["connecting"]);
    await flush();
    t.streams[0].open();
    t.streams[0].fail();
    t.timers.run(1000);
    await flush();
    expect(t.urls).toEqual(["/watch?ticket=1", "/watch?ticket=2"]);
    t.live.stop();
  });

  it("a URL that cannot be had is a failed attempt: poll, and try again later", async () => {
    let fail = true;
    const t = setUp(
      () => Promise.resolve(summaryWith(4)),
      () => (fail ? Promise.reject(new Error("the read key is missing or wrong")) : Promise.resolve("/watch?ticket=t")),
    );
    t.live.start();
    await flush();
    expect(t.streams).toHaveLength(0);
    expect(t.live.connectionState).toBe("polling");
    expect(t.summaries.map((s) => s.total_page_views)).toEqual([4]);
    expect(t.timers.delays().sort()).toEqual([1000, 1000]); // reconnect, next poll
    fail = false;
    const reconnect = t.timers.pending.find((p) => p.fn.toString().includes("openStream"))!;
    t.timers.clear(reconnect.id);
    reconnect.fn();
    await flush();
    t.streams[0].open();
    expect(t.live.connectionState).toBe("live");
    expect(t.urls).toEqual(["/watch?ticket=t"]);
    t.live.stop();
  });

  it("a URL that arrives after stop opens nothing", async () => {
    let resolveUrl: (url: string) => void = () => {};
    const t = setUp(
      () => Promise.resolve(summaryWith(1)),
      () => new Promise<string>((resolve) => (resolveUrl = resolve)),
    );
    t.live.start();
    t.live.stop();
    resolveUrl("/watch?ticket=late");
    await flush();
    expect(t.streams).toHaveLength(0);
    expect(t.timers.pending).toEqual([]);
  });
});
