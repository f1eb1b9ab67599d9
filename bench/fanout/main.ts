import { mkdirSync, writeFileSync } from 'node:fs';
import { cpus } from 'node:os';
import { join } from 'node:path';
import { WORKSPACE_ROOT } from '@live-im/testing';
import { killChildrenOnExit, textSetting, setting } from '../shared/bench-settings';
import { roomLimitOverrides, sendersFor } from '../shared/send-limits';
import { FanoutOptions, FanoutResult, FanoutRun } from './fanout-run';
import { startOurTarget } from './our-target';
import { RunningTarget, startPlainTarget } from './plain-target';

/**
 * bench/fanout: one room of N viewers spread over K client processes while senders saturate it
 * with chat and send gifts; messages delivered per CPU-second of one gateway, against a plain
 * Socket.IO server emitting every message to the room, in the same run with the same clients.
 *
 * Settings come from `--name=value` flags or BENCH_<NAME> env vars (flag wins), e.g.
 * `--viewers=1000` or BENCH_VIEWERS=1000.
 */
const options: FanoutOptions = {
  viewers: setting('viewers', 1000),
  viewerProcesses: Math.max(1, setting('viewer-procs', 4)),
  // `all` (the default): every viewer parses each batch body as the SDK does; a number: that many
  // probe viewers per process parse, the others only count (what the bench did before).
  probesPerProcess: textSetting('probes', 'all') === 'all' ? undefined : setting('probes', 10),
  chatPerSec: setting('chat-rate', 1000),
  giftPerSec: setting('gift-rate', 5),
  warmupSec: setting('warmup', 3),
  warmupChatShare: setting('warmup-share', 0.1),
  measureSec: setting('seconds', 10),
  drainTimeoutSec: setting('drain-timeout', 300),
};
/**
 * `shipped` (the default): every rate limit at its shipped default; the chat and gifts come from as
 * many users as room-service's per-user limit needs (and over its room limit, that alone is raised).
 * `raised`: 20 senders with the limits raised out of the way (how the bench ran before).
 */
const LIMITS = textSetting('limits', 'shipped');
if (LIMITS !== 'shipped' && LIMITS !== 'raised')
  throw new Error(`--limits must be shipped or raised, got "${LIMITS}"`);
/** Rate limits that would refuse the bench's own load, raised so they never trigger (--limits=raised). */
const UNLIMITED = '1000000';
const RAISED_LIMITS = {
  'room-service': {
    USER_RATE_POINTS: UNLIMITED,
    USER_RATE_WINDOW_SEC: '1',
    ROOM_RATE_POINTS: UNLIMITED,
    ROOM_RATE_WINDOW_SEC: '1',
  },
  gateway: {
    CONNECTS_PER_IP_PER_SEC: UNLIMITED,
    AUTH_PER_IP_PER_SEC: UNLIMITED,
    JOINS_PER_SOCKET_PER_SEC: '1000',
    EVENTS_PER_SOCKET_PER_SEC: '100000',
  },
};
const SENDS_PER_SEC = options.chatPerSec + options.giftPerSec;
const SENDERS = Math.max(1, setting('senders', LIMITS === 'raised' ? 20 : sendersFor(SENDS_PER_SEC)));
/**
 * Apps that run with --cpu-prof and leave their profiles under tmp/profiles (diagnosis only):
 * `--profile=gateway,room-service`; `--profile-gateway=1` is short for `--profile=gateway`.
 */
const PROFILED = new Set(
  textSetting('profile', setting('profile-gateway', 0) === 1 ? 'gateway' : '')
    .split(',')
    .filter(Boolean),
);
/** The broadcast node's normal-lane cap for the room, per second (its default is 500). */
const NORMAL_CAP_PER_SEC = setting('normal-cap', 500);
/** Every setting changed from its shipped default, by app: printed, and kept in fanout.json. */
const OVERRIDES: Partial<Record<string, Record<string, string>>> =
  LIMITS === 'raised' ? { ...RAISED_LIMITS } : { 'room-service': roomLimitOverrides(SENDS_PER_SEC) };
if (NORMAL_CAP_PER_SEC !== 500)
  OVERRIDES['broadcast-node'] = { NORMAL_CAP_PER_SEC: String(NORMAL_CAP_PER_SEC) };
const OVERRIDE_LINES = Object.entries(OVERRIDES).flatMap(([app, env]) =>
  Object.entries(env ?? {}).map(([name, value]) => `${app}: ${name}=${value}`),
);
/** 1: measure our side only (diagnosis; no baseline, no ratio, bench/results left as they are). */
const OURS_ONLY = setting('ours-only', 0) === 1;

/** Every process this bench starts, killed on any way out. */
const track = killChildrenOnExit();

async function measure(start: () => Promise<RunningTarget>): Promise<FanoutResult> {
  const running = await start();
  try {
    return await new FanoutRun(running.target, options, track).run();
  } finally {
    await running.stop();
  }
}

function show(result: FanoutResult): void {
  const lat = (type: 'chat' | 'gift') =>
    `${type} p50 ${result.latency[type].p50} / p99 ${result.latency[type].p99} ms ` +
    `(max ${result.latency[type].max}, ${result.latency[type].samples} samples; ` +
    `from server stamp p50 ${result.fromServerStamp[type].p50} / p99 ${result.fromServerStamp[type].p99})`;
  const others = Object.entries(result.otherCpuSeconds)
    .map(([name, seconds]) => `${name} ${seconds}`)
    .join(', ');
  const s = result.sender;
  process.stdout.write(
    `\n${result.name}\n` +
      `  deliveries/CPU-s ${String(result.deliveriesPerCpuSecond).padStart(9)}   ` +
      `(${result.deliveriesTotal} delivered: chat ${result.deliveries.chat}, gift ${result.deliveries.gift}; ` +
      `server CPU ${result.serverCpuSeconds} s (system ${result.serverSystemCpuSeconds}) over ${result.seconds} s, drain ${result.drainSeconds} s` +
      `${result.drained ? '' : ', NOT drained'})\n` +
      `  ${lat('chat')}\n  ${lat('gift')}\n` +
      `  sent chat ${s.sent.chat} (acked ${s.acked.chat}), gift ${s.sent.gift} (acked ${s.acked.gift}) in ${s.seconds.toFixed(1)} s; ` +
      `ack p50 chat ${s.ackLatency.chat.p50} / gift ${s.ackLatency.gift.p50} ms, ` +
      `p99 chat ${s.ackLatency.chat.p99} / gift ${s.ackLatency.gift.p99} ms; errors ${JSON.stringify(s.errors)}\n` +
      `  per viewer: seqs left out inside batches ${result.flowControlDroppedPerViewer}, missing between deliveries ${result.gapsPerViewer}; ` +
      `delivered ${(result.deliveredShare * 100).toFixed(1)}% of sent × viewers; ` +
      `viewers connected at start ${result.connectedAtStart}, at end ${result.connected}, disconnects ${JSON.stringify(result.disconnects)}; ` +
      `socket events ${result.events}, ${result.bytesPerMessage} B per message\n` +
      `  CPU s: viewers ${result.viewerCpuSeconds} (${options.viewerProcesses} procs), sender ${s.cpuSeconds}` +
      `${others ? `, not counted: ${others}` : ''}\n` +
      Object.entries(result.eventLoopDelayMs)
        .map(
          ([app, delay]) =>
            `  ${app} event-loop delay ms (10 ms sampling included): ${JSON.stringify(delay)}\n`,
        )
        .join('') +
      Object.entries(result.dropCounters)
        .filter(([, grown]) => Object.keys(grown).length > 0)
        .map(([app, grown]) => `  ${app} drop counters: ${JSON.stringify(grown)}\n`)
        .join(''),
  );
}

async function main(): Promise<void> {
  process.stdout.write(
    `bench/fanout: ${options.viewers} viewers in ${options.viewerProcesses} processes, ${SENDERS} senders, ` +
      `chat ${options.chatPerSec}/s + gifts ${options.giftPerSec}/s, ` +
      `warm-up ${options.warmupSec} s at ${options.warmupChatShare * 100}% of the chat rate, ` +
      `measured ${options.measureSec} s (+ drain); normal cap ${NORMAL_CAP_PER_SEC}/s; ${cpus().length} CPUs\n` +
      `viewers parse: ${options.probesPerProcess === undefined ? 'every batch body, every viewer' : `${options.probesPerProcess} probes per process`}\n` +
      `limits: ${LIMITS}; settings changed from the shipped defaults: ${OVERRIDE_LINES.length > 0 ? OVERRIDE_LINES.join(', ') : 'none'}\n`,
  );
  const baseline = OURS_ONLY ? undefined : await measure(() => startPlainTarget(SENDERS, track));
  if (baseline !== undefined) show(baseline);
  const ours = await measure(() =>
    startOurTarget({
      senders: SENDERS,
      overrides: OVERRIDES,
      nodeArgs: Object.fromEntries(
        [...PROFILED].map((app) => [
          app,
          ['--cpu-prof', `--cpu-prof-dir=${join(WORKSPACE_ROOT, 'tmp/profiles', app)}`],
        ]),
      ),
    }),
  );
  show(ours);
  if (baseline === undefined) return;
  const ratio = Math.round((ours.deliveriesPerCpuSecond / baseline.deliveriesPerCpuSecond) * 100) / 100;
  process.stdout.write(
    `\nratio ours/baseline: ${ratio}x deliveries per server CPU-second (goal >= 5x); ` +
      `our gift p99 ${ours.latency.gift.p99} ms (goal <= 50 ms)\n`,
  );
  const dir = join(WORKSPACE_ROOT, 'bench/results');
  mkdirSync(dir, { recursive: true });
  writeFileSync(
    join(dir, 'fanout.json'),
    `${JSON.stringify(
      {
        ours: ours.deliveriesPerCpuSecond,
        baseline: baseline.deliveriesPerCpuSecond,
        ratio,
        p99_ms: ours.latency.gift.p99,
        p50_ms: ours.latency.gift.p50,
        chat_p50_ms: ours.latency.chat.p50,
        chat_p99_ms: ours.latency.chat.p99,
        baseline_p50_ms: baseline.latency.gift.p50,
        baseline_p99_ms: baseline.latency.gift.p99,
        settings: {
          ...options,
          senders: SENDERS,
          normalCapPerSec: NORMAL_CAP_PER_SEC,
          limits: LIMITS,
          overrides: OVERRIDE_LINES,
        },
        details: { ours, baseline },
        measured_at: new Date().toISOString(),
        machine: `${process.platform} ${process.arch}, ${cpus().length} CPUs, node ${process.version}`,
      },
      null,
      2,
    )}\n`,
  );
}

main().catch((error: unknown) => {
  process.stderr.write(`bench/fanout failed: ${error instanceof Error ? error.stack : String(error)}\n`);
  process.exit(1);
});
