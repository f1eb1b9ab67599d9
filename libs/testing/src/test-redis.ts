import { randomBytes } from 'node:crypto';
import { RedisKeys } from '@live-im/redis';
import Redis from 'ioredis';
import { testRedisUrl } from './redis-target';

/**
 * The real Redis for one spec file: REDIS_URL when set, else the local default, under a key
 * prefix of its own so parallel runs never meet. `cleanup` deletes only that prefix's keys.
 */
export class TestRedis {
  readonly redis = new Redis(testRedisUrl(), { maxRetriesPerRequest: 1 });
  readonly keys: RedisKeys;

  constructor(label: string) {
    this.keys = new RedisKeys(`test:${label}:${randomBytes(6).toString('hex')}:`);
  }

  async cleanup(): Promise<void> {
    const stream = this.redis.scanStream({ match: `${this.keys.prefix}*`, count: 500 });
    for await (const batch of stream) {
      const keys = batch as string[];
      if (keys.length > 0) await this.redis.unlink(...keys);
    }
    await this.redis.quit();
  }
}
