import { z } from 'zod';
import { BackoffOptions } from './backoff';

/** What `connect` accepts; validated once, so a wrong option fails at once with INVALID_ARGUMENT. */
export const ConnectOptions = z
  .object({
    /** One gateway, or several: reconnects rotate through them. */
    url: z.union([z.string().min(1).max(2048), z.array(z.string().min(1).max(2048)).min(1).max(64)]),
    /** A user or guest session token (`auth`); none = anonymous viewer (watch only). */
    token: z.string().min(1).max(4096).optional(),
    /** Default ['websocket', 'polling']: WebSocket first, long-polling where it cannot pass. */
    transports: z
      .array(z.enum(['websocket', 'polling']))
      .min(1)
      .max(2)
      .default(['websocket', 'polling']),
    reconnect: BackoffOptions.prefault({}),
    /** Deadline of every request (and of the handshake); past it DEADLINE_EXCEEDED. */
    requestTimeoutMs: z.number().int().min(100).max(600_000).default(10_000),
    /** Retries of a request after a transient failure (same clientMsgId for sends). */
    sendRetries: z.number().int().min(0).max(10).default(3),
  })
  .strict();

export type ConnectOptionsInput = z.input<typeof ConnectOptions>;
export type ResolvedConnectOptions = z.output<typeof ConnectOptions>;
