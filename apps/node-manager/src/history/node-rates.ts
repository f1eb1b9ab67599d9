import type { NodeLoad } from '@live-im/contracts';
import { laneCounts, laneRates, zeroRates, type LaneCounts, type LaneRates } from './lane-rates';

interface Reading {
  counts: LaneCounts;
  /** When the load arrived (the manager's monotonic ms). */
  at: number;
  rates: LaneRates;
}

/**
 * Turns each node's heartbeat counters into per-second rates, one node at a time. Rates span the
 * two loads' arrival times, not the sampling times, so a sample between two heartbeats neither
 * doubles nor zeroes a rate: it repeats the last one until a newer load arrives.
 */
export class NodeRates {
  private readonly readings = new Map<string, Reading>();

  /** The node's rates given its latest load; zero for its first load (a baseline, not a burst). */
  update(nodeId: string, load: NodeLoad, loadAt: number): LaneRates {
    const previous = this.readings.get(nodeId);
    if (previous !== undefined && previous.at === loadAt) return previous.rates;
    const counts = laneCounts(load);
    const rates =
      previous === undefined ? zeroRates() : laneRates(previous.counts, counts, loadAt - previous.at);
    this.readings.set(nodeId, { counts, at: loadAt, rates });
    return rates;
  }

  /** Forgets the nodes not in `present`: one that comes back starts from a new baseline. */
  retain(present: ReadonlySet<string>): void {
    for (const id of this.readings.keys()) if (!present.has(id)) this.readings.delete(id);
  }
}
