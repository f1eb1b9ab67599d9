import type { RoomBatch } from '@live-im/broadcast';
import { type RoomMessage, SystemEvent, userOfChannel } from '@live-im/contracts';
import { Inject, Injectable, type OnModuleDestroy } from '@nestjs/common';
import { performance } from 'node:perf_hooks';
import { GATEWAY_CONFIG, type GatewayConfig } from '../config';
import { errorFields, GATEWAY_LOGGER, type GatewayLogger } from '../gateway.tokens';
import { GatewayMetrics } from '../metrics/gateway-metrics';
import { RoomMembership } from '../socket/room-membership';
import { SessionRegistry } from '../socket/session-registry';
import { SocketServerHost } from '../socket/socket-server.host';
import { ioRoomOf } from '../socket/socket-types';
import {
  asRoomMessage,
  batchInfoOf,
  needsAction,
  parseBatchBody,
  reasonOf,
  receiptOf,
  systemEventOf,
  type TextBatch,
  textBatchOf,
} from './batch-envelopes';
import { unansweredPart } from './join-catch-up';
import { type FanoutJob, FanoutQueue, type FanoutTarget } from './fanout-queue';
import { NormalPacer, paceFor, type PaceSettings } from './normal-pacer';
import { ReceiptService } from './receipt-service';
import { SlowSocketPolicy } from './slow-socket-policy';

/** Sockets written per Socket.IO broadcast: one frame encoding serves this many writes. */
const CHUNK_SOCKETS = 64;
/**
 * How long one turn of fan-out may hold the event loop before yielding (setImmediate) to I/O:
 * inbound client events and newly arrived important batches then wait at most about this long.
 */
const TURN_MS = 4;
/** Largest body a run of waiting normal batches of one room is joined into (characters). */
const MAX_JOINED_BODY_CHARS = 64 * 1024;

/**
 * The hot path, merge once and write many. Each batch from the broadcast cluster is decoded to
 * text once (so Socket.IO builds one websocket frame per broadcast and writes it as is to each
 * socket) and queued; the queue is worked in short turns, a chunk of sockets at a time, important
 * batches always first, so that a gift never waits behind a whole chat fan-out to a large room
 * and inbound events are read in between. Sockets that fell behind are skipped (normal) or cut
 * off (important). Important batches are parsed once per gateway for what the gateway itself must
 * do (room closed, receipts); user channels carry kicks, receipts and targeted messages, and are
 * handled on arrival.
 */
@Injectable()
export class BatchFanout implements OnModuleDestroy {
  private readonly queue = new FanoutQueue(MAX_JOINED_BODY_CHARS);
  private readonly pacer = new NormalPacer(
    (batch) => this.enqueue(batch),
    () => performance.now(),
    MAX_JOINED_BODY_CHARS,
  );
  private readonly pace: PaceSettings;
  private turnScheduled = false;

  constructor(
    @Inject(GATEWAY_CONFIG) config: GatewayConfig,
    private readonly host: SocketServerHost,
    private readonly registry: SessionRegistry,
    private readonly membership: RoomMembership,
    private readonly receipts: ReceiptService,
    private readonly policy: SlowSocketPolicy,
    private readonly metrics: GatewayMetrics,
    @Inject(GATEWAY_LOGGER) private readonly log: GatewayLogger,
  ) {
    this.pace = { maxMs: config.NORMAL_PACE_MAX_MS, fullAtSockets: config.NORMAL_PACE_FULL_SOCKETS };
  }

  deliver(batch: RoomBatch): void {
    if (!this.host.attached) return;
    try {
      const userId = userOfChannel(batch.roomId);
      if (userId !== undefined) this.deliverToUser(userId, batch);
      else if (batch.lane === 'important') this.enqueue(textBatchOf(batch));
      else {
        const sockets = this.registry.roomSessions(batch.roomId).size;
        this.pacer.offer(textBatchOf(batch), paceFor(sockets, this.pace));
      }
    } catch (error) {
      this.log.error(
        { ...errorFields(error), roomId: batch.roomId, lane: batch.lane },
        'delivering a batch failed',
      );
    }
  }

  /**
   * Room batches waiting for (or in the middle of) their fan-out, normal ones joined while waiting,
   * normal ones dropped because too many waited, and rooms whose normal batches wait for their pace.
   */
  get stats(): { queued: number; joined: number; dropped: number; paced: number } {
    return {
      queued: this.queue.size,
      joined: this.queue.joined,
      dropped: this.queue.dropped,
      paced: this.pacer.held,
    };
  }

  /** What waits for its pace goes out with the rest of the queue while sockets are still open. */
  onModuleDestroy(): void {
    this.pacer.flushAll();
  }

  private enqueue(batch: TextBatch): void {
    this.queue.push(batch);
    this.scheduleTurn();
  }

  private scheduleTurn(): void {
    if (this.turnScheduled) return;
    this.turnScheduled = true;
    setImmediate(() => this.turn());
  }

  private turn(): void {
    this.turnScheduled = false;
    const deadline = performance.now() + TURN_MS;
    let job: FanoutJob | undefined;
    while ((job = this.queue.head()) !== undefined) {
      try {
        if (this.writeChunk(job)) this.finishJob(job);
      } catch (error) {
        this.queue.finish(job);
        this.log.error(
          { ...errorFields(error), roomId: job.batch.roomId, lane: job.batch.lane },
          'delivering a batch failed',
        );
      }
      // Important batches are few and small: each goes to all its sockets in the turn it starts.
      if (performance.now() >= deadline && !this.queue.importantWaiting) break;
    }
    if (this.queue.size > 0) this.scheduleTurn();
  }

  /** Writes the job's next chunk of sockets (choosing them first); true when none are left. */
  private writeChunk(job: FanoutJob): boolean {
    const batch = job.batch;
    const targets = (job.targets ??= this.startJob(job));
    const end = Math.min(job.written + CHUNK_SOCKETS, targets.length);
    let socketIds: string[] | undefined;
    for (let i = job.written; i < end; i += 1) {
      const { session, entry } = targets[i];
      // Left, evicted or re-joined since the batch started: not this batch's recipient any more.
      if (session.rooms.get(batch.roomId) !== entry || !session.connected) continue;
      const action = this.policy.actionFor(batch.lane, session.backlog);
      if (action === 'write') (socketIds ??= []).push(session.id);
      else if (action === 'skip') this.metrics.slowSocket(batch.lane, 'skipped');
      else {
        // Closed at the transport, so the client reconnects and rejoins with `resume` by itself.
        this.metrics.slowSocket(batch.lane, 'disconnected');
        this.log.warn(
          { socketId: session.id, userId: session.userId, backlog: session.backlog },
          'important backlog too deep; disconnecting',
        );
        session.socket.conn.close(true);
      }
    }
    job.written = end;
    if (socketIds !== undefined) {
      this.host.io.to(socketIds).emit('batch', batchInfoOf(batch), batch.body);
      this.metrics.batchWrites(batch.lane, socketIds.length);
    }
    return end >= targets.length;
  }

  /**
   * The batch's recipients, fixed when its fan-out starts: sockets still joining hold it (and get
   * what their join answer did not cover once admitted); sockets just admitted get only the part
   * past their answer, at once; the rest are written chunk by chunk.
   */
  private startJob(job: FanoutJob): FanoutTarget[] {
    const batch = job.batch;
    this.membership.hold(batch);
    const targets: FanoutTarget[] = [];
    for (const session of this.registry.roomSessions(batch.roomId)) {
      const entry = session.rooms.get(batch.roomId);
      if (entry === undefined) continue;
      if (entry.answeredThrough !== undefined) {
        // Joined a moment ago: what its join answer covered is not sent again.
        const part = unansweredPart(entry, batch);
        if (part === 'none') continue;
        if (part !== 'all') {
          session.socket.emit('batch', batchInfoOf(part), part.body);
          this.metrics.batchWrites(part.lane, 1);
          continue;
        }
      }
      targets.push({ session, entry });
    }
    this.metrics.batchStarted(batch.lane, batch.count);
    // Receipts are tracked before any write, so that no client's ack can come before its tracking.
    if (batch.lane === 'important') job.closedReason = this.actOnImportant(batch);
    return targets;
  }

  /** Writes a batch to all its sockets now, outside the queue's turns. */
  private writeWhole(batch: TextBatch): void {
    const job: FanoutJob = { batch, written: 0 };
    while (!this.writeChunk(job)) {
      // Chunk after chunk until every target is written.
    }
  }

  private finishJob(job: FanoutJob): void {
    this.queue.finish(job);
    // After the last write, so that every socket got the room_closed message before it is evicted.
    if (job.closedReason !== undefined) this.closeRoom(job.batch.roomId, job.closedReason);
  }

  /**
   * Parsed once per gateway: tracks receipts for requireAck messages, and returns the reason when
   * the batch closes the room.
   */
  private actOnImportant(batch: TextBatch): string | undefined {
    const values = parseBatchBody(batch.body);
    if (values === undefined) {
      this.metrics.malformedBatch('room');
      return undefined;
    }
    let closedReason: string | undefined;
    for (const value of values) {
      if (!needsAction(value)) continue;
      const message = asRoomMessage(value);
      if (message === undefined || message.roomId !== batch.roomId) {
        this.metrics.malformedBatch('room');
        continue;
      }
      if (systemEventOf(message) === SystemEvent.roomClosed) closedReason = reasonOf(message, 'room closed');
      if (message.requireAck) this.receipts.track(message, this.recipientsHere(message));
    }
    return closedReason;
  }

  /** Local users a room-wide (or, if listed, targeted) requireAck message is for. */
  private recipientsHere(message: RoomMessage): Iterable<string> {
    const here = this.registry.usersIn(message.roomId);
    return message.to === undefined ? here : message.to.filter((userId) => here.has(userId));
  }

  private closeRoom(roomId: string, reason: string): void {
    // Chat sent before the close and held for the room's pace goes out before the sockets leave.
    const held = this.pacer.take(roomId);
    if (held !== undefined) this.writeWhole(held);
    const sessions = [...this.registry.roomSessions(roomId)];
    if (sessions.length === 0) return;
    this.host.io.to(ioRoomOf(roomId)).emit('roomClosed', { roomId, reason });
    for (const session of sessions) this.membership.evict(session, roomId);
    this.metrics.direct('roomClosed', sessions.length);
  }

  private deliverToUser(userId: string, batch: RoomBatch): void {
    if (this.registry.sessionsOf(userId).size === 0) return;
    const values = parseBatchBody(batch.body.toString('utf8'));
    if (values === undefined) {
      this.metrics.malformedBatch('user');
      return;
    }
    for (const value of values) {
      const message = asRoomMessage(value);
      if (message === undefined) {
        this.metrics.malformedBatch('user');
        continue;
      }
      this.deliverOneToUser(userId, message);
    }
  }

  private deliverOneToUser(userId: string, message: RoomMessage): void {
    const event = systemEventOf(message);
    if (event === SystemEvent.kick) {
      const reason = reasonOf(message, 'kicked');
      for (const session of this.registry.sessionsOfIn(userId, message.roomId)) {
        this.membership.evict(session, message.roomId);
        session.socket.emit('kicked', { roomId: message.roomId, reason });
        this.metrics.direct('kick');
      }
      return;
    }
    if (event === SystemEvent.receipt) {
      const receipt = receiptOf(message);
      if (receipt === undefined) {
        this.metrics.malformedBatch('user');
        return;
      }
      const socketIds = [...this.registry.sessionsOf(userId)].map((session) => session.id);
      this.host.io.to(socketIds).emit('receipt', receipt);
      this.metrics.direct('receipt', socketIds.length);
      return;
    }
    const sessions = this.registry.sessionsOfIn(userId, message.roomId);
    if (sessions.length === 0) return;
    this.host.io.to(sessions.map((session) => session.id)).emit('direct', message);
    this.metrics.direct('message', sessions.length);
    if (message.requireAck) this.receipts.track(message, [userId]);
  }
}
