import { TokenBucket } from './token-bucket';

describe('TokenBucket', () => {
  it('lets a burst through at once, then refills at the rate, per key', () => {
    let now = 1_000;
    const bucket = new TokenBucket({ burst: 3, perSecond: 2 }, () => now);
    expect([bucket.take('a'), bucket.take('a'), bucket.take('a')].every((r) => r.ok)).toBe(true);
    expect(bucket.take('a')).toEqual({ ok: false, retryAfterMs: 500 });
    expect(bucket.take('b').ok).toBe(true);
    now += 500;
    expect(bucket.take('a').ok).toBe(true);
    expect(bucket.take('a').ok).toBe(false);
    now += 10_000;
    // Full again, never more than the burst.
    expect([1, 2, 3].map(() => bucket.take('a').ok)).toEqual([true, true, true]);
    expect(bucket.take('a').ok).toBe(false);
  });

  it('says how long until the next token', () => {
    let now = 0;
    const bucket = new TokenBucket({ burst: 1, perSecond: 4 }, () => now);
    expect(bucket.take('a').ok).toBe(true);
    now += 100;
    expect(bucket.take('a')).toEqual({ ok: false, retryAfterMs: 150 });
  });

  it('forgets keys whose bucket refilled, and never holds more than maxKeys', () => {
    let now = 0;
    const bucket = new TokenBucket({ burst: 2, perSecond: 1, maxKeys: 3 }, () => now);
    for (const key of ['a', 'b', 'c', 'd']) bucket.take(key);
    expect(bucket.size).toBe(3);
    now += 5_000;
    bucket.take('e');
    expect(bucket.size).toBe(1);
  });
});
