import type { ServerToClientEvents } from '@live-im/contracts';
import { Injectable } from '@nestjs/common';
import { GatewayMetrics } from '../metrics/gateway-metrics';
import { backlogBytes, directSocketOf, dropTransport } from './engine-internals';
import type { FrameSet } from './event-frames';
import type { SocketSession } from './socket-session';
import { SocketServerHost } from './socket-server.host';

/** socket.io's emit with the event name and arguments as plain values (they come from an OutEvent). */
interface UntypedEmitter {
  emit(event: string, ...args: readonly unknown[]): boolean;
}

/**
 * Every write to a client goes through here: the delivery paths say what goes to which socket,
 * this class how. A room-wide write (a FrameSet, its bytes built once per gateway) goes to a
 * websocket as one write of the shared buffer to its TCP socket whenever engine.io's state allows
 * it (engine-internals.ts), and through socket.io's emit otherwise (long-polling, upgrading, or
 * packets of engine.io's own still queued), so that order always holds.
 */
@Injectable()
export class SocketWriter {
  constructor(
    private readonly host: SocketServerHost,
    private readonly metrics: GatewayMetrics,
  ) {}

  /** The set's events to one socket, in order: one write call when it can go direct. */
  send(session: SocketSession, set: FrameSet): void {
    const raw = directSocketOf(session.socket);
    if (raw !== undefined) {
      raw.write(set.buffer);
      this.metrics.socketWrites('direct', 1);
      return;
    }
    const socket = session.socket as unknown as UntypedEmitter;
    for (const event of set.events) socket.emit(event.event, ...event.args);
    this.metrics.socketWrites('emit', set.events.length);
  }

  /** One event to a few sockets (targeted messages, receipts, kicks): socket.io encodes it once. */
  emitTo<E extends keyof ServerToClientEvents>(
    sessions: readonly SocketSession[],
    event: E,
    ...args: Parameters<ServerToClientEvents[E]>
  ): void {
    if (sessions.length === 0) return;
    const ids = sessions.map((session) => session.id);
    (this.host.io.to(ids) as unknown as UntypedEmitter).emit(event, ...args);
    this.metrics.socketWrites('emit', ids.length);
  }

  /** Bytes written to the socket that its kernel send buffer has not taken yet. */
  backlog(session: SocketSession): number {
    return backlogBytes(session.socket);
  }

  /** Cuts the connection at the transport: the client reconnects and resumes by itself. */
  disconnect(session: SocketSession): void {
    dropTransport(session.socket);
  }
}
