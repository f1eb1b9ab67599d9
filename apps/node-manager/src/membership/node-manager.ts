import { bcastHeader, BROADCAST_MESSAGE_LIMITS, BroadcastCommand, TOPOLOGY_TOPIC } from '@live-im/broadcast';
import type { ClusterSeries } from '@live-im/contracts';
import { Publisher, Router } from 'zeromq';
import { clusterView, type ClusterView } from './cluster-view';
import { newCounters, type ManagerCounters } from './manager-counters';
import {
  membershipTimings,
  SWEEPS_PER_HEARTBEAT,
  TOPOLOGY_REPUBLISH_MS,
  type ManagerLogger,
  type MembershipTimings,
} from './manager-options';
import { Membership, type NmReply } from './membership';
import { MalformedMessage, parseInbound, type Inbound } from './nm-inbound';
import {
  countPeerDisconnects,
  logReadFailures,
  readLoop,
  SerialSender,
  SILENT_STRUCTURED_LOGGER,
  releaseCurveServer,
  secureCurveServer,
} from '@live-im/zmq-transport';
import type { BusSecurity } from '@live-im/config';
import { MemberKeys } from './member-keys';
import {
  ClusterHistory,
  DEPARTED_KEEP_MS,
  MAX_DEPARTED,
  SERIES_SAMPLE_MS,
  SERIES_SAMPLES,
} from '../history/cluster-history';

export interface NodeManagerOptions extends Partial<MembershipTimings> {
  /** Where members' DEALERs connect, e.g. `tcp://0.0.0.0:5580` (`tcp://127.0.0.1:0` picks a free port). */
  routerBind: string;
  /** Where members subscribe to the topology. */
  pubBind: string;
  /** Names this manager in /cluster and logs. */
  managerId: string;
  /** The largest frame a member may send; a larger one makes ZeroMQ drop that member's connection. */
  maxFrameBytes?: number;
  logger?: ManagerLogger;
  /** Monotonic milliseconds for liveness; tests may pass their own. */
  clock?: () => number;
  /** Epoch milliseconds for `updatedAt` and the first topology version. */
  wallClock?: () => number;
  /** How often the dashboard's history is sampled. Default 1000. */
  seriesSampleMs?: number;
  /** CURVE on the ROUTER and PUB with the trust list's member keys; plain when absent or off. */
  security?: BusSecurity;
}

type ManagerState = 'new' | 'running' | 'closing' | 'closed';

/** How long close() waits for queued replies to reach ZeroMQ. */
const CLOSE_FLUSH_MS = 200;

/** 10 000 connected ids of 64 characters fit with room to spare. */

/**
 * The node manager: owns the ROUTER members talk NM/1 to and the PUB the topology goes out on,
 * one reader loop, the sweep and republish timers. Membership itself lives in Membership.
 */
export class NodeManager {
  readonly membership: Membership;
  readonly counters: ManagerCounters = newCounters();
  readonly history: ClusterHistory;
  private readonly router: Router;
  private readonly publisher: Publisher;
  private readonly replies: SerialSender;
  private readonly topologyOut: SerialSender;
  private readonly log: ManagerLogger;
  private readonly clock: () => number;
  private readonly wallClock: () => number;
  private readonly timers: NodeJS.Timeout[] = [];
  private reader: Promise<void> = Promise.resolve();
  private state: ManagerState = 'new';
  private startedAt = 0;
  /** Within the rebuild window after start: the topology is partial and is not published. */
  private rebuilding = true;
  private readonly memberKeys: MemberKeys | null;
  private zapDomains: string[] = [];

  constructor(private readonly options: NodeManagerOptions) {
    this.log = options.logger ?? SILENT_STRUCTURED_LOGGER;
    this.clock = options.clock ?? (() => performance.now());
    const timings = membershipTimings(options);
    this.wallClock = options.wallClock ?? Date.now;
    this.history = new ClusterHistory({
      intervalMs: options.seriesSampleMs ?? SERIES_SAMPLE_MS,
      capacity: SERIES_SAMPLES,
      loadMaxAgeMs: timings.deadAfterMs,
      keepDepartedMs: DEPARTED_KEEP_MS,
      maxDeparted: MAX_DEPARTED,
    });
    this.membership = new Membership(timings, this.counters, this.log, this.wallClock, () =>
      this.publishTopology(),
    );
    // mandatory + sendTimeout 0: a reply to a member that has gone fails at once and is counted,
    // instead of waiting in a queue for a peer that will not come back under that routing id.
    this.router = new Router({
      mandatory: true,
      sendTimeout: 0,
      linger: 0,
      maxMessageSize: options.maxFrameBytes ?? BROADCAST_MESSAGE_LIMITS.managerCommandBytes,
    });
    this.publisher = new Publisher({ linger: 0, maxMessageSize: BROADCAST_MESSAGE_LIMITS.subscriptionBytes });
    const security = options.security;
    this.memberKeys =
      security?.mode === 'curve'
        ? new MemberKeys(security.keyPair, security.trust, (memberId, claimedBy, ownedBy) =>
            this.log.warn({ memberId, claimedBy, ownedBy }, 'member id claimed by another key: refused'),
          )
        : null;
    countPeerDisconnects(this.router, 'node_manager_router');
    this.replies = new SerialSender(this.router, () => {
      this.counters.undeliverable += 1;
    });
    this.topologyOut = new SerialSender(this.publisher, (_frames, error) =>
      this.log.warn({ err: error }, 'topology publish failed'),
    );
  }

  /** Binds both sockets and starts reading, sweeping and republishing. Rejects if a bind fails. */
  async start(): Promise<void> {
    if (this.state !== 'new') throw new Error(`node manager cannot start from state ${this.state}`);
    this.state = 'running';
    try {
      if (this.memberKeys !== null) {
        const keys = this.memberKeys;
        this.zapDomains = [
          await secureCurveServer(this.router, keys.keyPair, keys.routerPolicy),
          await secureCurveServer(this.publisher, keys.keyPair, keys.pubPolicy),
        ];
      }
      await this.router.bind(this.options.routerBind);
      await this.publisher.bind(this.options.pubBind);
    } catch (error) {
      await this.close();
      throw error;
    }
    this.startedAt = this.clock();
    this.membership.start(this.startedAt);
    this.reader = this.readLoop();
    const sweepMs = Math.max(1, Math.floor(this.membership.timings.heartbeatMs / SWEEPS_PER_HEARTBEAT));
    this.every(sweepMs, 'membership sweep', (now) => {
      this.membership.sweep(now);
      // The rebuilt topology goes out as soon as the rebuild window closes, changed or not.
      if (this.rebuilding && !this.membership.isRebuilding(now)) {
        this.rebuilding = false;
        this.publishTopology();
      }
    });
    this.every(TOPOLOGY_REPUBLISH_MS, 'topology republish', () => this.publishTopology());
    this.every(this.history.intervalMs, 'history sample', (now) =>
      this.history.sample(this.membership.registry.values(), now, this.wallClock()),
    );
    this.publishTopology();
    this.log.info(
      {
        managerId: this.options.managerId,
        router: this.routerEndpoint,
        pub: this.pubEndpoint,
        version: this.membership.book.version,
        ...this.membership.timings,
      },
      'node manager listening',
    );
  }

  /** True while both sockets are bound and being read. */
  get isRunning(): boolean {
    return this.state === 'running' && this.routerEndpoint !== null && this.pubEndpoint !== null;
  }

  /** The bound ROUTER address, with the real port when bound to port 0. */
  get routerEndpoint(): string | null {
    return this.router.lastEndpoint;
  }

  get pubEndpoint(): string | null {
    return this.publisher.lastEndpoint;
  }

  /** What GET /cluster serves. */
  cluster(): ClusterView {
    const identity = {
      id: this.options.managerId,
      router: this.routerEndpoint,
      pub: this.pubEndpoint,
      startedAt: this.startedAt,
    };
    return clusterView(this.membership, this.counters, identity, this.history, this.clock());
  }

  /** What GET /cluster/series serves. */
  series(): ClusterSeries {
    return this.history.series();
  }

  /** Stops the timers, gives queued replies a moment to leave, closes both sockets. Idempotent. */
  async close(): Promise<void> {
    if (this.state === 'closing' || this.state === 'closed') return;
    const wasRunning = this.state === 'running';
    this.state = 'closing';
    for (const timer of this.timers) clearInterval(timer);
    if (wasRunning) {
      let flushTimer: NodeJS.Timeout | undefined;
      await Promise.race([
        Promise.all([this.replies.whenIdle(), this.topologyOut.whenIdle()]),
        new Promise<void>((resolve) => (flushTimer = setTimeout(resolve, CLOSE_FLUSH_MS))),
      ]);
      clearTimeout(flushTimer);
    }
    this.replies.close();
    this.topologyOut.close();
    this.router.close();
    this.publisher.close();
    await this.reader;
    await Promise.all(this.zapDomains.map((domain) => releaseCurveServer(domain)));
    this.zapDomains = [];
    this.state = 'closed';
    this.log.info({ managerId: this.options.managerId }, 'node manager closed');
  }

  /** Handles one message off the ROUTER. Never throws for what a member sends: malformed input is counted. */
  handle(frames: Buffer[], now: number): void {
    const inbound = this.parse(frames);
    if (!inbound) return;
    const { routingId, message } = inbound;
    if (this.memberKeys !== null && !this.memberKeys.allows(routingId, message)) return;
    let reply: NmReply | null;
    switch (message.command) {
      case BroadcastCommand.REGISTER:
        reply = this.membership.register(routingId, message.body, now);
        break;
      case BroadcastCommand.HEARTBEAT:
        reply = this.membership.heartbeat(routingId, message.body, now);
        break;
      case BroadcastCommand.DRAIN:
        reply = this.membership.drain(routingId, message.body, now);
        break;
      case BroadcastCommand.GET_TOPOLOGY:
        reply = this.membership.topologyReply(now);
        break;
    }
    if (reply) this.replies.push([routingId, bcastHeader(reply.command), reply.body]);
  }

  /** The message, or null when it is malformed: counted by reason and dropped. */
  private parse(frames: Buffer[]): Inbound | null {
    try {
      return parseInbound(frames);
    } catch (error) {
      if (!(error instanceof MalformedMessage)) throw error;
      this.counters.malformed[error.reason] += 1;
      this.log.debug({ reason: error.reason, detail: error.message }, 'malformed message dropped');
      return null;
    }
  }

  private publishTopology(): void {
    if (this.state !== 'running' || this.membership.isRebuilding(this.clock())) return;
    this.counters.topologyPublished += 1;
    this.topologyOut.push([TOPOLOGY_TOPIC, this.membership.book.encode()]);
  }

  /** The one reader of the ROUTER: a bad message is counted, a bug is logged. */
  private readLoop(): Promise<void> {
    return readLoop(
      this.router,
      () => this.state === 'running',
      (frames) => this.handle(frames, this.clock()),
      logReadFailures(this.log, 'router'),
    );
  }

  private every(intervalMs: number, name: string, tick: (now: number) => void): void {
    const timer = setInterval(() => {
      try {
        tick(this.clock());
      } catch (error) {
        this.log.error({ timer: name, err: error }, 'timer failed');
      }
    }, intervalMs);
    timer.unref();
    this.timers.push(timer);
  }
}
