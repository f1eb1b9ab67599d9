/** Version byte of every message's header frame. */
export const PROTOCOL_VERSION = 1;

/**
 * The second byte of the header frame. See docs/rpc-protocol.md for who sends what.
 */
export const Command = {
  REQUEST: 0x01,
  REPLY: 0x02,
  PING: 0x03,
  PONG: 0x04,
  READY: 0x05,
  DRAIN: 0x06,
  DRAIN_ACK: 0x07,
  DISCONNECT: 0x08,
  UNKNOWN_PEER: 0x09,
  STATS: 0x0a,
  STATS_REPLY: 0x0b,
  /** The broker is shutting down: send it nothing new; it answers what it holds, then goes. */
  CLOSING: 0x0c,
} as const;

export type Command = (typeof Command)[keyof typeof Command];

const KNOWN = new Set<number>(Object.values(Command));

export function isCommand(value: number): value is Command {
  return KNOWN.has(value);
}

/** Request flags (meta byte 8). */
export const RequestFlag = {
  IDEMPOTENT: 0x01,
  /** Fire-and-forget: the worker acknowledges to the broker, the caller gets nothing. */
  EVENT: 0x02,
} as const;

/** Reply status (reply meta byte 4). */
export const ReplyStatus = {
  /** Final; the body is the response value. */
  OK: 0,
  /** Final; the body is a JSON RpcErrorBody. */
  ERROR: 1,
  /** Not final; one value of a stream, more follow. */
  NEXT: 2,
  /** Final; the stream completed, the body is empty. */
  END: 3,
} as const;

export type ReplyStatus = (typeof ReplyStatus)[keyof typeof ReplyStatus];

/** Body codec (meta byte 9 of a request, byte 5 of a reply). */
export const CodecId = {
  JSON: 0,
  MSGPACK: 1,
} as const;

export type CodecId = (typeof CodecId)[keyof typeof CodecId];
