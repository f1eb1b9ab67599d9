import { LIVE_ROOM_SHARDS } from '@live-im/presence';
import { LuaScript, RedisClient, RedisKeys } from '@live-im/redis';

/** Extends the lease when this worker still holds it. KEYS: lease. ARGV: workerId, leaseMs. */
const RENEW = new LuaScript(`
if redis.call('GET', KEYS[1]) ~= ARGV[1] then return 0 end
redis.call('PEXPIRE', KEYS[1], ARGV[2])
return 1
`);

/** Gives the lease up when this worker holds it. KEYS: lease. ARGV: workerId. */
const RELEASE = new LuaScript(`
if redis.call('GET', KEYS[1]) ~= ARGV[1] then return 0 end
return redis.call('DEL', KEYS[1])
`);

export interface AggregationLeaseOptions {
  workerId: string;
  /** How long a lease lasts unrenewed: a dead holder's shards move on after this. */
  leaseMs: number;
  /** Index shards to share (LIVE_ROOM_SHARDS). */
  shards?: number;
}

/** What one round of `renew` did. */
export interface LeaseRound {
  /** Shards held after the round, ascending. */
  held: number[];
  /** Shards taken this round (free: never held, released, or their holder's lease ran out). */
  acquired: number;
  /** Shards found held by another worker (this worker's lease had run out) or handed back. */
  lost: number;
  released: number;
  /** Live workers sharing the shards, this one included. */
  workers: number;
}

/**
 * Which index shards of live rooms this worker aggregates (docs/architecture.md "Online count"):
 * a Redis lease per shard (`SET NX PX`, renewed each round by its holder), and an even share: the
 * live workers register in a sorted set with the same lease, and a worker takes free shards up to
 * ceil(shards / workers) and hands back what it holds beyond that. A worker that dies stops renewing;
 * within a lease both its shards and its registration have run out, and the others take the
 * shards at their next round. Each lease key carries its shard's hash tag (`{pl<n>}`).
 */
export class AggregationLeases {
  private readonly shards: number;
  private readonly held = new Set<number>();

  constructor(
    private readonly redis: RedisClient,
    private readonly keys: RedisKeys,
    private readonly options: AggregationLeaseOptions,
  ) {
    this.shards = options.shards ?? LIVE_ROOM_SHARDS;
    if (!Number.isInteger(options.leaseMs) || options.leaseMs < 1)
      throw new RangeError('leaseMs must be ≥ 1');
  }

  /** Shards held after the last round, ascending. */
  get heldShards(): number[] {
    return [...this.held].sort((a, b) => a - b);
  }

  /** One round: register, renew what is held, take or hand back shards towards an even share. */
  async renew(now: number): Promise<LeaseRound> {
    const { workerId, leaseMs } = this.options;
    const workersKey = this.keys.key('presence', 'agg', 'workers');
    await this.redis.zadd(workersKey, now + leaseMs, workerId);
    await this.redis.zremrangebyscore(workersKey, '-inf', now);
    const workers = Math.max(1, await this.redis.zcard(workersKey));
    const share = Math.ceil(this.shards / workers);

    let lost = 0;
    const mine = [...this.held];
    const renewed = await Promise.all(
      mine.map((shard) => RENEW.run(this.redis, [this.leaseKey(shard)], [workerId, leaseMs])),
    );
    mine.forEach((shard, i) => {
      if (Number(renewed[i]) === 1) return;
      this.held.delete(shard);
      lost += 1;
    });

    let released = 0;
    for (const shard of this.heldShards.slice(share)) {
      await RELEASE.run(this.redis, [this.leaseKey(shard)], [workerId]);
      this.held.delete(shard);
      released += 1;
    }

    let acquired = 0;
    // Tried from a different place by each worker, so workers starting together split the shards.
    const offset = hashOf(workerId) % this.shards;
    for (let i = 0; i < this.shards && this.held.size < share; i += 1) {
      const shard = (offset + i) % this.shards;
      if (this.held.has(shard)) continue;
      const taken = await this.redis.set(this.leaseKey(shard), workerId, 'PX', leaseMs, 'NX');
      if (taken !== 'OK') continue;
      this.held.add(shard);
      acquired += 1;
    }
    return { held: this.heldShards, acquired, lost, released, workers };
  }

  /** Shutdown: hands every shard back at once instead of letting the leases run out. */
  async releaseAll(): Promise<void> {
    const mine = [...this.held];
    this.held.clear();
    await Promise.all(
      mine.map((shard) => RELEASE.run(this.redis, [this.leaseKey(shard)], [this.options.workerId])),
    );
    await this.redis.zrem(this.keys.key('presence', 'agg', 'workers'), this.options.workerId);
  }

  private leaseKey(shard: number): string {
    return this.keys.key('presence', 'agg', `{pl${shard}}`);
  }
}

/** FNV-1a of a worker id: where its walk over the shards starts. */
function hashOf(text: string): number {
  let hash = 0x811c9dc5;
  for (let i = 0; i < text.length; i += 1) hash = Math.imul(hash ^ text.charCodeAt(i), 0x01000193) >>> 0;
  return hash;
}
