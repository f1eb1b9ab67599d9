import { Clock } from '@live-im/bootstrap';
import {
  ErrorCode,
  RoomRpc,
  RpcError,
  RpcRequest,
  RpcResponse,
  SYSTEM_SENDER,
  SystemEvent,
} from '@live-im/contracts';
import { LuaScript, RedisClient } from '@live-im/redis';
import { UserChannels } from '../channels/user-channels';
import { newMessageId } from '../messages/envelope';
import { RoomKeys } from '../rooms/room-keys';

/** "Until further notice": the latest time a JS Date can hold, as user-service uses for bans. */
export const PERMANENT_UNTIL = 8_640_000_000_000_000;

/**
 * Adds or removes one user in a room's muted or banned set, dropping entries whose time has
 * passed on the way. KEYS: room, set. ARGV: 'add'|'remove', userId, untilMs, now. 0: no room.
 */
const MODERATE = new LuaScript(`
if redis.call('EXISTS', KEYS[1]) == 0 then return 0 end
redis.call('ZREMRANGEBYSCORE', KEYS[2], '-inf', ARGV[4])
if ARGV[1] == 'add' then
  redis.call('ZADD', KEYS[2], ARGV[3], ARGV[2])
else
  redis.call('ZREM', KEYS[2], ARGV[2])
end
return 1
`);

type SetName = 'muted' | 'banned';

/** Room mutes, bans and kicks. A ban or kick tells the user's gateway to take them out of the room. */
export class RoomModeration {
  constructor(
    private readonly redis: RedisClient,
    private readonly keys: RoomKeys,
    private readonly clock: Clock,
    private readonly channels: UserChannels,
  ) {}

  async mute(req: RpcRequest<typeof RoomRpc.mute>): Promise<RpcResponse<typeof RoomRpc.mute>> {
    const mutedUntil = this.until(req.durationSec);
    await this.moderate('muted', 'add', req.roomId, req.userId, mutedUntil);
    return { roomId: req.roomId, userId: req.userId, mutedUntil };
  }

  async unmute(req: RpcRequest<typeof RoomRpc.unmute>): Promise<RpcResponse<typeof RoomRpc.unmute>> {
    await this.moderate('muted', 'remove', req.roomId, req.userId, 0);
    return { roomId: req.roomId, userId: req.userId, mutedUntil: null };
  }

  async ban(req: RpcRequest<typeof RoomRpc.ban>): Promise<RpcResponse<typeof RoomRpc.ban>> {
    const bannedUntil = this.until(req.durationSec);
    await this.moderate('banned', 'add', req.roomId, req.userId, bannedUntil);
    await this.sendKick(req.roomId, req.userId, req.reason);
    return { roomId: req.roomId, userId: req.userId, bannedUntil };
  }

  async unban(req: RpcRequest<typeof RoomRpc.unban>): Promise<RpcResponse<typeof RoomRpc.unban>> {
    await this.moderate('banned', 'remove', req.roomId, req.userId, 0);
    return { roomId: req.roomId, userId: req.userId, bannedUntil: null };
  }

  /** NOT_FOUND for an unknown room; the user may join again unless banned. */
  async kick(req: RpcRequest<typeof RoomRpc.kick>): Promise<RpcResponse<typeof RoomRpc.kick>> {
    if ((await this.redis.exists(this.keys.room(req.roomId))) === 0) throw noRoom(req.roomId);
    await this.sendKick(req.roomId, req.userId, req.reason);
    return { roomId: req.roomId, userId: req.userId };
  }

  private until(durationSec: number | undefined): number {
    return durationSec === undefined ? PERMANENT_UNTIL : this.clock.now() + durationSec * 1000;
  }

  private async moderate(
    set: SetName,
    op: 'add' | 'remove',
    roomId: string,
    userId: string,
    untilMs: number,
  ): Promise<void> {
    const setKey = set === 'muted' ? this.keys.muted(roomId) : this.keys.banned(roomId);
    const found = await MODERATE.run(
      this.redis,
      [this.keys.room(roomId), setKey],
      [op, userId, untilMs, this.clock.now()],
    );
    if (found !== 1) throw noRoom(roomId);
  }

  private async sendKick(roomId: string, userId: string, reason: string): Promise<void> {
    const now = this.clock.now();
    await this.channels.send([userId], {
      id: newMessageId(now),
      roomId,
      type: 'system',
      from: SYSTEM_SENDER,
      body: { event: SystemEvent.kick, reason },
      ts: now,
    });
  }
}

function noRoom(roomId: string): RpcError {
  return new RpcError(ErrorCode.NOT_FOUND, `no room ${roomId}`);
}
