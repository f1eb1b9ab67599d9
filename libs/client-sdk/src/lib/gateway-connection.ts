import {
  type ClientEventName,
  type ClientEventPayload,
  type ClientEventResults,
  type ClientToServerEvents,
  ErrorCode,
  HistoryResult,
  isRpcErrorBody,
  JoinResult,
  OnlineListPage,
  SendResult,
  type ServerToClientEvents,
} from '@live-im/contracts';
import type { Socket } from 'socket.io-client';
import { z } from 'zod';
import { LiveError } from './live-error';

export type GatewaySocket = Socket<ServerToClientEvents, ClientToServerEvents>;

/** What each client event's ack must carry on success: the answer is validated before use. */
const RESULT_SCHEMAS: { [E in ClientEventName]: z.ZodType<ClientEventResults[E]> } = {
  join: JoinResult,
  leave: z.object({ roomId: z.string() }),
  chat: SendResult,
  gift: SendResult,
  like: z.object({ accepted: z.number().int().min(0) }),
  history: HistoryResult,
  onlineList: OnlineListPage,
  ack: z.object({ messageId: z.string() }),
};

/** Socket.IO's emit with an ack callback, without the per-event typing (the payloads are checked by the caller). */
type EmitWithAck = (event: string, payload: unknown, ack: (reply: unknown) => void) => unknown;

/**
 * One live Socket.IO connection to one gateway, from its `connect` to its `disconnect`: requests
 * with acks as values (validated), a client-side deadline per request (DEADLINE_EXCEEDED), and
 * every request in flight failed as "connection lost" when it drops.
 */
export class GatewayConnection {
  private readonly inFlight = new Set<(error: LiveError) => void>();
  private lostWith: LiveError | undefined;

  constructor(
    readonly id: number,
    readonly url: string,
    private readonly socket: GatewaySocket,
  ) {}

  get open(): boolean {
    return this.lostWith === undefined && this.socket.connected;
  }

  request<E extends ClientEventName>(
    event: E,
    payload: ClientEventPayload<E>,
    timeoutMs: number,
  ): Promise<ClientEventResults[E]> {
    if (!this.open) {
      return Promise.reject(
        new LiveError(ErrorCode.SERVICE_UNAVAILABLE, `not connected: ${event} was not sent`, {
          notSent: true,
        }),
      );
    }
    return new Promise<ClientEventResults[E]>((resolve, reject) => {
      let done = false;
      const finish = (error: LiveError | undefined, value?: ClientEventResults[E]): void => {
        if (done) return;
        done = true;
        clearTimeout(timer);
        this.inFlight.delete(onLost);
        if (error === undefined) resolve(value as ClientEventResults[E]);
        else reject(error);
      };
      const onLost = (error: LiveError): void => finish(error);
      const timer = setTimeout(
        () =>
          finish(
            new LiveError(ErrorCode.DEADLINE_EXCEEDED, `no answer to ${event} within ${timeoutMs} ms`, {
              event,
              timeoutMs,
            }),
          ),
        timeoutMs,
      );
      this.inFlight.add(onLost);
      const emit = this.socket.emit.bind(this.socket) as unknown as EmitWithAck;
      emit(event, payload, (reply: unknown) => {
        try {
          finish(undefined, answerOf(event, reply));
        } catch (error) {
          finish(LiveError.from(error));
        }
      });
    });
  }

  /** The connection dropped (or the client closed it): every request in flight fails with `error`. */
  lost(error: LiveError): void {
    if (this.lostWith !== undefined) return;
    this.lostWith = error;
    for (const fail of [...this.inFlight]) fail(error);
    this.inFlight.clear();
  }
}

/** An ack as a value: the validated result, or the LiveError it carried. */
export function answerOf<E extends ClientEventName>(event: E, reply: unknown): ClientEventResults[E] {
  if (typeof reply === 'object' && reply !== null) {
    const ack = reply as { ok?: unknown; data?: unknown; error?: unknown };
    if (ack.ok === true) {
      const parsed = RESULT_SCHEMAS[event].safeParse(ack.data);
      if (parsed.success) return parsed.data;
      throw new LiveError(ErrorCode.INTERNAL, `the gateway's ${event} answer does not match the contract`, {
        event,
        issue: parsed.error.issues[0]?.message,
      });
    }
    if (ack.ok === false && isRpcErrorBody(ack.error)) throw LiveError.fromBody(ack.error);
  }
  throw new LiveError(ErrorCode.INTERNAL, `malformed ${event} answer from the gateway`, { event });
}
