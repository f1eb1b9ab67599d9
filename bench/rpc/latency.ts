/** Collects per-call latencies and summarises them. */
export class LatencyRecorder {
  private readonly samples: Float64Array;
  private count = 0;

  constructor(capacity: number) {
    this.samples = new Float64Array(capacity);
  }

  record(ms: number): void {
    if (this.count < this.samples.length) this.samples[this.count++] = ms;
  }

  percentile(p: number): number {
    if (this.count === 0) return 0;
    const sorted = this.samples.slice(0, this.count).sort();
    const index = Math.min(this.count - 1, Math.ceil((p / 100) * this.count) - 1);
    return sorted[Math.max(0, index)] ?? 0;
  }
}

export interface RunResult {
  name: string;
  calls: number;
  failures: number;
  seconds: number;
  reqPerSec: number;
  p50Ms: number;
  p99Ms: number;
  /** CPU microseconds per call spent by each process of the run. */
  cpuUsPerCall?: Record<string, number>;
}

/**
 * Calls `call` `total` times with `concurrency` calls in flight, and measures each one.
 */
export async function runClosedLoop(
  name: string,
  total: number,
  concurrency: number,
  call: (i: number) => Promise<unknown>,
): Promise<RunResult> {
  const latencies = new LatencyRecorder(total);
  let next = 0;
  let failures = 0;
  const started = process.hrtime.bigint();
  async function lane(): Promise<void> {
    while (next < total) {
      const i = next++;
      const t0 = process.hrtime.bigint();
      try {
        await call(i);
      } catch {
        failures += 1;
      }
      latencies.record(Number(process.hrtime.bigint() - t0) / 1e6);
    }
  }
  await Promise.all(Array.from({ length: concurrency }, lane));
  const seconds = Number(process.hrtime.bigint() - started) / 1e9;
  return {
    name,
    calls: total,
    failures,
    seconds,
    reqPerSec: Math.round(total / seconds),
    p50Ms: round(latencies.percentile(50)),
    p99Ms: round(latencies.percentile(99)),
  };
}

function round(ms: number): number {
  return Math.round(ms * 1000) / 1000;
}
