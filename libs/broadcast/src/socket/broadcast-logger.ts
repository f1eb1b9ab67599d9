import { SILENT_LOGGER, TransportLogger } from '@live-im/zmq-transport';

/** The part of a logger this library uses: the transport's (Nest's `Logger` and `console` fit). */
export type BroadcastLogger = TransportLogger;

/** For callers (mostly tests) that want the library quiet. */
export const SILENT_BROADCAST_LOGGER: BroadcastLogger = SILENT_LOGGER;
