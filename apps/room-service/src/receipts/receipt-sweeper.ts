import { Logger, OnApplicationBootstrap, OnModuleDestroy } from '@nestjs/common';
import { Clock } from '@live-im/bootstrap';
import { ReceiptReporter } from './receipt-reporter';
import { ReceiptStore } from './receipt-store';

/** Due receipts claimed per Redis round; a fuller backlog is worked through in further rounds at once. */
const CLAIM_BATCH = 200;

/**
 * Expires the recipients of targeted requireAck messages who never acked: every period it claims the
 * receipts whose time is up (each by exactly one worker), marks their pending recipients expired and
 * reports each one. Runs in every worker; the claim keeps them from reporting anything twice.
 */
export class ReceiptSweeper implements OnApplicationBootstrap, OnModuleDestroy {
  private readonly logger = new Logger(ReceiptSweeper.name);
  private timer: NodeJS.Timeout | undefined;
  private running = false;
  private stopped = false;

  constructor(
    private readonly store: ReceiptStore,
    private readonly reporter: ReceiptReporter,
    private readonly clock: Clock,
    private readonly periodMs: number,
  ) {}

  onApplicationBootstrap(): void {
    this.schedule();
  }

  /** Stops before the RPC client closes, so no claimed receipt is left half reported. */
  onModuleDestroy(): void {
    this.stopped = true;
    clearTimeout(this.timer);
  }

  /** One sweep; resolves with the number of expired receipts reported. */
  async sweep(): Promise<number> {
    let reported = 0;
    for (;;) {
      const now = this.clock.now();
      const due = await this.store.claimDue(now, CLAIM_BATCH);
      for (const receipt of due) {
        const { senderId, userIds } = await this.store.expirePending(receipt);
        await this.reporter.reportAll(
          userIds.map((userId) => ({
            receipt: { ...receipt, userId, status: 'expired', ts: now },
            senderId,
          })),
        );
        reported += userIds.length;
      }
      if (due.length < CLAIM_BATCH || this.stopped) return reported;
    }
  }

  private schedule(): void {
    if (this.stopped) return;
    this.timer = setTimeout(() => void this.tick(), this.periodMs);
  }

  private async tick(): Promise<void> {
    if (this.running) return;
    this.running = true;
    try {
      await this.sweep();
    } catch (error) {
      this.logger.error(`receipt sweep failed: ${error instanceof Error ? error.message : String(error)}`);
    } finally {
      this.running = false;
      this.schedule();
    }
  }
}
