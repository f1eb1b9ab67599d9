import { randomBytes } from 'node:crypto';

/** The Redis that tests use: REDIS_URL when set, else the local default. */
export function testRedisUrl(): string {
  return process.env['REDIS_URL'] ?? 'redis://127.0.0.1:6379';
}

/** A key prefix of its own for one test run, so parallel runs never see each other's keys. */
export function uniqueKeyPrefix(label = 'test'): string {
  return `${label}:${randomBytes(4).toString('hex')}:`;
}
