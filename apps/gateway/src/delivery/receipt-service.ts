import { Clock } from '@live-im/bootstrap';
import { RoomRpc, type RoomMessage } from '@live-im/contracts';
import { newRequestId, RequestContext } from '@live-im/logging';
import { Inject, Injectable } from '@nestjs/common';
import { GATEWAY_CONFIG, type GatewayConfig } from '../config';
import { GATEWAY_LOGGER, type GatewayLogger } from '../gateway.tokens';
import { GatewayMetrics } from '../metrics/gateway-metrics';
import { GatewayRpc } from '../rpc/gateway-rpc';
import { SessionRegistry } from '../socket/session-registry';
import type { SocketSession } from '../socket/socket-session';
import { SocketWriter } from '../socket/socket-writer';
import { type BatchEvent, ReceiptBatcher } from './receipt-batcher';
import { type ReceiptOutcome, ReceiptTracker } from './receipt-tracker';

/** Back-off after a refused room.receipts call, before it doubles (up to RETRY_MAX_MS). */
const RETRY_MIN_MS = 100;
const RETRY_MAX_MS = 5000;

/**
 * Receipts of requireAck messages for the users on this gateway: the tracker's re-deliveries go to
 * the users' sockets in the message's room as `direct`, its outcomes to room-service in batches
 * (room.receipts, through the ReceiptBatcher): nothing is logged per receipt, only counted.
 */
@Injectable()
export class ReceiptService {
  readonly tracker: ReceiptTracker;
  private readonly batcher: ReceiptBatcher;

  constructor(
    @Inject(GATEWAY_CONFIG) config: GatewayConfig,
    private readonly writer: SocketWriter,
    private readonly registry: SessionRegistry,
    private readonly rpc: GatewayRpc,
    private readonly metrics: GatewayMetrics,
    @Inject(GATEWAY_LOGGER) private readonly log: GatewayLogger,
    clock: Clock,
  ) {
    this.tracker = new ReceiptTracker({
      retryMs: config.RECEIPT_RETRY_MS,
      timeoutMs: config.RECEIPT_TIMEOUT_MS,
      maxPending: config.RECEIPT_MAX_PENDING,
      now: () => clock.now(),
      redeliver: (message, userIds) => this.redeliver(message, userIds),
      report: (outcome) => this.report(outcome),
    });
    this.batcher = new ReceiptBatcher({
      maxBatch: config.RECEIPT_BATCH_MAX,
      batchDelayMs: config.RECEIPT_BATCH_MS,
      maxInFlight: config.RECEIPT_CALLS_IN_FLIGHT,
      maxQueued: config.RECEIPT_MAX_QUEUED,
      retryMinMs: RETRY_MIN_MS,
      retryMaxMs: RETRY_MAX_MS,
      send: (batch) =>
        RequestContext.run(newRequestId(), () => this.rpc.call(RoomRpc.receipts, { receipts: batch })),
      onBatch: (event) => this.onBatch(event),
      onOverflow: () => this.metrics.receiptQueueFull(),
    });
  }

  /** Waits for these users' acks of `message` (the sender is never asked to ack its own message). */
  track(message: RoomMessage, userIds: Iterable<string>): void {
    const sender = message.from.userId;
    const recipients: string[] = [];
    for (const userId of userIds) if (userId !== sender) recipients.push(userId);
    if (recipients.length > 0) this.tracker.track(message, recipients);
  }

  /** An `ack` from one of the user's sockets; false when nothing of that user was waiting here. */
  ack(messageId: string, userId: string): boolean {
    return this.tracker.ack(messageId, userId);
  }

  get pending(): number {
    return this.tracker.pending;
  }

  /** Receipts waiting for a room.receipts call. */
  get queued(): number {
    return this.batcher.queued;
  }

  /**
   * Shutdown: every pair still waiting is reported expired (room-service could not learn otherwise
   * for a room-wide message), and the reports are given up to `withinMs` to reach room-service.
   */
  async expireAll(withinMs: number): Promise<void> {
    this.tracker.expireAll();
    await this.batcher.drain(withinMs);
  }

  private redeliver(message: RoomMessage, userIds: readonly string[]): void {
    const sessions: SocketSession[] = [];
    for (const userId of userIds) sessions.push(...this.registry.sessionsOfIn(userId, message.roomId));
    if (sessions.length === 0) return;
    // One emit for every socket: encoded once.
    this.writer.emitTo(sessions, 'direct', message);
    this.metrics.direct('redelivery', sessions.length);
  }

  private report(outcome: ReceiptOutcome): void {
    this.metrics.receipt(outcome.status);
    this.batcher.add(outcome);
  }

  private onBatch(event: BatchEvent): void {
    this.metrics.receiptCall(event.outcome, event.size, event.code);
    if (event.outcome === 'dropped')
      this.log.warn({ receipts: event.size, code: event.code }, 'room.receipts refused; receipts dropped');
    else this.log.debug({ receipts: event.size, outcome: event.outcome, code: event.code }, 'room.receipts');
  }
}
