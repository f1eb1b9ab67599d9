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

/** A targeted message before addressing: always important, `to` set per recipient. */
export type DirectDraft = Omit<EnvelopeDraft, 'lane' | 'to'>;

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
}
