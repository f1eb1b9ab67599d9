import { Backoff, BackoffOptions } from './backoff';

const options = (o: Partial<BackoffOptions> = {}) => BackoffOptions.parse(o);

describe('Backoff', () => {
  it('defaults to 500 ms .. 15 s, factor 2, jitter 0.5', () => {
    expect(options()).toEqual({ minDelayMs: 500, maxDelayMs: 15_000, factor: 2, jitter: 0.5 });
  });

  it('grows by the factor up to the cap without jitter', () => {
    const backoff = new Backoff(options({ minDelayMs: 100, maxDelayMs: 1000, jitter: 0 }), () => 0.7);
    expect(Array.from({ length: 7 }, () => backoff.next())).toEqual([100, 200, 400, 800, 1000, 1000, 1000]);
    backoff.reset();
    expect(backoff.next()).toBe(100);
  });

  it('takes up to `jitter` of each delay off, the first one included, never above max', () => {
    const opts = options({ minDelayMs: 500, maxDelayMs: 15_000, factor: 2, jitter: 0.5 });
    const low = new Backoff(opts, () => 1);
    const high = new Backoff(opts, () => 0);
    for (let attempt = 0; attempt < 12; attempt += 1) {
      const base = Math.min(15_000, 500 * 2 ** attempt);
      const smallest = low.next();
      const largest = high.next();
      expect(largest).toBe(base);
      expect(smallest).toBe(Math.round(base * 0.5));
    }
  });

  it('spreads the first delay of many clients over [min·(1−jitter), min]', () => {
    const opts = options({ minDelayMs: 500, jitter: 0.5 });
    const firsts = Array.from({ length: 200 }, () => new Backoff(opts).next());
    expect(Math.min(...firsts)).toBeGreaterThanOrEqual(250);
    expect(Math.max(...firsts)).toBeLessThanOrEqual(500);
    expect(new Set(firsts).size).toBeGreaterThan(50);
  });

  it('draws every delay within [min·(1−jitter), max] and within the jitter band of its base', () => {
    const opts = options({ minDelayMs: 200, maxDelayMs: 5000, factor: 3, jitter: 0.8 });
    let seed = 42;
    const random = () => {
      seed = (seed * 16807) % 2147483647;
      return seed / 2147483647;
    };
    const backoff = new Backoff(opts, random);
    for (let attempt = 0; attempt < 200; attempt += 1) {
      const base = backoff.baseFor(backoff.attempts);
      const delay = backoff.next();
      expect(delay).toBeGreaterThanOrEqual(Math.floor(200 * 0.2));
      expect(delay).toBeLessThanOrEqual(5000);
      expect(delay).toBeGreaterThanOrEqual(Math.floor(base * 0.2));
      expect(delay).toBeLessThanOrEqual(base);
    }
  });

  it('rejects options out of range', () => {
    expect(BackoffOptions.safeParse({ minDelayMs: 1000, maxDelayMs: 10 }).success).toBe(false);
    expect(BackoffOptions.safeParse({ jitter: 1.5 }).success).toBe(false);
    expect(BackoffOptions.safeParse({ factor: 0.5 }).success).toBe(false);
  });
});
