import { LuaScript } from '@live-im/redis';

/**
 * One gateway's flush of one room, atomic so a reader never sees a resync half-done.
 * KEYS: online hash, viewers-ever HLL, then the gateway's member shard sets this flush touches.
 * ARGV: gatewayId, count, now, leaseExpiresAt, leaseMs, resync (1|0), capPerShard,
 *       #arrived, #removed, #added, arrived userIds..., removed (KEYS index, entry)...,
 *       added (KEYS index, entry)...
 * Returns 0 when the gateway's lease had lapsed before this incremental flush: its sets may have
 * expired meanwhile, so the caller must resync the room; 1 otherwise.
 */
export const FLUSH_ROOM = new LuaScript(`
local online, viewers = KEYS[1], KEYS[2]
local gateway, now, leaseMs = ARGV[1], tonumber(ARGV[3]), tonumber(ARGV[5])
local resync, cap = ARGV[6] == '1', tonumber(ARGV[7])
local removedFrom = 11 + tonumber(ARGV[8])
local addedFrom = removedFrom + 2 * tonumber(ARGV[9])
local addedTo = addedFrom + 2 * tonumber(ARGV[10]) - 1

for i = 11, removedFrom - 1, 500 do
  redis.call('PFADD', viewers, unpack(ARGV, i, math.min(i + 499, removedFrom - 1)))
end
if ARGV[2] == '0' then
  redis.call('HDEL', online, gateway)
  if #KEYS > 2 then redis.call('DEL', unpack(KEYS, 3)) end
  return 1
end

local previous = redis.call('HGET', online, gateway)
local lease = previous and tonumber(string.match(previous, ':(%d+)$')) or 0
local intact = resync or lease > now
redis.call('HSET', online, gateway, ARGV[2] .. ':' .. ARGV[4])
-- The hash outlives its freshest field only: it vanishes once every gateway stopped flushing.
if redis.call('PTTL', online) < leaseMs then redis.call('PEXPIRE', online, leaseMs) end

if resync and #KEYS > 2 then redis.call('DEL', unpack(KEYS, 3)) end
for i = removedFrom, addedFrom - 1, 2 do
  redis.call('SREM', KEYS[tonumber(ARGV[i])], ARGV[i + 1])
end
for i = addedFrom, addedTo, 2 do
  local set = KEYS[tonumber(ARGV[i])]
  if redis.call('SCARD', set) < cap then redis.call('SADD', set, ARGV[i + 1]) end
end
for i = 3, #KEYS do redis.call('PEXPIRE', KEYS[i], leaseMs) end
if intact then return 1 end
return 0
`);

/**
 * The live sum of a room's online hash (KEYS[1]; expired gateway fields removed) into `count`, and
 * its peak (KEYS[2]) raised to it into `peak`; ARGV[1] is now. Shared by the scripts below.
 */
const SUM_ONLINE = `local now = tonumber(ARGV[1])
local fields = redis.call('HGETALL', KEYS[1])
local count = 0
for i = 1, #fields, 2 do
  local users, lease = string.match(fields[i + 1], '^(%d+):(%d+)$')
  if users and tonumber(lease) > now then
    count = count + tonumber(users)
  else
    redis.call('HDEL', KEYS[1], fields[i])
  end
end
local peak = tonumber(redis.call('GET', KEYS[2]) or '0') or 0
if count > peak then
  peak = count
  redis.call('SET', KEYS[2], count)
end
`;

/**
 * A room's presence figures. KEYS: online hash, peak, viewers-ever HLL. ARGV: now.
 * Expired gateway fields are removed; the peak is raised to the live sum.
 * Returns {count, peak, viewersEver}.
 */
export const READ_ONLINE = new LuaScript(`
${SUM_ONLINE}return {count, peak, redis.call('PFCOUNT', KEYS[3])}
`);

/**
 * A room's figures for its aggregation owner: READ_ONLINE's, plus the latest seq of each lane.
 * KEYS: online hash, peak, viewers-ever HLL, normal seq, important seq. ARGV: now.
 * Returns {count, peak, viewersEver, normalSeq, importantSeq}.
 */
export const READ_ROOM_FIGURES = new LuaScript(`
${SUM_ONLINE}local normal = tonumber(redis.call('GET', KEYS[4]) or '0') or 0
local important = tonumber(redis.call('GET', KEYS[5]) or '0') or 0
return {count, peak, redis.call('PFCOUNT', KEYS[3]), normal, important}
`);
