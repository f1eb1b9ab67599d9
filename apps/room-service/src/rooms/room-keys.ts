import { createHash } from 'node:crypto';
import { Injectable } from '@nestjs/common';
import { Lane, userChannel } from '@live-im/contracts';
import { RedisKeys } from '@live-im/redis';

/**
 * Every Redis key room-service uses. A room's keys all carry the hash tag `{<roomId>}`, so one
 * Lua script may touch any of them on Redis Cluster; a user channel's seq carries `{_<userId>}`.
 */
@Injectable()
export class RoomKeys {
  constructor(readonly keys: RedisKeys) {}

  /** The room's hash (`room:{R}`, laid out before the other keys; same slot). */
  room(roomId: string): string {
    return this.keys.key('room', `{${roomId}}`);
  }

  /** The last seq given out on a lane. */
  seq(roomId: string, lane: Lane): string {
    return this.keys.tagged(roomId, 'seq', lane);
  }

  /** ZSET score=seq member=envelope JSON. */
  log(roomId: string, lane: Lane): string {
    return this.keys.tagged(roomId, 'log', lane);
  }

  /** The stored result of one clientMsgId of one user. */
  dedupe(roomId: string, userId: string, clientMsgId: string): string {
    return this.keys.tagged(roomId, 'dedupe', userId, clientMsgId);
  }

  /** ZSET userId → epoch ms until which the user may not send. */
  muted(roomId: string): string {
    return this.keys.tagged(roomId, 'muted');
  }

  /** ZSET userId → epoch ms until which the user may not join or send. */
  banned(roomId: string): string {
    return this.keys.tagged(roomId, 'banned');
  }

  likes(roomId: string): string {
    return this.keys.tagged(roomId, 'likes');
  }

  /** HASH of one requireAck message: `_sender`, `_kind`, one field per reporting user. */
  receipt(roomId: string, messageId: string): string {
    return this.keys.tagged(roomId, 'rcpt', messageId);
  }

  userRate(roomId: string, userId: string): string {
    return this.keys.tagged(roomId, 'rate', 'user', userId);
  }

  roomRate(roomId: string): string {
    return this.keys.tagged(roomId, 'rate', 'room');
  }

  /** The seq counter of one user's broadcast channel (targeted messages). */
  userChannelSeq(userId: string): string {
    return this.keys.tagged(userChannel(userId), 'seq');
  }

  /**
   * ZSET of targeted receipts to expire: score = due ms, member `<roomId> <messageId>`. Not a room
   * key: one of RECEIPTS_DUE_SHARDS sets (`receipts:due:{rd<n>}`, the room's shard by a hash of its
   * id), so on Redis Cluster the due sets spread over the slots instead of piling on one master.
   * Sweepers walk every shard (receiptsDueShards).
   */
  receiptsDue(roomId: string): string {
    return this.receiptsDueShard(receiptsDueShardOf(roomId));
  }

  /** Every due set, for the sweepers; last the single set of versions before the split, drained. */
  receiptsDueShards(): string[] {
    const shards = Array.from({ length: RECEIPTS_DUE_SHARDS }, (_, shard) => this.receiptsDueShard(shard));
    return [...shards, this.keys.key('receipts', 'due')];
  }

  private receiptsDueShard(shard: number): string {
    return this.keys.key('receipts', 'due', `{rd${shard}}`);
  }
}

/** Due sets: enough that 3 or more masters each hold some (16 slots at random), few to sweep. */
export const RECEIPTS_DUE_SHARDS = 16;

function receiptsDueShardOf(roomId: string): number {
  return createHash('sha1').update(roomId).digest().readUInt32BE(0) % RECEIPTS_DUE_SHARDS;
}
