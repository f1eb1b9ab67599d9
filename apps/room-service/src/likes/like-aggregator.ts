import { Logger, OnApplicationBootstrap, OnApplicationShutdown } from '@nestjs/common';
import { Clock } from '@live-im/bootstrap';
import { RoomRpc, RpcError, RpcRequest, RpcResponse } from '@live-im/contracts';
import { LuaScript, RedisClient } from '@live-im/redis';
import { RoomBroadcast } from '../broadcast/room-broadcast';
import { newMessageId } from '../messages/envelope';
import { APPEND_AND_ASSIGN_SEQ_LUA } from '../messages/append-and-assign-seq';
import { LaneLogPolicy } from '../messages/log-policy';
import { moderationError, ScriptReply } from '../messages/send-checks';
import { assertMaySend } from '../messages/send-pipeline';
import { RoomMetrics } from '../metrics/room-metrics';
import { RoomKeys } from '../rooms/room-keys';
import { likeEnvelopeParts } from './like-envelope';

/** May this user like in this room now? KEYS: room, banned. ARGV: userId, now. */
const ADMIT_LIKE = new LuaScript(`
local status = redis.call('HGET', KEYS[1], 'status')
if not status then return {'NOT_FOUND'} end
if status ~= 'open' then return {'ROOM_CLOSED'} end
local banned = redis.call('ZSCORE', KEYS[2], ARGV[1])
if banned and tonumber(banned) > tonumber(ARGV[2]) then return {'BANNED', banned} end
return {'OK'}
`);

/**
 * Adds a worker's pending likes to the room's total and logs one aggregate message; a room closed
 * meanwhile takes none. KEYS: room, likes, seq normal, log normal.
 * ARGV: count, head, mid, tail, maxLen, logTtlMs. Returns {seq, json} or {0}.
 */
const FLUSH_LIKES = new LuaScript(`${APPEND_AND_ASSIGN_SEQ_LUA}
if redis.call('HGET', KEYS[1], 'status') ~= 'open' then return {0} end
local total = redis.call('INCRBY', KEYS[2], ARGV[1])
local seq, json = append(KEYS[3], KEYS[4], ARGV[2], ARGV[3] .. total .. ARGV[4], ARGV[5], ARGV[6])
return {seq, json}
`);

export interface LikeSettings {
  flushMs: number;
  log: LaneLogPolicy;
}

/**
 * Likes are summed in memory per room and written once per period: one INCRBY and one `like`
 * message {count, total} per room per worker, however many likes arrived. Pending likes are
 * flushed on shutdown, after the RPC server has drained.
 */
export class LikeAggregator implements OnApplicationBootstrap, OnApplicationShutdown {
  private readonly logger = new Logger(LikeAggregator.name);
  private pending = new Map<string, number>();
  private timer: NodeJS.Timeout | undefined;
  private flushing: Promise<void> = Promise.resolve();
  private stopped = false;

  constructor(
    private readonly redis: RedisClient,
    private readonly keys: RoomKeys,
    private readonly clock: Clock,
    private readonly broadcast: RoomBroadcast,
    private readonly metrics: RoomMetrics,
    private readonly settings: LikeSettings,
  ) {}

  /** FORBIDDEN for guests; NOT_FOUND, ROOM_CLOSED, BANNED as for sending. */
  async like(req: RpcRequest<typeof RoomRpc.like>): Promise<RpcResponse<typeof RoomRpc.like>> {
    const { roomId, sender, count } = req;
    try {
      assertMaySend(sender);
      const reply = (await ADMIT_LIKE.run(
        this.redis,
        [this.keys.room(roomId), this.keys.banned(roomId)],
        [sender.userId, this.clock.now()],
      )) as ScriptReply;
      if (reply[0] !== 'OK') throw moderationError(reply, roomId);
    } catch (error) {
      if (error instanceof RpcError) this.metrics.reject(error.code);
      throw error;
    }
    this.pending.set(roomId, (this.pending.get(roomId) ?? 0) + count);
    return { accepted: count };
  }

  /** Rooms with likes waiting for the next flush. */
  get pendingRooms(): number {
    return this.pending.size;
  }

  /** Writes every room's pending likes; concurrent calls run one after the other. */
  flush(): Promise<void> {
    const run = this.flushing.then(() => this.flushPending());
    this.flushing = run.catch(() => undefined);
    return run;
  }

  onApplicationBootstrap(): void {
    this.schedule();
  }

  async onApplicationShutdown(): Promise<void> {
    this.stopped = true;
    clearTimeout(this.timer);
    await this.flush();
  }

  private schedule(): void {
    if (this.stopped) return;
    this.timer = setTimeout(() => {
      this.flush()
        .catch((error: unknown) =>
          this.logger.error(`like flush failed: ${error instanceof Error ? error.message : String(error)}`),
        )
        .finally(() => this.schedule());
    }, this.settings.flushMs);
  }

  private async flushPending(): Promise<void> {
    const batch = this.pending;
    if (batch.size === 0) return;
    this.pending = new Map();
    await Promise.all([...batch].map(([roomId, count]) => this.flushRoom(roomId, count)));
  }

  private async flushRoom(roomId: string, count: number): Promise<void> {
    const now = this.clock.now();
    const parts = likeEnvelopeParts(newMessageId(now), roomId, count, now);
    try {
      const reply = (await FLUSH_LIKES.run(
        this.redis,
        [
          this.keys.room(roomId),
          this.keys.likes(roomId),
          this.keys.seq(roomId, 'normal'),
          this.keys.log(roomId, 'normal'),
        ],
        [count, parts.head, parts.mid, parts.tail, this.settings.log.maxLen, this.settings.log.ttlMs],
      )) as [number, string?];
      const [seq, json] = reply;
      if (seq === 0 || json === undefined) return;
      this.metrics.messageAppended('normal', 'like');
      this.metrics.likesFlushed(count);
      this.broadcast.toRoom(roomId, 'normal', seq, json);
    } catch (error) {
      this.logger.warn(
        `likes of room ${roomId} not flushed: ${error instanceof Error ? error.message : String(error)}`,
      );
      // A Redis hiccup should not lose the likes: they go out with the next flush (none after shutdown).
      if (!this.stopped) this.pending.set(roomId, (this.pending.get(roomId) ?? 0) + count);
    }
  }
}
