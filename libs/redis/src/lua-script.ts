import { createHash } from 'node:crypto';
import { ErrorCode, RpcError } from '@live-im/contracts';
import calculateSlot from 'cluster-key-slot';
import { Cluster } from 'ioredis';
import type { RedisClient } from './redis-client';

/** How many replicas must hold a write before it is acknowledged, and for how long to wait. */
export interface ReplicaAcks {
  /** 0: acknowledged once the master has it (a single Redis, or the normal lane). */
  replicas: number;
  timeoutMs: number;
}

/** An ioredis script command: keys first (their count fixed when defined), then the arguments. */
type ScriptCommand = (...keysThenArgs: Array<string | number>) => Promise<unknown>;

/**
 * A Lua script run by its SHA1: the hot path ships a 40-byte digest instead of the source.
 *
 * `run` goes through an ioredis script command (`defineCommand`), one per script and key count:
 * its first argument is a key, so auto-pipelining groups it with the other commands of that key's
 * node — on a cluster too, where a raw EVALSHA (first argument: the digest) must skip the pipeline
 * and leave in a socket write of its own. It sends the source on a connection's first run and again
 * after NOSCRIPT (a restart, a promoted replica), without a failed round trip first.
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
    // Without keys a script has no node of its own to be grouped with: sent as is.
    const command =
      keys.length > 0 && hasSlotOf(redis, keys[0] ?? '') ? this.commandOn(redis, keys.length) : undefined;
    if (command === undefined) return this.runUnpipelined(redis, keys, args);
    return command.call(redis, ...keys, ...args);
  }

  /**
   * The script command for `keyCount` keys on `redis`, defined on first use. A pipeline copies the
   * client's script commands when it is made, and ioredis fails a whole auto-pipeline (and throws
   * from its callback) on a command the pipeline lacks: a command is therefore defined only while
   * no auto-pipeline waits; until then (a node down keeps its pipeline waiting) the script goes raw.
   */
  private commandOn(redis: RedisClient, keyCount: number): ScriptCommand | undefined {
    const name = `liveImLua_${this.sha}_${keyCount}`;
    const defined = (redis as unknown as Record<string, ScriptCommand | undefined>)[name];
    if (defined !== undefined) return defined;
    if (redis.autoPipelineQueueSize > 0) return undefined;
    redis.defineCommand(name, { lua: this.source, numberOfKeys: keyCount });
    return (redis as unknown as Record<string, ScriptCommand>)[name];
  }

  private async runUnpipelined(
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

/**
 * Whether auto-pipelining can place `key`: a cluster client's pipelines are grouped by the nodes of
 * the key's slot, and a slot missing from its map (a cluster being resharded or half down) would
 * throw there; the unpipelined path then routes it with the client's own redirection and retries.
 */
function hasSlotOf(redis: RedisClient, key: string): boolean {
  return !(redis instanceof Cluster) || redis.slots[calculateSlot(key)] !== undefined;
}

function isNoScript(error: unknown): boolean {
  return error instanceof Error && error.message.startsWith('NOSCRIPT');
}
