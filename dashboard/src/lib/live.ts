import { Backoff } from "./backoff";
import type { Summary } from "./types";

export type ConnectionState =
  | "connecting" // first stream attempt
  | "live" // the stream is open
  | "polling" // no stream; GetSummary every pollIntervalMs
  | "offline"; // neither stream nor polling reaches the server

// The part of EventSource we use, so tests can hand in a fake.
export interface EventSourceLike {
  onopen: ((event: Event) => void) | null;
  onmessage: ((event: MessageEvent) => void) | null;
  onerror: ((event: Event) => void) | null;
  close(): void;
}

export interface LiveSummaryOptions {
  // null: no stream (EventSource unavailable); poll only. A function is
  // asked for a URL before every attempt, since a URL that carries a link
  // ticket is good for one connection only; its failure counts as the
  // stream's.
  streamUrl: string | (() => Promise<string>) | null;
  fetchSummary: () => Promise<Summary>;
  onSummary: (summary: Summary) => void;
  onState: (state: ConnectionState, detail: string) => void;
  openStream?: (url: string) => EventSourceLike;
  pollIntervalMs?: number;
  reconnect?: Backoff;
  pollRetry?: Backoff;
  timers?: {
    set: (fn: () => void, ms: number) => unknown;
    clear: (handle: unknown) => void;
  };
}

// Keeps one shop's summary current: WatchSummary over Server-Sent Events
// while it works; GetSummary polling while it does not, and a new stream
// attempt after each backoff delay. EventSource retries by itself only after
// a dropped connection, not after an error status (a 404 from a server
// without the stream, a 503), so the reconnects are ours.
export class LiveSummary {
  private readonly options: LiveSummaryOptions;
  private readonly reconnect: Backoff;
  private readonly pollRetry: Backoff;
  private readonly pollIntervalMs: number;
  private readonly set: (fn: () => void, ms: number) => unknown;
  private readonly clear: (handle: unknown) => void;
  private stream: EventSourceLike | null = null;
  private reconnectTimer: unknown = null;
  private pollTimer: unknown = null;
  private polling = false;
  private state: ConnectionState | null = null;
  private stopped = true;
  // Tells a URL that arrives late from one that is still wanted.
  private attempt = 0;

  constructor(options: LiveSummaryOptions) {
    this.options = options;
    this.reconnect = options.reconnect ?? new Backoff({ initialMs: 1_000, maxMs: 30_000 });
    this.pollRetry = options.pollRetry ?? new Backoff({ initialMs: 1_000, maxMs: 15_000 });
    this.pollIntervalMs = options.pollIntervalMs ?? 1_000;
    this.set = options.timers?.set ?? ((fn, ms) => setTimeout(fn, ms));
    this.clear = options.timers?.clear ?? ((h) => clearTimeout(h as ReturnType<typeof setTimeout>));
  }

  get connectionState(): ConnectionState | null {
    return this.state;
  }

  start(): void {
    this.stopped = false;
    if (this.options.streamUrl === null) {
      this.startPolling();
      return;
    }
    this.setState("connecting", "opening the live stream");
    this.openStream();
  }

  stop(): void {
    this.stopped = true;
    this.attempt++;
    this.closeStream();
    this.stopPolling();
    if (this.reconnectTimer !== null) this.clear(this.reconnectTimer);
    this.reconnectTimer = null;
  }

  private openStream(): void {
    const url = this.options.streamUrl!;
    if (typeof url === "string") {
      this.connect(url);
      return;
    }
    const attempt = ++this.attempt;
    url().then(
      (resolved) => {
        if (!this.stopped && attempt === this.attempt) this.connect(resolved);
      },
      (error: unknown) => {
        if (!this.stopped && attempt === this.attempt) this.streamFailed((error as Error).message);
      },
    );
  }

  private connect(url: string): void {
    const open =
      this.options.openStream ?? ((url: string) => new EventSource(url) as EventSourceLike);
    const stream = open(url);
    this.stream = stream;
    stream.onopen = () => {
      if (this.stream !== stream) return;
      this.reconnect.reset();
      this.stopPolling();
      this.setState("live", "streaming");
    };
    stream.onmessage = (event) => {
      if (this.stream !== stream) return;
      let summary: Summary;
      try {
        summary = JSON.parse(event.data as string) as Summary;
      } catch {
        return; // a broken message is skipped; the next one replaces it
      }
      if (this.state !== "live") {
        this.reconnect.reset();
        this.stopPolling();
        this.setState("live", "streaming");
      }
      this.options.onSummary(summary);
    };
    stream.onerror = () => {
      if (this.stream !== stream) return;
      this.streamFailed("live stream unavailable");
    };
  }

  private streamFailed(why: string): void {
    this.closeStream();
    const delay = this.reconnect.next();
    this.reconnectTimer = this.set(() => {
      this.reconnectTimer = null;
      if (!this.stopped) this.openStream();
    }, delay);
    // Meanwhile the page stays current by polling.
    this.startPolling(`${why}; next try in ${Math.round(delay / 1000)} s`);
  }

  private closeStream(): void {
    if (this.stream === null) return;
    const stream = this.stream;
    this.stream = null;
    stream.onopen = stream.onmessage = stream.onerror = null;
    stream.close();
  }

  private startPolling(detail = "no live stream"): void {
    if (this.state !== "offline") this.setState("polling", detail);
    if (this.polling) return;
    this.polling = true;
    this.poll();
  }

  private stopPolling(): void {
    this.polling = false;
    if (this.pollTimer !== null) this.clear(this.pollTimer);
    this.pollTimer = null;
  }

  private poll(): void {
    this.pollTimer = null;
    this.options.fetchSummary().then(
      (summary) => {
        if (!this.polling || this.stopped) return;
        this.pollRetry.reset();
        if (this.state !== "live") this.setState("polling", "polling every second");
        this.options.onSummary(summary);
        this.pollTimer = this.set(() => this.poll(), this.pollIntervalMs);
      },
      (error: unknown) => {
        if (!this.polling || this.stopped) return;
        const delay = this.pollRetry.next();
        if (this.state !== "live") {
          this.setState("offline", `${(error as Error).message}; retrying in ${Math.round(delay / 1000)} s`);
        }
        this.pollTimer = this.set(() => this.poll(), delay);
      },
    );
  }

  private setState(state: ConnectionState, detail: string): void {
    this.state = state;
    this.options.onState(state, detail);
  }
}
