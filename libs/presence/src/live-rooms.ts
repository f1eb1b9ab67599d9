import { memberShard } from './member-shard';

/**
 * Rooms with viewers are listed in this many index sets (`presence:live:{pl<n>}`), and each set's
 * rooms are aggregated by one owner at a time: enough for several owners to share the work and
 * for the sets to spread over a Redis Cluster's masters, few enough to walk every second.
 */
export const LIVE_ROOM_SHARDS = 16;

/** The index set a room is listed in (FNV-1a of its id, like member shards). */
export function liveRoomShard(roomId: string): number {
  return memberShard(roomId, LIVE_ROOM_SHARDS);
}

/** The figures one room's aggregation reads: online totals and the latest seq of each lane. */
export interface RoomFigures {
  roomId: string;
  count: number;
  peak: number;
  viewersEver: number;
  normalSeq: number;
  importantSeq: number;
}
