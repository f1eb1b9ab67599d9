import { Clock } from '@live-im/bootstrap';
import { RoomRpc, type RoomMessage } from '@live-im/contracts';
import { newRequestId, RequestContext } from '@live-im/logging';
import { Inject, Injectable } from '@nestjs/common';
import { GATEWAY_CONFIG, type GatewayConfig } from '../config';
import { errorFields, GATEWAY_LOGGER, type GatewayLogger } from '../gateway.tokens';
import { GatewayMetrics } from '../metrics/gateway-metrics';
import { GatewayRpc } from '../rpc/gateway-rpc';
import { SessionRegistry } from '../socket/session-registry';
import type { SocketSession } from '../socket/socket-session';
import { SocketWriter } from '../socket/socket-writer';
import { type ReceiptOutcome, ReceiptTracker } from './receipt-tracker';

/**
 * Receipts of requireAck messages for the users on this gateway: the tracker's re-deliveries go to
 * the users' sockets in the message's room as `direct`, its outcomes to room-service (room.receipt).
 */
@Injectable()
export class ReceiptService {
  readonly tracker: ReceiptTracker;
  /** room.receipt calls not answered yet, awaited (within a bound) at shutdown. */
  private readonly reporting = new Set<Promise<void>>();

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

  /**
   * Shutdown: every pair still waiting is reported expired (room-service could not learn otherwise
   * for a room-wide message), and the reports are given up to `withinMs` to reach the broker.
   */
  async expireAll(withinMs: number): Promise<void> {
    this.tracker.expireAll();
    if (this.reporting.size === 0) return;
    let timer: NodeJS.Timeout | undefined;
    await Promise.race([
      Promise.allSettled([...this.reporting]),
      new Promise<void>((resolve) => {
        timer = setTimeout(resolve, withinMs);
      }),
    ]);
    clearTimeout(timer);
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
    RequestContext.run(newRequestId(), () => {
      const call = this.rpc.call(RoomRpc.receipt, outcome).then(
        () => undefined,
        (error: unknown) => {
          this.log.warn({ ...errorFields(error), receipt: outcome }, 'reporting a receipt failed');
        },
      );
      this.reporting.add(call);
      void call.finally(() => this.reporting.delete(call));
    });
  }
}
