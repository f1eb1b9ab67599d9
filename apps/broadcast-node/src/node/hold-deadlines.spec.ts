import { HoldDeadlines } from './hold-deadlines';
import type { RoomLane } from './room-lane';

const lane = (id: number) => ({ id }) as unknown as RoomLane;

describe('HoldDeadlines', () => {
  it('pops entries in deadline order, only once due, whatever order they were pushed in', () => {
    const holds = new HoldDeadlines();
    let state = 7;
    const random = () => (state = (Math.imul(state, 1103515245) + 12345) >>> 0) / 2 ** 32;
    const pushed: number[] = [];
    for (let i = 0; i < 500; i += 1) {
      const deadline = Math.floor(random() * 1000);
      pushed.push(deadline);
      holds.push(lane(i), i, deadline);
    }
    const popped: Array<{ deadline: number; generation: number }> = [];
    for (let now = 0; now <= 1000; now += 37) {
      holds.popDue(now, (_lane, generation, at) => {
        expect(pushed[generation]).toBeLessThanOrEqual(at);
        popped.push({ deadline: pushed[generation], generation });
      });
      expect(holds.hasDue(now)).toBe(false);
    }
    expect(popped).toHaveLength(500);
    expect(holds.size).toBe(0);
    const deadlines = popped.map((p) => p.deadline);
    expect(deadlines).toEqual([...deadlines].sort((a, b) => a - b));
  });

  it('keeps an entry pushed back by its own release until it is due', () => {
    const holds = new HoldDeadlines();
    const a = lane(1);
    holds.push(a, 0, 10);
    const released: number[] = [];
    holds.popDue(10, (l, generation, now) => {
      released.push(now);
      holds.push(l, generation, now + 5);
    });
    expect(released).toEqual([10]);
    expect(holds.size).toBe(1);
    holds.popDue(14, () => released.push(-1));
    holds.popDue(15, (_l, _g, now) => released.push(now));
    expect(released).toEqual([10, 15]);
  });
});
