/** Why an inbound message was dropped. */
export type MalformedReason = 'frames' | 'header' | 'direction' | 'json' | 'body';

/** What the node manager has counted since it started; read by /cluster and /metrics. */
export interface ManagerCounters {
  /** REGISTER accepted, retries and replacements included. */
  registrations: number;
  /** REGISTER of a known id over a new routing id: the old entry was replaced. */
  replacements: number;
  heartbeats: number;
  drains: number;
  topologyRequests: number;
  /** UNKNOWN replies: a heartbeat or drain from an id (or socket) the manager does not know. */
  unknownReplies: number;
  /** Joining nodes made active because every member that must listen to them does. */
  activatedConnected: number;
  /** Joining nodes made active by ACTIVATE_TIMEOUT_MS while some member still did not list them. */
  activatedTimeout: number;
  /** Members judged dead after DEAD_AFTER_MS of silence. */
  deaths: number;
  /** Sweeps that came too late to judge anyone (the manager itself was stalled). */
  lateSweeps: number;
  topologyPublished: number;
  /** Replies the ROUTER could not hand to their member (it had gone). */
  undeliverable: number;
  malformed: Record<MalformedReason, number>;
}

export function newCounters(): ManagerCounters {
  return {
    registrations: 0,
    replacements: 0,
    heartbeats: 0,
    drains: 0,
    topologyRequests: 0,
    unknownReplies: 0,
    activatedConnected: 0,
    activatedTimeout: 0,
    deaths: 0,
    lateSweeps: 0,
    topologyPublished: 0,
    undeliverable: 0,
    malformed: { frames: 0, header: 0, direction: 0, json: 0, body: 0 },
  };
}
