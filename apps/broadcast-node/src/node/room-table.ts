import { MESSAGE_ROOM_ID_AT, messageRoomIdLength, roomIdHash } from '@live-im/broadcast';
import { RoomLanes } from './room-lanes';

// Read once: through the library's CommonJS re-exports every property access is a getter call.
const ROOM_ID_AT: number = MESSAGE_ROOM_ID_AT;
const roomIdLengthOf = messageRoomIdLength;

/**
 * The node's subscribed rooms, found from a message meta's bytes by hash (chained on collision),
 * so looking up a room per message makes no string.
 */
export class RoomTable {
  private readonly buckets = new Map<number, RoomLanes>();
  private readonly byId = new Map<string, RoomLanes>();

  get size(): number {
    return this.byId.size;
  }

  get(roomId: string): RoomLanes | undefined {
    return this.byId.get(roomId);
  }

  /** The room the message meta at `buf[metaAt..]` names, given the hash scanMessageMeta returned for it. */
  findByMeta(buf: Buffer, metaAt: number, hash: number): RoomLanes | undefined {
    return this.findById(buf, metaAt + ROOM_ID_AT, roomIdLengthOf(buf, metaAt), hash);
  }

  /** The room whose id is `buf[idAt..idAt+idLength)`, given roomIdHash of those bytes. */
  findById(buf: Buffer, idAt: number, idLength: number, hash: number): RoomLanes | undefined {
    let room = this.buckets.get(hash);
    while (room !== undefined) {
      const id = room.idBytes;
      if (id.length === idLength) {
        let i = 0;
        while (i < idLength && id[i] === buf[idAt + i]) i += 1;
        if (i === idLength) return room;
      }
      room = room.nextInBucket;
    }
    return undefined;
  }

  add(roomId: string): RoomLanes {
    const existing = this.byId.get(roomId);
    if (existing) return existing;
    const room = new RoomLanes(roomId, roomIdHash(roomId));
    room.nextInBucket = this.buckets.get(room.hash);
    this.buckets.set(room.hash, room);
    this.byId.set(roomId, room);
    return room;
  }

  remove(room: RoomLanes): void {
    if (this.byId.get(room.roomId) !== room) return;
    this.byId.delete(room.roomId);
    let head = this.buckets.get(room.hash);
    if (head === room) {
      if (room.nextInBucket) this.buckets.set(room.hash, room.nextInBucket);
      else this.buckets.delete(room.hash);
    } else {
      while (head && head.nextInBucket !== room) head = head.nextInBucket;
      if (head) head.nextInBucket = room.nextInBucket;
    }
    room.nextInBucket = undefined;
  }

  values(): IterableIterator<RoomLanes> {
    return this.byId.values();
  }
}
