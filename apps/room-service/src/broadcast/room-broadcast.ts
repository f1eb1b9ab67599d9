import { Inject, Injectable, Logger, Optional } from '@nestjs/common';
import { Lane, userChannel } from '@live-im/contracts';
import { PinoLogger, RequestContext } from '@live-im/logging';
import { RoomMetrics } from '../metrics/room-metrics';
import { BROADCAST_OUTLET, BroadcastOutlet } from './broadcast-outlet';

/**
 * Hands logged messages to the broadcast cluster. Push is the fast path, the log the guarantee: a
 * message that cannot be routed is counted, never an error to the sender, since clients pull it.
 * Each message carries the request id of the call that made it, so the node's logs can follow it.
 */
@Injectable()
export class RoomBroadcast {
  private readonly logger = new Logger(RoomBroadcast.name);

  constructor(
    @Inject(BROADCAST_OUTLET) private readonly outlet: BroadcastOutlet,
    private readonly metrics: RoomMetrics,
    @Optional() private readonly pino?: PinoLogger,
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
      const body = Buffer.from(json, 'utf8');
      const published = this.outlet.publish({
        roomId: channel,
        lane,
        seq,
        body,
        traceId: RequestContext.currentId(),
      });
      if (!published) this.metrics.publishDropped();
      // The hot path: the fields are built only when a debug line is written.
      if (this.pino?.logger.isLevelEnabled('debug') === true)
        this.pino.debug({ roomId: channel, lane, seq, published }, 'message handed to the broadcast cluster');
    } catch (error) {
      // The message is already logged: a frame the protocol refuses must not fail the send.
      this.metrics.publishDropped();
      this.logger.error(
        `publish to ${channel} failed: ${error instanceof Error ? error.message : String(error)}`,
      );
    }
  }
}
