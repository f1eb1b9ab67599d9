import { ErrorCode, RpcError } from '@live-im/contracts';
import { RateLimiterRedis, RateLimiterRes } from 'rate-limiter-flexible';
import { RoomKeys } from '../rooms/room-keys';
import type { RedisClient } from '@live-im/redis';

export interface SendRateLimits {
  userPoints: number;
  userWindowSec: number;
  roomPoints: number;
  roomWindowSec: number;
}

/**
 * Per user per room and per room send budgets (fixed windows in Redis, shared by every worker).
 * The keys are room keys, `{R}:rate:...`, so they live on the room's cluster slot.
 */
export class SendRateLimiter {
  private readonly perUser: RateLimiterRedis;
  private readonly perRoom: RateLimiterRedis;

  constructor(
    redis: RedisClient,
    private readonly keys: RoomKeys,
    limits: SendRateLimits,
  ) {
    // keyPrefix '' : the keys come whole from RoomKeys (prefix and hash tag included).
    this.perUser = new RateLimiterRedis({
      storeClient: redis,
      keyPrefix: '',
      points: limits.userPoints,
      duration: limits.userWindowSec,
    });
    this.perRoom = new RateLimiterRedis({
      storeClient: redis,
      keyPrefix: '',
      points: limits.roomPoints,
      duration: limits.roomWindowSec,
    });
  }

  /** Takes one send from both budgets; RATE_LIMITED with details.retryAfterMs when either is spent. */
  async consume(roomId: string, userId: string): Promise<void> {
    const outcomes = await Promise.allSettled([
      this.perUser.consume(this.keys.userRate(roomId, userId)),
      this.perRoom.consume(this.keys.roomRate(roomId)),
    ]);
    let limited = false;
    let retryAfterMs = 0;
    for (const outcome of outcomes) {
      if (outcome.status === 'fulfilled') continue;
      // The library rejects with a RateLimiterRes when over budget, with an Error when Redis fails.
      if (!(outcome.reason instanceof RateLimiterRes)) throw outcome.reason;
      limited = true;
      retryAfterMs = Math.max(retryAfterMs, outcome.reason.msBeforeNext);
    }
    if (limited) {
      throw new RpcError(ErrorCode.RATE_LIMITED, 'sending too fast; retry later', { retryAfterMs });
    }
  }
}
