import type { RoomBatch } from '@live-im/broadcast';
import { type OnlineEvent, type RoomMessage, SystemEvent, userOfChannel } from '@live-im/contracts';
import { Inject, Injectable, type OnModuleDestroy } from '@nestjs/common';
import { performance } from 'node:perf_hooks';
import type { BatchSource } from '../cache/room-feed';
import { GATEWAY_CONFIG, type GatewayConfig } from '../config';
import { errorFields, GATEWAY_LOGGER, type GatewayLogger } from '../gateway.tokens';
import { GatewayMetrics } from '../metrics/gateway-metrics';
import { type TextBatch, textBatchOf } from '../socket/batch-event';
import { FrameSet, OutEvent } from '../socket/event-frames';
import { SessionRegistry } from '../socket/session-registry';
import type { RoomEntry, SocketSession } from '../socket/socket-session';
import { SharedOutcome, SocketWriter } from '../socket/socket-writer';
import {
  asRoomMessage,
  batchEvent,
  needsAction,
  parseBatchBody,
  reasonOf,
  receiptOf,
  systemEventOf,
} from './batch-envelopes';
import { unansweredPart } from './join-catch-up';
import { FanoutQueue, type RoomLine, type RoomPass } from './fanout-queue';
import { NormalPacer, paceFor, type PaceSettings } from './normal-pacer';
import { ReceiptService } from './receipt-service';
import { RoomMembership } from './room-membership';
import { SlowSocketPolicy } from './slow-socket-policy';

/** Sockets written per slice of a pass, between two looks at the clock. */
const SLICE_SOCKETS = 64;
/**
 * How long one turn of fan-out may hold the event loop before yielding (setImmediate) to I/O:
 * inbound client events, newly arrived batches and timers then wait at most about this long.
 */
const TURN_MS = 4;
/** Largest body a run of waiting batches of one room lane is joined into (characters). */
const MAX_JOINED_BODY_CHARS = 64 * 1024;

/**
 * The hot path, merge once and write many. Each batch from the broadcast cluster is decoded to
 * text once; a room's writes (batches of both lanes, online figures, roomClosed) are written in
 * passes over its sockets: everything due when a pass starts becomes WebSocket frame bytes once
 * per gateway, and each socket gets them as one write (socket/socket-writer.ts), a slice of
 * sockets at a time under a time budget, rooms with important writes first. What arrives during
 * a pass is joined for the next one, so a burst of gifts costs one write per socket, and an
 * important batch waits at most for the pass under way. Sockets that fell behind get the pass
 * without its normal batches (counted) or are cut off when behind on important. Important batches
 * are parsed once per gateway for what the gateway itself must do (room closed, receipts); user
 * channels carry kicks, receipts and targeted messages, and are handled on arrival.
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
  /** Hands out the online figures no batch took along (online). */
  private onlineTimer: NodeJS.Timeout | undefined;
  private attached = false;

  constructor(
    @Inject(GATEWAY_CONFIG) config: GatewayConfig,
    private readonly writer: SocketWriter,
    private readonly registry: SessionRegistry,
    private readonly membership: RoomMembership,
    private readonly receipts: ReceiptService,
    private readonly policy: SlowSocketPolicy,
    private readonly metrics: GatewayMetrics,
    @Inject(GATEWAY_LOGGER) private readonly log: GatewayLogger,
  ) {
    this.pace = { maxMs: config.NORMAL_PACE_MAX_MS, fullAtSockets: config.NORMAL_PACE_FULL_SOCKETS };
  }

  /** Called once Socket.IO is attached (the subscriber's feed is wired to `deliver` after that). */
  start(source: BatchSource): void {
    this.attached = true;
    source.onBatch((batch) => this.deliver(batch));
  }

  deliver(batch: RoomBatch): void {
    if (!this.attached) return;
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
   * A room's online figures: they go out with the room's next pass. A room with nothing else to
   * write keeps them for up to its normal pace, for its next batch to take along (one write per
   * socket instead of two); a busy room's chat comes within that pace.
   */
  online(info: OnlineEvent): void {
    if (!this.attached || this.registry.roomSessions(info.roomId).size === 0) return;
    const ride = this.pace.maxMs;
    if (!this.queue.pushOnline(info, ride > 0)) {
      this.scheduleTurn();
      return;
    }
    this.onlineTimer ??= setTimeout(() => {
      this.onlineTimer = undefined;
      this.queue.releaseResting();
      this.scheduleTurn();
    }, ride).unref();
  }

  /**
   * Rooms with writes under way or waiting, batches joined while waiting, normal batches dropped
   * because too many waited, and rooms whose normal batches wait for their pace.
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
    clearTimeout(this.onlineTimer);
    this.onlineTimer = undefined;
    this.queue.releaseResting();
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
    let line: RoomLine | undefined;
    while ((line = this.queue.next()) !== undefined) {
      try {
        const pass = line.pass ?? this.startPass(line);
        if (this.writeSlice(pass)) this.finishPass(line, pass);
        else this.queue.rotate(line);
      } catch (error) {
        this.queue.finish(line);
        this.log.error({ ...errorFields(error), roomId: line.roomId }, 'delivering to a room failed');
      }
      if (performance.now() >= deadline) break;
    }
    if (this.queue.active > 0) this.scheduleTurn();
  }

  /** Writes the pass to its next slice of sockets; true when none are left. */
  private writeSlice(pass: RoomPass): boolean {
    const write = pass.write;
    const count = pass.sessions.length;
    const end = Math.min(pass.written + SLICE_SOCKETS, count);
    if (write === undefined) {
      pass.written = end;
      return end >= count;
    }
    const { roomId, sessions, entries } = pass;
    let full = 0;
    let withoutNormal = 0;
    for (let i = pass.written; i < end; i += 1) {
      const session = sessions[i];
      // Left, evicted or re-joined since the pass started: not this pass's recipient any more.
      if (session.rooms.get(roomId) !== entries[i] || !session.connected) continue;
      const outcome = this.writer.writeShared(session, write);
      if (outcome === SharedOutcome.All) full += 1;
      else if (outcome === SharedOutcome.WithoutNormal) withoutNormal += 1;
      else this.cutOff(session);
    }
    pass.written = end;
    this.writer.countSharedWrites();
    if (withoutNormal > 0) this.metrics.slowSocket('normal', 'skipped', withoutNormal);
    if (pass.important.length > 0)
      this.metrics.batchWrites('important', (full + withoutNormal) * pass.important.length);
    if (pass.normal.length > 0) this.metrics.batchWrites('normal', full * pass.normal.length);
    return end >= count;
  }

  /** Cut at the transport (writeShared), so the client reconnects and rejoins with `resume` by itself. */
  private cutOff(session: SocketSession): void {
    this.metrics.slowSocket('important', 'disconnected');
    this.log.warn(
      { socketId: session.id, userId: session.userId },
      'important backlog too deep; disconnected',
    );
  }

  /**
   * Starts the room's next pass: acts on its important batches, fixes its recipients and builds
   * its frames. Sockets still joining hold its batches (and get what their join answer did not
   * cover once admitted); sockets just admitted get only the part past their answer, at once; the
   * rest are written slice by slice.
   */
  private startPass(line: RoomLine): RoomPass {
    const pass = this.queue.begin(line);
    const roomId = pass.roomId;
    for (const batch of pass.important) {
      this.membership.hold(batch);
      this.metrics.batchStarted(batch.lane, batch.count);
      // Receipts are tracked before any write, so that no client's ack can come before its tracking.
      const closedReason = this.actOnImportant(batch);
      pass.closedReason ??= closedReason;
    }
    // Chat sent before the close and held for the room's pace goes out before the sockets leave;
    // otherwise an important pass takes the held chat along: one write per socket instead of two.
    // It is newer than every normal batch of the pass (the pacer releases in order), so it goes last.
    const held =
      pass.closedReason !== undefined
        ? this.pacer.take(roomId)
        : pass.important.length > 0
          ? this.pacer.releaseInto(roomId)
          : undefined;
    if (held !== undefined) pass.normal.push(held);
    for (const batch of pass.normal) {
      this.membership.hold(batch);
      this.metrics.batchStarted(batch.lane, batch.count);
    }
    const tail: OutEvent[] = [];
    if (pass.online !== undefined) tail.push(OutEvent.of('online', pass.online));
    if (pass.closedReason !== undefined)
      tail.push(OutEvent.of('roomClosed', { roomId, reason: pass.closedReason }));
    const important = pass.important.map(batchEvent);
    const normal = pass.normal.map(batchEvent);
    pass.write = {
      all: new FrameSet([...important, ...normal, ...tail]),
      withoutNormal: new FrameSet([...important, ...tail]),
      ...this.policy.thresholdsFor(important.length > 0, normal.length > 0),
    };
    const batches = [...pass.important, ...pass.normal];
    for (const session of this.registry.roomSessions(roomId)) {
      const entry = session.rooms.get(roomId);
      if (entry === undefined) continue;
      // Joined a moment ago: what its join answer covered is not sent again.
      if (entry.answeredThrough !== undefined && this.caughtUp(session, entry, batches, tail)) continue;
      pass.sessions.push(session);
      pass.entries.push(entry);
    }
    return pass;
  }

  /**
   * A socket admitted a moment ago: when the pass holds a batch (part of) which its join answer
   * covered, it gets the rest on its own, now, and true; otherwise it is one of the pass's targets.
   */
  private caughtUp(
    session: SocketSession,
    entry: RoomEntry,
    batches: TextBatch[],
    tail: OutEvent[],
  ): boolean {
    const parts = batches.map((batch) => unansweredPart(entry, batch));
    if (parts.every((part) => part === 'all')) return false;
    const events: OutEvent[] = [];
    for (const [i, part] of parts.entries()) {
      if (part === 'none') continue;
      const send = part === 'all' ? batches[i] : part;
      events.push(batchEvent(send));
      this.metrics.batchWrites(send.lane, 1);
    }
    events.push(...tail);
    if (events.length > 0) this.writer.send(session, new FrameSet(events));
    return true;
  }

  private finishPass(line: RoomLine, pass: RoomPass): void {
    this.queue.finish(line);
    // After the last write, so that every socket got the room_closed message before it is evicted.
    if (pass.closedReason !== undefined) this.closeRoom(pass, pass.closedReason);
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

  /** Every socket leaves the closed room; those that joined after its last pass started are told here. */
  private closeRoom(pass: RoomPass, reason: string): void {
    const told = new Map<SocketSession, RoomEntry>();
    pass.sessions.forEach((session, i) => told.set(session, pass.entries[i]));
    const sessions = [...this.registry.roomSessions(pass.roomId)];
    const late = sessions.filter((session) => told.get(session) !== session.rooms.get(pass.roomId));
    this.writer.emitTo(late, 'roomClosed', { roomId: pass.roomId, reason });
    for (const session of sessions) this.membership.evict(session, pass.roomId);
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
        this.writer.emitTo([session], 'kicked', { roomId: message.roomId, reason });
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
      const sessions = [...this.registry.sessionsOf(userId)];
      this.writer.emitTo(sessions, 'receipt', receipt);
      this.metrics.direct('receipt', sessions.length);
      return;
    }
    const sessions = this.registry.sessionsOfIn(userId, message.roomId);
    if (sessions.length === 0) return;
    this.writer.emitTo(sessions, 'direct', message);
    this.metrics.direct('message', sessions.length);
    if (message.requireAck) this.receipts.track(message, [userId]);
  }
}
