import { Inject, Injectable, Logger } from '@nestjs/common';
import { Lane, userChannel } from '@live-im/contracts';
import { RoomMetrics } from '../metrics/room-metrics';
import { BROADCAST_OUTLET, BroadcastOutlet } from './broadcast-outlet';

/**
 * Hands logged messages to the broadcast cluster. Push is the fast path, the log the guarantee: a
 * message that cannot be routed is counted, never an error to the sender, since clients pull it.
 */
@Injectable()
export class RoomBroadcast {
  private readonly logger = new Logger(RoomBroadcast.name);

  constructor(
    @Inject(BROADCAST_OUTLET) private readonly outlet: BroadcastOutlet,
    private readonly metrics: RoomMetrics,
  ) {}

  /** A message of a room lane. */
  toRoom(roomId: string, lane: Lane, seq: number, json: string): void {
    this.publish(roomId, lane, seq, json);
  }

  /** A targeted message on one user's channel (always the important lane). */
  toUser(userId: string, seq: number, json: string): void {
    this.publish(userChannel(userId), 'important', seq, json);
  }

  private publish(channel: string, lane: Lane, seq: number, json: string): void {
    try {
      if (!this.outlet.publish({ roomId: channel, lane, seq, body: Buffer.from(json, 'utf8') }))
        this.metrics.publishDropped();
    } catch (error) {
      // The message is already logged: a frame the protocol refuses must not fail the send.
      this.metrics.publishDropped();
      this.logger.error(
        `publish to ${channel} failed: ${error instanceof Error ? error.message : String(error)}`,
      );
    }
  }
}
