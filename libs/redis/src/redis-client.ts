import { ErrorCode, RpcError } from '@live-im/contracts';
import Redis, { Cluster, type ClusterOptions, type RedisOptions } from 'ioredis';
import { RedisTarget } from './redis-target';

/** The app's Redis connection: a single server or a Redis Cluster; both take the same commands. */
export type RedisClient = Redis | Cluster;

/**
 * A command that outlives this is given up (SERVICE_UNAVAILABLE) rather than left hanging on a peer
 * that vanished without closing its connection. Far above any healthy command, Lua sends included.
 */
const COMMAND_TIMEOUT_MS = 3_000;

/**
 * Options shared by a single client and by each node connection of a cluster client.
 * Commands issued in the same tick leave in one socket write: a room send's two rate-limit calls,
 * and the sends of every request that arrived in one RPC batch. On loopback each write is a
 * syscall that also runs Redis's side of TCP, the biggest per-command cost measured.
 */
const COMMON: RedisOptions = {
  commandTimeout: COMMAND_TIMEOUT_MS,
  enableAutoPipelining: true,
};

/** The one place every app's Redis client is made (see RedisModule). */
export function createRedisClient(target: RedisTarget): RedisClient {
  if (target.kind === 'single') {
    return new Redis(target.url, {
      ...COMMON,
      // Fail commands fast while disconnected instead of queueing them without bound.
      maxRetriesPerRequest: 2,
      enableOfflineQueue: true,
      retryStrategy: (attempt) => Math.min(attempt * 100, 2000),
      lazyConnect: false,
    });
  }
  const options: ClusterOptions = {
    enableAutoPipelining: true,
    // A cluster client groups auto-pipelined commands by the slot of their first argument, which for
    // a raw EVALSHA is the SHA, not a key: scripts of rooms on different nodes would share a pipeline
    // and fail. Raw scripts go one by one, routed by their real keys; LuaScript.run sends script
    // commands (defineCommand), whose first argument is a key, so those are auto-pipelined.
    autoPipeliningIgnoredCommands: ['evalsha', 'eval'],
    // Reads and writes at masters: a replica may lag, and a room's log must read what was just sent.
    scaleReads: 'master',
    // Ready only once CLUSTER INFO says ok, so a boot does not start against a half-formed cluster.
    enableReadyCheck: true,
    // While no node answers at all, fail at once rather than queue without bound; the client keeps
    // reconnecting by itself (clusterRetryStrategy) and works again as soon as the cluster does.
    enableOfflineQueue: false,
    clusterRetryStrategy: (attempt) => Math.min(100 * attempt, 2_000),
    // A failover (node gone, MOVED, CLUSTERDOWN, TRYAGAIN): retry every 100 ms, at most 16 times
    // (maxRedirections), so a call fails within about 2 s and later calls find the promoted replica.
    retryDelayOnFailover: 100,
    retryDelayOnClusterDown: 100,
    retryDelayOnTryAgain: 100,
    maxRedirections: 16,
    // Topology: refreshed every 5 s, on every MOVED and after a node is lost; 1 s per CLUSTER SLOTS.
    slotsRefreshTimeout: 1_000,
    slotsRefreshInterval: 5_000,
    redisOptions: {
      ...COMMON,
      username: target.username,
      password: target.password,
      tls: target.tls ? {} : undefined,
      maxRetriesPerRequest: 2,
    },
  };
  return new Cluster(
    target.nodes.map((node) => ({ host: node.host, port: node.port })),
    options,
  );
}

/** Redis answers that mean "not now" (a failover, a node down or loading), not a bug. */
const UNAVAILABLE_REPLY = /^(CLUSTERDOWN|TRYAGAIN|LOADING|MASTERDOWN|READONLY|NOREPLICAS)\b/;

/** ioredis errors of a connection that is gone, closed or slow, or of a cluster it cannot reach. */
const UNAVAILABLE_CLIENT = [
  'Connection is closed',
  'Command timed out',
  'Reached the max retries per request limit',
  "isn't writeable",
  "Cluster isn't ready",
  'Too many Cluster redirections',
  'Failed to refresh slots cache',
  'None of startup nodes is available',
  'ECONNREFUSED',
  'ECONNRESET',
  'ETIMEDOUT',
  'EPIPE',
];

/** Whether a Redis error means the data is unreachable for now (a retry may succeed). */
export function isRedisUnavailable(error: unknown): boolean {
  if (!(error instanceof Error)) return false;
  return UNAVAILABLE_REPLY.test(error.message) || UNAVAILABLE_CLIENT.some((t) => error.message.includes(t));
}

/** The RpcError callers see for a Redis outage: SERVICE_UNAVAILABLE, safe to retry idempotently. */
export function redisUnavailable(error: Error): RpcError {
  return new RpcError(ErrorCode.SERVICE_UNAVAILABLE, `storage unavailable, retry: ${error.message}`, {
    reason: 'redis',
  });
}
