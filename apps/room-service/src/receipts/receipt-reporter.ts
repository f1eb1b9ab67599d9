import { Receipt, SYSTEM_SENDER, SystemEvent } from '@live-im/contracts';
import { UserChannels } from '../channels/user-channels';
import { newMessageId } from '../messages/envelope';
import { RoomMetrics } from '../metrics/room-metrics';
import { BusinessEvents } from './business-events';

/**
 * Tells a recorded receipt to whom it concerns: the sending user (a system message on their user
 * channel) and the business services (business.receipt). The system as sender has no channel.
 */
export class ReceiptReporter {
  constructor(
    private readonly channels: UserChannels,
    private readonly business: BusinessEvents,
    private readonly metrics: RoomMetrics,
  ) {}

  /** `senderId` '' means the system sent the message. */
  async report(receipt: Receipt, senderId: string): Promise<void> {
    this.metrics.receipt(receipt.status);
    this.business.receipt({ ...receipt, senderId: senderId === '' ? null : senderId });
    if (senderId === '') return;
    await this.channels.send([senderId], {
      id: newMessageId(receipt.ts),
      roomId: receipt.roomId,
      type: 'system',
      from: SYSTEM_SENDER,
      body: { event: SystemEvent.receipt, receipt },
      ts: receipt.ts,
    });
  }
}
