import { Counter, register } from 'prom-client';

export type LabelValues = Record<string, string>;

/**
 * A metric name freed on the default registry, so a second instance in one process (tests, a
 * restarted core) replaces the first instead of throwing.
 */
export function freshMetricName(name: string): string {
  register.removeSingleMetric(name);
  return name;
}

/**
 * A Prometheus counter that follows a monotonic count the app keeps itself (a plain number field
 * on the hot path), read only when scraped, so counting costs the hot path nothing.
 */
export function scrapeCounter(
  name: string,
  help: string,
  labelNames: string[],
  read: () => Array<[LabelValues, number]>,
): void {
  const reported = new Map<string, number>();
  new Counter({
    name: freshMetricName(name),
    help,
    labelNames,
    collect() {
      for (const [labels, value] of read()) {
        const key = JSON.stringify(labels);
        const delta = value - (reported.get(key) ?? 0);
        // Zero increments too, so every label set is scraped from the start.
        if (delta >= 0) this.inc(labels, delta);
        reported.set(key, value);
      }
    },
  });
}
