import { randomBytes } from 'node:crypto';
import { RedisKeys, type RedisClient } from '@live-im/redis';
import { Cluster } from 'ioredis';
import { deleteKeysFrom, testRedisClient } from './redis-target';

/**
 * The real Redis for one spec file: the run's Redis (a cluster on a LIVE_IM_TEST_REDIS=cluster run),
 * under a key prefix of its own so parallel runs never meet. `cleanup` deletes only that prefix's keys.
 */
export class TestRedis {
  readonly redis: RedisClient = testRedisClient();
  readonly keys: RedisKeys;

  constructor(label: string) {
    this.keys = new RedisKeys(`test:${label}:${randomBytes(6).toString('hex')}:`);
  }

  /** KEYS `pattern` over the whole Redis: every master of a cluster (KEYS reaches one node only). */
  async keysMatching(pattern: string): Promise<string[]> {
    const nodes = this.redis instanceof Cluster ? this.redis.nodes('master') : [this.redis];
    return (await Promise.all(nodes.map((node) => node.keys(pattern)))).flat();
  }

  async cleanup(): Promise<void> {
    await deleteKeysFrom(this.redis, this.keys.prefix);
    await this.redis.quit();
  }
}
