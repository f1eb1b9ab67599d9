import type { StructuredLogger } from '@live-im/zmq-transport';

/** Structured logger the node manager writes to (the transport's, which a pino logger fits). */
export type ManagerLogger = StructuredLogger;

/** The timings that drive membership (docs/broadcast-protocol.md "Node manager"). */
export interface MembershipTimings {
  /** How often members heartbeat, and how often the manager sweeps. */
  heartbeatMs: number;
  /** A member silent this long is dead. */
  deadAfterMs: number;
  /** A joining node some members never report connected becomes active after this long anyway. */
  activateTimeoutMs: number;
  /**
   * After the manager starts, members are still re-registering: no node is promoted and claimed
   * `active` states are trusted only within this window.
   */
  rebuildWindowMs: number;
}

/** A member silent for this many heartbeat intervals is dead. */
export const LIVENESS_INTERVALS = 3;

/**
 * Sweeps per heartbeat interval: silence is judged to a tenth of an interval, so a member silent
 * for DEAD_AFTER_MS is dead then, not up to a whole interval later (4 s instead of 3 by default).
 */
export const SWEEPS_PER_HEARTBEAT = 10;

export const DEFAULT_HEARTBEAT_MS = 1000;
export const DEFAULT_ACTIVATE_TIMEOUT_MS = 10_000;

/** The topology is republished this often even when nothing changed, for members that missed one. */
export const TOPOLOGY_REPUBLISH_MS = 1000;

/** The timings with the protocol's defaults filled in. */
export function membershipTimings(given: Partial<MembershipTimings>): MembershipTimings {
  const heartbeatMs = given.heartbeatMs ?? DEFAULT_HEARTBEAT_MS;
  const deadAfterMs = given.deadAfterMs ?? LIVENESS_INTERVALS * heartbeatMs;
  return {
    heartbeatMs,
    deadAfterMs,
    activateTimeoutMs: given.activateTimeoutMs ?? DEFAULT_ACTIVATE_TIMEOUT_MS,
    // Every live member heartbeats, gets UNKNOWN and re-registers well within one liveness period.
    rebuildWindowMs: given.rebuildWindowMs ?? deadAfterMs,
  };
}
