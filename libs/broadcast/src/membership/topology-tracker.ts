import { Topology } from '@live-im/contracts';

export type TopologyVerdict = 'newer' | 'same' | 'older' | 'reset';

/**
 * Keeps the newest topology by version. An older version is ignored, unless only older versions
 * have arrived for `resetAfterMs`: then the manager restarted without keeping its counter, and
 * following it beats running forever on a topology nobody maintains any more.
 */
export class TopologyTracker {
  private currentTopology: Topology | undefined;
  /** Monotonic time of the first older topology since the last accepted one. */
  private olderSince: number | undefined;

  constructor(private readonly resetAfterMs: number) {}

  get current(): Topology | undefined {
    return this.currentTopology;
  }

  offer(topology: Topology, now: number): TopologyVerdict {
    const current = this.currentTopology;
    if (current === undefined || topology.version > current.version) {
      this.accept(topology);
      return 'newer';
    }
    if (topology.version === current.version) {
      this.olderSince = undefined;
      return 'same';
    }
    if (this.olderSince === undefined) this.olderSince = now;
    if (now - this.olderSince < this.resetAfterMs) return 'older';
    this.accept(topology);
    return 'reset';
  }

  private accept(topology: Topology): void {
    this.currentTopology = topology;
    this.olderSince = undefined;
  }
}
