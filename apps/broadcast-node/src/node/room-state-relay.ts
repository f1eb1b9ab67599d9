import { BCAST_VERSION, BroadcastCommand, FrameError, readRoomStates, roomTopic } from '@live-im/broadcast';

/** What became of the room states a node read (docs/broadcast-protocol.md "Room state"). */
export interface RoomStateCounters {
  /** States published on their room's topic. */
  forwarded: number;
  /** States of rooms without a subscriber on this node: nobody to tell. */
  noSubscriber: number;
  /** Pushes or records that broke the layout. */
  malformed: number;
}

/** Is this PULL message a ROOM_STATE push: two frames, the first the header `[1, 0x23]`? */
export function isRoomStatePush(frames: readonly Buffer[]): boolean {
  const header = frames[0];
  return (
    frames.length === 2 &&
    header?.length === 2 &&
    header[0] === BCAST_VERSION &&
    header[1] === BroadcastCommand.ROOM_STATE
  );
}

/**
 * Forwards ROOM_STATE pushes on each room's topic as `[topic, state]`, unsequenced and unmerged:
 * a state is a snapshot, the next one replaces it, so it never waits behind a lane.
 */
export class RoomStateRelay {
  readonly counters: RoomStateCounters = { forwarded: 0, noSubscriber: 0, malformed: 0 };

  constructor(
    private readonly subscribersOf: (roomId: string) => number,
    private readonly publish: (frames: Buffer[]) => void,
  ) {}

  /** A message isRoomStatePush accepted. */
  accept(frames: readonly Buffer[]): void {
    const batch = frames[1];
    let read: ReturnType<typeof readRoomStates>;
    try {
      read = readRoomStates(batch);
    } catch (error) {
      if (!(error instanceof FrameError)) throw error;
      this.counters.malformed += 1;
      return;
    }
    this.counters.malformed += read.malformed;
    for (const { roomId, frame } of read.rooms) {
      if (this.subscribersOf(roomId) === 0) {
        this.counters.noSubscriber += 1;
        continue;
      }
      this.counters.forwarded += 1;
      this.publish([roomTopic(roomId), frame]);
    }
  }
}
