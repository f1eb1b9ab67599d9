import { ErrorCode, RpcError } from '@live-im/contracts';
import { RoomKeys } from '../rooms/room-keys';
import type { ScriptReply } from './send-checks';

export interface SendRateLimits {
  userPoints: number;
  userWindowSec: number;
  roomPoints: number;
  roomWindowSec: number;
}

/**
 * Lua run first by every script that sends on behalf of a user: takes one send from the user's
 * budget in the room and from the room's (fixed windows: a counter that expires with its window).
 * Returns {'RATE_LIMITED', ms until the later of the spent windows ends} when either is spent, else
 * nil. userPoints 0: a send nobody is charged for (the system), no counter touched.
 *
 * As rate-limiter-flexible's RateLimiterRedis, which this replaces on the send path (same keys,
 * same counters): both budgets are charged even when one refuses, and a refused send counts too,
 * so a client that keeps hammering keeps its window spent.
 */
export const SEND_RATE_LUA = `
local function spend(key, points, windowSec)
  local used = redis.call('INCR', key)
  local ttl = redis.call('PTTL', key)
  if ttl < 0 then
    redis.call('EXPIRE', key, windowSec)
    ttl = 1000 * tonumber(windowSec)
  end
  if used > tonumber(points) then return ttl end
  return nil
end
local function rateLimit(userKey, roomKey, userPoints, userWindowSec, roomPoints, roomWindowSec)
  if tonumber(userPoints) == 0 then return nil end
  local user = spend(userKey, userPoints, userWindowSec)
  local room = spend(roomKey, roomPoints, roomWindowSec)
  if user or room then return {'RATE_LIMITED', math.max(user or 0, room or 0)} end
  return nil
end
`;

/**
 * The send budgets (USER_RATE_*, ROOM_RATE_*), shared by every worker: checked inside the script
 * that sends, so a send is one Redis round trip. Their counters are room keys (`{R}:rate:...`), on
 * the slot of the room's other keys, as every key of one script must be on Redis Cluster.
 */
export class SendRates {
  constructor(
    private readonly keys: RoomKeys,
    private readonly limits: SendRateLimits,
  ) {}

  /** The counters SEND_RATE_LUA takes as (userKey, roomKey). */
  keysOf(roomId: string, userId: string): [string, string] {
    return [this.keys.userRate(roomId, userId), this.keys.roomRate(roomId)];
  }

  /** SEND_RATE_LUA's (userPoints, userWindowSec, roomPoints, roomWindowSec); zeros when not charged. */
  argsOf(charged: boolean): [number, number, number, number] {
    if (!charged) return [0, 0, 0, 0];
    const { userPoints, userWindowSec, roomPoints, roomWindowSec } = this.limits;
    return [userPoints, userWindowSec, roomPoints, roomWindowSec];
  }
}

/** RATE_LIMITED with details.retryAfterMs for SEND_RATE_LUA's refusal; undefined for any other reply. */
export function rateLimitedError(reply: ScriptReply): RpcError | undefined {
  if (reply[0] !== 'RATE_LIMITED') return undefined;
  return new RpcError(ErrorCode.RATE_LIMITED, 'sending too fast; retry later', {
    retryAfterMs: Number(reply[1]),
  });
}
