import { Clock } from '@live-im/bootstrap';
import { RoomRpc, RpcRequest, RpcResponse } from '@live-im/contracts';
import { PresenceStore } from '@live-im/presence';
import { toRoomInfo } from './room-hash';
import { RoomKeys } from './room-keys';
import type { RedisClient } from '@live-im/redis';

/** room.stats: the room, its presence figures (written by the gateways), latest seqs and like total. */
export class RoomStats {
  constructor(
    private readonly redis: RedisClient,
    private readonly keys: RoomKeys,
    private readonly presence: PresenceStore,
    private readonly clock: Clock,
  ) {}

  /** NOT_FOUND for an unknown room. */
  async stats(req: RpcRequest<typeof RoomRpc.stats>): Promise<RpcResponse<typeof RoomRpc.stats>> {
    const { roomId } = req;
    const [hash, normalSeq, importantSeq, likes] = await Promise.all([
      this.redis.hgetall(this.keys.room(roomId)),
      this.redis.get(this.keys.seq(roomId, 'normal')),
      this.redis.get(this.keys.seq(roomId, 'important')),
      this.redis.get(this.keys.likes(roomId)),
    ]);
    const room = toRoomInfo(hash, roomId);
    const online = await this.presence.online(roomId, this.clock.now());
    return {
      room,
      online,
      seqs: { normal: Number(normalSeq ?? 0), important: Number(importantSeq ?? 0) },
      likes: Number(likes ?? 0),
    };
  }
}
