export interface BackoffOptions {
  initialMs?: number;
  maxMs?: number;
  factor?: number;
  // 0.2: each delay is spread over ±20 %, so that many pages that lost the
  // same server do not all come back in the same instant.
  jitter?: number;
  random?: () => number;
}

// Exponential backoff for reconnecting: initial, ×factor per failure, capped.
export class Backoff {
  private readonly initialMs: number;
  private readonly maxMs: number;
  private readonly factor: number;
  private readonly jitter: number;
  private readonly random: () => number;
  private failures = 0;

  constructor(options: BackoffOptions = {}) {
    this.initialMs = options.initialMs ?? 1_000;
    this.maxMs = options.maxMs ?? 30_000;
    this.factor = options.factor ?? 2;
    this.jitter = options.jitter ?? 0.2;
    this.random = options.random ?? Math.random;
  }

  get attempts(): number {
    return this.failures;
  }

  // The wait before the next attempt; counts one more failure.
  next(): number {
    const base = Math.min(this.maxMs, this.initialMs * this.factor ** this.failures);
    this.failures += 1;
    const spread = 1 - this.jitter + 2 * this.jitter * this.random();
    return Math.round(Math.min(this.maxMs, base * spread));
  }

  reset(): void {
    this.failures = 0;
  }
}
