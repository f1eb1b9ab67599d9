import { ErrorCode, RpcError } from '@live-im/contracts';
import { RateLimiterMemory, RateLimiterRes } from 'rate-limiter-flexible';

/** `points` per `key` per second, in this process's memory. */
export function perSecondLimiter(points: number, keyPrefix: string): RateLimiterMemory {
  return new RateLimiterMemory({ points, duration: 1, keyPrefix });
}

/** Takes one point for `key`; over the limit it rejects with RATE_LIMITED and when to retry. */
export async function consumeOrReject(limiter: RateLimiterMemory, key: string, what: string): Promise<void> {
  try {
    await limiter.consume(key);
  } catch (error) {
    if (error instanceof RateLimiterRes) {
      throw new RpcError(ErrorCode.RATE_LIMITED, `too many ${what}; retry in ${error.msBeforeNext} ms`, {
        retryAfterMs: error.msBeforeNext,
      });
    }
    throw error;
  }
}
