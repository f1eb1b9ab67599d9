import { Clock } from '@live-im/bootstrap';
import { RoomRpc, RpcError, RpcRequest, RpcResponse, SYSTEM_SENDER } from '@live-im/contracts';
import { LuaScript, RedisClient } from '@live-im/redis';
import { UserChannels } from '../channels/user-channels';
import { RoomMetrics } from '../metrics/room-metrics';
import { ReceiptStore } from '../receipts/receipt-store';
import { RoomKeys } from '../rooms/room-keys';
import { newMessageId } from './envelope';
import { moderationError, parseDedupeHit, ScriptReply, SEND_CHECKS_LUA } from './send-checks';
import { assertMaySend, SendPipeline } from './send-pipeline';
import { rateLimitedError, SEND_RATE_LUA, SendRates } from './send-rate';

/**
 * Admits a targeted push like a send (rate budgets, room, dedupe, bans, mutes), records its
 * clientMsgId with no room seq, and for requireAck opens its receipt record with every recipient
 * pending.
 * KEYS: room, banned, muted, dedupe, receipt, user rate, room rate.
 * ARGV: userId, now, dedupeTtlMs, messageId, receiptTtlMs (0: no requireAck), sender, userPoints
 * (0: not charged), userWindowSec, roomPoints, roomWindowSec, recipients...
 */
const ADMIT_TARGETED = new LuaScript(`${SEND_RATE_LUA}${SEND_CHECKS_LUA}
local limited = rateLimit(KEYS[6], KEYS[7], ARGV[7], ARGV[8], ARGV[9], ARGV[10])
if limited then return limited end
local refusal, epoch = checks(KEYS[1], KEYS[2], KEYS[3], KEYS[4], ARGV[1], ARGV[2], ARGV[3])
if refusal then return refusal end
if tonumber(ARGV[3]) > 0 then
  redis.call('SET', KEYS[4], epoch .. ' 0 important ' .. ARGV[4], 'PX', ARGV[3])
end
if tonumber(ARGV[5]) > 0 then
  redis.call('HSET', KEYS[5], '_sender', ARGV[6], '_kind', 'to')
  for i = 11, #ARGV do redis.call('HSET', KEYS[5], ARGV[i], 'pending') end
  redis.call('PEXPIRE', KEYS[5], ARGV[5])
end
return {'OK'}
`);

/** A receipt record outlives the ack window by an hour, so late reports still find it. */
const RECEIPT_RECORD_EXTRA_MS = 3_600_000;

export interface PushSettings {
  dedupeTtlMs: number;
  /** Added to ackTimeoutSec before a targeted message's pending recipients expire. */
  receiptGraceMs: number;
}

type PushResult = RpcResponse<typeof RoomRpc.push>;

/**
 * room.push: the business (or a user's signal, with `from`) into a room. Room-wide pushes are
 * room messages like any send; targeted ones go to each recipient's user channel instead.
 */
export class RoomPush {
  constructor(
    private readonly redis: RedisClient,
    private readonly keys: RoomKeys,
    private readonly clock: Clock,
    private readonly pipeline: SendPipeline,
    private readonly rates: SendRates,
    private readonly channels: UserChannels,
    private readonly receipts: ReceiptStore,
    private readonly metrics: RoomMetrics,
    private readonly settings: PushSettings,
  ) {}

  async push(req: RpcRequest<typeof RoomRpc.push>): Promise<PushResult> {
    const receiptTtlMs = req.requireAck ? req.ackTimeoutSec * 1000 + RECEIPT_RECORD_EXTRA_MS : undefined;
    if (req.to === undefined) {
      return this.pipeline.send({
        roomId: req.roomId,
        // An acked message must never be dropped by flow control.
        lane: req.requireAck ? 'important' : req.lane,
        type: req.type,
        body: req.body,
        actor: req.from,
        clientMsgId: req.clientMsgId,
        receiptTtlMs,
      });
    }
    try {
      return await this.pushTargeted(req, req.to, receiptTtlMs);
    } catch (error) {
      if (error instanceof RpcError) this.metrics.reject(error.code);
      throw error;
    }
  }

  private async pushTargeted(
    req: RpcRequest<typeof RoomRpc.push>,
    to: string[],
    receiptTtlMs: number | undefined,
  ): Promise<PushResult> {
    const { roomId, from } = req;
    assertMaySend(from);
    const sender = from ?? SYSTEM_SENDER;
    const recipients = [...new Set(to)];
    const now = this.clock.now();
    const messageId = newMessageId(now);
    const reply = (await ADMIT_TARGETED.run(
      this.redis,
      [
        this.keys.room(roomId),
        this.keys.banned(roomId),
        this.keys.muted(roomId),
        this.keys.dedupe(roomId, sender.userId, req.clientMsgId ?? ''),
        this.keys.receipt(roomId, messageId),
        ...this.rates.keysOf(roomId, sender.userId),
      ],
      [
        sender.userId,
        now,
        req.clientMsgId === undefined ? 0 : this.settings.dedupeTtlMs,
        messageId,
        receiptTtlMs ?? 0,
        from?.userId ?? '',
        ...this.rates.argsOf(from !== undefined),
        ...(receiptTtlMs === undefined ? [] : recipients),
      ],
    )) as ScriptReply;
    const hit = parseDedupeHit(reply);
    if (hit !== undefined) {
      this.metrics.duplicate();
      return { messageId: hit.messageId, lane: hit.lane, seq: hit.seq, duplicate: true };
    }
    if (reply[0] !== 'OK') throw rateLimitedError(reply) ?? moderationError(reply, roomId);

    if (receiptTtlMs !== undefined) {
      const dueAt = now + req.ackTimeoutSec * 1000 + this.settings.receiptGraceMs;
      await this.receipts.scheduleExpiry({ roomId, messageId }, dueAt);
    }
    await this.channels.send(recipients, {
      id: messageId,
      roomId,
      type: req.type,
      from: sender,
      body: req.body,
      ts: now,
      clientMsgId: req.clientMsgId,
      requireAck: receiptTtlMs === undefined ? undefined : true,
    });
    return { messageId, lane: 'important', seq: null, duplicate: false };
  }
}
