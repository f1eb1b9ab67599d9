import { ErrorCode, RpcError } from '@live-im/contracts';

/** One key's fixed window: points taken since it opened, and when it closes (ms). */
interface Window {
  used: number;
  closesAt: number;
}

/**
 * `points` per key per fixed window of `windowMs`, in this process's memory: a key's first take
 * opens its window, and the key may take `points` until it closes (what rate-limiter-flexible's
 * memory limiter does with a duration of one second). Closed windows are forgotten by one
 * sweeping timer for every key, running only while a window is open, rather than by a timer (and
 * its closure and key string) per key: with a window per connection, a burst of joins would leave
 * thousands of them to outlive their second and be promoted to the old generation as garbage.
 */
export class WindowLimiter<K> {
  private readonly windows = new Map<K, Window>();
  private sweepTimer: NodeJS.Timeout | undefined;

  constructor(
    private readonly points: number,
    private readonly windowMs = 1000,
    private readonly now: () => number = Date.now,
  ) {}

  /** Takes one point of `key`; over the limit it throws RATE_LIMITED with when to retry. */
  take(key: K, what: string): void {
    const now = this.now();
    let window = this.windows.get(key);
    if (window === undefined || window.closesAt <= now) {
      window = { used: 0, closesAt: now + this.windowMs };
      this.windows.set(key, window);
      this.sweepLater();
    }
    window.used += 1;
    if (window.used > this.points) {
      const retryAfterMs = window.closesAt - now;
      throw new RpcError(ErrorCode.RATE_LIMITED, `too many ${what}; retry in ${retryAfterMs} ms`, {
        retryAfterMs,
      });
    }
  }

  /** The key is gone (its connection closed): its window goes now. */
  forget(key: K): void {
    this.windows.delete(key);
  }

  /** Keys with a window held (closed ones until the next sweep). */
  get size(): number {
    return this.windows.size;
  }

  private sweepLater(): void {
    if (this.sweepTimer !== undefined) return;
    this.sweepTimer = setInterval(() => this.sweep(), this.windowMs);
    this.sweepTimer.unref();
  }

  /** Forgets closed windows; stops once none is held. */
  sweep(): void {
    const now = this.now();
    for (const [key, window] of this.windows) if (window.closesAt <= now) this.windows.delete(key);
    if (this.windows.size === 0) {
      clearInterval(this.sweepTimer);
      this.sweepTimer = undefined;
    }
  }
}
