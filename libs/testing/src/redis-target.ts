import { randomBytes } from 'node:crypto';
import Redis, { Cluster } from 'ioredis';

/**
 * The Redis that tests use: REDIS_URL, which jest's global set-up (test-run/) always sets to the
 * Redis it found or started for the run; the local default only outside jest.
 */
export function testRedisUrl(): string {
  return process.env['REDIS_URL'] ?? 'redis://127.0.0.1:6379';
}

/**
 * The Redis Cluster seeds of this run (`host:port,...`), when the run is on a cluster: jest's
 * global set-up starts one and sets REDIS_CLUSTER_NODES when LIVE_IM_TEST_REDIS=cluster.
 */
export function testRedisClusterNodes(): string | undefined {
  const nodes = process.env['REDIS_CLUSTER_NODES'];
  return nodes === undefined || nodes === '' ? undefined : nodes;
}

/** The Redis part of a spawned app's env: REDIS_URL, and the cluster seeds on a cluster run. */
export function testRedisEnv(): Record<string, string> {
  const nodes = testRedisClusterNodes();
  return nodes === undefined
    ? { REDIS_URL: testRedisUrl() }
    : { REDIS_URL: testRedisUrl(), REDIS_CLUSTER_NODES: nodes };
}

/** A client of the run's Redis: a cluster client on a cluster run, else one of REDIS_URL. */
export function testRedisClient(options: { lazyConnect?: boolean } = {}): Redis | Cluster {
  const nodes = testRedisClusterNodes();
  if (nodes === undefined) return new Redis(testRedisUrl(), { maxRetriesPerRequest: 1, ...options });
  return new Cluster(
    nodes.split(',').map((node) => {
      const [host = '127.0.0.1', port = '0'] = node.trim().split(':');
      return { host, port: Number(port) };
    }),
    { ...options, redisOptions: { maxRetriesPerRequest: 1 } },
  );
}

/** A key prefix of its own for one test run, so parallel runs never see each other's keys. */
export function uniqueKeyPrefix(label = 'test'): string {
  return `${label}:${randomBytes(4).toString('hex')}:`;
}

/**
 * Deletes every key under a prefix from `redis`: on a cluster, from every master, one key per
 * UNLINK (the keys of one node may lie in different slots).
 */
export async function deleteKeysFrom(redis: Redis | Cluster, prefix: string): Promise<void> {
  const nodes = redis instanceof Cluster ? redis.nodes('master') : [redis];
  for (const node of nodes) {
    for await (const batch of node.scanStream({ match: `${prefix}*`, count: 500 })) {
      const keys = batch as string[];
      if (keys.length === 0) continue;
      if (redis instanceof Cluster) await Promise.all(keys.map((key) => node.unlink(key)));
      else await node.unlink(...keys);
    }
  }
}

/** Deletes every key under a prefix (what a spawned cluster wrote), on a connection of its own. */
export async function deleteKeysWithPrefix(prefix: string): Promise<void> {
  const redis = testRedisClient({ lazyConnect: true });
  try {
    await redis.connect();
    await deleteKeysFrom(redis, prefix);
  } finally {
    redis.disconnect();
  }
}
