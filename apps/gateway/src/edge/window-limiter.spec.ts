import { ErrorCode, RpcError } from '@live-im/contracts';
import { WindowLimiter } from './window-limiter';

function refusal(take: () => void): RpcError {
  try {
    take();
  } catch (error) {
    if (error instanceof RpcError) return error;
    throw error;
  }
  throw new Error('not refused');
}

describe('WindowLimiter', () => {
  it('lets a key take its points per window and says when the window closes', () => {
    let now = 1_000;
    const limiter = new WindowLimiter<string>(2, 1000, () => now);
    limiter.take('a', 'events');
    now += 300;
    limiter.take('a', 'events');
    now += 100;
    const refused = refusal(() => limiter.take('a', 'events'));
    expect(refused.code).toBe(ErrorCode.RATE_LIMITED);
    expect(refused.message).toBe('too many events; retry in 600 ms');
    expect(refused.details).toEqual({ retryAfterMs: 600 });
    // Another key has a window of its own.
    limiter.take('b', 'events');
    // Once the window closed, a new one opens with the next take.
    now += 600;
    limiter.take('a', 'events');
    limiter.take('a', 'events');
    expect(() => limiter.take('a', 'events')).toThrow(RpcError);
  });

  it('forgets closed windows in one sweep, and a forgotten key at once', () => {
    let now = 0;
    const limiter = new WindowLimiter<object>(5, 1000, () => now);
    const keys = Array.from({ length: 100 }, () => ({}));
    for (const key of keys) limiter.take(key, 'joins');
    limiter.forget(keys[0]);
    expect(limiter.size).toBe(99);
    now = 500;
    limiter.take(keys[1], 'joins');
    limiter.sweep();
    expect(limiter.size).toBe(99);
    now = 1000;
    limiter.sweep();
    expect(limiter.size).toBe(0);
  });
});
