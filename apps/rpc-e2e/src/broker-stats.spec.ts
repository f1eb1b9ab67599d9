import { ErrorCode, RpcError, UserRpc } from '@live-im/contracts';
import type { BrokerStats } from '@live-im/zmq-transport';
import { BrokerNode, RpcCluster } from './support/rpc-cluster';

interface Sample {
  labels: Record<string, string>;
  value: number;
}

interface Family {
  type: string;
  samples: Sample[];
}

/** The Prometheus text format, enough of it for the broker's metrics. */
function parseMetrics(text: string): Map<string, Family> {
  const families = new Map<string, Family>();
  for (const line of text.split('\n')) {
    const type = /^# TYPE (\S+) (\S+)$/.exec(line);
    if (type) {
      families.set(type[1], { type: type[2], samples: [] });
      continue;
    }
    const sample = /^([a-zA-Z_:][a-zA-Z0-9_:]*)(?:\{(.*)\})? (\S+)$/.exec(line);
    if (!sample) continue;
    const family = families.get(sample[1]);
    if (!family) continue;
    const labels: Record<string, string> = {};
    for (const pair of (sample[2] ?? '').matchAll(/(\w+)="([^"]*)"/g)) labels[pair[1]] = pair[2];
    family.samples.push({ labels, value: Number(sample[3]) });
  }
  return families;
}

/** `rpc_broker_worker_lost_total` → `workerLost`: the STATS_REPLY name docs/rpc-protocol.md gives. */
function statsName(metric: string): string {
  return metric
    .replace(/^rpc_broker_/, '')
    .replace(/_total$/, '')
    .replace(/_([a-z])/g, (_, letter: string) => letter.toUpperCase());
}

const capitalized = (word: string): string => word.charAt(0).toUpperCase() + word.slice(1);

/** The broker's gauges and where STATS_REPLY carries the same number. */
const GAUGES: Record<string, (stats: BrokerStats, labels: Record<string, string>) => number | undefined> = {
  rpc_broker_clients: (stats) => stats.clients,
  rpc_broker_in_flight: (stats) => stats.inFlight,
  rpc_broker_queued_bytes: (stats) => stats.queuedBytes,
  rpc_broker_queue_depth: (stats, { service }) => stats.services[service ?? '']?.queued,
  rpc_broker_workers: (stats, { service, state }) =>
    stats.services[service ?? '']?.workers.filter((w) => (state === 'draining') === w.draining).length,
};

describe('broker STATS_REPLY against its /metrics', () => {
  const cluster = new RpcCluster('stats');
  let broker: BrokerNode;

  beforeAll(async () => {
    broker = await cluster.startBroker({ SERVICE_GRACE_MS: '200', MAX_BODY_BYTES: '1024' });
    await cluster.startUserService();
  });

  afterAll(() => cluster.close());

  it('carries every counter /metrics has, with the same value', async () => {
    // Traffic that moves several counters: answered calls, a refusal, a service nobody serves.
    const client = cluster.client();
    await Promise.all(
      Array.from({ length: 20 }, () => client.call(UserRpc.guest.pattern, {}, { timeoutMs: 10_000 })),
    );
    const refusals = await Promise.all(
      [
        client.call(UserRpc.guest.pattern, { pad: 'x'.repeat(2048) }, { timeoutMs: 5000 }),
        client.call('nobody.home', {}, { timeoutMs: 5000 }),
      ].map((call) =>
        call.then(
          () => 'OK',
          (error: unknown) => RpcError.from(error).code,
        ),
      ),
    );
    expect(refusals).toEqual([ErrorCode.PAYLOAD_TOO_LARGE, ErrorCode.SERVICE_UNAVAILABLE]);

    // Nothing moves the counters now (STATS and PING count nowhere), so both views must agree.
    const stats = await cluster.stats(broker);
    const metrics = parseMetrics(await (await fetch(`${broker.url}/metrics`)).text());
    const again = await cluster.stats(broker);
    expect(again.counters).toEqual(stats.counters);

    const counters = [...metrics].filter(
      ([name, family]) => family.type === 'counter' && name.startsWith('rpc_broker_'),
    );
    expect(counters.length).toBeGreaterThanOrEqual(14);
    const statsCounters = stats.counters as unknown as Record<string, number>;
    const compared: string[] = [];
    for (const [name, family] of counters) {
      const key = statsName(name);
      const total = family.samples.reduce((sum, s) => sum + s.value, 0);
      expect({ metric: name, stats: key, value: statsCounters[key] }).toEqual({
        metric: name,
        stats: key,
        value: total,
      });
      compared.push(key);
      for (const sample of family.samples) {
        for (const value of Object.values(sample.labels)) {
          const labelled = `${key}${capitalized(value)}`;
          expect({ metric: name, stats: labelled, value: statsCounters[labelled] }).toEqual({
            metric: name,
            stats: labelled,
            value: sample.value,
          });
          compared.push(labelled);
        }
      }
    }
    // Nothing in STATS_REPLY's counters that /metrics lacks, either.
    expect(Object.keys(stats.counters).sort()).toEqual(compared.sort());
    expect(stats.counters.requests).toBeGreaterThanOrEqual(22);
    expect(stats.counters.tooLarge).toBe(1);

    const gauges = [...metrics].filter(
      ([name, family]) => family.type === 'gauge' && name.startsWith('rpc_broker_'),
    );
    for (const [name, family] of gauges) {
      const read = GAUGES[name];
      expect({ gauge: name, inStats: read !== undefined }).toEqual({ gauge: name, inStats: true });
      for (const sample of family.samples) {
        expect({ gauge: name, labels: sample.labels, value: read(stats, sample.labels) }).toEqual({
          gauge: name,
          labels: sample.labels,
          value: sample.value,
        });
      }
    }

    // The bus's admissions and refusals: each series of bus_peer_auth_total is one `busAuth` entry.
    const auth = metrics.get('bus_peer_auth_total');
    expect(auth).toBeDefined();
    const authSeries: Array<Record<string, string | number>> = (auth?.samples ?? []).map((sample) => ({
      ...sample.labels,
      count: sample.value,
    }));
    const key = (series: { role?: unknown; reason?: unknown }) =>
      `${String(series.role)}|${String(series.reason)}`;
    const fromStats = stats.busAuth.map((entry) => ({ ...entry }));
    expect(fromStats.sort((a, b) => key(a).localeCompare(key(b)))).toEqual(
      authSeries.sort((a, b) => key(a).localeCompare(key(b))),
    );
    expect(stats.busAuth.some((entry) => entry.outcome === 'accepted' && entry.count > 0)).toBe(true);

    // Every other counter on /metrics is Node's and the process's own (prom-client defaults).
    const others = [...metrics]
      .filter(
        ([name, family]) =>
          family.type === 'counter' && !name.startsWith('rpc_broker_') && name !== 'bus_peer_auth_total',
      )
      .map(([name]) => name);
    expect(others.filter((name) => !/^(process|nodejs)_/.test(name))).toEqual([]);
  });
});
