import type { RoomLane } from './room-lane';

/**
 * When each room lane's longest-waiting out-of-order message has waited REORDER_HOLD_MS. Unlike
 * merge windows these do not come due in the order they were set (a lane whose first gap fills
 * waits on for a later-parked message), so this is a binary min-heap over parallel arrays: no
 * object per entry. An entry carries the lane's hold generation; one the lane has moved past is
 * skipped when it comes due.
 */
export class HoldDeadlines {
  private readonly lanes: Array<RoomLane | undefined> = [];
  private readonly generations: number[] = [];
  private readonly deadlines: number[] = [];

  get size(): number {
    return this.lanes.length;
  }

  /** True when the earliest entry is due at `now`. */
  hasDue(now: number): boolean {
    return this.lanes.length > 0 && this.deadlines[0] <= now;
  }

  push(lane: RoomLane, generation: number, deadline: number): void {
    let at = this.lanes.length;
    this.lanes.push(lane);
    this.generations.push(generation);
    this.deadlines.push(deadline);
    while (at > 0) {
      const parent = (at - 1) >> 1;
      if (this.deadlines[parent] <= deadline) break;
      this.move(parent, at);
      at = parent;
    }
    this.place(at, lane, generation, deadline);
  }

  /**
   * Pops every entry due at `now`, calling `release` with its lane and generation. `release` may
   * push again (a later deadline for the same lane); that entry is not due yet, so it stays.
   */
  popDue(now: number, release: (lane: RoomLane, generation: number, now: number) => void): void {
    while (this.hasDue(now)) {
      const lane = this.lanes[0] as RoomLane;
      const generation = this.generations[0];
      this.removeTop();
      release(lane, generation, now);
    }
  }

  private removeTop(): void {
    const last = this.lanes.length - 1;
    const lane = this.lanes[last] as RoomLane;
    const generation = this.generations[last];
    const deadline = this.deadlines[last];
    this.lanes.length = last;
    this.generations.length = last;
    this.deadlines.length = last;
    if (last === 0) return;
    let at = 0;
    for (;;) {
      const left = 2 * at + 1;
      if (left >= last) break;
      const right = left + 1;
      const child = right < last && this.deadlines[right] < this.deadlines[left] ? right : left;
      if (this.deadlines[child] >= deadline) break;
      this.move(child, at);
      at = child;
    }
    this.place(at, lane, generation, deadline);
  }

  private move(from: number, to: number): void {
    this.lanes[to] = this.lanes[from];
    this.generations[to] = this.generations[from];
    this.deadlines[to] = this.deadlines[from];
  }

  private place(at: number, lane: RoomLane, generation: number, deadline: number): void {
    this.lanes[at] = lane;
    this.generations[at] = generation;
    this.deadlines[at] = deadline;
  }
}
