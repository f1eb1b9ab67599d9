import { type ChildProcess, fork } from 'node:child_process';
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { freePorts, waitFor, WORKSPACE_ROOT } from '@live-im/testing';
import { startOurTarget } from '../fanout/our-target';
import { InspectorMemory, type MemoryReading } from '../shared/inspector-memory';

/**
 * bench/conn-memory: memory per idle connection of one gateway against a plain Socket.IO server,
 * in the same run with the same clients. Each server in its own process with --inspect; N idle
 * WebSocket viewers (joined to one room) in other processes. Per connection: (after N viewers −
 * before them) / N, for RSS and heap, after a forced full GC and in normal running (no GC forced,
 * the mean of samples taken over a few seconds of idling). "Before" already holds a warm-up crowd
 * of viewers (a tenth of N, at least 100), so what the first connections cost once (code the JIT
 * compiles, lazily built tables) is not charged to every connection.
 *
 * Settings: --connections=N (BENCH_CONNECTIONS, default 4000), --viewer-procs=K (default 4, at
 * most 1000 viewers each), --running-samples=S (default 10, one a second), --snapshots=1
 * (diagnosis: heap snapshots of each server before and after the viewers, after GC, under
 * tmp/conn-memory/). The gateway runs with its shipped defaults; the baseline with Socket.IO's.
 */
function setting(name: string, fallback: number): number {
  const flag = process.argv.find((arg) => arg.startsWith(`--${name}=`));
  const raw = flag?.slice(name.length + 3) ?? process.env[`BENCH_${name.toUpperCase().replace(/-/g, '_')}`];
  if (raw === undefined || raw === '') return fallback;
  const value = Number(raw);
  if (!Number.isInteger(value) || value < 1) throw new Error(`--${name} must be a positive integer`);
  return value;
}

const CONNECTIONS = setting('connections', 4000);
const VIEWER_PROCS = setting('viewer-procs', 4);
const RUNNING_SAMPLES = setting('running-samples', 10);
const SNAPSHOTS = setting('snapshots', 0) === 1;

interface PerConnection {
  rssKb: number;
  heapKb: number;
}

interface ServerFigures {
  afterGc: PerConnection;
  running: PerConnection;
}

const children: ChildProcess[] = [];

function forkChild(file: string, env: Record<string, string>, execArgv: string[] = []): ChildProcess {
  const child = fork(join(__dirname, file), [], {
    env: { ...process.env, ...env },
    execArgv,
    stdio: ['ignore', 'inherit', 'inherit', 'ipc'],
  });
  children.push(child);
  return child;
}

function firstMessage<T>(child: ChildProcess, what: string): Promise<T> {
  return new Promise((resolve, reject) => {
    child.once('message', (message) => resolve(message as T));
    child.once('exit', (code) => reject(new Error(`${what} exited with ${code}`)));
  });
}

const WARMUP = Math.max(100, Math.round(CONNECTIONS / 10));

async function connectViewers(
  url: string,
  roomId: string,
  total: number,
  addressBase: number,
): Promise<ChildProcess[]> {
  const perProc = Math.ceil(total / VIEWER_PROCS);
  const procs: ChildProcess[] = [];
  const joined: Array<Promise<{ joined?: number; error?: string }>> = [];
  for (let i = 0; i < VIEWER_PROCS; i += 1) {
    const count = Math.min(perProc, total - i * perProc);
    if (count <= 0) break;
    // A loopback address per process, each under the gateway's 1000 connections per address.
    const order = { url, roomId, count, localAddress: `127.0.3.${addressBase + i + 1}` };
    if (count > 1000) throw new Error('at most 1000 viewers per process: raise --viewer-procs');
    const child = forkChild('idle-viewers.js', { CONN_MEMORY_ORDER: JSON.stringify(order) });
    procs.push(child);
    joined.push(firstMessage(child, 'a viewer process'));
  }
  for (const outcome of await Promise.all(joined))
    if (outcome.error !== undefined) throw new Error(`viewers: ${outcome.error}`);
  return procs;
}

async function stopAll(procs: ChildProcess[]): Promise<void> {
  await Promise.all(
    procs.map(async (child) => {
      if (child.exitCode !== null || child.signalCode !== null) return;
      const exited = new Promise((resolve) => child.once('exit', resolve));
      child.kill('SIGKILL');
      await exited;
    }),
  );
}

const kb = (bytes: number) => Math.round((bytes / 1024) * 100) / 100;

const mb = (bytes: number | undefined) => ((bytes ?? 0) / 1024 / 1024).toFixed(1);

/**
 * Where the RSS goes besides live objects: each V8 heap space's committed MB before the viewers,
 * at the last running sample and after the forced GC (a young generation that a high allocation
 * rate grew shows in new_space).
 */
function printSpaces(name: string, readings: Array<Record<string, number>>): void {
  const spaces = ['new_space', 'old_space', 'code_space', 'map_space', 'large_object_space'];
  const parts = spaces
    .filter((space) => readings.some((reading) => reading[space] !== undefined))
    .map((space) => `${space} ${readings.map((reading) => mb(reading[space])).join(' → ')}`);
  console.log(`${name} heap spaces, MB committed (before → running → after GC): ${parts.join(', ')}`);
}

async function measure(
  name: string,
  inspectorPort: number,
  url: string,
  roomId: string,
): Promise<ServerFigures> {
  const inspector = await InspectorMemory.connect(inspectorPort);
  const snapshot = async (when: string) => {
    if (!SNAPSHOTS) return;
    const dir = join(WORKSPACE_ROOT, 'tmp/conn-memory');
    mkdirSync(dir, { recursive: true });
    await inspector.writeHeapSnapshot(join(dir, `${name}-${when}.heapsnapshot`));
  };
  const warmup = await connectViewers(url, roomId, WARMUP, 0);
  try {
    await inspector.collectGarbage();
    await snapshot('before');
    const before = await inspector.memory();
    const spacesBefore = await inspector.heapSpaces();
    const viewers = await connectViewers(url, roomId, CONNECTIONS, VIEWER_PROCS);
    const samples: MemoryReading[] = [];
    for (let i = 0; i < RUNNING_SAMPLES; i += 1) {
      // Sampled over idle seconds: what a process holds between its own collections.
      await new Promise((resolve) => setTimeout(resolve, 1000));
      samples.push(await inspector.memory());
    }
    const spacesRunning = await inspector.heapSpaces();
    const mean = (pick: (m: MemoryReading) => number) =>
      samples.reduce((sum, m) => sum + pick(m), 0) / samples.length;
    await inspector.collectGarbage();
    const after = await inspector.memory();
    printSpaces(name, [spacesBefore, spacesRunning, await inspector.heapSpaces()]);
    await snapshot('after');
    await stopAll([...warmup, ...viewers]);
    return {
      afterGc: {
        rssKb: kb((after.rss - before.rss) / CONNECTIONS),
        heapKb: kb((after.heapUsed - before.heapUsed) / CONNECTIONS),
      },
      running: {
        rssKb: kb((mean((m) => m.rss) - before.rss) / CONNECTIONS),
        heapKb: kb((mean((m) => m.heapUsed) - before.heapUsed) / CONNECTIONS),
      },
    };
  } finally {
    inspector.close();
    await stopAll(warmup);
  }
}

async function measurePlain(): Promise<ServerFigures> {
  const [inspectorPort] = (await freePorts(1)) as [number];
  const server = forkChild('plain-server.js', {}, [`--inspect=127.0.0.1:${inspectorPort}`]);
  const { port } = await firstMessage<{ port: number }>(server, 'plain-server');
  try {
    return await measure('plain', inspectorPort, `http://127.0.0.1:${port}`, 'bench-room');
  } finally {
    await stopAll([server]);
  }
}

async function measureOurs(): Promise<ServerFigures> {
  const [inspectorPort] = (await freePorts(1)) as [number];
  const running = await startOurTarget({
    senders: 1,
    overrides: {},
    nodeArgs: { gateway: [`--inspect=127.0.0.1:${inspectorPort}`] },
  });
  try {
    await waitFor(() => fetch(`http://127.0.0.1:${inspectorPort}/json/list`).then((r) => r.ok), {
      what: "the gateway's inspector",
    });
    return await measure('ours', inspectorPort, running.target.url, running.target.roomId);
  } finally {
    await running.stop();
  }
}

async function main(): Promise<void> {
  console.log(
    `bench/conn-memory: ${CONNECTIONS} idle WebSocket viewers in one room (after ${WARMUP} warm-up viewers), ${VIEWER_PROCS} processes`,
  );
  const plain = await measurePlain();
  const ours = await measureOurs();
  const row = (name: string, f: ServerFigures) =>
    `${name.padEnd(16)} after GC: ${f.afterGc.rssKb} KB RSS, ${f.afterGc.heapKb} KB heap; ` +
    `running: ${f.running.rssKb} KB RSS, ${f.running.heapKb} KB heap`;
  console.log('KB per idle connection (RSS and V8 heap used, server process):');
  console.log(row('live-im gateway', ours));
  console.log(row('plain Socket.IO', plain));
  const ratio = (a: number, b: number) => Math.round((a / b) * 100) / 100;
  const ratios = {
    afterGcRss: ratio(ours.afterGc.rssKb, plain.afterGc.rssKb),
    afterGcHeap: ratio(ours.afterGc.heapKb, plain.afterGc.heapKb),
    runningRss: ratio(ours.running.rssKb, plain.running.rssKb),
    runningHeap: ratio(ours.running.heapKb, plain.running.heapKb),
  };
  console.log(`ours / plain: ${JSON.stringify(ratios)}`);
  const dir = join(WORKSPACE_ROOT, 'bench/results');
  mkdirSync(dir, { recursive: true });
  writeFileSync(
    join(dir, 'conn-memory.json'),
    `${JSON.stringify({ connections: CONNECTIONS, warmup: WARMUP, kb_per_conn: { ours, plain }, ratios }, null, 2)}\n`,
  );
}

main()
  .catch((error: unknown) => {
    console.error(error);
    process.exitCode = 1;
  })
  .finally(() => void stopAll(children));
