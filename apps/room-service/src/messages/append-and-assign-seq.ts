/**
 * Lua that appends one envelope to a lane's log and assigns its seq: the seq and the log entry are
 * written in the same script, so a seq is never given out without its message (no gaps), and the
 * log is trimmed to the newest maxLen entries (see LaneLogPolicy). Every script that appends a
 * message (send, like flush, room close) starts with this source and calls `append`.
 */
export const APPEND_AND_ASSIGN_SEQ_LUA = `
local function append(seqKey, logKey, head, tail, maxLen, ttlMs)
  local seq = redis.call('INCR', seqKey)
  local json = head .. seq .. tail
  redis.call('ZADD', logKey, seq, json)
  redis.call('ZREMRANGEBYRANK', logKey, 0, -(tonumber(maxLen) + 1))
  redis.call('PEXPIRE', logKey, ttlMs)
  return seq, json
end
`;
