import { Clock } from '@live-im/bootstrap';
import { Actor, ErrorCode, Lane, MessageType, RpcError, SendResult, SYSTEM_SENDER } from '@live-im/contracts';
import { LuaScript, RedisClient, ReplicaAcks } from '@live-im/redis';
import { RoomBroadcast } from '../broadcast/room-broadcast';
import { RoomMetrics } from '../metrics/room-metrics';
import { RoomKeys } from '../rooms/room-keys';
import { EnvelopeDraft, envelopeParts, joinEnvelope, newMessageId } from './envelope';
import { APPEND_AND_ASSIGN_SEQ_LUA } from './append-and-assign-seq';
import { LogPolicy } from './log-policy';
import { moderationError, parseDedupeHit, ScriptReply, SEND_CHECKS_LUA } from './send-checks';
import { rateLimitedError, SEND_RATE_LUA, SendRates } from './send-rate';

/**
 * One send, atomically: the sender's rate budgets (send-rate.ts), the room's admission checks
 * (send-checks.ts), then seq + log append, the dedupe record and, for requireAck, the receipt
 * record. One script, so one Redis round trip per send; every key is the room's (one slot).
 * KEYS: room, banned, muted, seq, log, dedupe, receipt, user rate, room rate.
 * ARGV: userId, now, head, tail, maxLen, logTtlMs, dedupeTtlMs (0: no clientMsgId), messageId,
 * lane, receiptTtlMs (0: no requireAck), receipt sender ('' for the system), then the budgets:
 * userPoints (0: not charged), userWindowSec, roomPoints, roomWindowSec.
 *
 * A retry of an important-lane send (DUPLICATE of the same lane) also gets the logged envelope, to
 * publish again (see republish), and rewrites its dedupe record's expiry unchanged: a write, so
 * the WAIT after the script covers it and therefore the first attempt's write too (replication is
 * in order), whichever connection that attempt went through.
 */
const SEND = new LuaScript(`${APPEND_AND_ASSIGN_SEQ_LUA}${SEND_RATE_LUA}${SEND_CHECKS_LUA}
local limited = rateLimit(KEYS[8], KEYS[9], ARGV[12], ARGV[13], ARGV[14], ARGV[15])
if limited then return limited end
local refusal, epoch = checks(KEYS[1], KEYS[2], KEYS[3], KEYS[6], ARGV[1], ARGV[2], ARGV[7])
if refusal then
  if refusal[1] == 'DUPLICATE' and refusal[3] == 'important' and ARGV[9] == 'important' then
    local ttl = redis.call('PTTL', KEYS[6])
    if ttl > 0 then redis.call('PEXPIRE', KEYS[6], ttl) end
    refusal[5] = redis.call('ZRANGEBYSCORE', KEYS[5], refusal[2], refusal[2])[1] or ''
  end
  return refusal
end
local seq = append(KEYS[4], KEYS[5], ARGV[3], ARGV[4], ARGV[5], ARGV[6])
if tonumber(ARGV[7]) > 0 then
  redis.call('SET', KEYS[6], epoch .. ' ' .. seq .. ' ' .. ARGV[9] .. ' ' .. ARGV[8], 'PX', ARGV[7])
end
if tonumber(ARGV[10]) > 0 then
  redis.call('HSET', KEYS[7], '_sender', ARGV[11], '_kind', 'room')
  redis.call('PEXPIRE', KEYS[7], ARGV[10])
end
return {'OK', seq, epoch}
`);

/** A message for a room lane. */
export interface RoomSend {
  roomId: string;
  lane: Lane;
  type: MessageType;
  body: Record<string, unknown>;
  /** The user sending: refused when a guest, rate limited, subject to room bans and mutes. Absent: the system. */
  actor?: Actor;
  clientMsgId?: string;
  /** Set for requireAck messages: how long their receipt record lives. */
  receiptTtlMs?: number;
}

export interface SendSettings {
  log: LogPolicy;
  dedupeTtlMs: number;
  /** Replicas that must hold an important-lane send before it is acknowledged (REDIS_IMPORTANT_REPLICAS). */
  importantAcks: ReplicaAcks;
}

/** The normal lane is acknowledged once the master has it. */
const MASTER_ONLY: ReplicaAcks = { replicas: 0, timeoutMs: 0 };

/**
 * The write path of room messages: one Lua script that checks the rate limits and admission,
 * assigns the seq and logs the envelope, then the broadcast. The same clientMsgId of the same user
 * returns the first result; only on the important lane is its logged envelope published again (see
 * republish).
 */
export class SendPipeline {
  private readonly seqs = new SeqWatch();

  constructor(
    private readonly redis: RedisClient,
    private readonly keys: RoomKeys,
    private readonly clock: Clock,
    private readonly rates: SendRates,
    private readonly broadcast: RoomBroadcast,
    private readonly metrics: RoomMetrics,
    private readonly settings: SendSettings,
  ) {}

  async send(send: RoomSend): Promise<SendResult> {
    try {
      return await this.run(send);
    } catch (error) {
      if (error instanceof RpcError) this.metrics.reject(error.code);
      throw error;
    }
  }

  /** Nothing is awaited before the script: a send's one Redis call joins the tick's pipeline. */
  private async run(send: RoomSend): Promise<SendResult> {
    const { roomId, lane, actor } = send;
    assertMaySend(actor);
    const from = actor ?? SYSTEM_SENDER;
    const now = this.clock.now();
    const draft: EnvelopeDraft = {
      id: newMessageId(now),
      roomId,
      lane,
      type: send.type,
      from,
      body: send.body,
      ts: now,
      clientMsgId: send.clientMsgId,
      requireAck: send.receiptTtlMs === undefined ? undefined : true,
    };
    const parts = envelopeParts(draft);
    const policy = this.settings.log[lane];
    const reply = await this.runSend(
      lane,
      [
        this.keys.room(roomId),
        this.keys.banned(roomId),
        this.keys.muted(roomId),
        this.keys.seq(roomId, lane),
        this.keys.log(roomId, lane),
        this.keys.dedupe(roomId, from.userId, send.clientMsgId ?? ''),
        this.keys.receipt(roomId, draft.id),
        ...this.rates.keysOf(roomId, from.userId),
      ],
      [
        from.userId,
        now,
        parts.head,
        parts.tail,
        policy.maxLen,
        policy.ttlMs,
        send.clientMsgId === undefined ? 0 : this.settings.dedupeTtlMs,
        draft.id,
        lane,
        send.receiptTtlMs ?? 0,
        actor?.userId ?? '',
        // The system's sends are not charged; a user's are, in the same script.
        ...this.rates.argsOf(actor !== undefined),
      ],
    );

    if (reply[0] === 'OK') {
      const seq = Number(reply[1]);
      const lost = this.seqs.seen(`${lane} ${roomId} ${String(reply[2])}`, seq);
      if (lost > 0) this.metrics.messagesLost(lane, lost);
      this.metrics.messageAppended(lane, send.type);
      this.broadcast.toRoom(roomId, lane, seq, joinEnvelope(parts, seq));
      return { messageId: draft.id, lane, seq, duplicate: false };
    }
    const hit = parseDedupeHit(reply);
    if (hit !== undefined) {
      this.metrics.duplicate();
      if (hit.seq === null) {
        throw new RpcError(
          ErrorCode.ALREADY_EXISTS,
          `clientMsgId ${send.clientMsgId} was used by a targeted push`,
        );
      }
      this.republish(roomId, hit.seq, reply[4]);
      return { messageId: hit.messageId, lane: hit.lane, seq: hit.seq, duplicate: true };
    }
    throw rateLimitedError(reply) ?? moderationError(reply, roomId);
  }

  /**
   * A retried important-lane send publishes its logged envelope again. The sender retries because
   * it never saw the first attempt acknowledged: that attempt may have been logged and then refused
   * (the WAIT for a replica failed when its master died, and the promoted replica had the write), so
   * it was never broadcast, and this retry is the first acknowledgement. Publishing it again is what
   * makes an acknowledged gift reach the viewers live; receivers drop a seq they already have.
   */
  private republish(roomId: string, seq: number, envelope: string | number | undefined): void {
    if (typeof envelope !== 'string' || envelope === '') return;
    this.metrics.republished();
    this.broadcast.toRoom(roomId, 'important', seq, envelope);
  }

  /**
   * The send script; on the important lane with WAIT for the replicas (LuaScript.runReplicated), so
   * nothing is acknowledged or broadcast that a failover could take back.
   */
  private async runSend(lane: Lane, keys: string[], args: Array<string | number>): Promise<ScriptReply> {
    const acks = lane === 'important' ? this.settings.importantAcks : MASTER_ONLY;
    try {
      const { reply, degraded } = await SEND.runReplicated(this.redis, keys, args, acks);
      if (degraded) this.metrics.sendDegraded();
      return reply as ScriptReply;
    } catch (error) {
      if (error instanceof RpcError && error.details?.['replicated'] === false)
        this.metrics.sendUnreplicated();
      throw error;
    }
  }
}

/** Rooms whose highest seq one worker remembers: enough for every busy room, bounded. */
const WATCHED_LANES = 10_000;

/**
 * The highest seq this worker was given per room lane (and room epoch: a reopened room starts its
 * seqs afresh). A Redis failover whose promoted replica had not got the last writes gives those
 * seqs out again: a seq at or below the highest seen means that many logged messages were lost.
 */
class SeqWatch {
  private readonly highest = new Map<string, number>();

  /** Records `seq` of `lane` (`<lane> <roomId> <epoch>`); returns how many seqs were given out again. */
  seen(lane: string, seq: number): number {
    const previous = this.highest.get(lane);
    // Delete and set again: the map's order is then least recently sent first, the one to forget.
    this.highest.delete(lane);
    if (this.highest.size >= WATCHED_LANES) {
      const oldest = this.highest.keys().next().value;
      if (oldest !== undefined) this.highest.delete(oldest);
    }
    this.highest.set(lane, seq);
    return previous !== undefined && seq <= previous ? previous - seq + 1 : 0;
  }
}

/** Guests may watch, not send. */
export function assertMaySend(actor: Actor | undefined): void {
  if (actor?.role === 'guest') throw new RpcError(ErrorCode.FORBIDDEN, 'guests cannot send; sign in first');
}
