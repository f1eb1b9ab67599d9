import { Clock } from '@live-im/bootstrap';
import {
  type Ack,
  type Actor,
  type ClientEventName,
  type ClientEventResults,
  ErrorCode,
  type JoinResult,
  RoomRpc,
  RpcError,
} from '@live-im/contracts';
import { newRequestId, RequestContext } from '@live-im/logging';
import { PresenceStore } from '@live-im/presence';
import { Inject, Injectable } from '@nestjs/common';
import { RoomReads } from '../cache/room-reads';
import { GATEWAY_CONFIG, type GatewayConfig } from '../config';
import { ReceiptService } from '../delivery/receipt-service';
import { WindowLimiter } from '../edge/window-limiter';
import { errorFields, GATEWAY_LOGGER, type GatewayLogger } from '../gateway.tokens';
import { GatewayMetrics } from '../metrics/gateway-metrics';
import { GatewayRpc } from '../rpc/gateway-rpc';
import {
  type ClientEventRequest,
  errorAck,
  failureEvent,
  isClientEvent,
  MISSING_ACK,
  okAck,
  parseClientEvent,
  splitInvocation,
  unknownEvent,
} from './client-events';
import { RoomMembership } from '../delivery/room-membership';
import type { SocketSession } from '../socket/socket-session';

/**
 * A handler resolves with its result, which the ack then carries. One that must act right after the
 * client has its answer (join: held batches follow the ack) acks early through `answer`.
 */
type Handlers = {
  [E in ClientEventName]: (
    session: SocketSession,
    request: ClientEventRequest<E>,
    answer: (result: ClientEventResults[E]) => void,
  ) => Promise<ClientEventResults[E]>;
};

/**
 * Every client event goes through the same steps: an ack callback is required (else a `failure`
 * event), the per-socket event rate, the size and schema of the payload, then its handler; the ack
 * carries `{ok: true, data}` or `{ok: false, error}` with the contract code (RPC errors pass
 * through). Nothing a client sends can throw out of here. Each event runs under a request id of
 * its own, which its RPCs carry.
 */
@Injectable()
export class ClientEventHandler {
  /** Per socket, per second: windows keyed by the session, swept by one timer each. */
  private readonly events: WindowLimiter<SocketSession>;
  private readonly joins: WindowLimiter<SocketSession>;
  private readonly handlers: Handlers;

  constructor(
    @Inject(GATEWAY_CONFIG) config: GatewayConfig,
    private readonly membership: RoomMembership,
    private readonly rpc: GatewayRpc,
    private readonly reads: RoomReads,
    private readonly presence: PresenceStore,
    private readonly receipts: ReceiptService,
    private readonly metrics: GatewayMetrics,
    private readonly clock: Clock,
    @Inject(GATEWAY_LOGGER) private readonly log: GatewayLogger,
  ) {
    this.events = new WindowLimiter(config.EVENTS_PER_SOCKET_PER_SEC);
    this.joins = new WindowLimiter(config.JOINS_PER_SOCKET_PER_SEC);
    // Chat is the flood: it may wait a moment for company on its way to the broker. Gifts never do.
    const chatOptions = { coalesceMs: config.CHAT_COALESCE_MS };
    this.handlers = {
      join: (session, request, answer) => this.join(session, request, answer),
      leave: (session, request) => this.membership.leave(session, request.roomId),
      chat: (session, request) =>
        this.rpc.call(
          RoomRpc.chat,
          {
            roomId: request.roomId,
            sender: this.sender(session, request.roomId),
            text: request.text,
            clientMsgId: request.clientMsgId,
          },
          chatOptions,
        ),
      gift: (session, request) =>
        this.rpc.call(RoomRpc.gift, {
          roomId: request.roomId,
          sender: this.sender(session, request.roomId),
          giftId: request.giftId,
          count: request.count,
          clientMsgId: request.clientMsgId,
        }),
      like: (session, request) =>
        this.rpc.call(RoomRpc.like, {
          roomId: request.roomId,
          sender: this.sender(session, request.roomId),
          count: request.count,
        }),
      history: (session, request) => {
        this.requireJoined(session, request.roomId);
        return this.reads.history(request);
      },
      onlineList: (session, request) => {
        this.requireJoined(session, request.roomId);
        return this.presence.members(request.roomId, request.cursor, this.clock.now());
      },
      ack: (session, request) => {
        this.receipts.ack(request.messageId, session.userId);
        return Promise.resolve({ messageId: request.messageId });
      },
    };
  }

  /** One incoming event, as Socket.IO's `onAny` hands it over. */
  handle(session: SocketSession, event: string, args: readonly unknown[]): void {
    const { payload, ack } = splitInvocation(args);
    if (!isClientEvent(event)) {
      this.metrics.event('unknown', ErrorCode.INVALID_ARGUMENT);
      this.metrics.eventRefused(ack ? 'unknown_event' : 'unknown_event_without_ack');
      const error = unknownEvent(event);
      if (ack) ack(errorAck(error));
      else session.socket.emit('failure', failureEvent(event.slice(0, 64), error));
      return;
    }
    if (!ack) {
      // Not processed: without a callback the client could never learn the outcome.
      this.metrics.event(event, ErrorCode.INVALID_ARGUMENT);
      this.metrics.eventRefused('missing_ack');
      session.socket.emit('failure', failureEvent(event, MISSING_ACK));
      return;
    }
    RequestContext.run(newRequestId(), () => {
      let answered = false;
      const answer = (reply: Ack<unknown>): void => {
        if (answered) {
          if (!reply.ok) this.log.warn({ event, code: reply.error.code }, 'failed after its ack was sent');
          return;
        }
        answered = true;
        this.metrics.event(event, reply.ok ? 'OK' : reply.error.code);
        try {
          ack(reply);
        } catch (error) {
          this.log.warn({ ...errorFields(error), event }, 'ack callback failed');
        }
      };
      void this.run(session, event, payload, answer).then(answer);
    });
  }

  /** A socket is gone: its rate-limit counters go with it. */
  forget(session: SocketSession): void {
    this.events.forget(session);
    this.joins.forget(session);
  }

  private async run<E extends ClientEventName>(
    session: SocketSession,
    event: E,
    payload: unknown,
    answer: (reply: Ack<unknown>) => void,
  ): Promise<Ack<unknown>> {
    try {
      this.events.take(session, 'events on this connection');
      const request = parseClientEvent(event, payload);
      const handler = this.handlers[event] as (
        session: SocketSession,
        request: ClientEventRequest<E>,
        answer: (result: ClientEventResults[E]) => void,
      ) => Promise<ClientEventResults[E]>;
      return okAck(await handler(session, request, (result) => answer(okAck(result))));
    } catch (error) {
      if (!(error instanceof RpcError))
        this.log.error({ ...errorFields(error), event, socketId: session.id }, 'client event failed');
      return errorAck(error);
    }
  }

  private async join(
    session: SocketSession,
    request: ClientEventRequest<'join'>,
    answer: (result: JoinResult) => void,
  ) {
    this.joins.take(session, 'joins on this connection');
    return this.membership.join(session, request, answer);
  }

  /** The verified identity a send carries; guests and anonymous viewers watch only, and so does an expired token. */
  private sender(session: SocketSession, roomId: string): Actor {
    if (session.actor.role === 'guest')
      throw new RpcError(ErrorCode.FORBIDDEN, 'guests may watch but not send; sign in to take part');
    if (session.expiresAt !== null && session.expiresAt <= this.clock.now()) {
      throw new RpcError(
        ErrorCode.UNAUTHENTICATED,
        'the session token expired; reconnect with a fresh one to send',
      );
    }
    this.requireJoined(session, roomId);
    return session.actor;
  }

  private requireJoined(session: SocketSession, roomId: string): void {
    if (!session.isJoined(roomId)) throw new RpcError(ErrorCode.FORBIDDEN, `join ${roomId} first`);
  }
}
