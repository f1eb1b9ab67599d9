/**
 * What the bench reads from our apps' /metrics around the measured phase: the drop counters
 * (flow control at the broadcast node, slow sockets at the gateway), so each side reports what it
 * left out on purpose in its own words, and the event-loop delay. prom-client resets its delay
 * histogram at each scrape, so one scrape before the phase and one after give the phase's own
 * figures, as long as nothing else scrapes in between.
 */
const DROP_SAMPLE = /^([a-z_:]*(?:drop|skip|slow)[a-z_:]*)(\{[^}]*\})? ([0-9.e+-]+)$/;
const LAG_SAMPLE = /^nodejs_eventloop_lag_(p50|p99|max)_seconds ([0-9.e+-]+)$/;

export interface AppMetrics {
  /** Drop counter samples (name and labels) and their values. */
  drops: Map<string, number>;
  /** Event-loop delay since the previous scrape, ms: p50, p99, max (prom-client's 10 ms sampling included). */
  eventLoopDelayMs: Record<string, number>;
}

export async function scrapeAppMetrics(metricsUrl: string): Promise<AppMetrics> {
  const res = await fetch(metricsUrl);
  if (!res.ok) throw new Error(`GET ${metricsUrl} answered ${res.status}`);
  const metrics: AppMetrics = { drops: new Map(), eventLoopDelayMs: {} };
  for (const line of (await res.text()).split('\n')) {
    const drop = DROP_SAMPLE.exec(line);
    if (drop) metrics.drops.set(`${drop[1]}${drop[2] ?? ''}`, Number(drop[3]));
    const lag = LAG_SAMPLE.exec(line);
    if (lag) metrics.eventLoopDelayMs[lag[1]] = Math.round(Number(lag[2]) * 1e5) / 100;
  }
  return metrics;
}

/** Drop counter samples that grew between two scrapes, with how much. */
export function grownDrops(before: AppMetrics | undefined, after: AppMetrics): Record<string, number> {
  const grown: Record<string, number> = {};
  for (const [sample, value] of after.drops) {
    const delta = value - (before?.drops.get(sample) ?? 0);
    if (delta > 0) grown[sample] = delta;
  }
  return grown;
}
