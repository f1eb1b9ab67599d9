import type { StructuredLogger } from '@live-im/zmq-transport';

/** Structured logger the node cores write to (the transport's, which a pino logger fits). */
export type NodeLogger = StructuredLogger;
