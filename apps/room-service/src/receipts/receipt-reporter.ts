import { Receipt, SYSTEM_SENDER, SystemEvent } from '@live-im/contracts';
import { DirectNotice, UserChannels } from '../channels/user-channels';
import { newMessageId } from '../messages/envelope';
import { RoomMetrics } from '../metrics/room-metrics';
import { BusinessEvents } from './business-events';

/** A recorded receipt and who sent its message ('' for the system). */
export interface RecordedReceipt {
  receipt: Receipt;
  senderId: string;
}

/**
 * Tells recorded receipts to whom they concern: each sending user (a system message on their user
 * channel) and the business services (business.receipts, the whole lot in batches). The system as
 * sender has no channel.
 */
export class ReceiptReporter {
  constructor(
    private readonly channels: UserChannels,
    private readonly business: BusinessEvents,
    private readonly metrics: RoomMetrics,
  ) {}

  /** `senderId` '' means the system sent the message. */
  async report(receipt: Receipt, senderId: string): Promise<void> {
    await this.reportAll([{ receipt, senderId }]);
  }

  async reportAll(recorded: readonly RecordedReceipt[]): Promise<void> {
    if (recorded.length === 0) return;
    for (const { receipt } of recorded) this.metrics.receipt(receipt.status);
    this.business.receipts(
      recorded.map(({ receipt, senderId }) => ({ ...receipt, senderId: senderId === '' ? null : senderId })),
    );
    const notices: DirectNotice[] = [];
    for (const { receipt, senderId } of recorded) {
      if (senderId === '') continue;
      notices.push({
        userId: senderId,
        draft: {
          id: newMessageId(receipt.ts),
          roomId: receipt.roomId,
          type: 'system',
          from: SYSTEM_SENDER,
          body: { event: SystemEvent.receipt, receipt },
          ts: receipt.ts,
        },
      });
    }
    await this.channels.sendEach(notices);
  }
}
