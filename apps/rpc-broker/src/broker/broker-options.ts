import type { StructuredLogger } from '@live-im/zmq-transport';

/** Structured logger the broker writes to (the transport's, which a pino logger fits). */
export type BrokerLogger = StructuredLogger;

/** Optional observers for metrics; called on the hot path, so keep them cheap. */
export interface BrokerHooks {
  /** A request left the broker for a worker after waiting `residenceMs` since it arrived. */
  onDispatch?(residenceMs: number): void;
}

/** The limits that shape dispatch, with the protocol's defaults. */
export interface DispatchLimits {
  heartbeatMs: number;
  serviceGraceMs: number;
  maxQueue: number;
  maxQueuedBytes: number;
  maxBodyBytes: number;
}

export const DEFAULT_LIMITS: DispatchLimits = {
  heartbeatMs: 1000,
  serviceGraceMs: 1000,
  maxQueue: 10_000,
  maxQueuedBytes: 64 * 1024 * 1024,
  maxBodyBytes: 1024 * 1024,
};

/** A peer silent for this many heartbeat intervals is dead. */
export const LIVENESS_INTERVALS = 3;

/** How often queued requests are checked for passed deadlines and grace periods. */
export const DEADLINE_SWEEP_MS = 50;
