import { ReceiptStatus } from '@live-im/contracts';
import { LuaScript, RedisClient } from '@live-im/redis';
import { RoomKeys } from '../rooms/room-keys';

/**
 * A requireAck message's receipt record is a HASH `{R}:rcpt:<messageId>`: `_sender` (the sending
 * user, '' for the system), `_kind` (`room` for a room-wide message, `to` for a targeted one) and
 * one field per user: `pending` (targeted recipients not heard from yet), `delivered`, `expired`.
 */
export const RECEIPT_KIND = { room: 'room', targeted: 'to' } as const;

/**
 * The first final report per user wins. A targeted message only takes reports from its recipients.
 * KEYS: receipt. ARGV: userId, status.
 */
const RECORD = new LuaScript(`
local info = redis.call('HMGET', KEYS[1], '_kind', '_sender', ARGV[1])
if not info[1] then return {'NOT_FOUND'} end
local current = info[3]
if info[1] == 'to' and not current then return {'NOT_RECIPIENT'} end
if current and current ~= 'pending' then return {'FINAL'} end
redis.call('HSET', KEYS[1], ARGV[1], ARGV[2])
return {'OK', info[2]}
`);

/** Marks every still pending recipient expired. KEYS: receipt. Returns {sender, expired users}. */
const EXPIRE_PENDING = new LuaScript(`
local fields = redis.call('HGETALL', KEYS[1])
local sender = ''
local expired = {}
for i = 1, #fields, 2 do
  if fields[i] == '_sender' then
    sender = fields[i + 1]
  elseif fields[i + 1] == 'pending' then
    redis.call('HSET', KEYS[1], fields[i], 'expired')
    expired[#expired + 1] = fields[i]
  end
end
return {sender, expired}
`);

export type RecordOutcome =
  | { kind: 'recorded'; senderId: string }
  | { kind: 'unknown' }
  | { kind: 'already-final' }
  | { kind: 'not-recipient' };

export interface DueReceipt {
  roomId: string;
  messageId: string;
}

export interface ExpiredReceipts {
  /** The sending user, '' for the system. */
  senderId: string;
  userIds: string[];
}

/** Receipt records in Redis, and the due set the sweeper expires targeted ones from. */
export class ReceiptStore {
  constructor(
    private readonly redis: RedisClient,
    private readonly keys: RoomKeys,
  ) {}

  async record(
    roomId: string,
    messageId: string,
    userId: string,
    status: ReceiptStatus,
  ): Promise<RecordOutcome> {
    const reply = (await RECORD.run(
      this.redis,
      [this.keys.receipt(roomId, messageId)],
      [userId, status],
    )) as [string, string?];
    switch (reply[0]) {
      case 'OK':
        return { kind: 'recorded', senderId: reply[1] ?? '' };
      case 'NOT_FOUND':
        return { kind: 'unknown' };
      case 'NOT_RECIPIENT':
        return { kind: 'not-recipient' };
      default:
        return { kind: 'already-final' };
    }
  }

  /** A targeted message's pending recipients expire at `dueAt` (epoch ms). */
  async scheduleExpiry(receipt: DueReceipt, dueAt: number): Promise<void> {
    await this.redis.zadd(this.keys.receiptsDue(receipt.roomId), dueAt, dueMember(receipt));
  }

  /**
   * Takes up to `limit` receipts due by `now`, walking the due shards in order. An entry belongs to
   * the caller whose ZREM removed it, so several workers sweeping at once never handle one twice.
   */
  async claimDue(now: number, limit: number): Promise<DueReceipt[]> {
    const claimed: DueReceipt[] = [];
    for (const dueKey of this.keys.receiptsDueShards()) {
      if (claimed.length >= limit) break;
      claimed.push(...(await this.claimDueFrom(dueKey, now, limit - claimed.length)));
    }
    return claimed;
  }

  private async claimDueFrom(dueKey: string, now: number, limit: number): Promise<DueReceipt[]> {
    const members = await this.redis.zrangebyscore(dueKey, '-inf', now, 'LIMIT', 0, limit);
    if (members.length === 0) return [];
    const removals = await Promise.all(members.map((member) => this.redis.zrem(dueKey, member)));
    const claimed: DueReceipt[] = [];
    members.forEach((member, i) => {
      const receipt = parseDueMember(member);
      if (removals[i] === 1 && receipt !== undefined) claimed.push(receipt);
    });
    return claimed;
  }

  async expirePending(receipt: DueReceipt): Promise<ExpiredReceipts> {
    const [senderId, userIds] = (await EXPIRE_PENDING.run(
      this.redis,
      [this.keys.receipt(receipt.roomId, receipt.messageId)],
      [],
    )) as [string, string[]];
    return { senderId, userIds };
  }
}

function dueMember(receipt: DueReceipt): string {
  return `${receipt.roomId} ${receipt.messageId}`;
}

/** Room ids hold no spaces, so the first space splits the member. */
function parseDueMember(member: string): DueReceipt | undefined {
  const space = member.indexOf(' ');
  if (space <= 0) return undefined;
  return { roomId: member.slice(0, space), messageId: member.slice(space + 1) };
}
