import type { BusSecurity } from '@live-im/config';
import { managerCurveOptions, topologyCurveOptions } from './bus-keys';
import { BROADCAST_MESSAGE_LIMITS } from '../socket/message-limits';
import {
  HeartbeatBody,
  NodeLoad,
  NodeState,
  RegisterBody,
  SubscriberLoad,
  Topology,
} from '@live-im/contracts';
import { BroadcastLogger } from '../socket/broadcast-logger';
import { Dealer, Subscriber } from 'zeromq';
import { z } from 'zod';
import { BroadcastCommand, TOPOLOGY_TOPIC } from '../protocol/commands';
import { FrameError, nmMessage, readBcastHeader } from '../protocol/frames';
import { describeError } from '../socket/describe-error';
import { monotonicMs } from '../socket/monotonic-clock';
import { readLoop, type ReadFailures, SerialSender } from '@live-im/zmq-transport';
import { HeartbeatAck, TopologyReply } from './manager-replies';
import { TopologyTracker } from './topology-tracker';

export interface ClusterMembershipOptions {
  /** The node manager's ROUTER (NM/1). */
  managerRouter: string;
  /** The node manager's PUB (topic `topology`). */
  managerPub: string;
  self: RegisterBody;
  /** HEARTBEAT period. Default 1000. */
  heartbeatMs?: number;
  /** Counters and gauges sent with each heartbeat (broadcast nodes). */
  load?: () => NodeLoad;
  /** Ids of the nodes whose pub endpoint this member is connected to (subscribers, relays). */
  connected?: () => string[];
  /** Connections and biggest rooms sent with each heartbeat (subscribers). */
  subscriberLoad?: () => SubscriberLoad;
  logger?: BroadcastLogger;
  /** CURVE towards the node manager (its key from the trust list); plain when absent or off. */
  security?: BusSecurity;
}

export type TopologyListener = (topology: Topology, previous: Topology | undefined) => void;

export interface ClusterMembershipStats {
  /** Inbound messages or bodies that broke NM/1 or its schemas; dropped. */
  malformed: number;
  /** REGISTER messages handed to the socket. */
  registers: number;
  heartbeats: number;
  /** Messages the socket refused (manager not connected): dropped, the protocol repeats itself. */
  unsent: number;
  /** Topologies accepted (newer versions, and resets). */
  topologies: number;
  /** Topologies ignored for being older than the one held. */
  stale: number;
}

const SILENT_HEARTBEATS = 3;
const DEFAULT_HEARTBEAT_MS = 1000;

/**
 * The NM/1 client of one cluster member (docs/broadcast-protocol.md "Node manager"): registers
 * with the node manager, heartbeats, and follows the topology from both REGISTERED/TOPOLOGY replies
 * and the manager's PUB. It never waits for the manager: when it is down the member keeps the last
 * topology, and when it comes back (or answers UNKNOWN) the member registers again, carrying the
 * state the last topology gave it, so the manager rebuilds its view.
 */
export class ClusterMembership {
  private readonly dealer: Dealer;
  private readonly subscriber: Subscriber;
  private readonly sender: SerialSender;
  private readonly tracker: TopologyTracker;
  private readonly listeners = new Set<TopologyListener>();
  private readonly self: RegisterBody;
  private readonly heartbeatMs: number;
  private readonly logger: BroadcastLogger;
  private readonly counters: ClusterMembershipStats = {
    malformed: 0,
    registers: 0,
    heartbeats: 0,
    unsent: 0,
    topologies: 0,
    stale: 0,
  };
  /** REGISTERED came since the last (re)connection; until then ticks send REGISTER, not HEARTBEAT. */
  private registered = false;
  private managerUp = false;
  private drainRequested = false;
  private lastHeardAt = Number.NEGATIVE_INFINITY;
  private lastTickAt = 0;
  private timer: NodeJS.Timeout | undefined;
  private started = false;
  private closed = false;

  constructor(private readonly options: ClusterMembershipOptions) {
    // A wrong identity is a deployment error: refuse it at boot rather than be refused by the manager.
    this.self = RegisterBody.parse(options.self);
    this.heartbeatMs = options.heartbeatMs ?? DEFAULT_HEARTBEAT_MS;
    this.logger = options.logger ?? console;
    this.tracker = new TopologyTracker(SILENT_HEARTBEATS * this.heartbeatMs);
    // `immediate` and a zero send timeout: a REGISTER or HEARTBEAT the manager cannot take now is
    // dropped, not parked in the pipe to reach a restarted manager as a stale burst.
    this.dealer = new Dealer({
      linger: 0,
      immediate: true,
      sendTimeout: 0,
      sendHighWaterMark: 100,
      maxMessageSize: BROADCAST_MESSAGE_LIMITS.topologyBytes,
      ...managerCurveOptions(options.security),
    });
    this.subscriber = new Subscriber({
      linger: 0,
      maxMessageSize: BROADCAST_MESSAGE_LIMITS.topologyBytes,
      ...topologyCurveOptions(options.security),
    });
    this.sender = new SerialSender(this.dealer, () => {
      this.counters.unsent += 1;
    });
  }

  get id(): string {
    return this.self.id;
  }

  /** The newest topology seen, from the manager's replies or its PUB. */
  get topology(): Topology | undefined {
    return this.tracker.current;
  }

  /** This member's state in the newest topology (broadcast nodes and relays only). */
  get selfState(): NodeState | undefined {
    return this.tracker.current?.nodes.find((node) => node.id === this.self.id)?.state;
  }

  /** Whether the manager answered within the last 3 heartbeat periods. */
  get managerReachable(): boolean {
    return this.managerUp;
  }

  get stats(): Readonly<ClusterMembershipStats> {
    return this.counters;
  }

  /** Called with each newer topology; returns the unsubscribe function. */
  onTopology(listener: TopologyListener): () => void {
    this.listeners.add(listener);
    return () => {
      this.listeners.delete(listener);
    };
  }

  /** Connects both sockets and starts heartbeats; resolves at once, whether the manager is up or not. */
  async start(): Promise<void> {
    if (this.started || this.closed) return;
    this.started = true;
    // Each new connection may lead to a restarted manager that has never heard of us: register at once.
    this.dealer.events.on('handshake', () => {
      if (this.closed) return;
      this.registered = false;
      this.register();
    });
    this.subscriber.subscribe(TOPOLOGY_TOPIC);
    this.dealer.connect(this.options.managerRouter);
    this.subscriber.connect(this.options.managerPub);
    void this.readReplies();
    void this.readTopologies();
    this.lastTickAt = monotonicMs();
    this.timer = setInterval(() => this.tick(), this.heartbeatMs);
    this.timer.unref();
  }

  /** Asks the manager to take this node out of the rendezvous set (it keeps publishing). */
  drain(): void {
    this.drainRequested = true;
    this.send(BroadcastCommand.DRAIN, { id: this.self.id });
  }

  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    clearInterval(this.timer);
    this.listeners.clear();
    this.sender.close();
    this.dealer.close();
    this.subscriber.close();
  }

  private tick(): void {
    const now = monotonicMs();
    // A tick this late means this process was blocked, and the manager's answers may sit unread
    // (timers run before socket reads): its silence says nothing until the next tick.
    const stalled = now - this.lastTickAt > 2 * this.heartbeatMs;
    this.lastTickAt = now;
    if (!stalled && this.managerUp && now - this.lastHeardAt > SILENT_HEARTBEATS * this.heartbeatMs) {
      this.managerUp = false;
      // It may come back as a new process: register rather than heartbeat from now on.
      this.registered = false;
      this.logger.warn(
        `membership ${this.self.id}: node manager silent; running on topology v${this.topology?.version ?? '-'}`,
      );
    }
    if (this.registered) this.heartbeat();
    else this.register();
  }

  private register(): void {
    const state = this.drainRequested ? 'draining' : this.selfState;
    const body: RegisterBody = state !== undefined && state !== 'dead' ? { ...this.self, state } : this.self;
    this.counters.registers += 1;
    this.send(BroadcastCommand.REGISTER, body);
  }

  private heartbeat(): void {
    const body: HeartbeatBody = { id: this.self.id };
    try {
      if (this.options.load) body.load = this.options.load();
      if (this.options.connected) body.connected = this.options.connected();
      if (this.options.subscriberLoad) body.subscriberLoad = this.options.subscriberLoad();
    } catch (error) {
      this.logger.error(`membership ${this.self.id}: reading load/connected failed: ${describeError(error)}`);
    }
    this.counters.heartbeats += 1;
    this.send(BroadcastCommand.HEARTBEAT, this.valid(body));
  }

  /**
   * The manager would refuse the whole heartbeat for one bad field: a bad subscriber load (only
   * the dashboard reads it) is left out, anything else leaves the heartbeat bare.
   */
  private valid(body: HeartbeatBody): HeartbeatBody {
    const checked = HeartbeatBody.safeParse(body);
    if (checked.success) return checked.data;
    if (body.subscriberLoad !== undefined) return this.valid({ ...body, subscriberLoad: undefined });
    return { id: this.self.id };
  }

  private send(command: BroadcastCommand, body: unknown): void {
    if (!this.started || this.closed) return;
    this.sender.push(nmMessage(command, body));
  }

  private readReplies(): Promise<void> {
    // A bug in one message's handling (a listener's included) must not stop the only reader.
    return readLoop(
      this.dealer,
      () => !this.closed,
      (frames) => this.onReply(frames),
      this.readFailures('a manager reply'),
    );
  }

  private readTopologies(): Promise<void> {
    return readLoop(
      this.subscriber,
      () => !this.closed,
      (frames) => this.onPublished(frames),
      this.readFailures('a topology'),
    );
  }

  private readFailures(what: string): ReadFailures {
    const prefix = `membership ${this.self.id}`;
    return {
      handling: (error) => this.logger.error(`${prefix}: handling ${what} failed: ${describeError(error)}`),
      receiving: (error) =>
        this.logger.error(`${prefix}: receiving ${what} failed, reading on: ${describeError(error)}`),
    };
  }

  private onReply(frames: Buffer[]): void {
    this.heardFromManager();
    let command: BroadcastCommand;
    try {
      if (frames.length !== 2) throw new FrameError('NM/1 messages are two frames');
      command = readBcastHeader(frames[0]);
    } catch {
      this.counters.malformed += 1;
      return;
    }
    const body = frames[1];
    switch (command) {
      case BroadcastCommand.REGISTERED: {
        const reply = parseBody(TopologyReply, body);
        if (reply === undefined) break;
        this.registered = true;
        this.offer(reply.topology);
        return;
      }
      case BroadcastCommand.TOPOLOGY: {
        const reply = parseBody(TopologyReply, body);
        if (reply === undefined) break;
        this.offer(reply.topology);
        return;
      }
      case BroadcastCommand.HEARTBEAT_ACK: {
        const ack = parseBody(HeartbeatAck, body);
        if (ack === undefined) break;
        // A PUB message can be lost (slow joiner, high-water mark): ask for what we missed.
        if (ack.version > (this.topology?.version ?? -1)) this.send(BroadcastCommand.GET_TOPOLOGY, {});
        return;
      }
      case BroadcastCommand.UNKNOWN:
        this.registered = false;
        this.register();
        return;
      default:
        break;
    }
    this.counters.malformed += 1;
  }

  private onPublished(frames: Buffer[]): void {
    const [topic, body] = frames;
    if (frames.length !== 2 || topic === undefined || body === undefined || !topic.equals(TOPOLOGY_TOPIC)) {
      this.counters.malformed += 1;
      return;
    }
    const topology = parseBody(Topology, body);
    if (topology === undefined) {
      this.counters.malformed += 1;
      return;
    }
    this.heardFromManager();
    this.offer(topology);
  }

  private heardFromManager(): void {
    this.lastHeardAt = monotonicMs();
    if (this.managerUp) return;
    this.managerUp = true;
    this.logger.log(`membership ${this.self.id}: node manager reachable`);
  }

  private offer(topology: Topology): void {
    const previous = this.tracker.current;
    const verdict = this.tracker.offer(topology, monotonicMs());
    if (verdict === 'same') return;
    if (verdict === 'older') {
      this.counters.stale += 1;
      return;
    }
    if (verdict === 'reset') {
      this.logger.warn(
        `membership ${this.self.id}: topology version went back from ${previous?.version} to ${topology.version}; following the restarted manager`,
      );
    }
    this.counters.topologies += 1;
    for (const listener of this.listeners) {
      try {
        listener(topology, previous);
      } catch (error) {
        this.logger.error(`membership ${this.self.id}: a topology listener failed: ${describeError(error)}`);
      }
    }
  }
}

function parseBody<T>(schema: z.ZodType<T>, body: Buffer): T | undefined {
  let json: unknown;
  try {
    json = JSON.parse(body.toString('utf8'));
  } catch {
    return undefined;
  }
  const parsed = schema.safeParse(json);
  return parsed.success ? parsed.data : undefined;
}
