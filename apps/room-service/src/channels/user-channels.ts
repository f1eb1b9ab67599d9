import { LuaScript, RedisClient } from '@live-im/redis';
import { RoomBroadcast } from '../broadcast/room-broadcast';
import { addressedTo, EnvelopeDraft, envelopeParts, joinEnvelope } from '../messages/envelope';
import { RoomMetrics } from '../metrics/room-metrics';
import { RoomKeys } from '../rooms/room-keys';

/** A user channel's seq lives a day past its last message; a reconnecting client rejoins its channel afresh. */
const CHANNEL_SEQ_TTL_MS = 86_400_000;

/** KEYS: the channel's seq. ARGV: ttlMs. */
const NEXT_CHANNEL_SEQ = new LuaScript(`
local seq = redis.call('INCR', KEYS[1])
redis.call('PEXPIRE', KEYS[1], ARGV[1])
return seq
`);

/** KEYS: the channel's seq. ARGV: ttlMs, count. Returns the last of `count` new seqs. */
const NEXT_CHANNEL_SEQS = new LuaScript(`
local last = redis.call('INCRBY', KEYS[1], ARGV[2])
redis.call('PEXPIRE', KEYS[1], ARGV[1])
return last
`);

/** A targeted message before addressing: always important, `to` set per recipient. */
export type DirectDraft = Omit<EnvelopeDraft, 'lane' | 'to'>;

/** One message for one user. */
export interface DirectNotice {
  userId: string;
  draft: DirectDraft;
}

/**
 * Targeted messages (kicks, receipts, pushes to listed users) go to each user's own broadcast
 * channel `_<userId>`, numbered by that channel's seq; they are not in any room lane or log.
 */
export class UserChannels {
  constructor(
    private readonly redis: RedisClient,
    private readonly keys: RoomKeys,
    private readonly broadcast: RoomBroadcast,
    private readonly metrics: RoomMetrics,
  ) {}

  /** Each recipient gets its own copy with `to: [userId]`, so no one learns who else was addressed. */
  async send(userIds: readonly string[], draft: DirectDraft): Promise<void> {
    const parts = envelopeParts({ ...draft, lane: 'important' });
    // Replies come back in order, so publishing as each seq arrives keeps every channel in seq order.
    await Promise.all(
      userIds.map((userId) =>
        NEXT_CHANNEL_SEQ.run(this.redis, [this.keys.userChannelSeq(userId)], [CHANNEL_SEQ_TTL_MS]).then(
          (seq) => {
            const channelSeq = Number(seq);
            this.broadcast.toUser(userId, channelSeq, joinEnvelope(addressedTo(parts, userId), channelSeq));
          },
        ),
      ),
    );
    this.metrics.directMessage(draft.type, userIds.length);
  }

  /**
   * Many messages, each to one user (receipts of a batch to their senders): a user's messages take
   * one run of consecutive seqs (one INCRBY) and are published together, in order, so the node
   * gets them as one run instead of interleaved with another worker's seqs of the same channel.
   */
  async sendEach(notices: readonly DirectNotice[]): Promise<void> {
    const byUser = new Map<string, DirectDraft[]>();
    for (const { userId, draft } of notices) {
      const drafts = byUser.get(userId);
      if (drafts === undefined) byUser.set(userId, [draft]);
      else drafts.push(draft);
    }
    await Promise.all(
      [...byUser].map(async ([userId, drafts]) => {
        const last = Number(
          await NEXT_CHANNEL_SEQS.run(
            this.redis,
            [this.keys.userChannelSeq(userId)],
            [CHANNEL_SEQ_TTL_MS, drafts.length],
          ),
        );
        let seq = last - drafts.length + 1;
        for (const draft of drafts) {
          const parts = envelopeParts({ ...draft, lane: 'important' });
          this.broadcast.toUser(userId, seq, joinEnvelope(addressedTo(parts, userId), seq));
          this.metrics.directMessage(draft.type, 1);
          seq += 1;
        }
      }),
    );
  }
}
