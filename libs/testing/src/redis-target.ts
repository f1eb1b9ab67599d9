import { randomBytes } from 'node:crypto';
import Redis from 'ioredis';

/**
 * The Redis that tests use: REDIS_URL, which jest's global set-up (test-run/) always sets to the
 * Redis it found or started for the run; the local default only outside jest.
 */
export function testRedisUrl(): string {
  return process.env['REDIS_URL'] ?? 'redis://127.0.0.1:6379';
}

/** A key prefix of its own for one test run, so parallel runs never see each other's keys. */
export function uniqueKeyPrefix(label = 'test'): string {
  return `${label}:${randomBytes(4).toString('hex')}:`;
}

/** Deletes every key under a prefix (what a spawned cluster wrote), on a connection of its own. */
export async function deleteKeysWithPrefix(prefix: string): Promise<void> {
  const redis = new Redis(testRedisUrl(), { maxRetriesPerRequest: 1, lazyConnect: true });
  try {
    await redis.connect();
    for await (const batch of redis.scanStream({ match: `${prefix}*`, count: 500 })) {
      const keys = batch as string[];
      if (keys.length > 0) await redis.unlink(...keys);
    }
  } finally {
    redis.disconnect();
  }
}
