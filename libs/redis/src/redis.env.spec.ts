import { z } from 'zod';
import { importantReplicaAcks, RedisEnv, redisTargetOf } from './redis.env';
import { describeRedisTarget, parseClusterNodes } from './redis-target';

const parse = (env: Record<string, string>) => RedisEnv.safeParse(env);

describe('RedisEnv and the Redis target', () => {
  it('uses REDIS_URL when no cluster nodes are given, with no replica wait', () => {
    const config = RedisEnv.parse({ REDIS_URL: 'redis://10.0.0.5:6380' });
    expect(redisTargetOf(config)).toEqual({ kind: 'single', url: 'redis://10.0.0.5:6380' });
    expect(importantReplicaAcks(config)).toEqual({ replicas: 0, timeoutMs: 500 });
  });

  it('takes REDIS_CLUSTER_NODES as host:port seeds and waits for one replica by default', () => {
    const config = RedisEnv.parse({ REDIS_CLUSTER_NODES: 'redis-0:7000, 10.0.0.2:7001,[::1]:7002' });
    expect(redisTargetOf(config)).toEqual({
      kind: 'cluster',
      nodes: [
        { host: 'redis-0', port: 7000 },
        { host: '10.0.0.2', port: 7001 },
        { host: '::1', port: 7002 },
      ],
      username: undefined,
      password: undefined,
      tls: false,
    });
    expect(importantReplicaAcks(config)).toEqual({ replicas: 1, timeoutMs: 500 });
  });

  it('reads credentials and TLS from the URL form, and never logs the password', () => {
    const target = parseClusterNodes('rediss://app:s%40cret@a.example:6379,b.example:6379');
    expect(target).toMatchObject({ tls: true, username: 'app', password: 's@cret' });
    if (typeof target === 'string') throw new Error(target);
    expect(describeRedisTarget(target)).not.toContain('cret');
    expect(describeRedisTarget({ kind: 'single', url: 'redis://:pw@h:1' })).toBe('Redis redis://h:1');
  });

  it('lets REDIS_IMPORTANT_REPLICAS turn the wait off on a cluster or on for one Redis', () => {
    expect(
      importantReplicaAcks(RedisEnv.parse({ REDIS_CLUSTER_NODES: 'a:1', REDIS_IMPORTANT_REPLICAS: '0' }))
        .replicas,
    ).toBe(0);
    expect(importantReplicaAcks(RedisEnv.parse({ REDIS_IMPORTANT_REPLICAS: '1' })).replicas).toBe(1);
  });

  it.each([
    ['REDIS_CLUSTER_NODES', 'redis-0', '"redis-0" is not host:port'],
    ['REDIS_CLUSTER_NODES', 'a:1,b:99999', '"b:99999" is not host:port'],
    ['REDIS_CLUSTER_NODES', 'http://a:1', 'must be host:port,... or a redis:// or rediss:// list'],
    ['REDIS_REPLICA_WAIT_MS', '0', ''],
    ['REDIS_IMPORTANT_REPLICAS', '-1', ''],
  ])('names a bad %s (%s) in one issue', (name, value, message) => {
    const result = parse({ [name]: value });
    expect(result.success).toBe(false);
    const issues = (result.error as z.ZodError).issues;
    expect(issues).toHaveLength(1);
    expect(issues[0]?.path).toEqual([name]);
    if (message) expect(issues[0]?.message).toBe(message);
  });
});
