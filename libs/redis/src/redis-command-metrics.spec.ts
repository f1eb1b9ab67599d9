import { randomBytes } from 'node:crypto';
import Redis from 'ioredis';
import { Registry } from 'prom-client';
import { LuaScript } from './lua-script';
import {
  MAX_REDIS_COMMANDS,
  OTHER_COMMAND,
  REDIS_DURATION_NAME,
  REDIS_ERRORS_NAME,
  RedisCommandMetrics,
  timeRedisCommands,
} from './redis-command-metrics';

/** The value of a metric's sample with `command`, read from the registry's JSON. */
async function valueOf(registry: Registry, metricName: string, command: string): Promise<number> {
  for (const metric of await registry.getMetricsAsJSON()) {
    for (const value of metric.values as Array<{
      metricName?: string;
      labels: Record<string, unknown>;
      value: number;
    }>) {
      if ((value.metricName ?? metric.name) === metricName && value.labels['command'] === command)
        return value.value;
    }
  }
  return 0;
}

// @live-im/testing depends on this library, so the spec reaches the real Redis on its own.
const REDIS_URL = process.env['REDIS_URL'] ?? 'redis://127.0.0.1:6379';

async function deleteKeys(prefix: string): Promise<void> {
  const redis = new Redis(REDIS_URL, { maxRetriesPerRequest: 1 });
  try {
    for await (const batch of redis.scanStream({ match: `${prefix}*`, count: 500 })) {
      const keys = batch as string[];
      if (keys.length > 0) await redis.unlink(...keys);
    }
  } finally {
    redis.disconnect();
  }
}

const count = (registry: Registry, command: string) =>
  valueOf(registry, `${REDIS_DURATION_NAME}_count`, command);

describe('timeRedisCommands (real Redis)', () => {
  const prefix = `test:redis-metrics:${randomBytes(4).toString('hex')}:`;
  const clients: Redis[] = [];
  let registry: Registry;
  let metrics: RedisCommandMetrics;
  let redis: Redis;

  function timedClient(options: { lazyConnect?: boolean } = {}): Redis {
    const client = timeRedisCommands(new Redis(REDIS_URL, { maxRetriesPerRequest: 1, ...options }), metrics);
    clients.push(client);
    return client;
  }

  beforeEach(() => {
    registry = new Registry();
    metrics = new RedisCommandMetrics(registry);
    redis = timedClient();
  });

  afterEach(async () => {
    await Promise.all(clients.splice(0).map((c) => c.quit().catch(() => c.disconnect())));
  });

  afterAll(async () => {
    await deleteKeys(prefix);
  });

  it('observes each command by lower-case name, with a duration', async () => {
    await redis.set(`${prefix}a`, '1');
    await redis.get(`${prefix}a`);
    await redis.get(`${prefix}a`);
    await redis.call('GET', `${prefix}a`);

    expect(await count(registry, 'set')).toBe(1);
    expect(await count(registry, 'get')).toBe(3);
    expect(await valueOf(registry, `${REDIS_DURATION_NAME}_sum`, 'get')).toBeGreaterThan(0);
    expect(await valueOf(registry, REDIS_ERRORS_NAME, 'get')).toBe(0);
  });

  it('observes every command of a pipeline and of a MULTI, and a Lua script as evalsha', async () => {
    await redis.pipeline().incr(`${prefix}p`).incr(`${prefix}p`).expire(`${prefix}p`, 60).exec();
    await redis.multi().incr(`${prefix}m`).get(`${prefix}m`).exec();
    // A source of its own, so Redis cannot know its digest yet.
    const script = new LuaScript(`-- ${prefix}\nreturn redis.call('INCR', KEYS[1])`);
    await script.run(redis, [`${prefix}lua`], []);
    await script.run(redis, [`${prefix}lua`], []);

    expect(await count(registry, 'incr')).toBe(3);
    expect(await count(registry, 'expire')).toBe(1);
    expect(await count(registry, 'multi')).toBe(1);
    expect(await count(registry, 'exec')).toBe(1);
    // Both timed as evalsha: the first run on the connection carries the source, without NOSCRIPT first.
    expect(await count(registry, 'evalsha')).toBe(2);
    expect(await valueOf(registry, REDIS_ERRORS_NAME, 'evalsha')).toBe(0);
    expect(await count(registry, 'eval')).toBe(0);
  });

  it('counts a command that fails as an error of its name', async () => {
    await redis.set(`${prefix}s`, 'text');
    await expect(redis.lpush(`${prefix}s`, 'x')).rejects.toThrow(/WRONGTYPE/);
    expect(await valueOf(registry, REDIS_ERRORS_NAME, 'lpush')).toBe(1);
    expect(await count(registry, 'lpush')).toBe(1);
  });

  it('times a command queued while connecting once, though ioredis sends it twice', async () => {
    const lazy = timedClient({ lazyConnect: true });
    await Promise.all([lazy.get(`${prefix}q`), lazy.get(`${prefix}q`)]);
    expect(await count(registry, 'get')).toBe(2);
  });

  it(`labels at most ${MAX_REDIS_COMMANDS} command names, the rest as "${OTHER_COMMAND}"`, async () => {
    const fake = (name: string) =>
      ({ name, promise: Promise.resolve() }) as unknown as Parameters<RedisCommandMetrics['time']>[0];
    for (let i = 0; i < MAX_REDIS_COMMANDS + 5; i += 1) metrics.time(fake(`cmd${i}`));
    metrics.time(fake('CMD0'));
    await new Promise((resolve) => setImmediate(resolve));
    expect(await count(registry, 'cmd0')).toBe(2);
    expect(await count(registry, OTHER_COMMAND)).toBe(5);
  });
});
