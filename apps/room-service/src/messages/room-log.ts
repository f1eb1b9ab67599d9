import { Clock } from '@live-im/bootstrap';
import {
  ErrorCode,
  HistoryResult,
  LaneMessages,
  RoomMessage,
  RoomRpc,
  RpcError,
  RpcRequest,
  RpcResponse,
} from '@live-im/contracts';
import { LuaScript, RedisClient } from '@live-im/redis';
import { pairsToRecord, toRoomInfo } from '../rooms/room-hash';
import { RoomKeys } from '../rooms/room-keys';

/**
 * One lane's page, read in one script so latestSeq is never behind the messages returned.
 * KEYS: room, seq, log. ARGV: afterSeq, limit.
 */
const HISTORY = new LuaScript(`
if redis.call('EXISTS', KEYS[1]) == 0 then return {0} end
local latest = redis.call('GET', KEYS[2]) or '0'
local oldest = redis.call('ZRANGE', KEYS[3], 0, 0, 'WITHSCORES')
local messages = redis.call('ZRANGEBYSCORE', KEYS[3], '(' .. ARGV[1], '+inf', 'LIMIT', 0, ARGV[2])
return {1, latest, oldest[2] or '0', messages}
`);

/**
 * Admission and the room's state as of one instant: seqs, the recent messages of both lanes and,
 * when resuming, up to limit + 1 missed messages per lane (the extra one tells that more remain).
 * KEYS: room, banned, seq normal, seq important, log normal, log important.
 * ARGV: userId, now, recentNormal, recentImportant, resuming ('1'/'0'), afterNormal, afterImportant, limit.
 */
const JOIN = new LuaScript(`
local hash = redis.call('HGETALL', KEYS[1])
if #hash == 0 then return {'NOT_FOUND'} end
if redis.call('HGET', KEYS[1], 'status') ~= 'open' then return {'ROOM_CLOSED'} end
local banned = redis.call('ZSCORE', KEYS[2], ARGV[1])
if banned and tonumber(banned) > tonumber(ARGV[2]) then return {'BANNED', banned} end
local function recent(logKey, n)
  if n == 0 then return {} end
  return redis.call('ZRANGE', logKey, -n, -1)
end
local reply = {'OK', hash, redis.call('GET', KEYS[3]) or '0', redis.call('GET', KEYS[4]) or '0',
  recent(KEYS[5], tonumber(ARGV[3])), recent(KEYS[6], tonumber(ARGV[4]))}
if ARGV[5] == '1' then
  local more = tonumber(ARGV[8]) + 1
  reply[7] = redis.call('ZRANGEBYSCORE', KEYS[5], '(' .. ARGV[6], '+inf', 'LIMIT', 0, more)
  reply[8] = redis.call('ZRANGEBYSCORE', KEYS[6], '(' .. ARGV[7], '+inf', 'LIMIT', 0, more)
end
return reply
`);

/**
 * Admission of many users at once, with the room and its seqs as of one instant.
 * KEYS: room, banned, seq normal, seq important. ARGV: now, userId...
 * Replies 'OK', room hash, seq normal, seq important, then (userId, bannedUntil) for each banned user.
 */
const ADMIT = new LuaScript(`
local hash = redis.call('HGETALL', KEYS[1])
if #hash == 0 then return {'NOT_FOUND'} end
if redis.call('HGET', KEYS[1], 'status') ~= 'open' then return {'ROOM_CLOSED'} end
local users = {}
for i = 2, #ARGV do users[#users + 1] = ARGV[i] end
local scores = redis.call('ZMSCORE', KEYS[2], unpack(users))
local banned = {}
for i, score in ipairs(scores) do
  if score and tonumber(score) > tonumber(ARGV[1]) then
    banned[#banned + 1] = users[i]
    banned[#banned + 1] = score
  end
end
return {'OK', hash, redis.call('GET', KEYS[3]) or '0', redis.call('GET', KEYS[4]) or '0', banned}
`);

export interface JoinSettings {
  recentNormal: number;
  recentImportant: number;
  /** Missed messages per lane a resume returns at most. */
  resumeLimit: number;
}

/** 'OK', room hash, seq normal, seq important, recent normal, recent important[, missed normal, missed important]. */
type JoinAdmitted = ['OK', string[], string, string, string[], string[], string[]?, string[]?];
/** A refusal code, and the ban's end for BANNED. */
type JoinRefused = [string, string?];

/** Reads of a room's message log: history pages and what a joining member needs. */
export class RoomLog {
  constructor(
    private readonly redis: RedisClient,
    private readonly keys: RoomKeys,
    private readonly clock: Clock,
    private readonly settings: JoinSettings,
  ) {}

  /** Messages with seq > afterSeq, oldest first. NOT_FOUND for an unknown room; closed rooms stay readable. */
  async history(req: RpcRequest<typeof RoomRpc.history>): Promise<HistoryResult> {
    const { roomId, lane } = req;
    const reply = (await HISTORY.run(
      this.redis,
      [this.keys.room(roomId), this.keys.seq(roomId, lane), this.keys.log(roomId, lane)],
      [req.afterSeq, req.limit],
    )) as [0] | [1, string, string, string[]];
    if (reply[0] === 0) throw new RpcError(ErrorCode.NOT_FOUND, `no room ${roomId}`);
    return {
      roomId,
      lane,
      messages: parseMessages(reply[3]),
      latestSeq: Number(reply[1]),
      oldestSeq: Number(reply[2]),
    };
  }

  /** NOT_FOUND or ROOM_CLOSED for the room; otherwise the room, its seqs and which users are banned. */
  async admit(req: RpcRequest<typeof RoomRpc.admit>): Promise<RpcResponse<typeof RoomRpc.admit>> {
    const { roomId } = req;
    const reply = (await ADMIT.run(
      this.redis,
      [
        this.keys.room(roomId),
        this.keys.banned(roomId),
        this.keys.seq(roomId, 'normal'),
        this.keys.seq(roomId, 'important'),
      ],
      [this.clock.now(), ...req.userIds],
    )) as ['OK', string[], string, string, string[]] | [string];
    if (reply[0] !== 'OK') throw joinRefusal(reply[0], undefined, roomId);
    const [, hash, normalSeq, importantSeq, bannedPairs] = reply as [
      'OK',
      string[],
      string,
      string,
      string[],
    ];
    const banned: Array<{ userId: string; bannedUntil: number }> = [];
    for (let i = 0; i + 1 < bannedPairs.length; i += 2) {
      banned.push({ userId: bannedPairs[i], bannedUntil: Number(bannedPairs[i + 1]) });
    }
    return {
      room: toRoomInfo(pairsToRecord(hash), roomId),
      seqs: { normal: Number(normalSeq), important: Number(importantSeq) },
      banned,
    };
  }

  /** NOT_FOUND, ROOM_CLOSED, BANNED; otherwise the room as the member enters it. */
  async join(req: RpcRequest<typeof RoomRpc.join>): Promise<RpcResponse<typeof RoomRpc.join>> {
    const { roomId, resume } = req;
    const { recentNormal, recentImportant, resumeLimit } = this.settings;
    const reply = (await JOIN.run(
      this.redis,
      [
        this.keys.room(roomId),
        this.keys.banned(roomId),
        this.keys.seq(roomId, 'normal'),
        this.keys.seq(roomId, 'important'),
        this.keys.log(roomId, 'normal'),
        this.keys.log(roomId, 'important'),
      ],
      [
        req.userId,
        this.clock.now(),
        recentNormal,
        recentImportant,
        resume === undefined ? '0' : '1',
        resume?.normalSeq ?? 0,
        resume?.importantSeq ?? 0,
        resumeLimit,
      ],
    )) as JoinAdmitted | JoinRefused;
    if (reply[0] !== 'OK') {
      const [code, until] = reply as JoinRefused;
      throw joinRefusal(code, until, roomId);
    }
    const [, hash, normalSeq, importantSeq, recentN, recentI, missedN, missedI] = reply as JoinAdmitted;
    let missed: (LaneMessages & { complete: boolean }) | null = null;
    if (missedN !== undefined && missedI !== undefined) {
      missed = {
        important: parseMessages(missedI.slice(0, resumeLimit)),
        normal: parseMessages(missedN.slice(0, resumeLimit)),
        complete: missedI.length <= resumeLimit && missedN.length <= resumeLimit,
      };
    }
    return {
      room: toRoomInfo(pairsToRecord(hash), roomId),
      seqs: { normal: Number(normalSeq), important: Number(importantSeq) },
      recent: { important: parseMessages(recentI), normal: parseMessages(recentN) },
      missed,
    };
  }
}

function joinRefusal(code: string, until: string | undefined, roomId: string): RpcError {
  if (code === 'NOT_FOUND') return new RpcError(ErrorCode.NOT_FOUND, `no room ${roomId}`);
  if (code === 'ROOM_CLOSED') return new RpcError(ErrorCode.ROOM_CLOSED, `room ${roomId} is closed`);
  if (code === 'BANNED')
    return new RpcError(ErrorCode.BANNED, `banned from room ${roomId}`, { bannedUntil: Number(until) });
  return new RpcError(ErrorCode.INTERNAL, 'unexpected reply from the join script');
}

/** The log holds only envelopes this service encoded, so they are parsed, not re-validated. */
function parseMessages(entries: readonly string[]): RoomMessage[] {
  return entries.map((entry) => JSON.parse(entry) as RoomMessage);
}
