import { z } from 'zod';
import type { ReplicaAcks } from './lua-script';
import { parseClusterNodes, RedisTarget } from './redis-target';

/** The environment of an app that uses Redis; `.extend` an app's schema with `RedisEnv.shape`. */
export const RedisEnv = z.object({
  REDIS_URL: z
    .string()
    .regex(/^rediss?:\/\/\S+$/, 'must be a redis:// or rediss:// URL')
    .default('redis://127.0.0.1:6379'),
  /**
   * Redis Cluster mode: seed nodes, `host:port,host:port,...`, or the same list after a
   * `redis://[user:password@]` or `rediss://` prefix whose credentials and TLS apply to every node.
   * Set, it wins over REDIS_URL. A few nodes are enough: the client learns the rest from them.
   */
  REDIS_CLUSTER_NODES: z
    .string()
    .optional()
    .superRefine((value, ctx) => {
      if (value === undefined || value === '') return;
      const parsed = parseClusterNodes(value);
      if (typeof parsed === 'string') ctx.addIssue({ code: 'custom', message: parsed });
    }),
  /**
   * Replicas that must hold an important-lane message before its send is acknowledged (Redis WAIT).
   * Unset: 1 on a cluster, 0 on a single Redis (which has no replica to wait for).
   */
  REDIS_IMPORTANT_REPLICAS: z.coerce.number().int().min(0).max(5).optional(),
  /** How long an important send waits for its replicas before it fails with SERVICE_UNAVAILABLE. */
  REDIS_REPLICA_WAIT_MS: z.coerce.number().int().min(10).max(10_000).default(500),
  /** Braces would turn the prefix into a hash tag and pile every key onto one cluster slot. */
  REDIS_KEY_PREFIX: z
    .string()
    .max(64)
    .regex(/^[^{}\s]*$/, 'no braces or spaces')
    .default('live-im:'),
});

export type RedisEnvConfig = z.output<typeof RedisEnv>;

/** Where an app's Redis is, from its validated environment. */
export function redisTargetOf(
  config: Pick<RedisEnvConfig, 'REDIS_URL' | 'REDIS_CLUSTER_NODES'>,
): RedisTarget {
  const nodes = config.REDIS_CLUSTER_NODES;
  if (nodes === undefined || nodes === '') return { kind: 'single', url: config.REDIS_URL };
  const cluster = parseClusterNodes(nodes);
  if (typeof cluster === 'string') throw new Error(`REDIS_CLUSTER_NODES: ${cluster}`);
  return cluster;
}

/** What an important-lane write waits for: REDIS_IMPORTANT_REPLICAS, else 1 on a cluster, 0 on one Redis. */
export function importantReplicaAcks(
  config: Pick<RedisEnvConfig, 'REDIS_CLUSTER_NODES' | 'REDIS_IMPORTANT_REPLICAS' | 'REDIS_REPLICA_WAIT_MS'>,
): ReplicaAcks {
  const cluster = config.REDIS_CLUSTER_NODES !== undefined && config.REDIS_CLUSTER_NODES !== '';
  return {
    replicas: config.REDIS_IMPORTANT_REPLICAS ?? (cluster ? 1 : 0),
    timeoutMs: config.REDIS_REPLICA_WAIT_MS,
  };
}
