import type { BusSecurity } from '@live-im/config';
import { broadcastCurveOptions } from '../membership/bus-keys';
import { BROADCAST_MESSAGE_LIMITS } from '../socket/message-limits';
import { type Lane, SubscriberLoad, Topology } from '@live-im/contracts';
import { BroadcastLogger } from '../socket/broadcast-logger';
import { readLoop } from '@live-im/zmq-transport';
import { Subscriber } from 'zeromq';
import { LANE_NAMES } from '../lane';
import { ClusterMembership } from '../membership/cluster-membership';
import { BatchMeta, decodeBatchMeta, FrameError, roomOfTopic, roomTopic } from '../protocol/frames';
import { describeError } from '../socket/describe-error';
import { monotonicMs } from '../socket/monotonic-clock';
import { DEFAULT_LOSS_SETTLE_MS, LaneReorderBuffer, ReorderSink } from './lane-reorder-buffer';
import { RoomBatch, SeqGap } from './room-batch';
import { DEFAULT_LOSS_BOARD_ROOMS, RoomLoss, RoomLossBoard } from './room-loss-board';
import { subscriptionTargets } from './subscription-targets';

export const DEFAULT_REORDER_WINDOW_MS = 100;

export interface RoomSubscriberOptions {
  /** CURVE towards the nodes or relays and the node manager; plain when absent or off. */
  security?: BusSecurity;
  managerRouter: string;
  managerPub: string;
  /** This subscriber's member id (e.g. `gateway-<pod>`). */
  id: string;
  /** Relays of this region are used instead of the broadcast nodes when there are any. */
  region: string;
  heartbeatMs?: number;
  /** How long a batch ahead of a missing seq waits for it. Default 100 (REORDER_WINDOW_MS). */
  reorderWindowMs?: number;
  /** How long a reported gap waits for late seqs before what is missing counts as lost. Default 5000. */
  lossSettleMs?: number;
  /** Rooms whose losses are remembered one by one (the worst when more lost). Default 256. */
  lossBoardRooms?: number;
  /** Batches the SUB socket holds before the node drops for it. Default 100 000. */
  receiveHighWaterMark?: number;
  /** Connections and biggest rooms reported to the node manager with each heartbeat. */
  subscriberLoad?: () => SubscriberLoad;
  logger?: BroadcastLogger;
}

export interface RoomSubscriberStats {
  /** Batches handed to the batch listeners. */
  delivered: number;
  gaps: number;
  /** Seqs of reported gaps that never arrived (settled), per lane: messages this subscriber lost. */
  lost: Record<Lane, number>;
  /** Seqs of reported gaps that arrived afterwards, per lane: not lost, too late to deliver in order. */
  late: Record<Lane, number>;
  /** Batches whose seqs were all delivered already. */
  duplicates: number;
  /** Messages that broke BCAST/1 (frames, topic, batch meta). */
  malformed: number;
  /** Batches of rooms no longer joined (in flight when the last member left). */
  unjoined: number;
  rooms: number;
  /** Nodes (or relays) whose connection completed its handshake. */
  connected: number;
}

export type BatchListener = (batch: RoomBatch) => void;
export type GapListener = (gap: SeqGap) => void;

/**
 * A gateway joins one of these per room and per user channel of each connected user, so it is kept
 * small: its lanes' reorder buffers are made by the lane's first batch (most user channels never
 * get one), and the topic is rebuilt from the room id when it is unsubscribed.
 */
interface JoinedRoom {
  roomId: string;
  members: number;
  /** Indexed by LaneCode; undefined until the room's first batch, each lane until its own. */
  lanes?: [LaneReorderBuffer | undefined, LaneReorderBuffer | undefined];
}

/**
 * A gateway's receiving end (docs/broadcast-protocol.md "Subscribers"): one SUB socket connected
 * to every serving broadcast node (or the region's relays), subscribed to the rooms that have local
 * members, delivering each room lane's batches in seq order with their bodies untouched.
 */
export class RoomSubscriber {
  readonly membership: ClusterMembership;
  private readonly socket: Subscriber;
  private readonly logger: BroadcastLogger;
  private readonly reorderWindowMs: number;
  private readonly region: string;
  /**
   * By room id, the id being the one string per room that callers keep too (an inbound batch's
   * topic is read back to its room id, which costs what reading it as a key would).
   */
  private readonly rooms = new Map<string, JoinedRoom>();
  /** Node id → the pub endpoint connected to. */
  private readonly targets = new Map<string, string>();
  private readonly handshaken = new Set<string>();
  private readonly waitingLanes = new Set<LaneReorderBuffer>();
  /** Lanes with reported gaps that have not settled yet. */
  private readonly settlingLanes = new Set<LaneReorderBuffer>();
  private readonly batchListeners = new Set<BatchListener>();
  private readonly gapListeners = new Set<GapListener>();
  private readonly sink: ReorderSink;
  private readonly counters = { delivered: 0, gaps: 0, duplicates: 0, malformed: 0, unjoined: 0 };
  private readonly lost: Record<Lane, number> = { normal: 0, important: 0 };
  private readonly late: Record<Lane, number> = { normal: 0, important: 0 };
  private readonly lossBoard: RoomLossBoard;
  private readonly lossSettleMs: number;
  private sweepTimer: NodeJS.Timeout | undefined;
  private settleTimer: NodeJS.Timeout | undefined;
  private started = false;
  private closed = false;

  constructor(options: RoomSubscriberOptions) {
    this.logger = options.logger ?? console;
    this.reorderWindowMs = options.reorderWindowMs ?? DEFAULT_REORDER_WINDOW_MS;
    this.region = options.region;
    this.lossSettleMs = options.lossSettleMs ?? DEFAULT_LOSS_SETTLE_MS;
    this.lossBoard = new RoomLossBoard(options.lossBoardRooms ?? DEFAULT_LOSS_BOARD_ROOMS);
    this.socket = new Subscriber({
      linger: 0,
      receiveHighWaterMark: options.receiveHighWaterMark ?? 100_000,
      maxMessageSize: BROADCAST_MESSAGE_LIMITS.deliveryBytes,
      ...broadcastCurveOptions(options.security),
    });
    this.membership = new ClusterMembership({
      managerRouter: options.managerRouter,
      managerPub: options.managerPub,
      self: { id: options.id, kind: 'subscriber', region: options.region },
      heartbeatMs: options.heartbeatMs,
      connected: () => [...this.handshaken],
      subscriberLoad: options.subscriberLoad,
      logger: this.logger,
      security: options.security,
    });
    this.sink = {
      deliver: (batch) => this.deliver(batch),
      gap: (gap) => this.reportGap(gap),
      duplicate: () => {
        this.counters.duplicates += 1;
      },
      lost: (gap, seqs) => {
        this.lost[gap.lane] += seqs;
        this.lossBoard.add(gap.roomId, gap.lane, seqs);
      },
      late: (gap, seqs) => {
        this.late[gap.lane] += seqs;
      },
    };
    this.membership.onTopology((topology) => this.follow(topology));
  }

  /** Connects and starts following the cluster; resolves at once. */
  async start(): Promise<void> {
    if (this.started || this.closed) return;
    this.started = true;
    this.socket.events.on('handshake', ({ address }) => this.onConnection(address, true));
    this.socket.events.on('disconnect', ({ address }) => this.onConnection(address, false));
    void this.read();
    await this.membership.start();
  }

  /**
   * A member of the room arrived; the first one subscribes. Returns the room id as the first member
   * gave it: one string per room for callers that keep the id per member.
   */
  join(roomId: string): string {
    const room = this.rooms.get(roomId);
    if (room !== undefined) {
      room.members += 1;
      return room.roomId;
    }
    const topic = roomTopic(roomId);
    if (roomOfTopic(topic) !== roomId) throw new FrameError('room id must match [A-Za-z0-9_-]{1,64}');
    this.rooms.set(roomId, { roomId, members: 1 });
    if (!this.closed) this.socket.subscribe(topic);
    return roomId;
  }

  /**
   * A member of the room left; the last one unsubscribes and forgets the room's seqs (its open
   * gaps settle: what never arrived is lost).
   */
  leave(roomId: string): void {
    const room = this.rooms.get(roomId);
    if (room === undefined) return;
    room.members -= 1;
    if (room.members > 0) return;
    this.rooms.delete(roomId);
    for (const lane of room.lanes ?? []) {
      if (lane === undefined) continue;
      this.waitingLanes.delete(lane);
      this.settlingLanes.delete(lane);
      lane.discard();
    }
    if (!this.closed) this.socket.unsubscribe(roomTopic(roomId));
  }

  /** Members counted for a room (0 when not joined). */
  membersOf(roomId: string): number {
    return this.rooms.get(roomId)?.members ?? 0;
  }

  onBatch(listener: BatchListener): () => void {
    this.batchListeners.add(listener);
    return () => {
      this.batchListeners.delete(listener);
    };
  }

  onGap(listener: GapListener): () => void {
    this.gapListeners.add(listener);
    return () => {
      this.gapListeners.delete(listener);
    };
  }

  /** Ids of the nodes (or relays) whose connection completed its handshake. */
  get connected(): string[] {
    return [...this.handshaken];
  }

  get stats(): RoomSubscriberStats {
    return {
      ...this.counters,
      lost: { ...this.lost },
      late: { ...this.late },
      rooms: this.rooms.size,
      connected: this.handshaken.size,
    };
  }

  /** The `limit` rooms that lost the most messages since start (docs/broadcast-protocol.md "Losses"). */
  roomLosses(limit: number): RoomLoss[] {
    return this.lossBoard.top(limit);
  }

  /** Messages one room lost since start, per lane (zeros when none or no longer tracked). */
  lossOf(roomId: string): RoomLoss {
    return this.lossBoard.of(roomId);
  }

  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    clearInterval(this.sweepTimer);
    this.sweepTimer = undefined;
    clearInterval(this.settleTimer);
    this.settleTimer = undefined;
    this.waitingLanes.clear();
    this.settlingLanes.clear();
    await this.membership.close();
    this.socket.close();
  }

  /** Connects to nodes that appeared, disconnects from those that left or moved. */
  private follow(topology: Topology): void {
    if (this.closed) return;
    const wanted = subscriptionTargets(topology, this.region);
    for (const [id, endpoint] of this.targets) {
      if (wanted.get(id) === endpoint) continue;
      this.targets.delete(id);
      this.handshaken.delete(id);
      this.disconnect(id, endpoint);
    }
    for (const [id, endpoint] of wanted) {
      if (this.targets.has(id)) continue;
      this.targets.set(id, endpoint);
      try {
        this.socket.connect(endpoint);
        this.logger.log(`subscriber: connecting to ${id} at ${endpoint}`);
      } catch (error) {
        this.logger.error(`subscriber: cannot connect to ${id} at ${endpoint}: ${describeError(error)}`);
      }
    }
  }

  private disconnect(id: string, endpoint: string): void {
    try {
      this.socket.disconnect(endpoint);
      this.logger.log(`subscriber: disconnected from ${id}`);
    } catch (error) {
      // Never completed (e.g. a name that did not resolve): nothing to undo.
      this.logger.warn(`subscriber: disconnecting from ${id} failed: ${describeError(error)}`);
    }
  }

  private onConnection(address: string, up: boolean): void {
    for (const [id, endpoint] of this.targets) {
      if (endpoint !== address) continue;
      if (up) this.handshaken.add(id);
      else this.handshaken.delete(id);
    }
  }

  private read(): Promise<void> {
    return readLoop(
      this.socket,
      () => !this.closed,
      (frames) => this.onMessage(frames),
      {
        handling: (error) =>
          this.logger.error(`subscriber: handling a batch failed: ${describeError(error)}`),
        receiving: (error) =>
          this.logger.error(`subscriber: receiving failed, reading on: ${describeError(error)}`),
      },
    );
  }

  private onMessage(frames: Buffer[]): void {
    const [topic, metaFrame, body] = frames;
    if (frames.length !== 3 || topic === undefined || metaFrame === undefined || body === undefined) {
      this.counters.malformed += 1;
      return;
    }
    const roomId = roomOfTopic(topic);
    if (roomId === undefined) {
      this.counters.malformed += 1;
      return;
    }
    const room = this.rooms.get(roomId);
    if (room === undefined) {
      this.counters.unjoined += 1;
      return;
    }
    let meta: BatchMeta;
    try {
      meta = decodeBatchMeta(metaFrame);
    } catch {
      this.counters.malformed += 1;
      return;
    }
    const lanes = (room.lanes ??= [undefined, undefined]);
    const lane = (lanes[meta.lane] ??= new LaneReorderBuffer(this.sink, this.lossSettleMs));
    const batch: RoomBatch = {
      roomId: room.roomId,
      lane: LANE_NAMES[meta.lane],
      firstSeq: meta.firstSeq,
      lastSeq: meta.lastSeq,
      count: meta.count,
      body,
    };
    if (lane.offer(batch, monotonicMs())) this.wait(lane);
  }

  private wait(lane: LaneReorderBuffer): void {
    this.waitingLanes.add(lane);
    if (this.sweepTimer !== undefined || this.closed) return;
    // One timer for every waiting lane, running only while some wait; a tenth of the window is
    // the precision of gap reports.
    this.sweepTimer = setInterval(() => this.sweep(), Math.max(1, Math.floor(this.reorderWindowMs / 10)));
    this.sweepTimer.unref();
  }

  private sweep(): void {
    const now = monotonicMs();
    for (const lane of this.waitingLanes) {
      try {
        lane.expire(now, this.reorderWindowMs);
      } catch (error) {
        this.logger.error(`subscriber: releasing waiting batches failed: ${describeError(error)}`);
      }
      if (!lane.hasWaiting) this.waitingLanes.delete(lane);
      if (lane.hasOpenGaps) this.settleLater(lane);
    }
    if (this.waitingLanes.size === 0) {
      clearInterval(this.sweepTimer);
      this.sweepTimer = undefined;
    }
  }

  private settleLater(lane: LaneReorderBuffer): void {
    this.settlingLanes.add(lane);
    if (this.settleTimer !== undefined || this.closed) return;
    // Settling needs no precision: a twentieth of the settle time, and only while gaps are open.
    this.settleTimer = setInterval(() => this.settle(), Math.max(10, Math.floor(this.lossSettleMs / 20)));
    this.settleTimer.unref();
  }

  private settle(): void {
    const now = monotonicMs();
    for (const lane of this.settlingLanes) {
      try {
        lane.settle(now);
      } catch (error) {
        this.logger.error(`subscriber: settling gaps failed: ${describeError(error)}`);
      }
      if (!lane.hasOpenGaps) this.settlingLanes.delete(lane);
    }
    if (this.settlingLanes.size === 0) {
      clearInterval(this.settleTimer);
      this.settleTimer = undefined;
    }
  }

  private deliver(batch: RoomBatch): void {
    this.counters.delivered += 1;
    for (const listener of this.batchListeners) {
      try {
        listener(batch);
      } catch (error) {
        this.logger.error(`subscriber: a batch listener failed: ${describeError(error)}`);
      }
    }
  }

  private reportGap(gap: SeqGap): void {
    this.counters.gaps += 1;
    for (const listener of this.gapListeners) {
      try {
        listener(gap);
      } catch (error) {
        this.logger.error(`subscriber: a gap listener failed: ${describeError(error)}`);
      }
    }
  }
}
