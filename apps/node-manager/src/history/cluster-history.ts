import { LANE_RATE_NAMES, type ClusterSeries, type MemberKind, type NodeState } from '@live-im/contracts';
import type { Member } from '../membership/member';
import { DepartedMembers, type DepartedMemberView } from './departed-members';
import { addRates, zeroRates, type LaneRates } from './lane-rates';
import { NodeRates } from './node-rates';
import { SampleRing } from './sample-ring';
import { audienceOf, type Audience } from './top-rooms';

/** One sample a second, five minutes of them. */
export const SERIES_SAMPLE_MS = 1000;
export const SERIES_SAMPLES = 300;
/** Departed members stay listed ten minutes, two hundred at most. */
export const DEPARTED_KEEP_MS = 10 * 60_000;
export const MAX_DEPARTED = 200;

export interface ClusterHistoryOptions {
  /** How often `sample` runs; the series says so to its readers. */
  intervalMs: number;
  /** Samples kept. */
  capacity: number;
  /** A load older than this (DEAD_AFTER_MS) no longer counts: its member is about to be declared dead. */
  loadMaxAgeMs: number;
  /** How long a departed member stays listed. */
  keepDepartedMs: number;
  maxDeparted: number;
}

interface ClusterSample {
  /** Epoch ms. */
  at: number;
  nodes: Map<string, { kind: 'broadcast' | 'relay'; rates: LaneRates }>;
  total: LaneRates;
  viewers: number;
  connections: number;
}

interface Seen {
  kind: MemberKind;
  region: string;
  state: NodeState;
}

/**
 * What the dashboard charts: once per interval, every node's message rates by lane (from the
 * counters of its heartbeats), the cluster's totals and the subscribers' viewers, in a ring of the
 * last `capacity` samples; and the members that left since, which the registry does not keep.
 */
export class ClusterHistory {
  private readonly ring: SampleRing<ClusterSample>;
  private readonly rates = new NodeRates();
  private readonly departures: DepartedMembers;
  private seen = new Map<string, Seen>();

  constructor(private readonly options: ClusterHistoryOptions) {
    this.ring = new SampleRing(options.capacity);
    this.departures = new DepartedMembers(options.keepDepartedMs, options.maxDeparted);
  }

  get intervalMs(): number {
    return this.options.intervalMs;
  }

  /** Takes one sample of `members` at monotonic `now`, stamped with epoch `wallNow`. */
  sample(members: Iterable<Member>, now: number, wallNow: number): void {
    const sample: ClusterSample = {
      at: wallNow,
      nodes: new Map(),
      total: zeroRates(),
      viewers: 0,
      connections: 0,
    };
    const seen = new Map<string, Seen>();
    const withLoad = new Set<string>();
    const listed: Member[] = [];
    for (const member of members) {
      listed.push(member);
      seen.set(member.id, { kind: member.kind, region: member.region, state: member.state });
      if (!this.seen.has(member.id)) this.departures.returned(member.id);
      const kind = member.kind;
      if ((kind !== 'broadcast' && kind !== 'relay') || !this.fresh(member, now) || member.load === null)
        continue;
      withLoad.add(member.id);
      const rates = this.rates.update(member.id, member.load, member.loadAt as number);
      sample.nodes.set(member.id, { kind, rates });
      if (kind === 'broadcast') addRates(sample.total, rates);
    }
    this.rates.retain(withLoad);
    for (const [id, was] of this.seen) {
      if (!seen.has(id)) this.departures.departed(id, was.kind, was.region, was.state, now);
    }
    this.seen = seen;
    const audience = this.audience(listed, now);
    sample.viewers = audience.viewers;
    sample.connections = audience.connections;
    this.ring.push(sample);
  }

  /** Viewers, connections and top rooms of the subscribers whose load is fresh. */
  audience(members: Iterable<Member>, now: number): Audience {
    const loads = [];
    for (const member of members) {
      if (member.kind === 'subscriber' && member.subscriberLoad !== null && this.fresh(member, now)) {
        loads.push(member.subscriberLoad);
      }
    }
    return audienceOf(loads);
  }

  departed(now: number): DepartedMemberView[] {
    return this.departures.list(now);
  }

  /** GET /cluster/series. */
  series(): ClusterSeries {
    const samples = this.ring.toArray();
    const kinds = new Map<string, 'broadcast' | 'relay'>();
    for (const sample of samples) for (const [id, node] of sample.nodes) kinds.set(id, node.kind);
    const total = { ...emptyColumns<number>(), viewers: [] as number[], connections: [] as number[] };
    for (const sample of samples) {
      for (const lane of LANE_RATE_NAMES) total[lane].push(round(sample.total[lane]));
      total.viewers.push(sample.viewers);
      total.connections.push(sample.connections);
    }
    const nodes = [...kinds]
      .sort(([a], [b]) => (a < b ? -1 : 1))
      .map(([id, kind]) => {
        const rates = emptyColumns<number | null>();
        for (const sample of samples) {
          const node = sample.nodes.get(id);
          for (const lane of LANE_RATE_NAMES)
            rates[lane].push(node === undefined ? null : round(node.rates[lane]));
        }
        return { id, kind, rates };
      });
    return { intervalMs: this.options.intervalMs, at: samples.map((s) => s.at), total, nodes };
  }

  /** The node's rates in the newest sample, if it had a load then. */
  latestRates(nodeId: string): LaneRates | undefined {
    return this.ring.last()?.nodes.get(nodeId)?.rates;
  }

  private fresh(member: Member, now: number): boolean {
    return (
      member.state !== 'dead' && member.loadAt !== null && now - member.loadAt <= this.options.loadMaxAgeMs
    );
  }
}

function emptyColumns<T>(): Record<(typeof LANE_RATE_NAMES)[number], T[]> {
  return { importantIn: [], normalIn: [], out: [], drops: [], malformed: [] };
}

/** Two decimals: enough for a chart, and a smaller body. */
function round(value: number): number {
  return Math.round(value * 100) / 100;
}
