import { Inject, Injectable } from '@nestjs/common';
import { ErrorCode, RoomInfo, RpcError, RpcRequest, RoomRpc } from '@live-im/contracts';
import { REDIS, RedisKeys } from '@live-im/redis';
import Redis from 'ioredis';
import { z } from 'zod';
import { Clock } from '@live-im/bootstrap';
import { LuaScript } from '@live-im/redis';

const RoomHash = z.object({
  roomId: z.string(),
  title: z.string(),
  ownerId: z.string(),
  status: z.enum(['open', 'closed']),
  createdAt: z.coerce.number().int(),
  closedAt: z.coerce.number().int().optional(),
});

/**
 * Opens a room unless an open one holds the id. A closed room's id may be opened again: the hash
 * is replaced whole, so nothing of the old room (title, close time, reason) leaks into the new one.
 * Returns the open room's hash with ok=0 when the id is taken.
 */
const CREATE_ROOM = new LuaScript(`
if redis.call('HGET', KEYS[1], 'status') == 'open' then return {0, redis.call('HGETALL', KEYS[1])} end
redis.call('DEL', KEYS[1])
redis.call('HSET', KEYS[1], 'roomId', ARGV[1], 'title', ARGV[2], 'ownerId', ARGV[3], 'status', 'open', 'createdAt', ARGV[4])
return {1, redis.call('HGETALL', KEYS[1])}
`);

/** Closes an open room; a closed room is returned unchanged, an unknown one as an empty hash. */
const CLOSE_ROOM = new LuaScript(`
if redis.call('HGET', KEYS[1], 'status') == 'open' then
  redis.call('HSET', KEYS[1], 'status', 'closed', 'closedAt', ARGV[1])
  if ARGV[2] ~= '' then redis.call('HSET', KEYS[1], 'closeReason', ARGV[2]) end
end
return redis.call('HGETALL', KEYS[1])
`);

/**
 * The rooms' lifecycle in Redis. A room's hash lives at `room:{<roomId>}`: the `{roomId}` hash tag
 * keeps it on the same Redis Cluster slot as every other key the room will own.
 */
@Injectable()
export class RoomStore {
  constructor(
    @Inject(REDIS) private readonly redis: Redis,
    private readonly keys: RedisKeys,
    private readonly clock: Clock,
  ) {}

  /** ALREADY_EXISTS when an open room has the id. */
  async create(req: RpcRequest<typeof RoomRpc.create>): Promise<RoomInfo> {
    const reply = await CREATE_ROOM.run(
      this.redis,
      [this.roomKey(req.roomId)],
      [req.roomId, req.title, req.ownerId, this.clock.now()],
    );
    const [created, hash] = reply as [number, string[]];
    if (created !== 1) throw new RpcError(ErrorCode.ALREADY_EXISTS, `room ${req.roomId} is already open`);
    return toRoomInfo(pairsToRecord(hash), req.roomId);
  }

  /** NOT_FOUND when the room was never created. */
  async get(req: RpcRequest<typeof RoomRpc.get>): Promise<RoomInfo> {
    return toRoomInfo(await this.redis.hgetall(this.roomKey(req.roomId)), req.roomId);
  }

  /** Idempotent: closing a closed room returns it as it was closed the first time. */
  async close(req: RpcRequest<typeof RoomRpc.close>): Promise<RoomInfo> {
    const hash = await CLOSE_ROOM.run(
      this.redis,
      [this.roomKey(req.roomId)],
      [this.clock.now(), req.reason ?? ''],
    );
    return toRoomInfo(pairsToRecord(hash as string[]), req.roomId);
  }

  private roomKey(roomId: string): string {
    return this.keys.key('room', `{${roomId}}`);
  }
}

function toRoomInfo(hash: Record<string, string>, roomId: string): RoomInfo {
  if (Object.keys(hash).length === 0) throw new RpcError(ErrorCode.NOT_FOUND, `no room ${roomId}`);
  const { closedAt, ...room } = RoomHash.parse(hash);
  return { ...room, closedAt: closedAt ?? null };
}

function pairsToRecord(flat: readonly string[]): Record<string, string> {
  const record: Record<string, string> = {};
  for (let i = 0; i + 1 < flat.length; i += 2) record[flat[i]] = flat[i + 1];
  return record;
}
