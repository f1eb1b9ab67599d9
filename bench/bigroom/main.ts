import { readFileSync } from 'node:fs';
import { killChildrenOnExit, setting, textSetting } from '../shared/bench-settings';
import { describeHost, hostLoadAtStart, writeResultsFile } from '../shared/results-file';
import { sendersFor } from '../shared/send-limits';
import { BigroomOptions, BigroomSide, PhaseFigures, SideResult } from './run';
import { BigroomTarget, startOurBigroom, startPlainBigroom } from './targets';

/**
 * bench/bigroom: one room of 40,000 viewers over several server processes, our gateways against
 * plain Socket.IO servers doing the same fan-out, in one run (plain first). Settings come from
 * `--name=value` flags or BENCH_<NAME> env vars (flag wins), e.g. `--viewers=4000 --servers=2`.
 * Every setting of our apps is at its shipped default; the viewers spread over 127.0.0.0/8 source
 * addresses so that the gateway's per-address limits hold.
 */
/**
 * Open files a process of this run may hold: the soft RLIMIT_NOFILE, which every child inherits
 * (about 20,000 in the sandbox the bench was written in).
 */
function openFilesLimit(): number {
  const match = /^Max open files\s+(\d+|unlimited)/m.exec(readFileSync('/proc/self/limits', 'utf8'));
  return match?.[1] === undefined || match[1] === 'unlimited' ? Number.MAX_SAFE_INTEGER : Number(match[1]);
}

const VIEWERS = setting('viewers', 40_000, 1);
const SERVERS = setting('servers', 3, 1);
const options: BigroomOptions = {
  viewers: VIEWERS,
  viewerProcesses: setting('viewer-procs', Math.max(2, Math.ceil(VIEWERS / 15_000)), 1),
  parseNormalEvery: setting('parse-normal-every', 100, 1),
  warmupSec: setting('warmup', 3),
  measureSec: setting('seconds', 10, 1),
  latencyLoad: { importantPerSec: setting('important-rate', 1), chatPerSec: setting('chat-rate', 200) },
  capacityLoad: {
    importantPerSec: setting('capacity-important-rate', 10),
    chatPerSec: setting('capacity-chat-rate', 40),
  },
};
/**
 * Extra node flags for our gateways, space-separated, to profile them under the bench's load, e.g.
 * `--gateway-node-args="--cpu-prof --cpu-prof-dir=tmp/prof"` or `--perf-basic-prof` (for `perf
 * record`). None by default; printed when set.
 */
const GATEWAY_NODE_ARGS = textSetting('gateway-node-args', '')
  .split(' ')
  .filter((arg) => arg !== '');
const SENDERS = sendersFor(Math.max(options.latencyLoad.chatPerSec, options.capacityLoad.chatPerSec));

/**
 * Stops before starting anything when a process would run out of files: a gateway takes at most
 * its open-files limit less a reserve (the larger of 256 and a tenth: its MAX_CONNECTIONS
 * default), and the first one also holds the senders; a viewer process needs a file per socket
 * and a few hundred of its own.
 */
function checkFileLimits(): string {
  const limit = openFilesLimit();
  const gatewayRoom = limit - Math.max(256, Math.floor(limit / 10));
  const perServer = Math.ceil(VIEWERS / SERVERS) + SENDERS;
  const perViewerProcess = Math.ceil(VIEWERS / options.viewerProcesses);
  if (perServer > gatewayRoom)
    throw new Error(
      `${perServer} sockets per server (viewers and senders) is over the ${gatewayRoom} a gateway takes with ${limit} open files: raise --servers`,
    );
  if (perViewerProcess > limit - 500)
    throw new Error(
      `${perViewerProcess} sockets per viewer process is over ${limit - 500} (${limit} open files): raise --viewer-procs`,
    );
  return `open files ${limit} per process: at most ${perServer} sockets per server (${gatewayRoom} allowed), ${perViewerProcess} per viewer process`;
}

/** Every process this bench starts, killed on any way out. */
const track = killChildrenOnExit();

const say = (line: string) => process.stdout.write(`${line}\n`);

async function measure(start: () => Promise<BigroomTarget>): Promise<SideResult> {
  const target = await start();
  say(
    `\n${target.name}: settings changed from the shipped defaults: ${target.overrides.join(', ') || 'none'}`,
  );
  try {
    return await new BigroomSide(target, options, track, say).run();
  } finally {
    await target.stop();
  }
}

function round(value: number, digits = 2): number {
  const scale = 10 ** digits;
  return Math.round(value * scale) / scale;
}

interface Figures {
  userUsPerFrame: number;
  systemUsPerFrame: number;
  framesPerViewerSecond: number;
  writesPerViewerSecond: number;
  kbPerConnAfterGc: number;
  heapKbPerConnAfterGc: number;
  kbPerConnRunning: number;
  viewersPerCore: number;
  importantDeliveredShare: number;
  /** Ours: Redis commands per second per gateway, and room-service's per message sent, at the capacity load. */
  redis?: { perGatewayPerSecond: number; roomServicePerMessage: number; byApp: Record<string, number> };
}

function figuresOf(side: SideResult): Figures {
  const l: PhaseFigures = side.latency;
  const c: PhaseFigures = side.capacity;
  const { base, idle } = side.memory;
  // The CPU of the whole load (drain included) over the seconds of load: what one second of the
  // load costs, whether or not the servers kept up while it was sent.
  const coresAtCapacity = (c.cpu.userMs + c.cpu.systemMs) / 1000 / c.sendSeconds;
  return {
    userUsPerFrame: round((l.cpu.userMs * 1000) / Math.max(1, l.frames)),
    systemUsPerFrame: round((l.cpu.systemMs * 1000) / Math.max(1, l.frames)),
    framesPerViewerSecond: round(l.frames / side.viewers / l.sendSeconds),
    writesPerViewerSecond: round(l.writeCalls / side.viewers / l.sendSeconds),
    kbPerConnAfterGc: round((idle.rssKb - base.rssKb) / side.viewers),
    heapKbPerConnAfterGc: round((idle.heapUsedKb - base.heapUsedKb) / side.viewers),
    kbPerConnRunning: round((l.rssRunningKb - base.rssKb) / side.viewers),
    viewersPerCore: Math.round(side.viewers / Math.max(coresAtCapacity, 1e-6)),
    importantDeliveredShare: round(l.importantDelivered / Math.max(1, l.pushes * side.viewers), 4),
    redis: c.redisCommands && {
      perGatewayPerSecond: round((c.redisCommands['gateway'] ?? 0) / SERVERS / c.seconds),
      roomServicePerMessage: round(
        (c.redisCommands['room-service'] ?? 0) / Math.max(1, c.pushes + c.chatSent),
      ),
      byApp: c.redisCommands,
    },
  };
}

function show(side: SideResult, f: Figures): void {
  const l = side.latency;
  say(
    `\n${side.name}, ${side.viewers} viewers\n` +
      `  KB per connection: after GC rss ${f.kbPerConnAfterGc} (heap ${f.heapKbPerConnAfterGc}), in running rss ${f.kbPerConnRunning}\n` +
      `  CPU µs per socket frame: user ${f.userUsPerFrame} + system ${f.systemUsPerFrame} = ${round(f.userUsPerFrame + f.systemUsPerFrame)} ` +
      `(${l.frames} frames, ${f.framesPerViewerSecond} per viewer-second)\n` +
      `  event-loop delay (worst server, 10 ms sampling included): p99 ${l.loopDelay.p99} ms, max ${l.loopDelay.max} ms\n` +
      `  important push → receive: p50 ${l.importantLatency.p50} / p99 ${l.importantLatency.p99} ms (max ${l.importantLatency.max}), ` +
      `delivered ${(f.importantDeliveredShare * 100).toFixed(2)}% of ${l.pushes} pushes × ${side.viewers} viewers` +
      `${Object.keys(l.pushErrors).length > 0 ? ` (push errors ${JSON.stringify(l.pushErrors)})` : ''}\n` +
      `  write calls per viewer-second ${f.writesPerViewerSecond}; viewers per core at ` +
      `${options.capacityLoad.importantPerSec} important + ${options.capacityLoad.chatPerSec} normal msg/s: ${f.viewersPerCore}\n` +
      `  chat sent ${l.chatSent} (errors ${JSON.stringify(l.chatErrors)}), gaps ${JSON.stringify(l.gaps)}, ` +
      `connected at end ${l.connected}, disconnects ${JSON.stringify(l.disconnects)}, viewer CPU ${l.viewerCpuSeconds} s` +
      (f.redis
        ? `\n  Redis commands at the capacity load: ${f.redis.perGatewayPerSecond}/s per gateway, ` +
          `${f.redis.roomServicePerMessage} per message at room-service (${JSON.stringify(f.redis.byApp)} over ${side.capacity.seconds} s)`
        : ''),
  );
}

async function main(): Promise<void> {
  const files = checkFileLimits();
  const host = hostLoadAtStart();
  say(
    `bench/bigroom: ${VIEWERS} viewers in one room over ${SERVERS} server processes per kind, ` +
      `${options.viewerProcesses} viewer processes; ${SENDERS} chat senders at room-service's shipped per-user limit; ` +
      `latency load ${options.latencyLoad.importantPerSec} important/s + ${options.latencyLoad.chatPerSec} chat/s, ` +
      `capacity load ${options.capacityLoad.importantPerSec} + ${options.capacityLoad.chatPerSec}; ` +
      `warm-up ${options.warmupSec} s, measured ${options.measureSec} s each; every viewer parses important batches, ` +
      `1 in ${options.parseNormalEvery} also normal ones; ${describeHost(host)}\n${files}`,
  );
  const plain = await measure(() => startPlainBigroom(SERVERS, SENDERS, track));
  if (GATEWAY_NODE_ARGS.length > 0) say(`gateways run with node flags: ${GATEWAY_NODE_ARGS.join(' ')}`);
  const ours = await measure(() => startOurBigroom(SERVERS, SENDERS, GATEWAY_NODE_ARGS));
  const p = figuresOf(plain);
  const o = figuresOf(ours);
  show(plain, p);
  show(ours, o);
  const frameUserRatio = round(o.userUsPerFrame / Math.max(p.userUsPerFrame, 1e-6));
  const frameRatio = round(
    (o.userUsPerFrame + o.systemUsPerFrame) / Math.max(p.userUsPerFrame + p.systemUsPerFrame, 1e-6),
  );
  const memoryRatio = round(o.kbPerConnAfterGc / Math.max(p.kbPerConnAfterGc, 1e-6));
  const memoryRunningRatio = round(o.kbPerConnRunning / Math.max(p.kbPerConnRunning, 1e-6));
  const goals = {
    'user CPU per frame ≤ 0.25x plain': frameUserRatio <= 0.25,
    'user + system CPU per frame ≤ 0.6x plain': frameRatio <= 0.6,
    'event-loop delay max ≤ 50 ms': ours.latency.loopDelay.max <= 50,
    'memory per connection ≤ 1.0x plain (after GC and in running)':
      memoryRatio <= 1 && memoryRunningRatio <= 1,
    '≥ 8,000 viewers per core': o.viewersPerCore >= 8000,
  };
  say(
    `\nours/plain: user CPU per frame ${frameUserRatio}x, user + system ${frameRatio}x, ` +
      `memory per connection ${memoryRatio}x after GC, ${memoryRunningRatio}x in running`,
  );
  for (const [goal, pass] of Object.entries(goals)) say(`  ${pass ? 'PASS' : 'FAIL'}  ${goal}`);

  writeResultsFile(
    'bigroom',
    {
      viewers: VIEWERS,
      cpu_us_per_frame: {
        ours: { user: o.userUsPerFrame, system: o.systemUsPerFrame },
        plain: { user: p.userUsPerFrame, system: p.systemUsPerFrame },
      },
      frame_user_cost_ratio: frameUserRatio,
      frame_cost_ratio: frameRatio,
      kb_per_conn: { ours: o.kbPerConnAfterGc, plain: p.kbPerConnAfterGc },
      loop_delay_max_ms: ours.latency.loopDelay.max,
      important_p99_ms: ours.latency.importantLatency.p99,
      writes_per_viewer_second: o.writesPerViewerSecond,
      viewers_per_core: o.viewersPerCore,
      goals,
      figures: { ours: o, plain: p },
      settings: {
        ...options,
        servers: SERVERS,
        senders: SENDERS,
        overrides: { ours: ours.overrides, plain: plain.overrides },
      },
      details: { ours, plain },
    },
    host,
  );
}

main().catch((error: unknown) => {
  process.stderr.write(`bench/bigroom failed: ${error instanceof Error ? error.stack : String(error)}\n`);
  process.exit(1);
});
