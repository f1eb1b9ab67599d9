import type { LaneCode } from '@live-im/broadcast';
import { LaneBatch } from './lane-batch';
import { ParkedMessages } from './parked-messages';
import type { RoomLanes } from './room-lanes';

/**
 * A lane that has seen nothing for this long forgets where its seq stream stood: its next
 * out-of-order message starts a new baseline (a room whose log was reset starts over at seq 1; a
 * room that came back after an ownership move this node did not see is not held against old state).
 */
export const LANE_IDLE_RESET_MS = 60_000;

/**
 * At most this many messages wait per room lane; one more gives the gap up at once, so a lost seq
 * in a flooded room cannot grow memory for the whole hold.
 */
export const MAX_PARKED_PER_LANE = 4096;

/**
 * One lane of one room on this node: where its seq stream stands (`next`), the messages that
 * arrived ahead of a missing seq, and the frame being built from the in-order stream.
 */
export class RoomLane {
  /** The next seq to emit; 0 while the lane has no baseline (nothing seen, or forgotten). */
  next = 0;
  /** When a message of this lane last arrived. */
  lastArrivalAt = Number.NEGATIVE_INFINITY;
  readonly parked = new ParkedMessages();
  /** Bumped whenever the parked messages stop waiting (all released, or forgotten): older hold deadlines are void. */
  holdGeneration = 0;
  readonly batch: LaneBatch;

  constructor(
    readonly room: RoomLanes,
    lane: LaneCode,
    readonly important: boolean,
  ) {
    this.batch = new LaneBatch(lane);
  }

  /** True when the lane holds anything: a baseline, parked messages, a frame being built. */
  get hasState(): boolean {
    return this.next !== 0 || this.parked.size > 0 || this.batch.count > 0;
  }

  /** Drops the lane's position and what waits (the caller publishes what should leave first). */
  forget(): void {
    this.next = 0;
    this.parked.clear();
    this.holdGeneration += 1;
    this.batch.firstSeq = 0;
  }
}
