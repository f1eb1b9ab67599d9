import { testRedisUrl, waitFor } from '@live-im/testing';
import { killChildrenOnExit, setting } from '../shared/bench-settings';
import { startOurSystem, type OurSystem } from '../shared/our-system';
import { RedisCommandCounter } from '../shared/redis-commands';
import { describeHost, hostLoadAtStart, writeResultsFile } from '../shared/results-file';
import { sendersFor } from '../shared/send-limits';
import { loopbackSource } from '../shared/source-address';
import { WireSocket } from '../shared/wire-socket';
import { forkViewer, type StormViewer, type StormViewerReport } from './ipc';

/**
 * bench/storm: one room, N viewers spread over the gateways, chat and important load; one gateway
 * is killed -9 and its viewers rejoin the others as the SDK does (jittered backoff, a random other
 * gateway, join with resume, their own history pull as last resort). Measured: the time until
 * every one of them is back with every important message, room-service calls and Redis commands
 * (of the surviving gateways and room-service, counted with MONITOR) per rejoining viewer, and
 * whether every viewer ends with every important message; then the same run with the edge cache
 * switched off (EDGE_CACHE=false), the baseline, in the same invocation. Settings: `--name=value`
 * or BENCH_<NAME>, e.g. `--viewers=600 --viewer-procs=1`.
 */
const VIEWERS = setting('viewers', 10_000, 3);
const GATEWAYS = setting('gateways', 3, 2);
const VIEWER_PROCS = setting('viewer-procs', Math.max(1, Math.ceil(VIEWERS / 2500)), 1);
const CHAT_PER_SEC = setting('chat-rate', 50, 1);
const IMPORTANT_PER_SEC = setting('important-rate', 5, 1);
const WARMUP_SEC = setting('warmup', 3, 1);
/** Seconds of load alone counted before the kill (the Redis commands the storm's count is corrected by). */
const BASELINE_SEC = setting('baseline', 3, 1);
/** The SDK's shipped reconnect backoff (libs/client-sdk BackoffOptions defaults). */
const RECONNECT = { minDelayMs: 500, maxDelayMs: 15_000, jitter: 0.5 };
/** Viewer sockets leave from 127.10.x.y, senders from 127.11.x.y (see source-address.ts). */
const VIEWER_BLOCK = 10;
const SENDER_BLOCK = 11;
const ROOM_READS = ['room.join', 'room.admit', 'room.history'];

const track = killChildrenOnExit();
const say = (line: string): void => {
  process.stdout.write(`${line}\n`);
};
const round = (value: number, digits = 3): number => Number(value.toFixed(digits));

interface StormRun {
  cache: boolean;
  rejoining: number;
  rejoinedSeconds: number;
  rpcCalls: number;
  /** Commands of the storm window less what the load alone sends in as long (its rate just before the kill). */
  redisCommands: Record<string, number>;
  redisCommandsRaw: Record<string, number>;
  /** The surviving gateways' cache reads, room.admit calls and gap fills during the storm. */
  gatewayFigures: Record<string, number>;
  redisLoadPerSec: Record<string, number>;
  historyPulls: Record<'gap' | 'rejoin', number>;
  landed: Record<string, number>;
  importantThrough: number;
  incomplete: number;
  overrides: string[];
}

/** room-service's calls handled for `patterns` (its rpc_server_duration_seconds counts). */
async function roomServiceCalls(metricsUrl: string, patterns: string[]): Promise<number> {
  const text = await (await fetch(metricsUrl)).text();
  let sum = 0;
  for (const line of text.split('\n')) {
    if (!line.startsWith('rpc_server_duration_seconds_count{')) continue;
    if (!patterns.some((pattern) => line.includes(`pattern="${pattern}"`))) continue;
    sum += Number(line.slice(line.lastIndexOf(' ') + 1));
  }
  return sum;
}

/** The gateways' edge cache and gap fill counters, summed per sample over `metricsUrls`. */
async function gatewayCounters(metricsUrls: string[]): Promise<Record<string, number>> {
  const sums: Record<string, number> = {};
  for (const url of metricsUrls) {
    const text = await (await fetch(url)).text();
    for (const line of text.split('\n')) {
      if (!/^gateway_(edge_cache_reads|admit_calls|gap_fills|gap_seqs)_total/.test(line)) continue;
      const sample = line.slice(0, line.lastIndexOf(' '));
      sums[sample] = (sums[sample] ?? 0) + Number(line.slice(line.lastIndexOf(' ') + 1));
    }
  }
  return sums;
}

/** What grew between two readings of gatewayCounters. */
function grown(before: Record<string, number>, after: Record<string, number>): Record<string, number> {
  const delta: Record<string, number> = {};
  for (const [sample, value] of Object.entries(after)) {
    const change = value - (before[sample] ?? 0);
    if (change > 0) delta[sample.replace(/^gateway_/, '')] = change;
  }
  return delta;
}

/** Chat from `senders` sockets round-robin, and important pushes through the HTTP API, until stopped. */
async function startLoad(system: OurSystem, url: string) {
  const senderCount = sendersFor(CHAT_PER_SEC);
  const sockets = await Promise.all(
    system.senderTokens.slice(0, senderCount).map(async (token, i) => {
      const socket = await WireSocket.connect(url, { token }, 30_000, loopbackSource(SENDER_BLOCK, i, 20));
      await socket.emitWithAck('join', { roomId: system.roomId }, 30_000);
      return socket;
    }),
  );
  let importantThrough = 0;
  let pushFailures = 0;
  let sent = 0;
  const chat = setInterval(() => {
    const socket = sockets[sent % sockets.length];
    sent += 1;
    void socket
      ?.emitWithAck('chat', { roomId: system.roomId, text: `chat ${sent}`, clientMsgId: `c-${sent}` }, 30_000)
      .catch(() => undefined);
  }, 1000 / CHAT_PER_SEC);
  let pushed = 0;
  const important = setInterval(() => {
    pushed += 1;
    system.api.push(system.roomId, { n: pushed }, `p-${pushed}`).then(
      (answer) => {
        importantThrough = Math.max(importantThrough, answer.seq ?? 0);
      },
      () => {
        pushFailures += 1;
      },
    );
  }, 1000 / IMPORTANT_PER_SEC);
  return {
    get importantThrough() {
      return importantThrough;
    },
    get pushFailures() {
      return pushFailures;
    },
    stop() {
      clearInterval(chat);
      clearInterval(important);
      for (const socket of sockets) socket.close();
    },
  };
}

async function reports(viewers: StormViewer[], importantThrough: number): Promise<StormViewerReport[]> {
  return Promise.all(
    viewers.map((viewer) => viewer.ask({ kind: 'report', importantThrough }, 'report').then((r) => r.report)),
  );
}

/** The viewer processes' rejoin figures summed: how many are back, retries and their reasons. */
function describeRejoins(last: StormViewerReport[]): string {
  const failures: Record<string, number> = {};
  for (const r of last)
    for (const [reason, n] of Object.entries(r.failures)) failures[reason] = (failures[reason] ?? 0) + n;
  const sum = (pick: (r: StormViewerReport) => number) => last.reduce((total, r) => total + pick(r), 0);
  return (
    `${sum((r) => r.rejoined)} of ${sum((r) => r.rejoining)} rejoining viewers back, ` +
    `${sum((r) => r.retries)} retries, ${sum((r) => r.closedAgain)} closed again after rejoining, ` +
    `failures ${JSON.stringify(failures)}`
  );
}

async function runStorm(cache: boolean): Promise<StormRun> {
  const system = await startOurSystem({
    label: cache ? 'storm' : 'storm-nocache',
    gateways: GATEWAYS,
    senders: sendersFor(CHAT_PER_SEC),
    overrides: cache ? {} : { gateway: { EDGE_CACHE: 'false' } },
  });
  const viewers: StormViewer[] = [];
  try {
    const urls = system.gateways.map((gateway) => gateway.url);
    const perProcess = Math.ceil(VIEWERS / VIEWER_PROCS);
    for (let p = 0; p < VIEWER_PROCS; p += 1) {
      const viewer = forkViewer(`storm-viewers-${p}`);
      track(viewer);
      viewers.push(viewer);
    }
    await Promise.all(
      viewers.map((viewer, p) =>
        viewer.ask(
          {
            kind: 'connect',
            roomId: system.roomId,
            urls,
            viewers: Math.min(perProcess, VIEWERS - p * perProcess),
            firstIndex: p * perProcess,
            sourceBlock: VIEWER_BLOCK,
            reconnect: RECONNECT,
          },
          'connected',
        ),
      ),
    );
    // The gateway killed is the last one; the senders and the HTTP API are on the first.
    const victim = system.gateways[system.gateways.length - 1];
    const first = system.gateways[0];
    if (victim === undefined || first === undefined) throw new Error('no gateways');
    const load = await startLoad(system, first.url);
    await new Promise((resolve) => setTimeout(resolve, WARMUP_SEC * 1000));

    const roomServiceUrl = system.otherMetricsUrls['room-service'] ?? '';
    const counted = {
      gateways: system.gateways.filter((gateway) => gateway !== victim).map((gateway) => gateway.pid),
      'room-service': [system.otherPids['room-service'] ?? -1],
    };
    // What the load alone costs Redis per second, counted just before the kill, to take off the storm's count.
    const counter = new RedisCommandCounter(testRedisUrl(), counted);
    await counter.start();
    const baselineFrom = Date.now();
    await new Promise((resolve) => setTimeout(resolve, BASELINE_SEC * 1000));
    const loadCommands = counter.snapshot();
    const baselineSeconds = (Date.now() - baselineFrom) / 1000;
    const callsBefore = await roomServiceCalls(roomServiceUrl, ROOM_READS);
    const survivorMetrics = system.gateways
      .filter((gateway) => gateway !== victim)
      .map((gateway) => gateway.metricsUrl);
    const countersBefore = await gatewayCounters(survivorMetrics);
    const killedAt = Date.now();
    process.kill(victim.pid, 'SIGKILL');
    let last: StormViewerReport[] = [];
    await waitFor(
      async () => {
        last = await reports(viewers, 0);
        return (
          last.every((r) => (r.rejoining > 0 ? r.lastCompleteAt > 0 : true)) &&
          last.some((r) => r.rejoining > 0)
        );
      },
      {
        timeoutMs: 180_000,
        intervalMs: 250,
        what: 'every viewer of the killed gateway back in the room, complete',
      },
    ).catch((error: unknown) => {
      // Say how far the rejoins got and why the rest failed before giving up on the run.
      say(`storm not complete: ${describeRejoins(last)}`);
      throw error;
    });
    say(`  ${cache ? 'cache' : 'no cache'}: ${describeRejoins(last)}`);
    const total = await counter.stop();
    const stormCommands: Record<string, number> = {};
    for (const [app, count] of Object.entries(total)) stormCommands[app] = count - (loadCommands[app] ?? 0);
    const stormSeconds = (Date.now() - killedAt) / 1000;
    const redisCommands: Record<string, number> = {};
    for (const [app, count] of Object.entries(stormCommands)) {
      const byLoad = ((loadCommands[app] ?? 0) / baselineSeconds) * stormSeconds;
      redisCommands[app] = Math.max(0, Math.round(count - byLoad));
    }
    const rpcCalls = (await roomServiceCalls(roomServiceUrl, ROOM_READS)) - callsBefore;
    const gatewayFigures = grown(countersBefore, await gatewayCounters(survivorMetrics));
    const rejoinedSeconds = (Math.max(...last.map((r) => r.lastCompleteAt)) - killedAt) / 1000;

    // Load goes on a moment after the storm, then every viewer must hold every important message.
    await new Promise((resolve) => setTimeout(resolve, 2000));
    load.stop();
    await new Promise((resolve) => setTimeout(resolve, 1000));
    const importantThrough = load.importantThrough;
    let final: StormViewerReport[] = [];
    await waitFor(
      async () => {
        final = await reports(viewers, importantThrough);
        return final.every((r) => r.incomplete === 0);
      },
      { timeoutMs: 60_000, intervalMs: 500, what: 'every viewer to hold every important message' },
    ).catch(() => undefined);
    const landed: Record<string, number> = {};
    for (const r of final)
      for (const [url, n] of Object.entries(r.landed)) landed[url] = (landed[url] ?? 0) + n;
    return {
      cache,
      rejoining: final.reduce((sum, r) => sum + r.rejoining, 0),
      rejoinedSeconds,
      rpcCalls,
      redisCommands,
      redisCommandsRaw: stormCommands,
      gatewayFigures,
      redisLoadPerSec: Object.fromEntries(
        Object.entries(loadCommands).map(([app, count]) => [app, round(count / baselineSeconds, 1)]),
      ),
      historyPulls: {
        gap: final.reduce((sum, r) => sum + r.historyPulls.gap, 0),
        rejoin: final.reduce((sum, r) => sum + r.historyPulls.rejoin, 0),
      },
      landed,
      importantThrough,
      incomplete: final.reduce((sum, r) => sum + r.incomplete, 0),
      overrides: system.overrides,
    };
  } finally {
    await Promise.all(viewers.map((viewer) => viewer.stop()));
    await system.stop();
  }
}

function show(run: StormRun): void {
  const redis = Object.values(run.redisCommands).reduce((a, b) => a + b, 0);
  say(
    `  edge cache ${run.cache ? 'on ' : 'off'}: ${run.rejoining} viewers rejoined in ${round(run.rejoinedSeconds, 2)} s ` +
      `(landed ${Object.values(run.landed).join('/')}), room-service join/admit/history calls ${run.rpcCalls} ` +
      `(${round(run.rpcCalls / Math.max(1, run.rejoining))} per rejoin), Redis commands ${redis} ${JSON.stringify(run.redisCommands)} ` +
      `(${round(redis / Math.max(1, run.rejoining))} per rejoin, the load's own ${JSON.stringify(run.redisLoadPerSec)}/s taken off ` +
      `${JSON.stringify(run.redisCommandsRaw)}), viewers' own history calls ${JSON.stringify(run.historyPulls)}, ` +
      `viewers lacking an important message (1..${run.importantThrough}): ${run.incomplete}; ` +
      `gateways: ${JSON.stringify(run.gatewayFigures)}` +
      (run.overrides.length > 0 ? `; overrides: ${run.overrides.join(', ')}` : ''),
  );
}

async function main(): Promise<void> {
  const host = hostLoadAtStart();
  say(
    `bench/storm: ${VIEWERS} viewers in one room over ${GATEWAYS} gateways (${VIEWER_PROCS} viewer processes), ` +
      `${CHAT_PER_SEC} chat/s + ${IMPORTANT_PER_SEC} important/s, warm-up ${WARMUP_SEC} s, then the last gateway killed -9; ` +
      `${describeHost(host)}`,
  );
  const withCache = await runStorm(true);
  show(withCache);
  const withoutCache = await runStorm(false);
  show(withoutCache);
  const redisOf = (run: StormRun) => Object.values(run.redisCommands).reduce((a, b) => a + b, 0);
  const rpcPerRejoin = round(withCache.rpcCalls / Math.max(1, withCache.rejoining));
  const redisPerRejoin = round(redisOf(withCache) / Math.max(1, withCache.rejoining));
  const redisPerRejoinNoCache = round(redisOf(withoutCache) / Math.max(1, withoutCache.rejoining));
  const importantComplete = withCache.incomplete === 0;
  const goals = {
    '≤ 0.1 RPC calls per rejoin': rpcPerRejoin <= 0.1,
    '≥ 10x fewer Redis commands per rejoin than without the cache':
      redisPerRejoin * 10 <= redisPerRejoinNoCache,
    'every important message at every viewer': importantComplete,
  };
  say(
    `\nwith/without the edge cache: Redis commands per rejoin ${redisPerRejoin} / ${redisPerRejoinNoCache}`,
  );
  for (const [goal, pass] of Object.entries(goals)) say(`  ${pass ? 'PASS' : 'FAIL'}  ${goal}`);

  writeResultsFile(
    'storm',
    {
      viewers: VIEWERS,
      rejoined_seconds: round(withCache.rejoinedSeconds, 2),
      rpc_per_rejoin: rpcPerRejoin,
      redis_cmds_per_rejoin: redisPerRejoin,
      redis_cmds_per_rejoin_no_cache: redisPerRejoinNoCache,
      important_complete: importantComplete,
      goals,
      runs: { cache: withCache, no_cache: withoutCache },
      settings: {
        gateways: GATEWAYS,
        viewerProcesses: VIEWER_PROCS,
        chatPerSec: CHAT_PER_SEC,
        importantPerSec: IMPORTANT_PER_SEC,
        warmupSec: WARMUP_SEC,
        reconnect: RECONNECT,
      },
    },
    host,
  );
}

main().catch((error: unknown) => {
  process.stderr.write(`bench/storm failed: ${error instanceof Error ? error.stack : String(error)}\n`);
  process.exit(1);
});
