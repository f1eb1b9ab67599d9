import type { BrokerStatsCounters } from '@live-im/zmq-transport';

/** Monotonic event counts of one broker since it started. */
export class BrokerCounters {
  /** Request pairs received from clients (well-formed). */
  requests = 0;
  /** Reply pairs received from workers for requests they hold. */
  replies = 0;
  /** Requests handed to a worker, re-dispatches included. */
  dispatched = 0;
  /** Dispatches of a request that had been handed to a worker that died. */
  redispatched = 0;
  malformedFrontend = 0;
  malformedBackend = 0;
  /** Peer connections dropped per socket: libzmq cuts a peer sending a frame over the limit. */
  peerDisconnectsFrontend = 0;
  peerDisconnectsBackend = 0;
  overloaded = 0;
  /** Requests answered DEADLINE_EXCEEDED by the broker. */
  expired = 0;
  workerLost = 0;
  serviceUnavailable = 0;
  tooLarge = 0;
  /** Non-idempotent EVENT requests held by a worker that died: no one to tell, so just counted. */
  eventsLost = 0;
  /** Replies from a worker for a request it no longer holds (late after its death, or bogus ids). */
  staleReplies = 0;
  /** Queued requests dropped because their client went silent. */
  droppedForDeadClient = 0;
  /** Replies that the frontend could not deliver (client gone, or its send buffer full). */
  undeliverable = 0;
}

/** The STATS_REPLY shapes live with the protocol, shared by the broker and its callers. */
export type {
  BrokerServiceStats as ServiceStats,
  BrokerStats,
  BrokerStatsCounters,
  BrokerWorkerStats as WorkerStats,
} from '@live-im/zmq-transport';

/** One unlabelled count as STATS_REPLY and /metrics (`rpc_broker_<metric>`) both show it. */
export interface CounterView {
  field: keyof BrokerCounters;
  stats: Exclude<
    keyof BrokerStatsCounters,
    | 'malformed'
    | 'malformedFrontend'
    | 'malformedBackend'
    | 'peerDisconnects'
    | 'peerDisconnectsFrontend'
    | 'peerDisconnectsBackend'
  >;
  metric: string;
  help: string;
}

/**
 * The one list both views are built from, so STATS_REPLY carries every counter /metrics has.
 * Malformed messages and peer disconnects, counted per socket, are added by each view beside these.
 */
export const COUNTER_VIEWS: readonly CounterView[] = [
  {
    field: 'requests',
    stats: 'requests',
    metric: 'requests_total',
    help: 'Request pairs received from clients',
  },
  { field: 'replies', stats: 'replies', metric: 'replies_total', help: 'Reply pairs received from workers' },
  {
    field: 'dispatched',
    stats: 'dispatched',
    metric: 'dispatched_total',
    help: 'Requests handed to a worker, re-dispatches included',
  },
  {
    field: 'redispatched',
    stats: 'redispatched',
    metric: 'redispatched_total',
    help: 'Requests re-dispatched after their worker died',
  },
  {
    field: 'overloaded',
    stats: 'overloaded',
    metric: 'overloaded_total',
    help: 'Requests refused with OVERLOADED',
  },
  {
    field: 'expired',
    stats: 'expired',
    metric: 'expired_total',
    help: 'Requests answered DEADLINE_EXCEEDED by the broker',
  },
  {
    field: 'workerLost',
    stats: 'workerLost',
    metric: 'worker_lost_total',
    help: 'Requests answered WORKER_LOST',
  },
  {
    field: 'serviceUnavailable',
    stats: 'serviceUnavailable',
    metric: 'service_unavailable_total',
    help: 'Requests answered SERVICE_UNAVAILABLE',
  },
  {
    field: 'tooLarge',
    stats: 'tooLarge',
    metric: 'too_large_total',
    help: 'Requests answered PAYLOAD_TOO_LARGE',
  },
  {
    field: 'eventsLost',
    stats: 'eventsLost',
    metric: 'events_lost_total',
    help: 'Non-idempotent events dropped with their dead worker',
  },
  {
    field: 'staleReplies',
    stats: 'staleReplies',
    metric: 'stale_replies_total',
    help: 'Replies for requests the worker no longer held',
  },
  {
    field: 'droppedForDeadClient',
    stats: 'droppedForDeadClient',
    metric: 'dropped_for_dead_client_total',
    help: 'Queued requests dropped with their forgotten client',
  },
  {
    field: 'undeliverable',
    stats: 'undeliverableReplies',
    metric: 'undeliverable_replies_total',
    help: 'Replies the frontend could not hand to their client',
  },
];

/** The `counters` object of STATS_REPLY. */
export function statsCounters(counters: Readonly<BrokerCounters>): BrokerStatsCounters {
  const out = {
    malformed: counters.malformedFrontend + counters.malformedBackend,
    malformedFrontend: counters.malformedFrontend,
    malformedBackend: counters.malformedBackend,
    peerDisconnects: counters.peerDisconnectsFrontend + counters.peerDisconnectsBackend,
    peerDisconnectsFrontend: counters.peerDisconnectsFrontend,
    peerDisconnectsBackend: counters.peerDisconnectsBackend,
  } as BrokerStatsCounters;
  for (const view of COUNTER_VIEWS) out[view.stats] = counters[view.field];
  return out;
}
