import type { RoomLanes } from './room-lanes';

/**
 * When each open merge window closes. Every window lasts the same MERGE_WINDOW_MS, so windows
 * opened in time order close in time order: a FIFO ring is the whole timer wheel, O(1) per window,
 * driven by one interval (and by the reader, which checks the head each turn).
 */
export class WindowDeadlines {
  private rooms: Array<RoomLanes | undefined>;
  private generations: Float64Array;
  private deadlines: Float64Array;
  private head = 0;
  private length = 0;

  constructor(initialCapacity = 1024) {
    this.rooms = new Array<RoomLanes | undefined>(initialCapacity);
    this.generations = new Float64Array(initialCapacity);
    this.deadlines = new Float64Array(initialCapacity);
  }

  get size(): number {
    return this.length;
  }

  push(room: RoomLanes, generation: number, deadline: number): void {
    if (this.length === this.rooms.length) this.grow();
    const at = (this.head + this.length) % this.rooms.length;
    this.rooms[at] = room;
    this.generations[at] = generation;
    this.deadlines[at] = deadline;
    this.length += 1;
  }

  /** Pops every entry due at `now`, calling `close` with its room and window generation. */
  popDue(now: number, close: (room: RoomLanes, generation: number) => void): void {
    while (this.length > 0 && this.deadlines[this.head] <= now) {
      const room = this.rooms[this.head] as RoomLanes;
      const generation = this.generations[this.head];
      this.rooms[this.head] = undefined;
      this.head = (this.head + 1) % this.rooms.length;
      this.length -= 1;
      close(room, generation);
    }
  }

  private grow(): void {
    const capacity = this.rooms.length * 2;
    const rooms = new Array<RoomLanes | undefined>(capacity);
    const generations = new Float64Array(capacity);
    const deadlines = new Float64Array(capacity);
    for (let i = 0; i < this.length; i += 1) {
      const from = (this.head + i) % this.rooms.length;
      rooms[i] = this.rooms[from];
      generations[i] = this.generations[from];
      deadlines[i] = this.deadlines[from];
    }
    this.rooms = rooms;
    this.generations = generations;
    this.deadlines = deadlines;
    this.head = 0;
  }
}
