import { join } from 'node:path';
import type { ChildCommand, ChildReply } from '../fanout/ipc';
import { scrapeAppMetrics } from '../shared/app-metrics';
import { ClientProcess } from '../shared/client-process';
import { memoryAfterGc, MemoryAfterGc } from '../shared/inspector-memory';
import { LatencyHistogram } from '../shared/latency-histogram';
import { CpuSplit, processCpu } from '../shared/process-cpu';
import { rssKb, writeCalls } from '../shared/proc-stats';
import { BigroomViewer, BigroomViewerReport, forkViewer } from './ipc';
import { testRedisUrl } from '@live-im/testing';
import { RedisCommandCounter } from '../shared/redis-commands';
import { BigroomTarget } from './targets';

/**
 * One side of bench/bigroom: viewers connected to every server of a target, memory read idle,
 * then two loads, each with a warm-up: the latency load (1 important push/s + 200 chat/s) for the
 * cost per frame, delay, latency and write calls, and the capacity load (10 + 40) for viewers per
 * core. Each phase runs from its first send until every push has reached every viewer (or a
 * deadline), and CPU, frames and write calls are read over exactly that span.
 */
export interface BigroomOptions {
  viewers: number;
  viewerProcesses: number;
  parseNormalEvery: number;
  warmupSec: number;
  measureSec: number;
  latencyLoad: Load;
  capacityLoad: Load;
}

export interface Load {
  importantPerSec: number;
  chatPerSec: number;
}

export interface PhaseFigures {
  /** From the first send until every push reached every viewer (or the deadline). */
  seconds: number;
  /** Seconds of sending: the load's own length. */
  sendSeconds: number;
  /** Every push reached every viewer connected at the start before the deadline. */
  drained: boolean;
  cpu: CpuSplit;
  frames: number;
  bytes: number;
  writeCalls: number;
  pushes: number;
  /** Pushes the target refused or did not answer, by reason. */
  pushErrors: Record<string, number>;
  chatSent: number;
  chatErrors: Record<string, number>;
  importantDelivered: number;
  normalDelivered: number;
  connected: number;
  gaps: Record<'normal' | 'important', number>;
  disconnects: Record<string, number>;
  importantLatency: { p50: number; p99: number; max: number };
  /** Event-loop delay over the phase, worst server: p99 and max, ms. */
  loopDelay: { p99: number; max: number };
  rssRunningKb: number;
  viewerCpuSeconds: number;
  /** Ours, capacity load: Redis commands each app sent over the phase. */
  redisCommands?: Record<string, number>;
}

export interface SideResult {
  name: string;
  /** Settings changed from the shipped defaults. */
  overrides: string[];
  viewers: number;
  memory: { base: MemoryAfterGc; idle: MemoryAfterGc };
  latency: PhaseFigures;
  capacity: PhaseFigures;
}

const POLL_MS = 250;
/**
 * After the last send, how long the phase waits at most for every push to reach every viewer: a
 * server that cannot keep up still finishes the work it took on, and is charged for all of it.
 */
const DELIVERY_DEADLINE_MS = 180_000;
const SENDER_ADDRESS_BLOCK = 5;
const VIEWER_ADDRESS_BLOCK = 20;

type Sender = ClientProcess<ChildCommand, ChildReply>;

function sumMemory(all: MemoryAfterGc[]): MemoryAfterGc {
  return all.reduce((a, b) => ({ rssKb: a.rssKb + b.rssKb, heapUsedKb: a.heapUsedKb + b.heapUsedKb }), {
    rssKb: 0,
    heapUsedKb: 0,
  });
}

function round(value: number, digits = 2): number {
  const scale = 10 ** digits;
  return Math.round(value * scale) / scale;
}

export class BigroomSide {
  private readonly viewerProcs: BigroomViewer[] = [];
  private readonly senders: Sender[] = [];

  constructor(
    private readonly target: BigroomTarget,
    private readonly options: BigroomOptions,
    private readonly track: (child: { child: import('node:child_process').ChildProcess }) => void,
    private readonly say: (line: string) => void,
  ) {}

  async run(): Promise<SideResult> {
    try {
      const base = await this.memory();
      await this.connect();
      const idle = await this.memory();
      this.say(
        `  idle after GC: rss ${idle.rssKb - base.rssKb} KB, heap ${idle.heapUsedKb - base.heapUsedKb} KB over ${this.options.viewers} viewers`,
      );
      await this.phase(this.options.latencyLoad, this.options.warmupSec, 'warm-up');
      const latency = await this.phase(this.options.latencyLoad, this.options.measureSec, 'latency load');
      await this.phase(this.options.capacityLoad, this.options.warmupSec, 'warm-up');
      const capacity = await this.phase(
        this.options.capacityLoad,
        this.options.measureSec,
        'capacity load',
        true,
      );
      return {
        name: this.target.name,
        overrides: this.target.overrides,
        viewers: this.options.viewers,
        memory: { base, idle },
        latency,
        capacity,
      };
    } finally {
      await Promise.all([...this.viewerProcs, ...this.senders].map((child) => child.stop()));
    }
  }

  private async memory(): Promise<MemoryAfterGc> {
    return sumMemory(
      await Promise.all(this.target.servers.map((server) => memoryAfterGc(server.inspectPort))),
    );
  }

  private async connect(): Promise<void> {
    const { viewers, viewerProcesses } = this.options;
    const servers = this.target.servers;
    const shareOf = (total: number, parts: number, i: number) =>
      Math.floor(total / parts) + (i < total % parts ? 1 : 0);
    // Viewer process p holds its share of every server's viewers.
    await Promise.all(
      Array.from({ length: viewerProcesses }, async (_, p) => {
        const viewer = forkViewer(`${this.target.name} viewers ${p}`);
        this.track(viewer);
        this.viewerProcs.push(viewer);
        await viewer.ask(
          {
            kind: 'connect',
            roomId: this.target.roomId,
            servers: servers.map((server, s) => ({
              url: server.url,
              count: shareOf(shareOf(viewers, servers.length, s), viewerProcesses, p),
            })),
            sourceBlock: VIEWER_ADDRESS_BLOCK + p,
            parseNormalEvery: this.options.parseNormalEvery,
          },
          'connected',
        );
      }),
    );
    for (const [i, url] of this.target.chatUrls.entries()) {
      const sender = ClientProcess.fork<ChildCommand, ChildReply>(
        join(__dirname, '../fanout/sender.js'),
        `${this.target.name} sender ${i}`,
      );
      this.track(sender);
      this.senders.push(sender);
      await sender.ask(
        {
          kind: 'connect',
          flavor: this.target.kind,
          url,
          roomId: this.target.roomId,
          tokens: this.target.senderTokens,
          probes: 0,
          sourceBlock: SENDER_ADDRESS_BLOCK + i,
        },
        'connected',
      );
    }
  }

  /**
   * Open-loop pushes at `perSec` for `seconds`, once all are answered: how many were sent, and
   * how many the target refused or failed to answer (reported with the phase).
   */
  private async pushFor(
    perSec: number,
    seconds: number,
    firstN: number,
  ): Promise<{ sent: number; failed: Record<string, number> }> {
    const startedAt = Date.now();
    const total = Math.floor(perSec * seconds);
    const failed: Record<string, number> = {};
    const answers: Array<Promise<void>> = [];
    for (let i = 0; i < total; i += 1) {
      const due = startedAt + (i * 1000) / perSec;
      const wait = due - Date.now();
      if (wait > 0) await new Promise((resolve) => setTimeout(resolve, wait));
      answers.push(
        this.target.push(firstN + i).catch((error: unknown) => {
          const reason = error instanceof Error ? error.message : String(error);
          failed[reason] = (failed[reason] ?? 0) + 1;
        }),
      );
    }
    await Promise.all(answers);
    return { sent: total, failed };
  }

  private pushNumber = 1;

  private async phase(load: Load, seconds: number, label: string, countRedis = false): Promise<PhaseFigures> {
    const servers = this.target.servers;
    const redisApps = countRedis ? this.target.redisApps : undefined;
    const redis = redisApps && new RedisCommandCounter(testRedisUrl(), redisApps);
    await redis?.start();
    await Promise.all(this.viewerProcs.map((viewer) => viewer.ask({ kind: 'reset' }, 'reset')));
    // prom-client resets its event-loop histogram at each scrape: this one starts the phase's.
    await Promise.all(servers.map((server) => scrapeAppMetrics(server.metricsUrl)));
    const cpuBefore = servers.map((server) => processCpu(server.pid));
    const writesBefore = servers.map((server) => writeCalls(server.pid));
    const startedAt = Date.now();
    const sending = this.senders.map((sender) =>
      sender.ask({ kind: 'send', seconds, chatPerSec: load.chatPerSec, giftPerSec: 0, giftIds: [] }, 'sent'),
    );
    const { sent: pushes, failed: pushErrors } = await this.pushFor(
      load.importantPerSec,
      seconds,
      this.pushNumber,
    );
    this.pushNumber += pushes;
    const sent = await Promise.all(sending);
    const refused = Object.values(pushErrors).reduce((sum, n) => sum + n, 0);
    const expected = (pushes - refused) * this.options.viewers;
    const deadline = Date.now() + DELIVERY_DEADLINE_MS;
    let drained = false;
    for (;;) {
      const progress = await Promise.all(
        this.viewerProcs.map((viewer) => viewer.ask({ kind: 'progress' }, 'progress')),
      );
      drained = progress.reduce((sum, p) => sum + p.important, 0) >= expected;
      if (drained || Date.now() > deadline) break;
      await new Promise((resolve) => setTimeout(resolve, POLL_MS));
    }
    const elapsed = (Date.now() - startedAt) / 1000;
    const redisCommands = await redis?.stop();
    const cpuAfter = servers.map((server) => processCpu(server.pid));
    const writesAfter = servers.map((server) => writeCalls(server.pid));
    const rssRunningKb = servers.reduce((sum, server) => sum + rssKb(server.pid), 0);
    const metrics = await Promise.all(servers.map((server) => scrapeAppMetrics(server.metricsUrl)));
    const reports = (
      await Promise.all(this.viewerProcs.map((viewer) => viewer.ask({ kind: 'report' }, 'report')))
    ).map((answer) => answer.report);
    const figures = this.figures(reports, {
      seconds: elapsed,
      sendSeconds: seconds,
      drained,
      cpu: {
        userMs: cpuAfter.reduce((sum, cpu, i) => sum + cpu.userMs - (cpuBefore[i]?.userMs ?? 0), 0),
        systemMs: cpuAfter.reduce((sum, cpu, i) => sum + cpu.systemMs - (cpuBefore[i]?.systemMs ?? 0), 0),
      },
      writeCalls: writesAfter.reduce((sum, w, i) => sum + w - (writesBefore[i] ?? 0), 0),
      pushes,
      pushErrors,
      chatSent: sent.reduce((sum, s) => sum + s.report.sent.chat, 0),
      chatErrors: Object.assign({}, ...sent.map((s) => s.report.errors)) as Record<string, number>,
      loopDelay: {
        p99: Math.max(...metrics.map((m) => m.eventLoopDelayMs['p99'] ?? 0)),
        max: Math.max(...metrics.map((m) => m.eventLoopDelayMs['max'] ?? 0)),
      },
      rssRunningKb,
      redisCommands,
    });
    this.say(
      `  ${label} (${load.importantPerSec} important/s + ${load.chatPerSec} chat/s, ${round(elapsed)} s): ` +
        `important ${figures.importantDelivered}/${expected} delivered${drained ? '' : ' (NOT drained)'}, p50 ${figures.importantLatency.p50} / p99 ${figures.importantLatency.p99} ms; ` +
        `server CPU user ${round(figures.cpu.userMs / 1000)} s system ${round(figures.cpu.systemMs / 1000)} s; ` +
        `${figures.frames} frames; delay p99 ${figures.loopDelay.p99} max ${figures.loopDelay.max} ms`,
    );
    return figures;
  }

  private figures(
    reports: BigroomViewerReport[],
    measured: Pick<
      PhaseFigures,
      | 'seconds'
      | 'sendSeconds'
      | 'drained'
      | 'cpu'
      | 'writeCalls'
      | 'pushes'
      | 'pushErrors'
      | 'chatSent'
      | 'chatErrors'
      | 'loopDelay'
      | 'rssRunningKb'
      | 'redisCommands'
    >,
  ): PhaseFigures {
    const latency = new LatencyHistogram();
    const gaps = { normal: 0, important: 0 };
    const disconnects: Record<string, number> = {};
    let frames = 0;
    let bytes = 0;
    let important = 0;
    let normal = 0;
    let connected = 0;
    let viewerCpuMs = 0;
    for (const report of reports) {
      latency.merge(report.importantLatency);
      frames += report.frames;
      bytes += report.bytes;
      important += report.important;
      normal += report.normal;
      connected += report.connected;
      viewerCpuMs += report.cpuMs;
      gaps.normal += report.gaps.normal;
      gaps.important += report.gaps.important;
      for (const [reason, count] of Object.entries(report.disconnects))
        disconnects[reason] = (disconnects[reason] ?? 0) + count;
    }
    return {
      ...measured,
      seconds: round(measured.seconds),
      frames,
      bytes,
      importantDelivered: important,
      normalDelivered: normal,
      connected,
      gaps,
      disconnects,
      importantLatency: {
        p50: round(latency.percentile(50)),
        p99: round(latency.percentile(99)),
        max: round(latency.maxMs),
      },
      viewerCpuSeconds: round(viewerCpuMs / 1000),
    };
  }
}
