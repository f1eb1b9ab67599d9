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
 * Calls `call` `total` times with `concurrency` calls in flight, and measures each one. A transport
 * that loses calls without an error (NestJS's NATS and Redis clients have no deadline) would hang
 * the run: when no call has been answered for `stallMs`, the run fails instead.
 */
export async function runClosedLoop(
  name: string,
  total: number,
  concurrency: number,
  call: (i: number) => Promise<unknown>,
  stallMs = 10_000,
): Promise<RunResult> {
  const latencies = new LatencyRecorder(total);
  let next = 0;
  let answered = 0;
  let failures = 0;
  let stalled = false;
  const started = process.hrtime.bigint();
  async function lane(): Promise<void> {
    while (next < total && !stalled) {
      const i = next++;
      const t0 = process.hrtime.bigint();
      try {
        await call(i);
      } catch {
        failures += 1;
      }
      answered += 1;
      latencies.record(Number(process.hrtime.bigint() - t0) / 1e6);
    }
  }
  let watchdog: NodeJS.Timeout | undefined;
  const stall = new Promise<never>((_resolve, reject) => {
    let answeredBefore = -1;
    watchdog = setInterval(() => {
      if (answered === answeredBefore) {
        stalled = true;
        reject(
          new Error(
            `${name}: no call answered for ${stallMs} ms (${total - answered} of ${total} unanswered)`,
          ),
        );
      }
      answeredBefore = answered;
    }, stallMs);
  });
  try {
    await Promise.race([Promise.all(Array.from({ length: concurrency }, lane)), stall]);
  } finally {
    clearInterval(watchdog);
  }
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

/**
 * Resolves once one call is answered, retrying each unanswered one after `perTryMs`: a brokered
 * server reports ready before its broker has seen its subscription, and a call published before
 * that is lost without an error.
 */
export async function firstAnswer(
  call: (i: number) => Promise<unknown>,
  timeoutMs: number,
  perTryMs = 1_000,
): Promise<void> {
  type Try = { kind: 'answered' } | { kind: 'error'; message: string } | { kind: 'silent' };
  const deadline = Date.now() + timeoutMs;
  let last = 'no answer';
  while (Date.now() < deadline) {
    let timer: NodeJS.Timeout | undefined;
    const outcome = await Promise.race<Try>([
      call(0).then(
        () => ({ kind: 'answered' }),
        (error: unknown) => ({
          kind: 'error',
          message: error instanceof Error ? error.message : String(error),
        }),
      ),
      new Promise<Try>((resolve) => (timer = setTimeout(() => resolve({ kind: 'silent' }), perTryMs))),
    ]);
    clearTimeout(timer);
    if (outcome.kind === 'answered') return;
    if (outcome.kind === 'silent') {
      last = `no answer within ${perTryMs} ms`;
    } else {
      last = outcome.message;
      // An error comes back at once: wait a little before the next try.
      await new Promise((resolve) => setTimeout(resolve, 100));
    }
  }
  throw new Error(`no first answer within ${timeoutMs} ms (last: ${last})`);
}

function round(ms: number): number {
  return Math.round(ms * 1000) / 1000;
}
