import {
  Command,
  logReadFailures,
  OutboundQueue,
  readLoop,
  RPC_EAGER_PAIRS,
  RPC_MESSAGE_LIMITS,
  rpcFrontendMaxMessageBytes,
  SILENT_STRUCTURED_LOGGER,
  watchPeerDisconnects,
  releaseCurveServer,
  secureCurveServer,
} from '@live-im/zmq-transport';
import type { BusSecurity } from '@live-im/config';
import { BusAccess } from './bus-access';
import { Router } from 'zeromq';
import { BackendHandler } from './backend-handler';
import {
  DEADLINE_SWEEP_MS,
  DEFAULT_LIMITS,
  type BrokerHooks,
  type BrokerLogger,
  type DispatchLimits,
} from './broker-options';
import type { BrokerCounters, BrokerStats, ServiceStats } from './broker-stats';
import { Dispatcher } from './dispatcher';
import { FrontendHandler } from './frontend-handler';

export interface BrokerOptions extends Partial<DispatchLimits> {
  /** Where clients connect, e.g. `tcp://0.0.0.0:5555` (`tcp://127.0.0.1:0` picks a free port). */
  frontendBind: string;
  /** Where workers connect, e.g. `tcp://0.0.0.0:5556`. */
  backendBind: string;
  /** Names this broker in STATS_REPLY and logs. */
  brokerId: string;
  /**
   * Messages ZeroMQ holds for one client that does not read before further replies to it are
   * dropped (and counted). Default 10 000 (each up to 512 coalesced replies).
   */
  frontendSendHighWaterMark?: number;
  logger?: BrokerLogger;
  hooks?: BrokerHooks;
  /** Monotonic milliseconds; tests may pass their own. */
  clock?: () => number;
  /** CURVE on both sockets with the trust list's allow-lists; plain when absent or off. */
  security?: BusSecurity;
}

type BrokerState = 'new' | 'running' | 'draining' | 'closing' | 'closed';

export interface DrainOptions {
  /** The least time to keep serving after CLOSING, for requests already on their way. */
  settleMs: number;
  /** The most time to wait for requests held to be answered before closing anyway. */
  maxWaitMs: number;
}

const DRAIN_POLL_MS = 20;

/** How long close() waits for replies already queued to reach ZeroMQ. */
const CLOSE_FLUSH_MS = 200;

/**
 * The RPC broker: owns the frontend ROUTER (clients) and the backend ROUTER (workers), one reader
 * loop and one coalescing send queue per socket, and the two sweep timers. The request lifecycle
 * itself lives in Dispatcher.
 */
export class Broker {
  readonly dispatcher: Dispatcher;
  private readonly limits: DispatchLimits;
  private readonly frontend: Router;
  private readonly backend: Router;
  private readonly frontendOut: OutboundQueue;
  private readonly backendOut: OutboundQueue;
  private readonly frontendHandler: FrontendHandler;
  private readonly backendHandler: BackendHandler;
  private readonly log: BrokerLogger;
  private readonly access: BusAccess | null;
  private zapDomains: string[] = [];
  private readonly clock: () => number;
  private readonly timers: NodeJS.Timeout[] = [];
  private readers: Promise<void>[] = [];
  private state: BrokerState = 'new';
  private startedAt = 0;
  private lastLivenessSweep = 0;

  constructor(private readonly options: BrokerOptions) {
    this.limits = {
      heartbeatMs: options.heartbeatMs ?? DEFAULT_LIMITS.heartbeatMs,
      serviceGraceMs: options.serviceGraceMs ?? DEFAULT_LIMITS.serviceGraceMs,
      maxQueue: options.maxQueue ?? DEFAULT_LIMITS.maxQueue,
      maxQueuedBytes: options.maxQueuedBytes ?? DEFAULT_LIMITS.maxQueuedBytes,
      maxBodyBytes: options.maxBodyBytes ?? DEFAULT_LIMITS.maxBodyBytes,
    };
    this.log = options.logger ?? SILENT_STRUCTURED_LOGGER;
    this.clock = options.clock ?? (() => performance.now());

    // mandatory + sendTimeout 0: a send to a vanished peer fails at once (EHOSTUNREACH) instead of
    // vanishing silently, so a dead worker is noticed on the first request it cannot take.
    this.frontend = new Router({
      mandatory: true,
      sendTimeout: 0,
      linger: 0,
      sendHighWaterMark: options.frontendSendHighWaterMark ?? 10_000,
      maxMessageSize: rpcFrontendMaxMessageBytes(this.limits.maxBodyBytes),
    });
    // No high-water mark towards workers: credit already bounds what a worker is sent.
    this.backend = new Router({
      mandatory: true,
      sendTimeout: 0,
      linger: 0,
      sendHighWaterMark: 0,
      maxMessageSize: RPC_MESSAGE_LIMITS.peerBytes,
    });
    // Counted with the broker's own counters (STATS_REPLY and rpc_broker_peer_disconnects_total).
    watchPeerDisconnects(this.frontend, () => (this.dispatcher.counters.peerDisconnectsFrontend += 1));
    watchPeerDisconnects(this.backend, () => (this.dispatcher.counters.peerDisconnectsBackend += 1));

    this.frontendOut = new OutboundQueue(this.frontend, {
      eagerPairs: RPC_EAGER_PAIRS,
      onSendError: (dest, command, frames, error) => this.onFrontendSendError(dest, command, frames, error),
    });
    this.backendOut = new OutboundQueue(this.backend, {
      eagerPairs: RPC_EAGER_PAIRS,
      onSendError: (dest, command, frames, error) => this.onBackendSendError(dest, command, frames, error),
    });
    this.access =
      options.security?.mode === 'curve'
        ? new BusAccess(options.security.keyPair, options.security.trust)
        : null;
    this.dispatcher = new Dispatcher(this.limits, this.frontendOut, this.backendOut, options.hooks, this.log);
    this.frontendHandler = new FrontendHandler(
      this.dispatcher,
      this.frontendOut,
      () => this.stats(),
      () => this.state === 'draining',
      this.access,
    );
    this.backendHandler = new BackendHandler(
      this.dispatcher,
      this.backendOut,
      this.access,
      (worker, service) =>
        this.log.warn({ worker, service }, 'worker refused: its bus key may not serve this service'),
    );
  }

  /** Binds both sockets and starts reading and sweeping. Rejects if a bind fails. */
  async start(): Promise<void> {
    if (this.state !== 'new') throw new Error(`broker cannot start from state ${this.state}`);
    this.state = 'running';
    try {
      if (this.access !== null) {
        this.zapDomains = [
          await secureCurveServer(this.frontend, this.access.keyPair, this.access.frontendPolicy),
          await secureCurveServer(this.backend, this.access.keyPair, this.access.backendPolicy),
        ];
      }
      await this.frontend.bind(this.options.frontendBind);
      await this.backend.bind(this.options.backendBind);
    } catch (error) {
      await this.close();
      throw error;
    }
    this.startedAt = this.clock();
    this.readers = [
      this.readLoop(this.frontend, 'frontend', (frames, now) => this.frontendHandler.handle(frames, now)),
      this.readLoop(this.backend, 'backend', (frames, now) => this.backendHandler.handle(frames, now)),
    ];
    this.every(DEADLINE_SWEEP_MS, 'queue sweep', (now) => this.dispatcher.sweepQueues(now));
    this.lastLivenessSweep = this.clock();
    this.every(this.limits.heartbeatMs, 'liveness sweep', (now) => this.sweepPeers(now));
    this.log.info(
      {
        brokerId: this.options.brokerId,
        frontend: this.frontendEndpoint,
        backend: this.backendEndpoint,
        busSecurity: this.access === null ? 'off' : 'curve',
        ...this.limits,
      },
      'broker listening',
    );
  }

  /** True while both sockets are bound and being read. */
  get isRunning(): boolean {
    return (
      this.state === 'running' && this.frontend.lastEndpoint !== null && this.backend.lastEndpoint !== null
    );
  }

  /** The bound frontend address, with the real port when bound to port 0. */
  get frontendEndpoint(): string | null {
    return this.frontend.lastEndpoint;
  }

  get backendEndpoint(): string | null {
    return this.backend.lastEndpoint;
  }

  get counters(): Readonly<BrokerCounters> {
    return this.dispatcher.counters;
  }

  /** The STATS_REPLY body. */
  stats(): BrokerStats {
    const now = this.clock();
    return this.dispatcher.stats(this.options.brokerId, this.state === 'new' ? 0 : now - this.startedAt, now);
  }

  /** Per-service workers and queue depth, for metrics. */
  services(): Record<string, ServiceStats> {
    return this.dispatcher.services(this.clock());
  }

  /**
   * Graceful shutdown (docs/rpc-protocol.md "Broker shutdown"): tells every client CLOSING so its
   * new calls go to the other brokers, keeps dispatching and answering what it holds or what was
   * already on its way, and closes once nothing is queued or in flight (after settleMs at least,
   * maxWaitMs at most). Readiness turns false at once.
   */
  async drainAndClose(options: DrainOptions): Promise<void> {
    if (this.state !== 'running') return this.close();
    this.state = 'draining';
    for (const client of this.dispatcher.clients.all()) {
      this.frontendOut.pushMessage(client.routingId, Command.CLOSING);
    }
    const startedAt = this.clock();
    this.log.info(
      { brokerId: this.options.brokerId, clients: this.dispatcher.clients.size },
      'broker draining',
    );
    let held = this.heldRequests();
    for (;;) {
      await new Promise((resolve) => setTimeout(resolve, DRAIN_POLL_MS));
      held = this.heldRequests();
      const waited = this.clock() - startedAt;
      if ((held === 0 && waited >= options.settleMs) || waited >= options.maxWaitMs) break;
    }
    if (held > 0)
      this.log.warn({ brokerId: this.options.brokerId, held }, 'drain timed out with requests held');
    await this.close();
  }

  /** Stops the timers, gives queued replies a moment to leave, closes both sockets. Idempotent. */
  async close(): Promise<void> {
    if (this.state === 'closing' || this.state === 'closed') return;
    const wasRunning = this.active;
    this.state = 'closing';
    for (const timer of this.timers) clearInterval(timer);
    if (wasRunning) {
      let flushTimer: NodeJS.Timeout | undefined;
      await Promise.race([
        Promise.all([this.frontendOut.whenIdle(), this.backendOut.whenIdle()]),
        new Promise<void>((resolve) => (flushTimer = setTimeout(resolve, CLOSE_FLUSH_MS))),
      ]);
      clearTimeout(flushTimer);
    }
    this.frontendOut.close();
    this.backendOut.close();
    this.frontend.close();
    this.backend.close();
    await Promise.all(this.readers);
    await Promise.all(this.zapDomains.map((domain) => releaseCurveServer(domain)));
    this.zapDomains = [];
    this.state = 'closed';
    this.log.info({ brokerId: this.options.brokerId }, 'broker closed');
  }

  /** Reading, dispatching and answering: running, or draining before a close. */
  private get active(): boolean {
    return this.state === 'running' || this.state === 'draining';
  }

  private heldRequests(): number {
    return this.dispatcher.inFlightCount + this.dispatcher.queuedCount;
  }

  /** The one reader of a socket: a bad message is counted by the handler, a bug is logged. */
  private readLoop(
    socket: Router,
    name: string,
    handle: (frames: Buffer[], now: number) => void,
  ): Promise<void> {
    return readLoop(
      socket,
      () => this.active,
      (frames) => handle(frames, this.clock()),
      logReadFailures(this.log, name),
    );
  }

  /**
   * A sweep this late means the broker itself was blocked: the peers' messages may be sitting
   * unread (timers run before socket reads), so their silence says nothing until the next sweep.
   */
  private sweepPeers(now: number): void {
    const stalled = now - this.lastLivenessSweep > 2 * this.limits.heartbeatMs;
    this.lastLivenessSweep = now;
    if (!stalled) this.dispatcher.sweepPeers(now);
  }

  private every(intervalMs: number, name: string, sweep: (now: number) => void): void {
    const timer = setInterval(() => {
      try {
        sweep(this.clock());
      } catch (error) {
        this.log.error({ sweep: name, err: error }, 'sweep failed');
      }
    }, intervalMs);
    timer.unref();
    this.timers.push(timer);
  }

  private onBackendSendError(dest: Buffer | null, command: Command, frames: Buffer[], error: unknown): void {
    if (dest === null || !this.active) return;
    const worker = this.dispatcher.workers.get(dest.toString('latin1'));
    if (!worker) return;
    const code = errorCode(error);
    // A REQUEST the worker could not take would wait forever for a reply: treat any failure as fatal.
    if (code !== 'EHOSTUNREACH' && command !== Command.REQUEST) {
      this.log.warn({ worker: worker.announcement.instance, command, code }, 'send to worker failed');
      return;
    }
    if (command === Command.REQUEST) this.dispatcher.markUndelivered(worker, frames);
    this.dispatcher.removeWorker(worker, `send failed: ${code}`, this.clock());
  }

  private onFrontendSendError(dest: Buffer | null, command: Command, frames: Buffer[], error: unknown): void {
    if (dest === null || !this.active) return;
    if (command === Command.REPLY) this.dispatcher.counters.undeliverable += frames.length / 2;
    const code = errorCode(error);
    if (code === 'EHOSTUNREACH') {
      const client = this.dispatcher.clients.get(dest.toString('latin1'));
      if (client) this.dispatcher.removeClient(client, 'unreachable');
    } else {
      this.log.warn({ command, code }, 'send to client failed');
    }
  }
}

function errorCode(error: unknown): string {
  if (typeof error === 'object' && error !== null && 'code' in error && typeof error.code === 'string') {
    return error.code;
  }
  return 'UNKNOWN';
}
