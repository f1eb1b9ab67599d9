import { spawn } from 'node:child_process';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { cpus, loadavg, tmpdir } from 'node:os';
import { join } from 'node:path';
import { RoomRpc } from '@live-im/contracts';
import {
  LocalRedisCluster,
  ProcessGroup,
  WORKSPACE_ROOT,
  deleteKeysWithPrefix,
  freePorts,
  redisProblem,
  testBusSecurity,
  testRedisUrl,
  uniqueKeyPrefix,
  waitFor,
} from '@live-im/testing';
import { RpcClient, SILENT_LOGGER } from '@live-im/zmq-transport';
import { CpuMeter } from '../shared/process-cpu';
import { RunResult, runClosedLoop } from '../rpc/latency';

/**
 * bench/redis: room.chat through the whole server path (RPC client → rpc-broker → two room-service
 * workers → Redis → broadcast node) for 100 rooms, on one Redis and on a local Redis Cluster of
 * 3 masters + 3 replicas, in the same run; then the cost of the important lane's replica
 * acknowledgement: room.gift → answer, on the cluster with the shipped default (WAIT for one
 * replica) and with REDIS_IMPORTANT_REPLICAS=0.
 */
const CALLS = Number(process.env['BENCH_CALLS'] ?? 20_000);
const CONCURRENCY = Number(process.env['BENCH_CONCURRENCY'] ?? 64);
const GIFTS = Number(process.env['BENCH_GIFTS'] ?? 3_000);
const GIFT_CONCURRENCY = Number(process.env['BENCH_GIFT_CONCURRENCY'] ?? 8);
const ROOMS = 100;
/** Rate limits that would refuse the bench's own load, raised so they never trigger. */
const UNLIMITED = '1000000';
const SENDER = { userId: 'u_benchredis', nickname: 'bench', level: 1, role: 'user' } as const;
/** When set, each room-service writes a V8 CPU profile (.cpuprofile) under this folder on exit. */
const CPU_PROF_DIR = process.env['BENCH_CPU_PROF_DIR'];

interface System {
  client: RpcClient;
  cpu: CpuMeter;
  stop(): Promise<void>;
}

/** The apps of the send path, on the Redis that `redisEnv` names, under a prefix of their own. */
async function startSystem(
  label: string,
  redisEnv: Record<string, string>,
  redisPids: Record<string, number>,
): Promise<System> {
  const keyPrefix = uniqueKeyPrefix(`bench:redis-${label}`);
  const apps = new ProcessGroup();
  const ports = await freePorts(12);
  const next = () => ports.shift() as number;
  const tcp = (port: number) => `tcp://127.0.0.1:${port}`;
  const [front, back, nmRouter, nmPub] = [tcp(next()), tcp(next()), tcp(next()), tcp(next())];
  const common = { ...redisEnv, REDIS_KEY_PREFIX: keyPrefix, LOG_LEVEL: 'warn' };
  const start = (app: string, name: string, env: Record<string, string>, nodeArgs?: string[]) =>
    apps.start(app, {
      httpPort: next(),
      label: `bench-redis-${label}-${name}`,
      env: { ...common, INSTANCE_ID: `bench-${name}`, ...env },
      nodeArgs,
    });
  const broker = await start('rpc-broker', 'broker', { RPC_FRONTEND_BIND: front, RPC_BACKEND_BIND: back });
  const manager = await start('node-manager', 'nm', { NM_ROUTER_BIND: nmRouter, NM_PUB_BIND: nmPub });
  const node = await start('broadcast-node', 'bn', {
    NODE_ID: `bench-${label}-bn`,
    BCAST_PULL_BIND: tcp(next()),
    BCAST_PUB_BIND: tcp(next()),
    NM_ROUTER: nmRouter,
    NM_PUB: nmPub,
  });
  const rooms = await Promise.all(
    [1, 2].map((i) =>
      start(
        'room-service',
        `room${i}`,
        {
          RPC_BROKER_BACKENDS: back,
          RPC_BROKER_FRONTENDS: front,
          NM_ROUTER: nmRouter,
          NM_PUB: nmPub,
          USER_RATE_POINTS: UNLIMITED,
          USER_RATE_WINDOW_SEC: '1',
          ROOM_RATE_POINTS: UNLIMITED,
          ROOM_RATE_WINDOW_SEC: '1',
        },
        CPU_PROF_DIR === undefined
          ? undefined
          : ['--cpu-prof', `--cpu-prof-dir=${join(CPU_PROF_DIR, label)}`],
      ),
    ),
  );
  const client = new RpcClient({
    brokers: [front],
    logger: SILENT_LOGGER,
    security: testBusSecurity('rpc-cli'),
  });
  client.start();
  const cpu = new CpuMeter({
    client: process.pid,
    broker: broker.pid,
    'room-service 1': rooms[0]?.pid ?? -1,
    'room-service 2': rooms[1]?.pid ?? -1,
    'broadcast node': node.pid,
    'node manager': manager.pid,
    ...redisPids,
  });
  return {
    client,
    cpu,
    stop: async () => {
      await client.close();
      await apps.stopAll(10_000);
      await deleteKeysWithPrefix(keyPrefix).catch(() => undefined);
    },
  };
}

/** Opens the bench's rooms (waiting out the workers' registration at the broker). */
async function openRooms(client: RpcClient, runId: string): Promise<string[]> {
  const rooms = Array.from({ length: ROOMS }, (_, i) => `bench-redis-${runId}-${i}`);
  const create = (roomId: string) =>
    client.call(
      RoomRpc.create.pattern,
      { roomId, title: 'bench', ownerId: SENDER.userId },
      { timeoutMs: 5_000 },
    );
  await waitFor(
    () =>
      create(rooms[0] ?? '').then(
        () => true,
        () => false,
      ),
    {
      timeoutMs: 30_000,
      intervalMs: 200,
      what: 'room-service behind the broker',
    },
  );
  await Promise.all(rooms.slice(1).map(create));
  return rooms;
}

/** The first error of a run's calls, so a run with failures says why. */
let firstFailure: unknown;
const noted = <T>(call: Promise<T>): Promise<T> =>
  call.catch((error: unknown) => {
    firstFailure ??= error;
    throw error;
  });

/** A clientMsgId of its own per run and call (letters, digits, dash). */
let runSerial = 0;

async function chatRun(name: string, system: System, rooms: string[]): Promise<RunResult> {
  const tag = `r${(runSerial += 1)}`;
  const chat = (i: number) =>
    noted(
      system.client.call(
        RoomRpc.chat.pattern,
        { roomId: rooms[i % rooms.length], sender: SENDER, text: `chat ${i}`, clientMsgId: `${tag}-c${i}` },
        { timeoutMs: 10_000, idempotent: true },
      ),
    );
  await runClosedLoop(`${name} warm-up`, Math.ceil(CALLS / 10), CONCURRENCY, (i) => chat(CALLS + i));
  system.cpu.start();
  const result = await runClosedLoop(name, CALLS, CONCURRENCY, chat);
  return { ...result, cpuUsPerCall: system.cpu.perCallUs(CALLS) };
}

async function giftRun(name: string, system: System, rooms: string[]): Promise<RunResult> {
  const tag = `r${(runSerial += 1)}`;
  const gift = (i: number) =>
    noted(
      system.client.call(
        RoomRpc.gift.pattern,
        {
          roomId: rooms[i % rooms.length],
          sender: SENDER,
          giftId: 'rose',
          count: 1,
          clientMsgId: `${tag}-g${i}`,
        },
        { timeoutMs: 10_000, idempotent: true },
      ),
    );
  await runClosedLoop(`${name} warm-up`, Math.ceil(GIFTS / 10), GIFT_CONCURRENCY, (i) => gift(GIFTS + i));
  return runClosedLoop(name, GIFTS, GIFT_CONCURRENCY, gift);
}

/** One redis-server on a free loopback port, with the cluster nodes' persistence (append-only file). */
async function startPrivateRedis(): Promise<{ url: string; pid: number; stop(): Promise<void> }> {
  const [port] = await freePorts(1);
  const dir = mkdtempSync(join(tmpdir(), 'live-im-bench-redis-'));
  const child = spawn(
    'redis-server',
    ['--port', String(port), '--bind', '127.0.0.1', '--save', '', '--appendonly', 'yes', '--dir', dir],
    {
      stdio: 'ignore',
    },
  );
  const exited = new Promise((resolve) => child.once('exit', resolve));
  const url = `redis://127.0.0.1:${port}`;
  await waitFor(async () => (await redisProblem(url, 500)) === undefined, {
    timeoutMs: 10_000,
    what: `redis-server on ${url}`,
  });
  return {
    url,
    pid: child.pid ?? -1,
    stop: async () => {
      child.kill('SIGKILL');
      await exited;
      rmSync(dir, { recursive: true, force: true });
    },
  };
}

function line(result: RunResult): string {
  const cpu = result.cpuUsPerCall
    ? `  CPU µs/call ${Object.entries(result.cpuUsPerCall)
        .map(([name, us]) => `${name} ${us}`)
        .join(', ')}`
    : '';
  return `${result.name.padEnd(34)} ${String(result.reqPerSec).padStart(7)} calls/s  p50 ${result.p50Ms} ms  p99 ${result.p99Ms} ms  failures ${result.failures}${cpu}`;
}

async function main(): Promise<void> {
  const runId = Math.random().toString(36).slice(2, 8);
  const load = loadavg()[0]?.toFixed(2) ?? '?';
  console.log(
    `bench/redis: ${CALLS} room.chat calls over ${ROOMS} rooms at concurrency ${CONCURRENCY}; ${GIFTS} room.gift calls at concurrency ${GIFT_CONCURRENCY}`,
  );
  console.log(
    `machine: ${cpus().length} CPUs, load average ${load} at start${Number(load) > 1 ? ' ⚠ loaded: figures are not comparable with a quiet run' : ''}`,
  );
  const results: RunResult[] = [];

  // A redis-server of the bench's own, as each cluster node is: not the host's shared Redis.
  const singleRedis = await startPrivateRedis();
  try {
    const single = await startSystem('single', { REDIS_URL: singleRedis.url }, { redis: singleRedis.pid });
    try {
      const rooms = await openRooms(single.client, `${runId}s`);
      results.push(await chatRun('chat, one Redis (baseline)', single, rooms));
      console.log(line(results[results.length - 1]));
    } finally {
      await single.stop();
    }
  } finally {
    await singleRedis.stop();
  }

  const redis = await LocalRedisCluster.start({
    label: 'bench',
    logDir: join(WORKSPACE_ROOT, 'tmp/bench-logs'),
  });
  // Each redis-server's CPU too: on one machine the cluster's replication and bus are part of its cost.
  const redisPids = Object.fromEntries(
    redis.nodes.map((node) => [`redis :${node.port}`, node.child?.pid ?? -1]),
  );
  try {
    const cluster = await startSystem(
      'cluster',
      { REDIS_URL: testRedisUrl(), REDIS_CLUSTER_NODES: redis.seeds },
      redisPids,
    );
    try {
      const rooms = await openRooms(cluster.client, `${runId}c`);
      results.push(await chatRun('chat, Redis Cluster 3+3', cluster, rooms));
      console.log(line(results[results.length - 1]));
      results.push(await giftRun('gift, cluster, WAIT 1 replica', cluster, rooms));
      console.log(line(results[results.length - 1]));
    } finally {
      await cluster.stop();
    }
    // The same cluster, the replica wait turned off (a setting this bench changes: said here).
    console.log('setting changed for the next run: REDIS_IMPORTANT_REPLICAS=0');
    const unreplicated = await startSystem(
      'nowait',
      { REDIS_URL: testRedisUrl(), REDIS_CLUSTER_NODES: redis.seeds, REDIS_IMPORTANT_REPLICAS: '0' },
      redisPids,
    );
    try {
      const rooms = await openRooms(unreplicated.client, `${runId}u`);
      results.push(await giftRun('gift, cluster, no replica wait', unreplicated, rooms));
      console.log(line(results[results.length - 1]));
    } finally {
      await unreplicated.stop();
    }
  } finally {
    await redis.stop();
  }

  if (results.some((result) => result.failures > 0)) {
    throw new Error(
      `calls failed, first: ${firstFailure instanceof Error ? firstFailure.message : String(firstFailure)}`,
    );
  }
  const [singleChat, clusterChat, giftWait, giftNoWait] = results as [
    RunResult,
    RunResult,
    RunResult,
    RunResult,
  ];
  const ratio = Math.round((clusterChat.reqPerSec / singleChat.reqPerSec) * 100) / 100;
  const summary = {
    single: singleChat.reqPerSec,
    cluster: clusterChat.reqPerSec,
    ratio,
    gift_ack_p50_ms_replicated: giftWait.p50Ms,
    gift_ack_p99_ms_replicated: giftWait.p99Ms,
    gift_ack_p50_ms_unreplicated: giftNoWait.p50Ms,
    gift_ack_p99_ms_unreplicated: giftNoWait.p99Ms,
    cpu_us_per_chat: { single: singleChat.cpuUsPerCall, cluster: clusterChat.cpuUsPerCall },
    goal: { ratio: 'cluster >= 0.8x one Redis', pass: ratio >= 0.8 },
    load_average_at_start: Number(load),
    settings: {
      calls: CALLS,
      concurrency: CONCURRENCY,
      rooms: ROOMS,
      gifts: GIFTS,
      giftConcurrency: GIFT_CONCURRENCY,
    },
  };
  console.log(`ratio cluster / one Redis: ${ratio}x (goal ≥ 0.8x: ${summary.goal.pass ? 'met' : 'not met'})`);
  console.log(
    `gift → ack: p50 ${giftWait.p50Ms} / p99 ${giftWait.p99Ms} ms with the replica wait, p50 ${giftNoWait.p50Ms} / p99 ${giftNoWait.p99Ms} ms without`,
  );
  const dir = join(WORKSPACE_ROOT, 'bench/results');
  mkdirSync(dir, { recursive: true });
  writeFileSync(join(dir, 'redis.json'), `${JSON.stringify(summary, null, 2)}\n`);
  console.log('wrote bench/results/redis.json');
}

main().then(
  () => process.exit(0),
  (error: unknown) => {
    console.error(error);
    process.exit(1);
  },
);
