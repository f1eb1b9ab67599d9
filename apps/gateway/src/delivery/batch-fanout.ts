import type { RoomBatch } from '@live-im/broadcast';
import { type RoomMessage, SystemEvent, userOfChannel } from '@live-im/contracts';
import { Inject, Injectable } from '@nestjs/common';
import { errorFields, GATEWAY_LOGGER, type GatewayLogger } from '../gateway.tokens';
import { GatewayMetrics } from '../metrics/gateway-metrics';
import { RoomMembership } from '../socket/room-membership';
import { SessionRegistry } from '../socket/session-registry';
import type { SocketSession } from '../socket/socket-session';
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
} from './batch-envelopes';
import { ReceiptService } from './receipt-service';
import { SlowSocketPolicy } from './slow-socket-policy';

/**
 * The hot path, merge once and write many: each batch from the broadcast cluster goes to the
 * room's sockets in one Socket.IO broadcast, whose packet the adapter encodes once, with the body
 * as the node sent it (a binary attachment, never parsed or re-encoded per socket). Sockets that
 * fell behind are skipped (normal) or cut off (important). Important batches are parsed once per
 * gateway for what the gateway itself must do (room closed, receipts); user channels carry kicks,
 * receipts and targeted messages.
 */
@Injectable()
export class BatchFanout {
  constructor(
    private readonly host: SocketServerHost,
    private readonly registry: SessionRegistry,
    private readonly membership: RoomMembership,
    private readonly receipts: ReceiptService,
    private readonly policy: SlowSocketPolicy,
    private readonly metrics: GatewayMetrics,
    @Inject(GATEWAY_LOGGER) private readonly log: GatewayLogger,
  ) {}

  deliver(batch: RoomBatch): void {
    if (!this.host.attached) return;
    try {
      const userId = userOfChannel(batch.roomId);
      if (userId === undefined) this.deliverToRoom(batch);
      else this.deliverToUser(userId, batch);
    } catch (error) {
      this.log.error(
        { ...errorFields(error), roomId: batch.roomId, lane: batch.lane },
        'delivering a batch failed',
      );
    }
  }

  private deliverToRoom(batch: RoomBatch): void {
    this.membership.hold(batch);
    const sessions = this.registry.roomSessions(batch.roomId);
    if (sessions.size === 0) return;
    let excluded: string[] | undefined;
    let behind: SocketSession[] | undefined;
    let recipients = 0;
    for (const session of sessions) {
      const entry = session.rooms.get(batch.roomId);
      if (entry?.answeredThrough !== undefined) {
        // Joined a moment ago: what its join answer covered is not sent again.
        const part = this.membership.pastAnswer(entry, batch);
        if (part !== 'all') {
          (excluded ??= []).push(session.id);
          if (part !== 'none') session.socket.emit('batch', batchInfoOf(part), part.body);
          continue;
        }
      }
      const action = this.policy.actionFor(batch.lane, session.backlog);
      if (action === 'write') {
        recipients += 1;
        continue;
      }
      (excluded ??= []).push(session.id);
      if (action === 'skip') this.metrics.slowSocket(batch.lane, 'skipped');
      else (behind ??= []).push(session);
    }
    // Closed at the transport, so the client reconnects and rejoins with `resume` by itself.
    if (behind !== undefined) {
      for (const session of behind) {
        this.metrics.slowSocket(batch.lane, 'disconnected');
        this.log.warn(
          { socketId: session.id, userId: session.userId, backlog: session.backlog },
          'important backlog too deep; disconnecting',
        );
        session.socket.conn.close(true);
      }
    }
    const info = batchInfoOf(batch);
    const target = this.host.io.to(ioRoomOf(batch.roomId));
    (excluded === undefined ? target : target.except(excluded)).emit('batch', info, batch.body);
    this.metrics.batchOut(batch.lane, batch.count, recipients);
    if (batch.lane === 'important') this.actOnImportant(batch);
  }

  /** Parsed once per gateway: closing the room, and receipts for requireAck messages. */
  private actOnImportant(batch: RoomBatch): void {
    const values = parseBatchBody(batch.body);
    if (values === undefined) {
      this.metrics.malformedBatch('room');
      return;
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
    if (closedReason !== undefined) this.closeRoom(batch.roomId, closedReason);
  }

  /** Local users a room-wide (or, if listed, targeted) requireAck message is for. */
  private recipientsHere(message: RoomMessage): Iterable<string> {
    const here = this.registry.usersIn(message.roomId);
    return message.to === undefined ? here : message.to.filter((userId) => here.has(userId));
  }

  private closeRoom(roomId: string, reason: string): void {
    const sessions = [...this.registry.roomSessions(roomId)];
    if (sessions.length === 0) return;
    this.host.io.to(ioRoomOf(roomId)).emit('roomClosed', { roomId, reason });
    for (const session of sessions) this.membership.evict(session, roomId);
    this.metrics.direct('roomClosed', sessions.length);
  }

  private deliverToUser(userId: string, batch: RoomBatch): void {
    if (this.registry.sessionsOf(userId).size === 0) return;
    const values = parseBatchBody(batch.body);
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
