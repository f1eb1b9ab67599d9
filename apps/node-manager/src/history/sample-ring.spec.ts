import { SampleRing } from './sample-ring';

describe('SampleRing', () => {
  it('keeps the last `capacity` samples, oldest first', () => {
    const ring = new SampleRing<number>(3);
    expect(ring.toArray()).toEqual([]);
    expect(ring.last()).toBeUndefined();
    ring.push(1);
    ring.push(2);
    expect(ring.toArray()).toEqual([1, 2]);
    for (const n of [3, 4, 5]) ring.push(n);
    expect(ring.toArray()).toEqual([3, 4, 5]);
    expect(ring.size).toBe(3);
    expect(ring.last()).toBe(5);
    for (let n = 6; n < 1006; n += 1) ring.push(n);
    expect(ring.toArray()).toEqual([1003, 1004, 1005]);
  });

  it('refuses a capacity that is not a positive integer', () => {
    expect(() => new SampleRing(0)).toThrow(/positive integer/);
    expect(() => new SampleRing(2.5)).toThrow(/positive integer/);
  });
});
