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
  BrokerWorkerStats as WorkerStats,
} from '@live-im/zmq-transport';
