import type { BusSecurity } from '@live-im/config';
import { releaseNodeSockets, secureNodeSocket } from '../shared/bus-policies';
import {
  BATCH_META_LENGTH,
  batchMetaCount,
  BROADCAST_MESSAGE_LIMITS,
  decodeBatchMeta,
  decodeMessageMeta,
  LaneCode,
  decodeRunMeta,
  LANE_NAMES,
  type MessageMeta,
  rendezvousOwner,
} from '@live-im/broadcast';
import type { NodeLoad, Topology } from '@live-im/contracts';
import { performance } from 'node:perf_hooks';
import { Pull, XPublisher } from 'zeromq';
import type { ClusterNode } from '../shared/cluster-node';
import {
  countPeerDisconnects,
  logReadFailures,
  readLoop,
  SerialSender,
  SILENT_STRUCTURED_LOGGER,
} from '@live-im/zmq-transport';
import type { NodeLogger } from '../shared/node-logger';
import { SubscriptionBook } from '../shared/subscription-book';
import { DEFAULT_MERGE_LIMITS, type MergeLimits } from './merge-limits';
import type { NodeCounters } from './node-counters';
import { RoomMerger, type BatchObserver } from './room-merger';
import { isRoomStatePush, RoomStateRelay } from './room-state-relay';

export interface BroadcastNodeOptions extends Partial<MergeLimits> {
  nodeId: string;
  /** CURVE on the PULL (publisher keys) and the XPUB (subscriber keys); plain when absent or off. */
  security?: BusSecurity;
  /** Where publishers PUSH, e.g. `tcp://0.0.0.0:5570` (`tcp://127.0.0.1:0` picks a free port). */
  pullBind: string;
  /** Where subscribers and relays SUB, e.g. `tcp://0.0.0.0:5571`. */
  pubBind: string;
  /** Frames ZeroMQ holds for one slow subscriber before it drops further ones to it. */
  pubHighWaterMark?: number;
  logger?: NodeLogger;
  onBatch?: BatchObserver;
  /** Monotonic milliseconds; tests may pass their own. */
  clock?: () => number;
  /**
   * Test only (TEST_DROP_IMPORTANT_SEQ, refused in production): every important-lane frame of a
   * room (not a user channel) whose range holds this seq is dropped and counted, as a lost frame.
   */
  testDropImportantSeq?: number;
}

type NodeState = 'new' | 'running' | 'closing' | 'closed';

/** How long close() reads on while messages keep arriving, and lets the last frames reach ZeroMQ. */
const CLOSE_FLUSH_MS = 500;
/** A PULL this long without a new message has nothing left for close() to read. */
const READ_QUIET_MS = 20;
/** How long ZeroMQ keeps trying to deliver frames still queued when the socket closes. */
const PUB_LINGER_MS = 1000;

/** Messages in one published frame set (topic, batch meta, body): the batch meta's count. */
function messagesOf(frames: Buffer[]): number {
  const meta = frames[1];
  return meta !== undefined && meta.length === BATCH_META_LENGTH ? batchMetaCount(meta) : 0;
}

/**
 * A broadcast node: PULL bound for publishers, XPUB bound for subscribers. The XPUB is verbose
 * both ways, so every subscriber's subscribe and unsubscribe is seen and counted per room; the
 * merge logic itself lives in RoomMerger, driven by the PULL reader and one merge-window interval.
 */
export class BroadcastNode implements ClusterNode {
  readonly kind = 'broadcast';
  readonly merger: RoomMerger;
  readonly subscriptions = new SubscriptionBook();
  readonly roomStates: RoomStateRelay;
  /** Frames the test hook dropped (testDropImportantSeq). */
  droppedByTestHook = 0;
  private readonly pull: Pull;
  private readonly pub: XPublisher;
  private readonly out: SerialSender;
  private readonly log: NodeLogger;
  private readonly clock: () => number;
  private readonly limits: MergeLimits;
  private readers: Promise<void>[] = [];
  private ticker: NodeJS.Timeout | undefined;
  private state: NodeState = 'new';
  /** The ZAP domains of the PULL and the XPUB while the bus is secured. */
  private zapDomains: Array<string | undefined> = [];
  /** Messages in frames queued for the XPUB and not handed to it yet: lost if close() gives up on them. */
  private unsentMessages = 0;

  constructor(private readonly options: BroadcastNodeOptions) {
    this.limits = {
      windowMs: options.windowMs ?? DEFAULT_MERGE_LIMITS.windowMs,
      maxMessages: options.maxMessages ?? DEFAULT_MERGE_LIMITS.maxMessages,
      capPerSec: options.capPerSec ?? DEFAULT_MERGE_LIMITS.capPerSec,
      capPerSubscriber: options.capPerSubscriber ?? DEFAULT_MERGE_LIMITS.capPerSubscriber,
      reorderHoldMs: options.reorderHoldMs ?? DEFAULT_MERGE_LIMITS.reorderHoldMs,
    };
    this.log = options.logger ?? SILENT_STRUCTURED_LOGGER;
    this.clock = options.clock ?? (() => performance.now());
    // linger 0: what publishers sent and we have not read is theirs to lose; the log has it.
    this.pull = new Pull({
      linger: 0,
      receiveHighWaterMark: 10_000,
      maxMessageSize: BROADCAST_MESSAGE_LIMITS.publishBytes,
    });
    this.pub = new XPublisher({
      linger: PUB_LINGER_MS,
      sendHighWaterMark: options.pubHighWaterMark ?? 100_000,
      maxMessageSize: BROADCAST_MESSAGE_LIMITS.subscriptionBytes,
    });
    countPeerDisconnects(this.pull, 'broadcast_node_pull');
    countPeerDisconnects(this.pub, 'broadcast_node_pub');
    this.pub.verbosity = 'allSubsUnsubs';
    this.roomStates = new RoomStateRelay(
      (roomId) => this.subscriptions.subscribersOf(roomId),
      (frames) => this.out.push(frames),
    );
    const pub = this.pub;
    const sink = {
      send: async (frames: Buffer[]): Promise<void> => {
        await pub.send(frames);
        this.unsentMessages -= messagesOf(frames);
      },
    };
    this.out = new SerialSender(sink, (frames, error) => {
      this.unsentMessages -= messagesOf(frames);
      this.merger.counters.sendFailures += 1;
      this.log.warn({ err: error }, 'XPUB refused a frame');
    });
    const dropSeq = options.testDropImportantSeq;
    this.merger = new RoomMerger(
      this.limits,
      (frames) => {
        if (dropSeq !== undefined && this.dropsForTest(frames, dropSeq)) return;
        this.unsentMessages += messagesOf(frames);
        this.out.push(frames);
      },
      options.onBatch,
      this.log.isLevelEnabled === undefined
        ? undefined
        : (meta, runBodyLength) => this.traced(meta, runBodyLength),
    );
  }

  private dropsForTest(frames: Buffer[], seq: number): boolean {
    const [topic, meta] = frames;
    if (topic === undefined || meta === undefined || topic[2] === 0x5f) return false;
    const batch = decodeBatchMeta(meta);
    if (batch.lane !== LaneCode.important || seq < batch.firstSeq || seq > batch.lastSeq) return false;
    this.droppedByTestHook += batch.count;
    this.log.warn({ topic: topic.toString('latin1'), seq }, 'test hook dropped an important frame');
    return true;
  }

  /** Messages that name their request: at debug level, a line follows each from publisher to node. */
  private traced(meta: Buffer, runBodyLength?: number): void {
    if (this.log.isLevelEnabled?.('debug') !== true) return;
    let messages: MessageMeta[];
    try {
      messages =
        runBodyLength === undefined ? [decodeMessageMeta(meta)] : this.runMessages(meta, runBodyLength);
    } catch {
      return; // A trace id with a forbidden character: the messages still go, unlogged.
    }
    for (const { traceId, roomId, lane, seq } of messages) {
      if (traceId)
        this.log.debug({ reqId: traceId, roomId, lane: LANE_NAMES[lane], seq }, 'message received');
    }
  }

  private runMessages(meta: Buffer, bodyLength: number): MessageMeta[] {
    const run = decodeRunMeta(meta, bodyLength);
    return run.lengths.map((_, i) => ({
      roomId: run.roomId,
      lane: run.lane,
      seq: run.firstSeq + i,
      traceId: run.traceIds?.[i],
    }));
  }

  async start(): Promise<void> {
    if (this.state !== 'new') throw new Error(`broadcast node cannot start from state ${this.state}`);
    this.state = 'running';
    try {
      this.zapDomains = [
        await secureNodeSocket(this.pull, 'broadcast_input', this.options.security),
        await secureNodeSocket(this.pub, 'broadcast_output', this.options.security),
      ];
      await this.pull.bind(this.options.pullBind);
      await this.pub.bind(this.options.pubBind);
    } catch (error) {
      await this.close();
      throw error;
    }
    const running = () => this.state === 'running';
    this.readers = [
      readLoop(
        this.pull,
        running,
        (frames) =>
          isRoomStatePush(frames)
            ? this.roomStates.accept(frames)
            : this.merger.acceptPush(frames, this.clock()),
        logReadFailures(this.log, 'pull'),
      ),
      readLoop(this.pub, running, (frames) => this.onSubscription(frames), logReadFailures(this.log, 'xpub')),
    ];
    // One interval closes every due window and hold; a fifth of the shorter keeps the lateness small.
    const { windowMs, reorderHoldMs } = this.limits;
    const tickMs = Math.max(
      1,
      Math.floor((reorderHoldMs > 0 ? Math.min(windowMs, reorderHoldMs) : windowMs) / 5),
    );
    this.ticker = setInterval(() => this.merger.expire(this.clock()), tickMs);
    this.log.info(
      { nodeId: this.options.nodeId, pull: this.pullEndpoint, pub: this.pubEndpoint, ...this.limits },
      'broadcast node listening',
    );
  }

  get isRunning(): boolean {
    return this.state === 'running' && this.pull.lastEndpoint !== null && this.pub.lastEndpoint !== null;
  }

  get pullEndpoint(): string | null {
    return this.pull.lastEndpoint;
  }

  get pubEndpoint(): string | null {
    return this.pub.lastEndpoint;
  }

  get counters(): Readonly<NodeCounters> {
    return this.merger.counters;
  }

  /**
   * Rooms another active node now owns are released at once (docs "Rendezvous"): their windows and
   * the messages waiting for a missing seq are published, and their seq positions forgotten.
   */
  applyTopology(topology: Topology): void {
    const active = topology.nodes
      .filter((n) => n.kind === 'broadcast' && n.state === 'active')
      .map((n) => n.id);
    const self = this.options.nodeId;
    const released = this.merger.flushWhere((room) => {
      const owner = rendezvousOwner(room.roomId, active);
      return owner !== undefined && owner !== self;
    }, this.clock());
    if (released > 0)
      this.log.debug({ version: topology.version, released }, 'released rooms now owned elsewhere');
  }

  load(): NodeLoad {
    const c = this.merger.counters;
    return {
      msgsIn: c.msgsIn,
      msgsOut: c.msgsOut,
      batchesOut: c.batchesOut,
      importantIn: c.importantIn,
      normalIn: c.normalIn,
      droppedCap: c.droppedCap,
      noSubscriber: c.noSubscriber,
      malformed: c.malformed,
      rooms: this.subscriptions.rooms,
      subscriptions: this.subscriptions.subscriptions,
    };
  }

  connected(): string[] {
    return [];
  }

  /** Stops reading, publishes every open window, lets the frames reach ZeroMQ, closes. */
  async close(): Promise<void> {
    if (this.state === 'closing' || this.state === 'closed') return;
    const wasRunning = this.state === 'running';
    this.state = 'closing';
    clearInterval(this.ticker);
    // Messages publishers sent before they moved away are read (and published below), not dropped
    // with the socket: the read loop goes on until a quiet READ_QUIET_MS, for at most CLOSE_FLUSH_MS.
    // (Asking the socket whether it is readable would steal the reader's wake-up.)
    if (wasRunning) await this.readUntilQuiet(performance.now() + CLOSE_FLUSH_MS);
    this.pull.close();
    await releaseNodeSockets(this.zapDomains.splice(0, 1));
    if (wasRunning) {
      const flushed = this.merger.flushAll(this.clock());
      let timer: NodeJS.Timeout | undefined;
      await Promise.race([
        this.out.whenIdle(),
        new Promise<void>((resolve) => (timer = setTimeout(resolve, CLOSE_FLUSH_MS))),
      ]);
      clearTimeout(timer);
      this.log.info({ flushed }, 'flushed every room lane');
    }
    // What the send queue still holds is dropped with it: counted, and said, since this node's
    // /metrics is about to go (subscribers see the seqs as a gap).
    if (this.unsentMessages > 0) {
      this.merger.counters.droppedShutdown += this.unsentMessages;
      this.log.warn(
        { lostMessages: this.unsentMessages, frames: this.out.depth, waitedMs: CLOSE_FLUSH_MS },
        'closing with messages never handed to the XPUB: lost',
      );
      this.unsentMessages = 0;
    }
    this.out.close();
    this.pub.close();
    await Promise.all(this.readers);
    await releaseNodeSockets(this.zapDomains.splice(0));
    this.state = 'closed';
    this.log.info({ nodeId: this.options.nodeId }, 'broadcast node closed');
  }

  private async readUntilQuiet(deadline: number): Promise<void> {
    let seen = -1;
    while (
      this.merger.counters.msgsIn + this.merger.counters.malformed !== seen &&
      performance.now() < deadline
    ) {
      seen = this.merger.counters.msgsIn + this.merger.counters.malformed;
      await new Promise((resolve) => setTimeout(resolve, READ_QUIET_MS));
    }
  }

  private onSubscription(frames: Buffer[]): void {
    const change = this.subscriptions.apply(frames[0]);
    if (change) this.merger.setSubscribers(change.roomId, change.subscribers, this.clock());
  }
}
