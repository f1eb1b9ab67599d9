import { createHash } from 'node:crypto';
import Redis from 'ioredis';

/**
 * A Lua script run by its SHA1, sent whole only when Redis does not know it yet (after a restart or
 * a SCRIPT FLUSH), so the hot path ships a 40-byte digest instead of the source.
 */
export class LuaScript {
  private readonly sha: string;

  constructor(private readonly source: string) {
    this.sha = createHash('sha1').update(source).digest('hex');
  }

  async run(redis: Redis, keys: readonly string[], args: readonly (string | number)[]): Promise<unknown> {
    try {
      return await redis.evalsha(this.sha, keys.length, ...keys, ...args);
    } catch (error) {
      if (!(error instanceof Error) || !error.message.startsWith('NOSCRIPT')) throw error;
      return redis.eval(this.source, keys.length, ...keys, ...args);
    }
  }
}
