import type { RedisEnvConfig } from './redis.env';

/** The app's ioredis client (a RedisClient: a single server or a cluster). */
export const REDIS = Symbol('REDIS');
export const REDIS_OPTIONS = Symbol('REDIS_OPTIONS');
/** The ReplicaAcks an important-lane write waits for before it is acknowledged. */
export const IMPORTANT_REPLICA_ACKS = Symbol('IMPORTANT_REPLICA_ACKS');

/** The validated Redis part of an app's environment (RedisEnv). */
export type RedisModuleOptions = Pick<
  RedisEnvConfig,
  | 'REDIS_URL'
  | 'REDIS_CLUSTER_NODES'
  | 'REDIS_IMPORTANT_REPLICAS'
  | 'REDIS_REPLICA_WAIT_MS'
  | 'REDIS_KEY_PREFIX'
>;
