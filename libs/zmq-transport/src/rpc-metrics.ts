import { Gauge, type Metric, register } from 'prom-client';
import { monotonicMs } from './socket/clock';

/** Upper bounds in seconds: a loopback call takes ~0.3 ms, a deadline ends at a few seconds. */
export const RPC_DURATION_BUCKETS: readonly number[] = [
  0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10,
];

/**
 * Distinct patterns one histogram labels; later ones share the pattern "other". A worker labels
 * the patterns callers send, so without a bound any client could grow its label set.
 */
export const MAX_RPC_PATTERNS = 256;
export const OTHER_PATTERN = 'other';
export const OK_CODE = 'OK';

/** The bucket counts, sum and count of one (pattern, code), kept as plain numbers. */
class LatencySeries {
  /** Per bucket, not cumulative (made cumulative when scraped); above the last bound only `count` grows. */
  readonly counts = new Float64Array(RPC_DURATION_BUCKETS.length);
  sum = 0;
  count = 0;

  constructor(
    readonly pattern: string,
    readonly code: string,
  ) {}

  observe(seconds: number): void {
    const bounds = RPC_DURATION_BUCKETS;
    let i = 0;
    while (i < bounds.length && seconds > bounds[i]) i += 1;
    if (i < bounds.length) this.counts[i] += 1;
    this.sum += seconds;
    this.count += 1;
  }
}

/** One pattern's series: OK is a field, since nearly every call ends OK; error codes are few. */
class PatternSeries {
  readonly ok: LatencySeries;
  readonly failed = new Map<string, LatencySeries>();

  constructor(readonly pattern: string) {
    this.ok = new LatencySeries(pattern, OK_CODE);
  }

  byCode(code: string): LatencySeries {
    if (code === OK_CODE) return this.ok;
    let series = this.failed.get(code);
    if (series === undefined) {
      series = new LatencySeries(this.pattern, code);
      this.failed.set(code, series);
    }
    return series;
  }
}

/** A sample line as prom-client's registry prints it. */
interface SampleValue {
  metricName: string;
  labels: Record<string, string | number>;
  value: number;
}

/**
 * A Prometheus histogram with labels {pattern, code}, made for the RPC hot path: observing is a
 * map lookup and a few number updates, with no allocation (prom-client's labelled observe builds a
 * label object and a hash string per call, ~0.5 µs, a few % of a call's CPU). prom-client's
 * registry reads it through get(), as it reads its own metrics.
 */
export class RpcDurationHistogram {
  readonly type = 'histogram';
  readonly aggregator = 'sum';
  private readonly patterns = new Map<string, PatternSeries>();

  constructor(
    readonly name: string,
    readonly help: string,
  ) {}

  /** One call or request of `pattern` ended with `code` (OK or an error code); `startedAt` is monotonic ms. */
  observe(pattern: string, code: string, startedAt: number): void {
    this.seriesOf(pattern)
      .byCode(code)
      .observe((monotonicMs() - startedAt) / 1000);
  }

  /** What the registry prints: per series, cumulative buckets, +Inf, sum and count. */
  async get(): Promise<{
    name: string;
    help: string;
    type: string;
    aggregator: string;
    values: SampleValue[];
  }> {
    const values: SampleValue[] = [];
    for (const patternSeries of this.patterns.values()) {
      this.pushSeries(values, patternSeries.ok);
      for (const series of patternSeries.failed.values()) this.pushSeries(values, series);
    }
    return { name: this.name, help: this.help, type: this.type, aggregator: this.aggregator, values };
  }

  reset(): void {
    this.patterns.clear();
  }

  private seriesOf(pattern: string): PatternSeries {
    let series = this.patterns.get(pattern);
    if (series === undefined) {
      const label = this.patterns.size < MAX_RPC_PATTERNS ? pattern : OTHER_PATTERN;
      series = this.patterns.get(label) ?? new PatternSeries(label);
      this.patterns.set(label, series);
    }
    return series;
  }

  private pushSeries(values: SampleValue[], series: LatencySeries): void {
    const { pattern, code } = series;
    const bucket = `${this.name}_bucket`;
    let cumulative = 0;
    for (let i = 0; i < RPC_DURATION_BUCKETS.length; i += 1) {
      cumulative += series.counts[i];
      values.push({
        metricName: bucket,
        labels: { pattern, code, le: RPC_DURATION_BUCKETS[i] },
        value: cumulative,
      });
    }
    values.push({ metricName: bucket, labels: { pattern, code, le: '+Inf' }, value: series.count });
    values.push({ metricName: `${this.name}_sum`, labels: { pattern, code }, value: series.sum });
    values.push({ metricName: `${this.name}_count`, labels: { pattern, code }, value: series.count });
  }
}

/** Caller side: from the call to its outcome (reply, error, deadline, lost broker), per pattern and code. */
export const rpcClientDuration = new RpcDurationHistogram(
  'rpc_client_duration_seconds',
  'RPC calls made by this process, from the call to its outcome, by pattern and result code (OK or the error code)',
);

/** Worker side: from the handler's start to the final reply, per pattern and code. */
export const rpcServerDuration = new RpcDurationHistogram(
  'rpc_server_duration_seconds',
  'RPC requests handled by this process, from the handler start to the final reply, by pattern and result code',
);

/** What the in-flight gauge reads: a client's calls waiting for an outcome. */
export interface InFlightSource {
  readonly inFlight: number;
}

const clients = new Set<InFlightSource>();

const IN_FLIGHT_NAME = 'rpc_client_requests_in_flight';

const inFlightGauge = new Gauge({
  name: IN_FLIGHT_NAME,
  help: 'RPC calls of this process waiting for an outcome',
  registers: [],
  collect() {
    let total = 0;
    for (const client of clients) total += client.inFlight;
    this.set(total);
  },
});

/**
 * Counts a client's calls in the in-flight gauge until untrackRpcClient, and (re-)registers the
 * RPC metrics on prom-client's default registry (a test may have cleared it).
 */
export function trackRpcClient(client: InFlightSource): void {
  clients.add(client);
  registerRpcMetrics();
}

export function untrackRpcClient(client: InFlightSource): void {
  clients.delete(client);
}

/** Puts the RPC metrics on prom-client's default registry, served at /metrics; idempotent. */
export function registerRpcMetrics(): void {
  const metrics: Array<[string, Metric]> = [
    // The registry only needs name, help, type and get(): the duration histograms provide them.
    [rpcClientDuration.name, rpcClientDuration as unknown as Metric],
    [rpcServerDuration.name, rpcServerDuration as unknown as Metric],
    [IN_FLIGHT_NAME, inFlightGauge],
  ];
  for (const [name, metric] of metrics) {
    const current = register.getSingleMetric(name);
    if (current === metric) continue;
    if (current !== undefined) register.removeSingleMetric(name);
    register.registerMetric(metric);
  }
}
