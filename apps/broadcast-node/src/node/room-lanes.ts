import { LaneCode, roomTopic } from '@live-im/broadcast';
import { FlowCap } from './flow-cap';
import { LaneBatch } from './lane-batch';

/**
 * One subscribed room on this node: its topic, subscriber count, the important lane's batch for
 * the current PULL turn, the normal lane's merge window and its flow cap.
 */
export class RoomLanes {
  readonly topic: Buffer;
  /** The room id's bytes, compared against incoming metas without making a string. */
  readonly idBytes: Buffer;
  readonly important = new LaneBatch(LaneCode.important);
  readonly normal = new LaneBatch(LaneCode.normal);
  readonly cap = new FlowCap();
  subscribers = 0;
  /** Bumped each time the normal window opens, so a stale deadline cannot close a newer window. */
  windowGeneration = 0;
  /** The PULL turn whose important batch this room is listed in. */
  turn = -1;
  /** Next room in the same RoomTable hash bucket. */
  nextInBucket: RoomLanes | undefined;

  constructor(
    readonly roomId: string,
    readonly hash: number,
  ) {
    this.topic = roomTopic(roomId);
    this.idBytes = Buffer.from(roomId, 'latin1');
  }
}
