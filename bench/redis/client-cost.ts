import { spawn } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { cpus, loadavg, tmpdir } from 'node:os';
import { performance } from 'node:perf_hooks';
import { join } from 'node:path';
import { LocalRedisCluster, freePorts, redisProblem, uniqueKeyPrefix, waitFor } from '@live-im/testing';
import { createRedisClient, LuaScript, parseClusterNodes, type RedisClient } from '@live-im/redis';
import { RateLimiterRedis } from 'rate-limiter-flexible';
import { setting } from '../shared/bench-settings';

/**
 * bench/redis client cost: the Redis calls of one room.chat, from this one process, for 100 rooms
 * at a fixed concurrency, on one Redis and on a 3+3 Redis Cluster, in the same run and in
 * alternating rounds. Two ways: as room-service sends a chat now (one script that checks the two
 * rate budgets, then assigns the seq and logs), and as it did before (two rate-limiter-flexible
 * calls, then the send script: two round trips). Per way: this process's CPU µs per chat (user +
 * system, from process.cpuUsage) and chats per second, the medians over the rounds.
 */
const CHATS = setting('chats', 5_000, 100);
const CONCURRENCY = setting('concurrency', 32, 1);
const ROUNDS = setting('rounds', 5, 1);
const ROOMS = 100;

/** The send script's Redis work in small: next seq, append to the log, trim it. */
const SEND_WORK = `
local seq = redis.call('INCR', KEYS[1])
redis.call('ZADD', KEYS[2], seq, ARGV[1])
redis.call('ZREMRANGEBYRANK', KEYS[2], 0, -201)
return {'OK', seq}
`;
const SEND = new LuaScript(SEND_WORK);

/** The same, after both fixed-window budgets (KEYS[3], KEYS[4]), as room-service's send script. */
const SEND_WITH_RATES = new LuaScript(`
local function spend(key, points, windowSec)
  local used = redis.call('INCR', key)
  local ttl = redis.call('PTTL', key)
  if ttl < 0 then
    redis.call('EXPIRE', key, windowSec)
    ttl = 1000 * tonumber(windowSec)
  end
  if used > tonumber(points) then return ttl end
  return nil
end
local user = spend(KEYS[3], ARGV[2], 1)
local room = spend(KEYS[4], ARGV[2], 1)
if user or room then return {'RATE_LIMITED', math.max(user or 0, room or 0)} end
${SEND_WORK}`);

/** Budgets no bench run spends. */
const UNLIMITED = 1e9;

type Way = 'one script' | 'limiter + script';

/** CPU µs per chat and chats per second of `chats` chats, `CONCURRENCY` at a time. */
async function measure(
  redis: RedisClient,
  way: Way,
  prefix: string,
  chats: number,
): Promise<{ cpuUs: number; perSec: number }> {
  const limiter = new RateLimiterRedis({ storeClient: redis, keyPrefix: '', points: UNLIMITED, duration: 1 });
  const room = (i: number) => `${prefix}{r${i % ROOMS}}`;
  const chat = async (i: number) => {
    const keys = [`${room(i)}:seq`, `${room(i)}:log`];
    const rates = [`${room(i)}:rate:u`, `${room(i)}:rate:r`];
    if (way === 'one script') {
      await SEND_WITH_RATES.run(redis, [...keys, ...rates], [`m${i}`, UNLIMITED]);
      return;
    }
    await Promise.all(rates.map((key) => limiter.consume(key)));
    await SEND.run(redis, keys, [`m${i}`]);
  };
  let next = 0;
  const started = process.cpuUsage();
  const startedAt = performance.now();
  await Promise.all(
    Array.from({ length: CONCURRENCY }, async () => {
      while (next < chats) await chat((next += 1));
    }),
  );
  const seconds = (performance.now() - startedAt) / 1000;
  const used = process.cpuUsage(started);
  return { cpuUs: (used.user + used.system) / chats, perSec: chats / seconds };
}

async function ready(redis: RedisClient): Promise<RedisClient> {
  if (redis.status !== 'ready') await new Promise((resolve) => redis.once('ready', resolve));
  return redis;
}

async function startPrivateRedis(): Promise<{ url: string; stop(): Promise<void> }> {
  const [port] = await freePorts(1);
  const dir = mkdtempSync(join(tmpdir(), 'live-im-bench-redis-client-'));
  const child = spawn(
    'redis-server',
    ['--port', String(port), '--bind', '127.0.0.1', '--save', '', '--dir', dir],
    {
      stdio: 'ignore',
    },
  );
  const exited = new Promise((resolve) => child.once('exit', resolve));
  const url = `redis://127.0.0.1:${port}`;
  await waitFor(async () => (await redisProblem(url, 500)) === undefined, { timeoutMs: 10_000, what: url });
  return {
    url,
    stop: async () => {
      child.kill('SIGKILL');
      await exited;
      rmSync(dir, { recursive: true, force: true });
    },
  };
}

function median(values: number[]): number {
  const sorted = [...values].sort((a, b) => a - b);
  const middle = Math.floor(sorted.length / 2);
  return sorted.length % 2 === 1
    ? (sorted[middle] ?? 0)
    : ((sorted[middle - 1] ?? 0) + (sorted[middle] ?? 0)) / 2;
}

async function main(): Promise<void> {
  const load = loadavg()[0]?.toFixed(2) ?? '?';
  console.log(
    `bench/redis client cost: ${CHATS} chats over ${ROOMS} rooms at concurrency ${CONCURRENCY}, ${ROUNDS} rounds`,
  );
  console.log(
    `machine: ${cpus().length} CPUs, load average ${load} at start${Number(load) > 1 ? ' ⚠ loaded: figures are not comparable with a quiet run' : ''}`,
  );
  const single = await startPrivateRedis();
  const cluster = await LocalRedisCluster.start({ label: 'bench-client' });
  const prefix = uniqueKeyPrefix('bench:redis-client');
  const targets: Array<[string, RedisClient]> = [];
  try {
    const clusterTarget = parseClusterNodes(cluster.seeds);
    if (typeof clusterTarget === 'string') throw new Error(`cluster seeds: ${clusterTarget}`);
    targets.push(['one Redis', await ready(createRedisClient({ kind: 'single', url: single.url }))]);
    targets.push(['cluster 3+3', await ready(createRedisClient(clusterTarget))]);
    const ways: Way[] = ['one script', 'limiter + script'];
    const cpu = new Map<string, number[]>();
    const rate = new Map<string, number[]>();
    const note = (figures: Map<string, number[]>, key: string, value: number) =>
      figures.set(key, [...(figures.get(key) ?? []), value]);
    for (const [, redis] of targets) for (const way of ways) await measure(redis, way, prefix, CHATS / 5);
    for (let round = 0; round < ROUNDS; round += 1) {
      for (const [name, redis] of targets) {
        for (const way of ways) {
          const { cpuUs, perSec } = await measure(redis, way, prefix, CHATS);
          note(cpu, `${name}, ${way}`, cpuUs);
          note(rate, `${name}, ${way}`, perSec);
        }
      }
    }
    for (const [key, values] of cpu) {
      const perSec = median(rate.get(key) ?? []);
      console.log(
        `${key.padEnd(30)} ${median(values).toFixed(1).padStart(6)} µs CPU per chat, ${perSec.toFixed(0).padStart(6)} chats/s (medians; CPU by round: ${values.map((v) => v.toFixed(0)).join(' ')})`,
      );
    }
    for (const way of ways) {
      const single = median(rate.get(`one Redis, ${way}`) ?? []);
      const cluster = median(rate.get(`cluster 3+3, ${way}`) ?? []);
      console.log(`${way.padEnd(18)} cluster / one Redis: ${(cluster / single).toFixed(2)}x chats/s`);
    }
  } finally {
    for (const [, redis] of targets) redis.disconnect();
    await cluster.stop();
    await single.stop();
  }
}

main().then(
  () => process.exit(0),
  (error: unknown) => {
    console.error(error);
    process.exit(1);
  },
);
