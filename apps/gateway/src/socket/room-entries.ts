import type { RoomEntry } from './socket-session';

/**
 * A socket's rooms by room id: the subset of a Map the gateway uses, holding the first room in two
 * fields and making a Map only for a socket in several rooms. Nearly every viewer watches one room,
 * and an empty Map with its hash table costs a few hundred bytes per connection.
 */
export class RoomEntries {
  private onlyId: string | undefined;
  private onlyEntry: RoomEntry | undefined;
  private many: Map<string, RoomEntry> | undefined;

  get size(): number {
    if (this.many !== undefined) return this.many.size;
    return this.onlyId === undefined ? 0 : 1;
  }

  get(roomId: string): RoomEntry | undefined {
    if (this.many !== undefined) return this.many.get(roomId);
    return this.onlyId === roomId ? this.onlyEntry : undefined;
  }

  set(roomId: string, entry: RoomEntry): void {
    if (this.many !== undefined) {
      this.many.set(roomId, entry);
    } else if (this.onlyId === undefined || this.onlyId === roomId) {
      this.onlyId = roomId;
      this.onlyEntry = entry;
    } else {
      this.many = new Map([[this.onlyId, this.onlyEntry as RoomEntry]]);
      this.many.set(roomId, entry);
      this.onlyId = undefined;
      this.onlyEntry = undefined;
    }
  }

  delete(roomId: string): boolean {
    if (this.many !== undefined) return this.many.delete(roomId);
    if (this.onlyId !== roomId) return false;
    this.onlyId = undefined;
    this.onlyEntry = undefined;
    return true;
  }

  *[Symbol.iterator](): IterableIterator<[string, RoomEntry]> {
    if (this.many !== undefined) yield* this.many;
    else if (this.onlyId !== undefined) yield [this.onlyId, this.onlyEntry as RoomEntry];
  }
}
