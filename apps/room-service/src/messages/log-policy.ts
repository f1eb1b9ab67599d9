import { Lane } from '@live-im/contracts';

/** How much of a lane's log Redis keeps: the newest `maxLen` messages, for `ttlMs` after the last one. */
export interface LaneLogPolicy {
  maxLen: number;
  ttlMs: number;
}

export type LogPolicy = Readonly<Record<Lane, LaneLogPolicy>>;

/**
 * Lua for appending one envelope to a lane: the seq and the log entry are written in the same
 * script, so a seq is never given out without its message (no gaps), and the log is trimmed to
 * the newest maxLen entries. Scripts that append start with this source.
 */
export const APPEND_LUA = `
local function append(seqKey, logKey, head, tail, maxLen, ttlMs)
  local seq = redis.call('INCR', seqKey)
  local json = head .. seq .. tail
  redis.call('ZADD', logKey, seq, json)
  redis.call('ZREMRANGEBYRANK', logKey, 0, -(tonumber(maxLen) + 1))
  redis.call('PEXPIRE', logKey, ttlMs)
  return seq, json
end
`;
