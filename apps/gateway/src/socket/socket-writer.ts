import type { ServerToClientEvents } from '@live-im/contracts';
import { Injectable } from '@nestjs/common';
import { GatewayMetrics } from '../metrics/gateway-metrics';
import { type DirectProbe, directSocketOf, dropTransport, probeDirect } from './engine-internals';
import type { FrameSet } from './event-frames';
import type { SocketSession } from './socket-session';
import { SocketServerHost } from './socket-server.host';

/**
 * A room-wide write, built once per pass for all its sockets: what a socket gets depends on how
 * many bytes it is behind (the thresholds are the delivery layer's policy; Infinity: never).
 */
export interface SharedWrite {
  /** Everything the pass holds. */
  all: FrameSet;
  /**
   * All but the normal batches, for a socket behind by more than `skipNormalAbove` bytes, its
   * kernel's send queue counted once full (may hold no event).
   */
  withoutNormal: FrameSet;
  skipNormalAbove: number;
  /**
   * A socket for which the gateway holds more than this (beyond what its kernel queues) is cut off
   * instead (the client resumes by itself).
   */
  cutAbove: number;
}

/** What `writeShared` did with one socket. */
export const SharedOutcome = { All: 0, WithoutNormal: 1, Cut: 2 } as const;
export type SharedOutcome = (typeof SharedOutcome)[keyof typeof SharedOutcome];

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
  /** writeShared's look at a socket's engine state, reused so the hot loop allocates nothing. */
  private readonly probe: DirectProbe = { raw: undefined, kernelFull: false };
  private directWrites = 0;

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
    this.emit(session, set);
  }

  private emit(session: SocketSession, set: FrameSet): void {
    const socket = session.socket as unknown as UntypedEmitter;
    for (const event of set.events) socket.emit(event.event, ...event.args);
    this.metrics.socketWrites('emit', set.events.length);
  }

  /**
   * One socket's share of a room-wide write: engine.io's state is read once for both the backlog
   * and the direct write, and the set picked by the backlog leaves as one write. A socket whose
   * kernel refused part of an earlier write is behind by its full send queue as well (the bound),
   * so it gets no normal batches until it drained: it is not handed more bytes for libuv to push
   * in pieces as its client reads. The caller counts the outcomes, and calls countSharedWrites,
   * per slice rather than per socket.
   */
  writeShared(session: SocketSession, write: SharedWrite): SharedOutcome {
    const held = probeDirect(session.socket, this.probe);
    const { raw, kernelFull } = this.probe;
    this.probe.raw = undefined;
    if (held > write.cutAbove) {
      dropTransport(session.socket);
      return SharedOutcome.Cut;
    }
    const behind = kernelFull ? held + this.host.sendBufferBound : held;
    const skip = behind > write.skipNormalAbove;
    const set = skip ? write.withoutNormal : write.all;
    if (set.events.length > 0) {
      if (raw !== undefined) {
        raw.write(set.buffer);
        this.directWrites += 1;
      } else this.emit(session, set);
    }
    return skip ? SharedOutcome.WithoutNormal : SharedOutcome.All;
  }

  /** Counts the direct writes writeShared made since the last call (once per slice, not per socket). */
  countSharedWrites(): void {
    if (this.directWrites === 0) return;
    this.metrics.socketWrites('direct', this.directWrites);
    this.directWrites = 0;
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
}
