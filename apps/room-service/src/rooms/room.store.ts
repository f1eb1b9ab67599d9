import { Clock } from '@live-im/bootstrap';
import {
  ErrorCode,
  RoomInfo,
  RpcError,
  RpcRequest,
  RoomRpc,
  SYSTEM_SENDER,
  SystemEvent,
} from '@live-im/contracts';
import { roomStatisticKeys } from '@live-im/presence';
import { LuaScript, RedisClient } from '@live-im/redis';
import { RoomBroadcast } from '../broadcast/room-broadcast';
import { envelopeParts, joinEnvelope, newMessageId } from '../messages/envelope';
import { APPEND_AND_ASSIGN_SEQ_LUA } from '../messages/append-and-assign-seq';
import { LogPolicy } from '../messages/log-policy';
import { RoomMetrics } from '../metrics/room-metrics';
import { pairsToRecord, toRoomInfo } from './room-hash';
import { RoomKeys } from './room-keys';

/**
 * Opens a room unless an open one holds the id. A closed room's id may be opened again as a new
 * room: the hash is replaced whole (nothing of the old title, close time or reason leaks), its seqs,
 * logs and like total start afresh, and its epoch goes up so old clientMsgId records never match.
 * Viewers-ever and peak (libs/presence) start afresh too.
 * KEYS: room, seq normal, seq important, log normal, log important, likes, viewers-ever, peak.
 * Returns the open room's hash with ok=0 when the id is taken.
 */
const CREATE_ROOM = new LuaScript(`
if redis.call('HGET', KEYS[1], 'status') == 'open' then return {0, redis.call('HGETALL', KEYS[1])} end
local epoch = (tonumber(redis.call('HGET', KEYS[1], 'epoch')) or 0) + 1
redis.call('DEL', KEYS[1], KEYS[2], KEYS[3], KEYS[4], KEYS[5], KEYS[6], KEYS[7], KEYS[8])
redis.call('HSET', KEYS[1], 'roomId', ARGV[1], 'title', ARGV[2], 'ownerId', ARGV[3], 'status', 'open', 'createdAt', ARGV[4], 'epoch', epoch)
return {1, redis.call('HGETALL', KEYS[1])}
`);

/**
 * Closes an open room and logs its room_closed message on the important lane in the same step; a
 * closed room is returned unchanged (no second message), an unknown one as an empty hash.
 * KEYS: room, seq important, log important. ARGV: now, reason, head, tail, maxLen, logTtlMs.
 */
const CLOSE_ROOM = new LuaScript(`${APPEND_AND_ASSIGN_SEQ_LUA}
if redis.call('HGET', KEYS[1], 'status') == 'open' then
  redis.call('HSET', KEYS[1], 'status', 'closed', 'closedAt', ARGV[1])
  if ARGV[2] ~= '' then redis.call('HSET', KEYS[1], 'closeReason', ARGV[2]) end
  local seq = append(KEYS[2], KEYS[3], ARGV[3], ARGV[4], ARGV[5], ARGV[6])
  return {seq, redis.call('HGETALL', KEYS[1])}
end
return {0, redis.call('HGETALL', KEYS[1])}
`);

/** What members read as the reason when a room is closed without one. */
const DEFAULT_CLOSE_REASON = 'the room was closed';

/**
 * The rooms' lifecycle in Redis. A room's hash lives at `room:{<roomId>}`: the `{roomId}` hash tag
 * keeps it on the same Redis Cluster slot as every other key the room owns.
 */
export class RoomStore {
  constructor(
    private readonly redis: RedisClient,
    private readonly keys: RoomKeys,
    private readonly clock: Clock,
    private readonly broadcast: RoomBroadcast,
    private readonly metrics: RoomMetrics,
    private readonly log: LogPolicy,
  ) {}

  /** ALREADY_EXISTS when an open room has the id. */
  async create(req: RpcRequest<typeof RoomRpc.create>): Promise<RoomInfo> {
    const { roomId } = req;
    const reply = await CREATE_ROOM.run(
      this.redis,
      [
        this.keys.room(roomId),
        this.keys.seq(roomId, 'normal'),
        this.keys.seq(roomId, 'important'),
        this.keys.log(roomId, 'normal'),
        this.keys.log(roomId, 'important'),
        this.keys.likes(roomId),
        ...Object.values(roomStatisticKeys(this.keys.keys, roomId)),
      ],
      [roomId, req.title, req.ownerId, this.clock.now()],
    );
    const [created, hash] = reply as [number, string[]];
    if (created !== 1) throw new RpcError(ErrorCode.ALREADY_EXISTS, `room ${roomId} is already open`);
    return toRoomInfo(pairsToRecord(hash), roomId);
  }

  /** NOT_FOUND when the room was never created. */
  async get(req: RpcRequest<typeof RoomRpc.get>): Promise<RoomInfo> {
    return toRoomInfo(await this.redis.hgetall(this.keys.room(req.roomId)), req.roomId);
  }

  /**
   * Idempotent: closing a closed room returns it as it was closed the first time. The first close
   * publishes room_closed to the room, which makes every member leave.
   */
  async close(req: RpcRequest<typeof RoomRpc.close>): Promise<RoomInfo> {
    const { roomId } = req;
    const now = this.clock.now();
    const parts = envelopeParts({
      id: newMessageId(now),
      roomId,
      lane: 'important',
      type: 'system',
      from: SYSTEM_SENDER,
      body: { event: SystemEvent.roomClosed, reason: req.reason ?? DEFAULT_CLOSE_REASON },
      ts: now,
    });
    const policy = this.log.important;
    const reply = await CLOSE_ROOM.run(
      this.redis,
      [this.keys.room(roomId), this.keys.seq(roomId, 'important'), this.keys.log(roomId, 'important')],
      [now, req.reason ?? '', parts.head, parts.tail, policy.maxLen, policy.ttlMs],
    );
    const [seq, hash] = reply as [number, string[]];
    const room = toRoomInfo(pairsToRecord(hash), roomId);
    if (seq > 0) {
      this.metrics.messageAppended('important', 'system');
      this.broadcast.toRoom(roomId, 'important', seq, joinEnvelope(parts, seq));
    }
    return room;
  }
}
