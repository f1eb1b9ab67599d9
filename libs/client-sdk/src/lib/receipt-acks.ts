import type { RoomMessage } from '@live-im/contracts';
import { BoundedSet } from './bounded-set';

/**
 * Acks of `requireAck` messages: one `ack` per message once the app has it. A re-delivery while
 * the ack is in flight or after it was answered sends nothing; after a failed ack (the gateway
 * never saw it, so it keeps re-delivering) the next delivery acks again.
 */
export class ReceiptAcks {
  private readonly sentOrDone: BoundedSet<string>;

  constructor(
    private readonly send: (messageId: string) => Promise<unknown>,
    capacity = 4096,
  ) {
    this.sentOrDone = new BoundedSet(capacity);
  }

  /** The app received `message` (first time or again). */
  delivered(message: RoomMessage): void {
    if (message.requireAck !== true) return;
    const messageId = message.id;
    if (!this.sentOrDone.add(messageId)) return;
    let sending: Promise<unknown>;
    try {
      sending = this.send(messageId);
    } catch {
      this.sentOrDone.delete(messageId);
      return;
    }
    sending.catch(() => this.sentOrDone.delete(messageId));
  }

  /** True while the message's ack is in flight or was answered. */
  acked(messageId: string): boolean {
    return this.sentOrDone.has(messageId);
  }
}
