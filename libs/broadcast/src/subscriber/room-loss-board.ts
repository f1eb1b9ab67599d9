import type { Lane } from '@live-im/contracts';

/** Messages of one room that never reached this subscriber, per lane. */
export interface RoomLoss {
  roomId: string;
  normal: number;
  important: number;
}

/** Rooms the board remembers; past it a room with less loss than all of them is not tracked. */
export const DEFAULT_LOSS_BOARD_ROOMS = 256;

/**
 * The rooms that lost the most messages since start, in bounded memory: an operator's "which
 * rooms" next to the per-lane totals. Up to `capacity` rooms are counted exactly; when full, a
 * room with a new loss replaces the room with the least loss if it now has more, else it is left
 * out (counted in `untracked`). Rooms are kept after their members leave: a loss is history.
 */
export class RoomLossBoard {
  private readonly rooms = new Map<string, RoomLoss>();
  /** Messages lost in rooms the board had no place for. */
  untracked = 0;

  constructor(private readonly capacity = DEFAULT_LOSS_BOARD_ROOMS) {}

  add(roomId: string, lane: Lane, seqs: number): void {
    let room = this.rooms.get(roomId);
    if (room === undefined) {
      if (this.rooms.size >= this.capacity && !this.evictBelow(seqs)) {
        this.untracked += seqs;
        return;
      }
      room = { roomId, normal: 0, important: 0 };
      this.rooms.set(roomId, room);
    }
    room[lane] += seqs;
  }

  /** One room's losses (zeros when none, or not tracked). */
  of(roomId: string): RoomLoss {
    const room = this.rooms.get(roomId);
    return room === undefined ? { roomId, normal: 0, important: 0 } : { ...room };
  }

  /** The `limit` rooms with the most lost messages, most first (ties by room id). */
  top(limit: number): RoomLoss[] {
    return [...this.rooms.values()]
      .sort((a, b) => totalOf(b) - totalOf(a) || (a.roomId < b.roomId ? -1 : 1))
      .slice(0, limit)
      .map((room) => ({ ...room }));
  }

  get size(): number {
    return this.rooms.size;
  }

  /** Forgets the room with the least loss when it has less than `seqs`; false when none has. */
  private evictBelow(seqs: number): boolean {
    let least: RoomLoss | undefined;
    for (const room of this.rooms.values()) {
      if (least === undefined || totalOf(room) < totalOf(least)) least = room;
    }
    if (least === undefined || totalOf(least) >= seqs) return false;
    this.rooms.delete(least.roomId);
    this.untracked += totalOf(least);
    return true;
  }
}

function totalOf(room: RoomLoss): number {
  return room.normal + room.important;
}
