import { spawn } from 'node:child_process';
import { createHash } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { cpus, loadavg, tmpdir } from 'node:os';
import { join } from 'node:path';
import { LocalRedisCluster, freePorts, redisProblem, uniqueKeyPrefix, waitFor } from '@live-im/testing';
import { createRedisClient, LuaScript, parseClusterNodes, type RedisClient } from '@live-im/redis';
import { RateLimiterRedis } from 'rate-limiter-flexible';
import { setting } from '../shared/bench-settings';

/**
 * bench/redis client cost: the Redis calls of one room.chat as room-service makes them (two
 * rate-limiter-flexible calls, then the send script), from this one process, for 100 rooms at a
 * fixed concurrency, on one Redis and on a 3+3 Redis Cluster, in the same run and in alternating
 * rounds. Per variant: this process's CPU µs per chat (user + system, from process.cpuUsage), the
 * median over the rounds. Baseline on each target: the send script as a raw EVALSHA (with EVAL
 * after NOSCRIPT), as LuaScript.run sent it before it used auto-pipelined script commands.
 */
const CHATS = setting('chats', 5_000, 100);
const CONCURRENCY = setting('concurrency', 32, 1);
const ROUNDS = setting('rounds', 5, 1);
const ROOMS = 100;

/** The send script's Redis work in small: next seq, append to the log, trim it. */
const SEND_SOURCE = `
local seq = redis.call('INCR', KEYS[1])
redis.call('ZADD', KEYS[2], seq, ARGV[1])
redis.call('ZREMRANGEBYRANK', KEYS[2], 0, -201)
return {'OK', seq}
`;
const SEND = new LuaScript(SEND_SOURCE);
const SEND_SHA = createHash('sha1').update(SEND_SOURCE).digest('hex');

type Way = 'raw EVALSHA' | 'LuaScript.run';

async function rawEvalsha(redis: RedisClient, keys: string[], args: string[]): Promise<unknown> {
  try {
    return await redis.evalsha(SEND_SHA, keys.length, ...keys, ...args);
  } catch (error) {
    if (!(error instanceof Error && error.message.startsWith('NOSCRIPT'))) throw error;
    return redis.eval(SEND_SOURCE, keys.length, ...keys, ...args);
  }
}

/** CPU µs per chat of `chats` chats, `CONCURRENCY` at a time. */
async function cpuPerChat(redis: RedisClient, way: Way, prefix: string, chats: number): Promise<number> {
  const limiter = new RateLimiterRedis({ storeClient: redis, keyPrefix: '', points: 1e9, duration: 1 });
  const room = (i: number) => `${prefix}{r${i % ROOMS}}`;
  const chat = async (i: number) => {
    await Promise.all([limiter.consume(`${room(i)}:rate:u`), limiter.consume(`${room(i)}:rate:r`)]);
    const keys = [`${room(i)}:seq`, `${room(i)}:log`];
    const args = [`m${i}`];
    if (way === 'raw EVALSHA') await rawEvalsha(redis, keys, args);
    else await SEND.run(redis, keys, args);
  };
  let next = 0;
  const started = process.cpuUsage();
  await Promise.all(
    Array.from({ length: CONCURRENCY }, async () => {
      while (next < chats) await chat((next += 1));
    }),
  );
  const used = process.cpuUsage(started);
  return (used.user + used.system) / chats;
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
    `bench/redis client cost: ${CHATS} chats (2 rate-limit calls + 1 send script) over ${ROOMS} rooms at concurrency ${CONCURRENCY}, ${ROUNDS} rounds`,
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
    const ways: Way[] = ['raw EVALSHA', 'LuaScript.run'];
    const figures = new Map<string, number[]>();
    for (const [, redis] of targets) for (const way of ways) await cpuPerChat(redis, way, prefix, CHATS / 5);
    for (let round = 0; round < ROUNDS; round += 1) {
      for (const [name, redis] of targets) {
        for (const way of ways) {
          const us = await cpuPerChat(redis, way, prefix, CHATS);
          const key = `${name}, ${way}`;
          figures.set(key, [...(figures.get(key) ?? []), us]);
        }
      }
    }
    for (const [key, values] of figures) {
      console.log(
        `${key.padEnd(28)} ${median(values).toFixed(1).padStart(6)} µs CPU per chat (median; rounds: ${values.map((v) => v.toFixed(0)).join(' ')})`,
      );
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
