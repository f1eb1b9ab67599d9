import { createHash } from 'node:crypto';
import { ErrorCode, RpcError } from '@live-im/contracts';
import type { RedisClient } from './redis-client';

/** How many replicas must hold a write before it is acknowledged, and for how long to wait. */
export interface ReplicaAcks {
  /** 0: acknowledged once the master has it (a single Redis, or the normal lane). */
  replicas: number;
  timeoutMs: number;
}

/**
 * A Lua script run by its SHA1, sent whole only when Redis does not know it yet (after a restart or
 * a SCRIPT FLUSH), so the hot path ships a 40-byte digest instead of the source.
 */
export class LuaScript {
  private readonly sha: string;

  constructor(private readonly source: string) {
    this.sha = createHash('sha1').update(source).digest('hex');
  }

  async run(
    redis: RedisClient,
    keys: readonly string[],
    args: readonly (string | number)[],
  ): Promise<unknown> {
    try {
      return await redis.evalsha(this.sha, keys.length, ...keys, ...args);
    } catch (error) {
      if (!isNoScript(error)) throw error;
      return redis.eval(this.source, keys.length, ...keys, ...args);
    }
  }

  /**
   * Runs the script, then WAIT on the same connection (WAIT is refused inside a script): resolves
   * once `acks.replicas` replicas of the keys' master have every write made so far. A pipeline, so
   * on a cluster both go to the node of the keys' slot. Fewer replicas within `acks.timeoutMs`:
   * SERVICE_UNAVAILABLE with details.replicated=false — the write happened on the master but may be
   * lost in a failover, so the caller must not acknowledge it; a retry with the same idempotency
   * key finds it (or, if it was lost, writes it again).
   */
  async runReplicated(
    redis: RedisClient,
    keys: readonly string[],
    args: readonly (string | number)[],
    acks: ReplicaAcks,
  ): Promise<unknown> {
    if (acks.replicas <= 0) return this.run(redis, keys, args);
    let results = await this.pipelineWithWait(redis, 'evalsha', keys, args, acks);
    if (isNoScript(results[0]?.[0])) results = await this.pipelineWithWait(redis, 'eval', keys, args, acks);
    const [[scriptError, reply] = [null, null], [waitError, replicas] = [null, 0]] = results;
    if (scriptError) throw scriptError;
    if (waitError) throw waitError;
    if (Number(replicas) < acks.replicas) {
      throw new RpcError(
        ErrorCode.SERVICE_UNAVAILABLE,
        `written but held by ${Number(replicas)} of ${acks.replicas} replicas after ${acks.timeoutMs} ms; retry`,
        { reason: 'replication', replicated: false },
      );
    }
    return reply;
  }

  private async pipelineWithWait(
    redis: RedisClient,
    how: 'evalsha' | 'eval',
    keys: readonly string[],
    args: readonly (string | number)[],
    acks: ReplicaAcks,
  ): Promise<Array<[Error | null, unknown]>> {
    const pipeline = redis.pipeline();
    if (how === 'evalsha') pipeline.evalsha(this.sha, keys.length, ...keys, ...args);
    else pipeline.eval(this.source, keys.length, ...keys, ...args);
    pipeline.call('WAIT', acks.replicas, acks.timeoutMs);
    return (await pipeline.exec()) ?? [];
  }
}

function isNoScript(error: unknown): boolean {
  return error instanceof Error && error.message.startsWith('NOSCRIPT');
}
