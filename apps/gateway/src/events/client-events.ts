import {
  type Ack,
  CLIENT_EVENTS,
  type ClientEventName,
  ClientEventSchemas,
  ErrorCode,
  type FailureEvent,
  jsonBytes,
  MAX_EVENT_BYTES,
  parseOrThrow,
  RpcError,
} from '@live-im/contracts';
import type { z } from 'zod';

/** A validated client event payload (defaults applied). */
export type ClientEventRequest<E extends ClientEventName> = z.output<(typeof ClientEventSchemas)[E]>;

export type AckCallback = (reply: Ack<unknown>) => void;

/** One incoming event as Socket.IO hands it over: the payload, and the ack callback when the client sent one. */
export interface ClientInvocation {
  payload: unknown;
  ack: AckCallback | undefined;
}

const KNOWN_EVENTS: ReadonlySet<string> = new Set(CLIENT_EVENTS);

export function isClientEvent(event: string): event is ClientEventName {
  return KNOWN_EVENTS.has(event);
}

/** Socket.IO passes the ack callback as the last argument; the payload is the first one. */
export function splitInvocation(args: readonly unknown[]): ClientInvocation {
  const last = args[args.length - 1];
  if (typeof last === 'function') {
    return { payload: args.length > 1 ? args[0] : undefined, ack: last as AckCallback };
  }
  return { payload: args[0], ack: undefined };
}

/**
 * Checks one payload against its event's schema, size first: PAYLOAD_TOO_LARGE past
 * MAX_EVENT_BYTES of JSON, else INVALID_ARGUMENT naming the offending field.
 */
export function parseClientEvent<E extends ClientEventName>(
  event: E,
  payload: unknown,
): ClientEventRequest<E> {
  let bytes: number;
  try {
    bytes = jsonBytes(payload ?? null);
  } catch {
    throw new RpcError(ErrorCode.INVALID_ARGUMENT, 'payload is not JSON');
  }
  if (bytes > MAX_EVENT_BYTES) {
    throw new RpcError(
      ErrorCode.PAYLOAD_TOO_LARGE,
      `${event} payload is ${bytes} bytes; at most ${MAX_EVENT_BYTES}`,
      {
        bytes,
        limit: MAX_EVENT_BYTES,
      },
    );
  }
  return parseOrThrow(ClientEventSchemas[event], payload) as ClientEventRequest<E>;
}

export function okAck<T>(data: T): Ack<T> {
  return { ok: true, data };
}

/** Any failure as an ack: contract errors keep their code, anything else is INTERNAL without detail. */
export function errorAck(error: unknown): Ack<never> {
  return { ok: false, error: RpcError.from(error).toBody() };
}

/** The `failure` event for an event the client sent without an ack callback, or one it cannot be told through an ack. */
export function failureEvent(event: string | null, error: unknown): FailureEvent {
  return { event, ...RpcError.from(error).toBody() };
}

export const MISSING_ACK = new RpcError(
  ErrorCode.INVALID_ARGUMENT,
  'every client event needs an acknowledgement callback; the event was not processed',
);

export function unknownEvent(event: string): RpcError {
  return new RpcError(ErrorCode.INVALID_ARGUMENT, `unknown event "${event.slice(0, 64)}"`, {
    events: CLIENT_EVENTS,
  });
}
