import type { BusAuthCount } from '../zap/zap-metrics';
/** One worker as a broker's STATS_REPLY describes it. */
export interface BrokerWorkerStats {
  instance: string;
  version: string;
  capacity: number;
  inFlight: number;
  /** Requests it answered since it announced READY. */
  served: number;
  draining: boolean;
  lastSeenMsAgo: number;
}

/** One service as a broker's STATS_REPLY describes it. */
export interface BrokerServiceStats {
  workers: BrokerWorkerStats[];
  queued: number;
}

/**
 * The broker's counters in STATS_REPLY: every `rpc_broker_*_total` counter of its /metrics, named
 * in camelCase without prefix and suffix (`worker_lost_total` → `workerLost`); a labelled counter
 * also appears once per label value (`malformed_total{socket="frontend"}` → `malformedFrontend`).
 */
export interface BrokerStatsCounters {
  /** Request pairs received from clients (well-formed). */
  requests: number;
  /** Reply pairs received from workers for requests they hold. */
  replies: number;
  /** Requests handed to a worker, re-dispatches included. */
  dispatched: number;
  /** Dispatches of a request whose worker died. */
  redispatched: number;
  /** Malformed messages dropped, both sockets. */
  malformed: number;
  malformedFrontend: number;
  malformedBackend: number;
  /** Peer connections dropped (a frame over the socket's message limit, or a peer gone), both sockets. */
  peerDisconnects: number;
  peerDisconnectsFrontend: number;
  peerDisconnectsBackend: number;
  /** Requests answered OVERLOADED. */
  overloaded: number;
  /** Requests answered DEADLINE_EXCEEDED by the broker. */
  expired: number;
  /** Requests answered WORKER_LOST. */
  workerLost: number;
  /** Requests answered SERVICE_UNAVAILABLE. */
  serviceUnavailable: number;
  /** Requests answered PAYLOAD_TOO_LARGE. */
  tooLarge: number;
  /** Non-idempotent EVENT requests lost with their dead worker. */
  eventsLost: number;
  /** Replies from a worker for requests it no longer held. */
  staleReplies: number;
  /** Queued requests dropped with their forgotten client. */
  droppedForDeadClient: number;
  /** Replies the frontend could not hand to their client (gone, or its send buffer full). */
  undeliverableReplies: number;
}

/** The JSON body of STATS_REPLY (docs/rpc-protocol.md): written by the broker, read by callers. */
export interface BrokerStats {
  brokerId: string;
  uptimeMs: number;
  services: Record<string, BrokerServiceStats>;
  /** Clients the broker knows (rpc_broker_clients). */
  clients: number;
  /** Requests held by workers (rpc_broker_in_flight). */
  inFlight: number;
  /** Bytes of request bodies waiting in queues (rpc_broker_queued_bytes). */
  queuedBytes: number;
  counters: BrokerStatsCounters;
  /** Bus peers admitted or refused, per server role and reason (bus_peer_auth_total). */
  busAuth: BusAuthCount[];
}
