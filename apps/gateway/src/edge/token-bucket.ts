/** What a bucket answers: taken, or empty with how long until a token is back. */
export type TakeResult = { ok: true } | { ok: false; retryAfterMs: number };

export interface TokenBucketOptions {
  /** Tokens a full bucket holds: how many may come at once after a quiet spell. */
  burst: number;
  /** Tokens added back per second, up to `burst`: the rate that may go on for ever. */
  perSecond: number;
  /** Keys remembered at most; past it the longest-untouched one is forgotten (starts full again). */
  maxKeys?: number;
}

interface Bucket {
  tokens: number;
  /** When `tokens` was last brought up to date (ms). */
  at: number;
}

/**
 * A token bucket per key (a client address), in this process's memory: a burst of `burst` at once,
 * then `perSecond` on average. A key whose bucket has refilled is the same as one never seen, so
 * such keys are forgotten as they are met, and the map never holds more than `maxKeys`.
 */
export class TokenBucket {
  private readonly buckets = new Map<string, Bucket>();
  private readonly maxKeys: number;
  private readonly refillMs: number;
  private lastSweep = 0;

  constructor(
    private readonly options: TokenBucketOptions,
    private readonly now: () => number = Date.now,
  ) {
    if (!Number.isInteger(options.burst) || options.burst < 1)
      throw new Error('TokenBucket: burst must be a positive integer');
    if (!(options.perSecond > 0)) throw new Error('TokenBucket: perSecond must be positive');
    this.maxKeys = options.maxKeys ?? 100_000;
    // How long an empty bucket takes to fill: after that a key may be forgotten.
    this.refillMs = (options.burst / options.perSecond) * 1000;
  }

  /** Takes one token of `key`. */
  take(key: string): TakeResult {
    const now = this.now();
    this.sweep(now);
    const bucket = this.refreshed(key, now);
    if (bucket.tokens >= 1) {
      bucket.tokens -= 1;
      return { ok: true };
    }
    return { ok: false, retryAfterMs: Math.ceil(((1 - bucket.tokens) / this.options.perSecond) * 1000) };
  }

  /** Keys held now (for tests and bounds). */
  get size(): number {
    return this.buckets.size;
  }

  private refreshed(key: string, now: number): Bucket {
    let bucket = this.buckets.get(key);
    if (bucket === undefined) {
      if (this.buckets.size >= this.maxKeys) {
        const oldest = this.buckets.keys().next().value;
        if (oldest !== undefined) this.buckets.delete(oldest);
      }
      bucket = { tokens: this.options.burst, at: now };
    } else {
      const elapsed = Math.max(0, now - bucket.at);
      bucket.tokens = Math.min(this.options.burst, bucket.tokens + (elapsed / 1000) * this.options.perSecond);
      bucket.at = now;
      // Re-inserted so the map's order is least recently touched first.
      this.buckets.delete(key);
    }
    this.buckets.set(key, bucket);
    return bucket;
  }

  /** At most once per refill time: forgets the keys whose buckets are full again. */
  private sweep(now: number): void {
    if (now - this.lastSweep < this.refillMs) return;
    this.lastSweep = now;
    for (const [key, bucket] of this.buckets) {
      if (bucket.tokens + ((now - bucket.at) / 1000) * this.options.perSecond >= this.options.burst)
        this.buckets.delete(key);
    }
  }
}
