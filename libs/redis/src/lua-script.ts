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
   * Runs the script, then ROLE and WAIT on the same connection (WAIT is refused inside a script): a
   * pipeline, so on a cluster all three go to the node of the keys' slot. Resolves once
   * `acks.replicas` replicas hold every write made so far — or as many as the master has connected
   * when it has fewer (a failover just took its replica away: no failover can then lose the write
   * either; `degraded` says so). Fewer within `acks.timeoutMs`: SERVICE_UNAVAILABLE with
   * details.replicated=false — the write happened on the master but a failover may take it back, so
   * the caller must not acknowledge it; a retry with the same idempotency key finds it (or, if it
   * was lost, writes it again).
   */
  async runReplicated(
    redis: RedisClient,
    keys: readonly string[],
    args: readonly (string | number)[],
    acks: ReplicaAcks,
  ): Promise<{ reply: unknown; degraded: boolean }> {
    if (acks.replicas <= 0) return { reply: await this.run(redis, keys, args), degraded: false };
    let results = await this.pipelineWithWait(redis, 'evalsha', keys, args, acks);
    if (isNoScript(results[0]?.[0])) results = await this.pipelineWithWait(redis, 'eval', keys, args, acks);
    const [
      [scriptError, reply] = [null, null],
      [roleError, role] = [null, []],
      [waitError, held] = [null, 0],
    ] = results;
    if (scriptError) throw scriptError;
    if (roleError) throw roleError;
    if (waitError) throw waitError;
    const connected = connectedReplicas(role);
    const required = Math.min(acks.replicas, connected);
    if (Number(held) < required) {
      throw new RpcError(
        ErrorCode.SERVICE_UNAVAILABLE,
        `written but held by ${Number(held)} of ${required} replicas after ${acks.timeoutMs} ms; retry`,
        { reason: 'replication', replicated: false },
      );
    }
    return { reply, degraded: connected < acks.replicas };
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
    pipeline.call('ROLE');
    pipeline.call('WAIT', acks.replicas, acks.timeoutMs);
    return (await pipeline.exec()) ?? [];
  }
}

/** Replicas a master's ROLE reply lists as connected (`['master', offset, [[ip, port, offset]...]]`). */
function connectedReplicas(role: unknown): number {
  return Array.isArray(role) && role[0] === 'master' && Array.isArray(role[2]) ? role[2].length : 0;
}

function isNoScript(error: unknown): boolean {
  return error instanceof Error && error.message.startsWith('NOSCRIPT');
}
