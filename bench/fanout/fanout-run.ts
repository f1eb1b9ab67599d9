import { AppMetrics, grownDrops, scrapeAppMetrics } from '../shared/app-metrics';
import {
  BENCH_MESSAGE_TYPES,
  BenchMessageType,
  FanoutClient,
  forkClient,
  SenderReport,
  ServerFlavor,
  ViewerReport,
} from './ipc';
import { LatencyHistogram } from '../shared/latency-histogram';
import { CpuSplit, processCpu, totalMs } from '../shared/process-cpu';

/**
 * One measured run of bench/fanout against one server: viewers in K client processes, one sender
 * process, a warm-up that is sent and fully drained, then the measured phase from the first send
 * until the last delivery. Counting every delivery of that phase against the server's CPU over
 * the same span (drain included) charges each side for exactly the work of what it delivered,
 * whether or not it kept up while the senders were sending.
 */
export interface FanoutTarget {
  name: string;
  flavor: ServerFlavor;
  url: string;
  roomId: string;
  senderTokens: string[];
  giftIds: string[];
  /** The process whose CPU is measured: our gateway or the plain server. */
  serverPid: number;
  /** Processes of the rest of the system, reported for honesty, not counted. */
  otherPids: Record<string, number>;
  /** /metrics of our apps, by name, scraped around the measured phase (drop counters, event-loop delay). */
  metricsUrls: Record<string, string>;
}

export interface FanoutOptions {
  viewers: number;
  viewerProcesses: number;
  /** Viewers per process that parse every message for latency; undefined: all of them. */
  probesPerProcess: number | undefined;
  chatPerSec: number;
  giftPerSec: number;
  warmupSec: number;
  /**
   * The warm-up sends chat at this share of the full rate: enough to warm both servers up, little
   * enough that neither carries a backlog (or backlog-made disconnects) into the measured phase.
   */
  warmupChatShare: number;
  measureSec: number;
  /** How long deliveries may trail the last send before the run counts what it has. */
  drainTimeoutSec: number;
}

export interface Percentiles {
  p50: number;
  p99: number;
  max: number;
  samples: number;
}

export interface SenderSummary {
  sent: Record<BenchMessageType, number>;
  acked: Record<BenchMessageType, number>;
  errors: Record<string, number>;
  /** Send → ack, as the sender saw it. */
  ackLatency: Record<BenchMessageType, Percentiles>;
  cpuSeconds: number;
  seconds: number;
}

export interface FanoutResult {
  name: string;
  viewers: number;
  deliveries: Record<BenchMessageType, number>;
  deliveriesTotal: number;
  /** From the first send of the measured phase to its last delivery. */
  seconds: number;
  /** Seconds the last delivery trailed the last send. */
  drainSeconds: number;
  drained: boolean;
  serverCpuSeconds: number;
  /** The part of it spent in the kernel (on loopback: the TCP work of every byte written). */
  serverSystemCpuSeconds: number;
  deliveriesPerCpuSecond: number;
  /** Socket.IO events the viewers received (ours: batches; plain: one per message). */
  events: number;
  /** Average JSON bytes of one message as delivered (ours: share of a batch body; plain: the envelope). */
  bytesPerMessage: number;
  latency: Record<BenchMessageType, Percentiles>;
  fromServerStamp: Record<BenchMessageType, Percentiles>;
  sender: SenderSummary;
  /** Seqs left out by flow control, per viewer (ours: the room-level cap). */
  flowControlDroppedPerViewer: number;
  gapsPerViewer: number;
  /** Viewer sockets that closed during the measured phase, by reason. */
  disconnects: Record<string, number>;
  /** Viewer sockets connected when the measured phase started, and at its end. */
  connectedAtStart: number;
  connected: number;
  /** Deliveries over (messages sent × viewers connected at the start); ours leaves out what flow control dropped. */
  deliveredShare: number;
  viewerCpuSeconds: number;
  otherCpuSeconds: Record<string, number>;
  /** Drop counters that grew during the measured phase, per app (ours). */
  dropCounters: Record<string, Record<string, number>>;
  /** Event-loop delay per app over the phase, ms (ours). */
  eventLoopDelayMs: Record<string, Record<string, number>>;
}

interface PhaseOutcome {
  sender: SenderReport;
  drained: boolean;
  startedAt: number;
  sendEndsAt: number;
  lastDeliveryAt: number;
  serverCpu: CpuSplit;
}

const POLL_MS = 250;
/** Source address blocks of the clients: viewer process i uses VIEWER_ADDRESS_BLOCK + i. */
const SENDER_ADDRESS_BLOCK = 4;
const VIEWER_ADDRESS_BLOCK = 10;
/** No new delivery for this long after the last send: the phase is over. */
const QUIET_MS = 1_500;

function round(value: number, digits = 2): number {
  const scale = 10 ** digits;
  return Math.round(value * scale) / scale;
}

function summarize(histogram: LatencyHistogram): Percentiles {
  return {
    p50: round(histogram.percentile(50)),
    p99: round(histogram.percentile(99)),
    max: round(histogram.maxMs),
    samples: histogram.total,
  };
}

function cpuOf(pids: Record<string, number>): Record<string, number> {
  return Object.fromEntries(Object.entries(pids).map(([name, pid]) => [name, totalMs(processCpu(pid))]));
}

export class FanoutRun {
  private readonly viewers: FanoutClient[] = [];
  private sender: FanoutClient | undefined;

  constructor(
    private readonly target: FanoutTarget,
    private readonly options: FanoutOptions,
    /** Called with every forked process, so the caller can kill them all on any way out. */
    private readonly track: (child: FanoutClient) => void,
  ) {}

  async run(): Promise<FanoutResult> {
    try {
      await this.connect();
      const warmup = await this.phase(
        this.options.warmupSec,
        this.options.chatPerSec * this.options.warmupChatShare,
      );
      if (!warmup.drained)
        throw new Error(
          `${this.target.name}: the warm-up did not drain in ${this.options.drainTimeoutSec} s`,
        );
      return await this.measure();
    } finally {
      await Promise.all(
        [...this.viewers, ...(this.sender ? [this.sender] : [])].map((child) => child.stop()),
      );
    }
  }

  private async connect(): Promise<void> {
    const { viewers, viewerProcesses, probesPerProcess } = this.options;
    const shares = Array.from(
      { length: viewerProcesses },
      (_, i) => Math.floor(viewers / viewerProcesses) + (i < viewers % viewerProcesses ? 1 : 0),
    );
    for (const [i, share] of shares.entries()) {
      const viewer = forkClient('viewer.js', `${this.target.name} viewer ${i}`);
      this.track(viewer);
      this.viewers.push(viewer);
      // One process at a time: connection storms are not what this bench measures.
      await viewer.ask(
        {
          kind: 'connect',
          flavor: this.target.flavor,
          url: this.target.url,
          roomId: this.target.roomId,
          tokens: new Array<null>(share).fill(null),
          // Every viewer parses what it receives unless the bench was told to use probes only.
          probes: probesPerProcess ?? share,
          sourceBlock: VIEWER_ADDRESS_BLOCK + i,
        },
        'connected',
      );
    }
    this.sender = forkClient('sender.js', `${this.target.name} sender`);
    this.track(this.sender);
    await this.sender.ask(
      {
        kind: 'connect',
        flavor: this.target.flavor,
        url: this.target.url,
        roomId: this.target.roomId,
        tokens: this.target.senderTokens,
        probes: 0,
        sourceBlock: SENDER_ADDRESS_BLOCK,
      },
      'connected',
    );
  }

  /**
   * Sends for `seconds`, then waits until deliveries stop. Returns the time of the last delivery
   * and the server's CPU at the first poll that saw it (the quiet wait after it is not charged).
   */
  private async phase(seconds: number, chatPerSec: number): Promise<PhaseOutcome> {
    const sender = this.sender as FanoutClient;
    const startedAt = Date.now();
    let sent: SenderReport | undefined;
    const sending = sender
      .ask(
        {
          kind: 'send',
          seconds,
          chatPerSec,
          giftPerSec: this.options.giftPerSec,
          giftIds: this.target.giftIds,
        },
        'sent',
      )
      .then((reply) => (sent = reply.report));
    let failure: unknown;
    sending.catch((error: unknown) => (failure = error));
    const sendEndsAt = startedAt + seconds * 1000;
    let lastTotal = -1;
    let lastChange = { at: Date.now(), serverCpu: processCpu(this.target.serverPid), lastDeliveryAt: 0 };
    for (;;) {
      await new Promise((resolve) => setTimeout(resolve, POLL_MS));
      if (failure) throw failure;
      const serverCpu = processCpu(this.target.serverPid);
      const progress = await Promise.all(
        this.viewers.map((viewer) => viewer.ask({ kind: 'progress' }, 'progress')),
      );
      const total = progress.reduce((sum, p) => sum + p.delivered, 0);
      const now = Date.now();
      if (total !== lastTotal) {
        lastTotal = total;
        lastChange = {
          at: now,
          serverCpu,
          lastDeliveryAt: Math.max(...progress.map((p) => p.lastDeliveryAt)),
        };
      }
      if (!sent || now < sendEndsAt) continue;
      const quiet = now - lastChange.at >= QUIET_MS;
      const timedOut = now - sendEndsAt > this.options.drainTimeoutSec * 1000;
      if (quiet || timedOut) {
        return {
          sender: sent,
          drained: quiet,
          startedAt,
          sendEndsAt,
          lastDeliveryAt: lastChange.lastDeliveryAt,
          serverCpu: lastChange.serverCpu,
        };
      }
    }
  }

  private async measure(): Promise<FanoutResult> {
    await Promise.all(this.viewers.map((viewer) => viewer.ask({ kind: 'reset' }, 'reset')));
    const metricsBefore = await this.scrapeApps();
    const otherBefore = cpuOf(this.target.otherPids);
    const serverBefore = processCpu(this.target.serverPid);
    const phase = await this.phase(this.options.measureSec, this.options.chatPerSec);
    const otherAfter = cpuOf(this.target.otherPids);
    const metricsAfter = await this.scrapeApps();
    const reports = (
      await Promise.all(this.viewers.map((viewer) => viewer.ask({ kind: 'report' }, 'report')))
    ).map((reply) => reply.report);
    if (phase.lastDeliveryAt === 0) {
      throw new Error(
        `${this.target.name}: nothing was delivered; sender: ${JSON.stringify(phase.sender.errors)}`,
      );
    }
    return this.summarizeRun(reports, phase, {
      serverCpuSeconds: (totalMs(phase.serverCpu) - totalMs(serverBefore)) / 1000,
      serverSystemCpuSeconds: (phase.serverCpu.systemMs - serverBefore.systemMs) / 1000,
      seconds: (phase.lastDeliveryAt - phase.startedAt) / 1000,
      otherCpuSeconds: Object.fromEntries(
        Object.keys(otherAfter).map((name) => [
          name,
          round(((otherAfter[name] ?? 0) - (otherBefore[name] ?? 0)) / 1000),
        ]),
      ),
      eventLoopDelayMs: Object.fromEntries(
        Object.entries(metricsAfter).map(([app, after]) => [app, after.eventLoopDelayMs]),
      ),
      dropCounters: Object.fromEntries(
        Object.entries(metricsAfter).map(([app, after]) => [app, grownDrops(metricsBefore[app], after)]),
      ),
    });
  }

  private async scrapeApps(): Promise<Record<string, AppMetrics>> {
    const entries = await Promise.all(
      Object.entries(this.target.metricsUrls).map(
        async ([app, url]) => [app, await scrapeAppMetrics(url)] as const,
      ),
    );
    return Object.fromEntries(entries);
  }

  private summarizeRun(
    reports: ViewerReport[],
    phase: PhaseOutcome,
    measured: {
      serverCpuSeconds: number;
      serverSystemCpuSeconds: number;
      seconds: number;
      otherCpuSeconds: Record<string, number>;
      dropCounters: Record<string, Record<string, number>>;
      eventLoopDelayMs: Record<string, Record<string, number>>;
    },
  ): FanoutResult {
    const deliveries = { chat: 0, gift: 0 };
    const latency = { chat: new LatencyHistogram(), gift: new LatencyHistogram() };
    const fromServerStamp = { chat: new LatencyHistogram(), gift: new LatencyHistogram() };
    let events = 0;
    let probeBytes = 0;
    let probeMessages = 0;
    let flowControlDropped = 0;
    let gaps = 0;
    const disconnects: Record<string, number> = {};
    let connected = 0;
    let connectedAtStart = 0;
    let viewerCpuMs = 0;
    let sockets = 0;
    for (const report of reports) {
      for (const type of BENCH_MESSAGE_TYPES) {
        deliveries[type] += report.delivered[type];
        latency[type].merge(report.latency[type]);
        fromServerStamp[type].merge(report.fromServerStamp[type]);
      }
      events += report.events;
      probeBytes += report.probeBytes;
      probeMessages += report.probeMessages;
      flowControlDropped += report.flowControlDropped;
      gaps += report.gaps;
      for (const [reason, count] of Object.entries(report.disconnects))
        disconnects[reason] = (disconnects[reason] ?? 0) + count;
      connected += report.connected;
      connectedAtStart += report.connectedAtReset;
      viewerCpuMs += report.cpuMs;
      sockets += report.sockets;
    }
    const deliveriesTotal = deliveries.chat + deliveries.gift;
    return {
      name: this.target.name,
      viewers: sockets,
      deliveries,
      deliveriesTotal,
      seconds: round(measured.seconds),
      drainSeconds: round(Math.max(0, phase.lastDeliveryAt - phase.sendEndsAt) / 1000),
      drained: phase.drained,
      serverCpuSeconds: round(measured.serverCpuSeconds),
      serverSystemCpuSeconds: round(measured.serverSystemCpuSeconds),
      deliveriesPerCpuSecond: Math.round(deliveriesTotal / Math.max(measured.serverCpuSeconds, 0.01)),
      events,
      bytesPerMessage: Math.round(probeBytes / Math.max(1, probeMessages)),
      latency: { chat: summarize(latency.chat), gift: summarize(latency.gift) },
      fromServerStamp: { chat: summarize(fromServerStamp.chat), gift: summarize(fromServerStamp.gift) },
      sender: {
        sent: phase.sender.sent,
        acked: phase.sender.acked,
        errors: phase.sender.errors,
        ackLatency: {
          chat: summarize(new LatencyHistogram(phase.sender.ackLatency.chat)),
          gift: summarize(new LatencyHistogram(phase.sender.ackLatency.gift)),
        },
        cpuSeconds: round(phase.sender.cpuMs / 1000),
        seconds: round(phase.sender.seconds),
      },
      flowControlDroppedPerViewer: round(flowControlDropped / Math.max(1, sockets), 1),
      gapsPerViewer: round(gaps / Math.max(1, sockets), 1),
      disconnects,
      connectedAtStart,
      connected,
      deliveredShare: round(
        deliveriesTotal / Math.max(1, (phase.sender.sent.chat + phase.sender.sent.gift) * connectedAtStart),
        3,
      ),
      viewerCpuSeconds: round(viewerCpuMs / 1000),
      otherCpuSeconds: measured.otherCpuSeconds,
      dropCounters: measured.dropCounters,
      eventLoopDelayMs: measured.eventLoopDelayMs,
    };
  }
}
