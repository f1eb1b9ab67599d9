import { Clock } from '@live-im/bootstrap';
import { RoomSubscriber } from '@live-im/broadcast';
import { ErrorCode, type JoinResult, type OnlineInfo, RpcError, userChannel } from '@live-im/contracts';
import { PresenceStore, PresenceTracker } from '@live-im/presence';
import { Inject, Injectable } from '@nestjs/common';
import { RoomFeed } from '../cache/room-feed';
import { RoomReads } from '../cache/room-reads';
import { GATEWAY_CONFIG, type GatewayConfig } from '../config';
import type { ClientEventRequest } from '../events/client-events';
import { GatewayMetrics } from '../metrics/gateway-metrics';
import type { TextBatch } from '../socket/batch-event';
import { FrameSet } from '../socket/event-frames';
import { SessionRegistry } from '../socket/session-registry';
import type { RoomEntry, SocketSession } from '../socket/socket-session';
import { SocketWriter } from '../socket/socket-writer';
import { batchEvent } from './batch-envelopes';
import { unansweredPart } from './join-catch-up';

/** Batches held per joining socket while room.join is answered (a few at most in practice). */
const MAX_HELD_BATCHES = 256;

/**
 * A socket's way into and out of rooms, keeping three books in step: the broadcast subscription
 * (reference counted per socket in room), room-service's admission and the registry's room index
 * that passes are written to, and presence. Joining subscribes first and holds the room's batches
 * until room.join answers. Then, in one synchronous step: the join's ack goes out (`onAdmitted`),
 * the held batches follow it (only what lies past the answer's `seqs`), and the socket enters the
 * room's live fan-out (BatchFanout skips what the answer already covered; it snapshots a room's
 * sockets when it starts a batch, and a socket still joining then gets that batch through `hold`).
 * A client therefore sees the ack first, then batches continuing from its `seqs`: a joining or
 * resuming client misses nothing and gets nothing twice (docs/socket-protocol.md, "Ordering").
 */

@Injectable()
export class RoomMembership {
  /** Online reads under way, per room: a burst of joins costs one. */
  private readonly onlineReads = new Map<string, Promise<OnlineInfo>>();

  constructor(
    @Inject(GATEWAY_CONFIG) private readonly config: GatewayConfig,
    private readonly subscriber: RoomSubscriber,
    private readonly tracker: PresenceTracker,
    private readonly store: PresenceStore,
    private readonly registry: SessionRegistry,
    private readonly clock: Clock,
    private readonly metrics: GatewayMetrics,
    private readonly writer: SocketWriter,
    private readonly reads: RoomReads,
    private readonly feed: RoomFeed,
  ) {}

  /** A new socket: registered, and listening to its user's channel (kicks, receipts, targeted pushes). */
  open(session: SocketSession): void {
    this.registry.add(session);
    this.subscriber.join(userChannel(session.userId));
  }

  /** A socket went away: it leaves every room, joined or joining, and its user channel. */
  close(session: SocketSession): void {
    for (const [roomId, entry] of [...session.rooms]) this.release(session, roomId, entry);
    this.subscriber.leave(userChannel(session.userId));
    this.registry.remove(session);
  }

  /**
   * Joins (or re-joins) a room. `onAdmitted` is called with the answer once the socket is admitted,
   * before any held batch is written: the caller acks the client there, so the ack leads.
   */
  async join(
    session: SocketSession,
    request: ClientEventRequest<'join'>,
    onAdmitted: (result: JoinResult) => void,
  ): Promise<JoinResult> {
    const { roomId } = request;
    let entry = session.rooms.get(roomId);
    if (entry?.state === 'joining') {
      // A second join while the first is in flight answers after it, as a re-join.
      await entry.settled;
      entry = session.rooms.get(roomId);
    }
    if (entry?.state === 'joined') {
      // Live batches already flow to it, so nothing is held; the client drops what it has seen by seq.
      const result = await this.admit(session, request);
      onAdmitted(result);
      return result;
    }
    if (session.rooms.size >= this.config.MAX_ROOMS_PER_SOCKET) {
      throw new RpcError(
        ErrorCode.FORBIDDEN,
        `a connection may be in at most ${this.config.MAX_ROOMS_PER_SOCKET} rooms; leave one first`,
        {
          maxRooms: this.config.MAX_ROOMS_PER_SOCKET,
        },
      );
    }

    let settle: () => void = () => undefined;
    const joining: RoomEntry = {
      state: 'joining',
      settled: new Promise<void>((resolve) => (settle = resolve)),
      held: [],
      // Declared now, set once admitted: a field added later would cost an out-of-object property store per socket.
      answeredThrough: undefined,
    };
    // Subscribed before admission, so every batch after the seqs room.join returns reaches this
    // gateway. A bad room id throws here, with nothing to undo yet. The subscriber's copy of the id
    // is the one kept per socket: one string per room, not one per viewer.
    session.rooms.set(this.subscriber.join(roomId), joining);
    this.registry.startJoining(roomId, session);
    try {
      const result = await this.admit(session, request);
      if (session.rooms.get(roomId) !== joining || !session.connected) {
        // Left or disconnected meanwhile: whoever removed the entry released the subscription.
        throw new RpcError(ErrorCode.FORBIDDEN, `left ${roomId} while joining it`);
      }
      joining.state = 'joined';
      joining.answeredThrough = { normal: result.seqs.normal, important: result.seqs.important };
      const held = joining.held ?? [];
      joining.held = undefined;
      // Ack, held batches, live fan-out: all in this one synchronous step, so nothing interleaves.
      onAdmitted(result);
      for (const batch of held) this.replay(session, joining, batch);
      this.registry.enterRoom(roomId, session);
      this.tracker.join(roomId, session.id, { userId: session.userId, nickname: session.actor.nickname });
      return result;
    } catch (error) {
      if (session.rooms.get(roomId) === joining) this.release(session, roomId, joining);
      throw error;
    } finally {
      this.registry.stopJoining(roomId, session);
      joining.held = undefined;
      joining.settled = undefined;
      settle();
    }
  }

  /** A batch of a room some sockets are still joining: held for them, up to a bound. */
  hold(batch: TextBatch): void {
    for (const session of this.registry.joiningSessions(batch.roomId)) {
      const held = session.rooms.get(batch.roomId)?.held;
      // Past the bound the oldest go: the client sees the gap and pulls it with history.
      if (held === undefined) continue;
      if (held.length >= MAX_HELD_BATCHES) held.shift();
      held.push(batch);
    }
  }

  private replay(session: SocketSession, entry: RoomEntry, batch: TextBatch): void {
    const part = unansweredPart(entry, batch);
    if (part === 'none') return;
    const send = part === 'all' ? batch : part;
    this.writer.send(session, new FrameSet([batchEvent(send)]));
    this.metrics.batchWrites(send.lane, 1);
  }

  /** The client leaves a room; leaving a room it is not in is not an error. */
  async leave(session: SocketSession, roomId: string): Promise<{ roomId: string }> {
    let entry = session.rooms.get(roomId);
    if (entry?.state === 'joining') {
      await entry.settled;
      entry = session.rooms.get(roomId);
    }
    if (entry !== undefined) this.release(session, roomId, entry);
    return { roomId };
  }

  /** The gateway takes a socket out of a room (kick, room closed). Returns false when it was not in it. */
  evict(session: SocketSession, roomId: string): boolean {
    const entry = session.rooms.get(roomId);
    if (entry?.state !== 'joined') return false;
    this.release(session, roomId, entry);
    return true;
  }

  private async admit(session: SocketSession, request: ClientEventRequest<'join'>): Promise<JoinResult> {
    const [admission, online] = await Promise.all([
      this.reads.join(request.roomId, session.userId, request.resume),
      this.onlineOf(request.roomId),
    ]);
    return {
      room: admission.room,
      online,
      seqs: admission.seqs,
      recent: admission.recent,
      missed: admission.missed,
    };
  }

  /**
   * The room's last total from its state (once a second through the broadcast cluster); read from
   * Redis only for a room no state has reached this gateway for yet (its first local members, who
   * share one read).
   */
  private onlineOf(roomId: string): Promise<OnlineInfo> {
    const state = this.subscriber.stateOf(roomId);
    if (state !== undefined) {
      return Promise.resolve({
        roomId: state.roomId,
        count: state.count,
        peak: state.peak,
        viewersEver: state.viewersEver,
      });
    }
    const reading = this.onlineReads.get(roomId);
    if (reading !== undefined) return reading;
    const read = this.store.online(roomId, this.clock.now()).catch((error: unknown) => {
      throw error instanceof RpcError
        ? error
        : new RpcError(ErrorCode.SERVICE_UNAVAILABLE, 'presence is unavailable; try again');
    });
    this.onlineReads.set(roomId, read);
    const done = (): void => {
      this.onlineReads.delete(roomId);
    };
    read.then(done, done);
    return read;
  }

  /** Gives back everything the entry holds. */
  private release(session: SocketSession, roomId: string, entry: RoomEntry): void {
    session.rooms.delete(roomId);
    if (entry.state === 'joined') {
      this.registry.exitRoom(roomId, session);
      this.tracker.leave(roomId, session.id, session.userId);
    }
    this.subscriber.leave(roomId);
    // Unsubscribed: the cache would miss the room's batches from now on.
    if (this.subscriber.membersOf(roomId) === 0) this.feed.forget(roomId);
  }
}
