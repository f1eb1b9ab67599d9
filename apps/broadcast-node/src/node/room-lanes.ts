import { isUserChannel, LaneCode, roomTopic } from '@live-im/broadcast';
import { FlowCap } from './flow-cap';
import { RoomLane } from './room-lane';

/**
 * One subscribed room on this node: its topic, subscriber count, its two lanes (each with its seq
 * order and frame: the important lane's for the current turn, the normal lane's merge window) and
 * the normal lane's flow cap.
 */
export class RoomLanes {
  readonly topic: Buffer;
  /** The room id's bytes, compared against incoming metas without making a string. */
  readonly idBytes: Buffer;
  readonly important: RoomLane;
  readonly normal: RoomLane;
  readonly cap = new FlowCap();
  /**
   * A user channel (`_<userId>`): it has no history to refill a given-up seq from, so a seq that
   * comes after its lane moved past it is published on its own instead of dropped (RoomMerger).
   */
  readonly channel: boolean;
  subscribers = 0;
  /** Bumped each time the normal window opens, so a stale deadline cannot close a newer window. */
  windowGeneration = 0;
  /** The turn whose important frames this room is listed in. */
  turn = -1;
  /** Next room in the same RoomTable hash bucket. */
  nextInBucket: RoomLanes | undefined;

  constructor(
    readonly roomId: string,
    readonly hash: number,
  ) {
    this.topic = roomTopic(roomId);
    this.idBytes = Buffer.from(roomId, 'latin1');
    this.channel = isUserChannel(roomId);
    this.important = new RoomLane(this, LaneCode.important, true);
    this.normal = new RoomLane(this, LaneCode.normal, false);
  }
}
