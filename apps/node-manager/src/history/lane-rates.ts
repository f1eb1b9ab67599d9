import { LANE_RATE_NAMES, type LaneRateName, type NodeLoad } from '@live-im/contracts';

/** Messages per second by lane (or, for `LaneCounts`, messages since the node started). */
export type LaneRates = Record<LaneRateName, number>;
export type LaneCounts = LaneRates;

/** The heartbeat counters behind each lane of the dashboard. */
export function laneCounts(load: NodeLoad): LaneCounts {
  return {
    importantIn: load.importantIn,
    normalIn: load.normalIn,
    out: load.msgsOut,
    drops: load.droppedCap + load.noSubscriber,
    malformed: load.malformed,
  };
}

export function zeroRates(): LaneRates {
  return { importantIn: 0, normalIn: 0, out: 0, drops: 0, malformed: 0 };
}

/**
 * How much a counter grew. A counter only falls when its node restarted and counts from zero
 * again: then what it holds now is what came since the restart, never a negative rate.
 */
export function counterDelta(previous: number, current: number): number {
  return current >= previous ? current - previous : current;
}

/** Per-second rates between two readings of a node's counters taken `elapsedMs` apart. */
export function laneRates(previous: LaneCounts, current: LaneCounts, elapsedMs: number): LaneRates {
  const rates = zeroRates();
  if (elapsedMs <= 0) return rates;
  for (const lane of LANE_RATE_NAMES)
    rates[lane] = (counterDelta(previous[lane], current[lane]) * 1000) / elapsedMs;
  return rates;
}

export function addRates(into: LaneRates, rates: LaneRates): void {
  for (const lane of LANE_RATE_NAMES) into[lane] += rates[lane];
}
