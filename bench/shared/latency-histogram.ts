/**
 * Latencies in log-spaced buckets (1% wide from 0.1 ms up to 10 minutes): fixed size, so each
 * client process keeps one per message type and the parent merges them by adding counts.
 */
const FLOOR_MS = 0.1;
const GROWTH = 1.01;
const LOG_GROWTH = Math.log(GROWTH);
const BUCKETS = Math.ceil(Math.log(600_000 / FLOOR_MS) / LOG_GROWTH) + 1;

/** A histogram as it crosses the IPC channel. */
export interface HistogramJson {
  counts: number[];
  maxMs: number;
}

export class LatencyHistogram {
  readonly counts: number[];
  total = 0;
  maxMs = 0;

  constructor(from?: HistogramJson) {
    this.counts = from ? [...from.counts] : new Array<number>(BUCKETS).fill(0);
    for (const count of this.counts) this.total += count;
    this.maxMs = from?.maxMs ?? 0;
  }

  record(ms: number): void {
    const index = ms <= FLOOR_MS ? 0 : Math.min(BUCKETS - 1, Math.ceil(Math.log(ms / FLOOR_MS) / LOG_GROWTH));
    this.counts[index] = (this.counts[index] ?? 0) + 1;
    this.total += 1;
    if (ms > this.maxMs) this.maxMs = ms;
  }

  merge(other: HistogramJson): void {
    for (let i = 0; i < BUCKETS; i += 1) {
      const count = other.counts[i] ?? 0;
      this.counts[i] = (this.counts[i] ?? 0) + count;
      this.total += count;
    }
    this.maxMs = Math.max(this.maxMs, other.maxMs);
  }

  /** The upper edge of the bucket holding the p-th percentile (0 when empty). */
  percentile(p: number): number {
    if (this.total === 0) return 0;
    const rank = Math.max(1, Math.ceil((p / 100) * this.total));
    let seen = 0;
    for (let i = 0; i < BUCKETS; i += 1) {
      seen += this.counts[i] ?? 0;
      if (seen >= rank) return Math.min(this.maxMs, FLOOR_MS * GROWTH ** i);
    }
    return this.maxMs;
  }

  toJSON(): HistogramJson {
    return { counts: this.counts, maxMs: this.maxMs };
  }
}
