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
import { decodeRoomStateFrame, type RoomState } from '../protocol/room-state';
import { describeError } from '../socket/describe-error';
import { monotonicMs } from '../socket/monotonic-clock';
import { DEFAULT_LOSS_SETTLE_MS, LaneReorderBuffer, ReorderSink } from './lane-reorder-buffer';
import { RoomBatch, SeqGap } from './room-batch';
import { DEFAULT_LOSS_BOARD_ROOMS, RoomLoss, RoomLossBoard } from './room-loss-board';
import {
  channelOwners,
  ChannelOwners,
  channelPlacement,
  isUserChannel,
  sameChannelOwners,
  NO_PLACES,
  type PlaceList,
  PlaceLists,
  SHARED_PLACEMENT,
  subscriptionTargets,
} from './subscription-targets';

export const DEFAULT_REORDER_WINDOW_MS = 100;
/** How long a moved user channel stays subscribed at its previous owner. */
export const DEFAULT_CHANNEL_HANDOVER_MS = 3000;
/**
 * How long a seq a room state names may take to arrive before it counts as lost: the owner reads
 * the seq once the message is logged, possibly before the message reached its node and the node's
 * merge window let it go.
 */
export const DEFAULT_BEACON_GRACE_MS = 300;
/**
 * How long a user channel's gap waits for its late seqs before they count as lost. Longer than a
 * room's: a room's gap is refilled from history, a channel's only by the late message itself,
 * which a loaded room-service worker may publish seconds after another worker's later seqs.
 */
export const DEFAULT_CHANNEL_LOSS_SETTLE_MS = 30_000;

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
  /** The same for user channels, whose late seqs are delivered when they come. Default 30 000. */
  channelLossSettleMs?: number;
  /** How long a seq named by a room state may take to arrive before it is reported as a gap. Default 300. */
  beaconGraceMs?: number;
  /** Rooms whose losses are remembered one by one (the worst when more lost). Default 256. */
  lossBoardRooms?: number;
  /** Batches the SUB socket holds before the node drops for it. Default 100 000. */
  receiveHighWaterMark?: number;
  /**
   * How long a user channel whose owner changed stays subscribed at the previous owner as well
   * (messages a publisher routed there before it saw the change). Default 3000.
   */
  channelHandoverMs?: number;
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
  /**
   * Seqs of reported gaps that arrived afterwards, per lane: not lost, too late to deliver in
   * order (a room's are dropped, a user channel's delivered: `channelLate`).
   */
  late: Record<Lane, number>;
  /** User-channel messages delivered behind their channel's next seq: late, delivered out of order. */
  channelLate: number;
  /** Batches whose seqs were all delivered already. */
  duplicates: number;
  /** Messages that broke BCAST/1 (frames, topic, batch meta). */
  malformed: number;
  /** Batches and room states of rooms no longer joined (in flight when the last member left). */
  unjoined: number;
  /** Room states (seq beacons) received for joined rooms. */
  states: number;
  /** Gaps found because a room state named a seq that had not arrived within the grace (also in `gaps`). */
  beaconGaps: number;
  rooms: number;
  /** Nodes (or relays) whose connection completed its handshake. */
  connected: number;
  /** User channels joined (counted in `rooms` too). */
  channels: number;
  /** User-channel subscriptions made at a new owner after a topology change. */
  channelMoves: number;
}

export type BatchListener = (batch: RoomBatch) => void;
export type GapListener = (gap: SeqGap) => void;
export type RoomStateListener = (state: RoomState) => void;

/** The seqs a room state named and when, waiting for the grace before they are held against the lanes. */
interface SeqClaim {
  seqs: [number, number];
  at: number;
  /** Each lane's next seq when the state came: a lane that moved on since is not stuck. */
  nexts: [number | undefined, number | undefined];
}

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
  /** User channels: where the channel should be subscribed (channelPlacement), a shared list. */
  wanted?: PlaceList;
  /** User channels: where it is subscribed (`wanted` plus places being handed over), a shared list. */
  placed?: PlaceList;
  /** The last room state received. */
  state?: RoomState;
  claim?: SeqClaim;
}

/** A SUB socket connected to one broadcast node only, carrying the user channels that node owns. */
interface ChannelLink {
  nodeId: string;
  endpoint: string;
  socket: Subscriber;
  handshaken: boolean;
}

/** A place a moved channel leaves once the handover is over. */
interface Handover {
  room: JoinedRoom;
  place: string;
  /** monotonicMs */
  at: number;
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
  private readonly stateListeners = new Set<RoomStateListener>();
  /** Rooms whose last state named seqs not delivered yet. */
  private readonly claimedRooms = new Set<JoinedRoom>();
  private claimTimer: NodeJS.Timeout | undefined;
  private readonly beaconGraceMs: number;
  private readonly sink: ReorderSink;
  private readonly counters = {
    delivered: 0,
    gaps: 0,
    duplicates: 0,
    malformed: 0,
    unjoined: 0,
    states: 0,
    beaconGaps: 0,
    channelLate: 0,
  };
  private readonly lost: Record<Lane, number> = { normal: 0, important: 0 };
  private readonly late: Record<Lane, number> = { normal: 0, important: 0 };
  private readonly lossBoard: RoomLossBoard;
  private readonly lossSettleMs: number;
  private readonly channelLossSettleMs: number;
  private readonly channelHandoverMs: number;
  /** CURVE towards the nodes' publish side, for the shared socket and every per-node one. */
  private readonly security: BusSecurity | undefined;
  private readonly receiveHighWaterMark: number;
  /** Node id → its user-channel socket (none while the region's relays carry the channels). */
  private readonly channelLinks = new Map<string, ChannelLink>();
  private owners: ChannelOwners = { relayed: false, active: [], coming: [] };
  /** The place lists user channels share (most channels of a gateway are placed alike). */
  private readonly placeLists = new PlaceLists();
  /** In the order they are due. */
  private handovers: Handover[] = [];
  private handoverTimer: NodeJS.Timeout | undefined;
  private channels = 0;
  private channelMoves = 0;
  private sweepTimer: NodeJS.Timeout | undefined;
  private settleTimer: NodeJS.Timeout | undefined;
  private started = false;
  private closed = false;

  constructor(options: RoomSubscriberOptions) {
    this.logger = options.logger ?? console;
    this.reorderWindowMs = options.reorderWindowMs ?? DEFAULT_REORDER_WINDOW_MS;
    this.beaconGraceMs = options.beaconGraceMs ?? DEFAULT_BEACON_GRACE_MS;
    this.region = options.region;
    this.lossSettleMs = options.lossSettleMs ?? DEFAULT_LOSS_SETTLE_MS;
    this.channelLossSettleMs = options.channelLossSettleMs ?? DEFAULT_CHANNEL_LOSS_SETTLE_MS;
    this.lossBoard = new RoomLossBoard(options.lossBoardRooms ?? DEFAULT_LOSS_BOARD_ROOMS);
    this.channelHandoverMs = options.channelHandoverMs ?? DEFAULT_CHANNEL_HANDOVER_MS;
    this.receiveHighWaterMark = options.receiveHighWaterMark ?? 100_000;
    this.security = options.security;
    this.socket = this.newSocket();
    this.membership = new ClusterMembership({
      managerRouter: options.managerRouter,
      managerPub: options.managerPub,
      self: { id: options.id, kind: 'subscriber', region: options.region },
      heartbeatMs: options.heartbeatMs,
      connected: () => this.connected,
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
      deliveredLate: (batch) => {
        this.counters.channelLate += batch.count;
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
    void this.read(this.socket);
    for (const link of this.channelLinks.values()) this.startLink(link);
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
    // Read back from the topic: a flat copy of the id, where the caller's may be a concatenation
    // (a user channel's `_` + user id) that would keep its parts as long as the subscription.
    const id = roomOfTopic(topic);
    if (id !== roomId) throw new FrameError('room id must match [A-Za-z0-9_-]{1,64}');
    if (isUserChannel(id)) {
      // Every field made now: one added later would give each channel a property store of its own.
      const channel: JoinedRoom = { roomId: id, members: 1, wanted: NO_PLACES, placed: NO_PLACES };
      this.rooms.set(id, channel);
      this.channels += 1;
      this.place(channel, topic, false);
    } else {
      this.rooms.set(id, { roomId: id, members: 1 });
      if (!this.closed) this.socket.subscribe(topic);
    }
    return id;
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
    this.claimedRooms.delete(room);
    for (const lane of room.lanes ?? []) {
      if (lane === undefined) continue;
      this.waitingLanes.delete(lane);
      this.settlingLanes.delete(lane);
      lane.discard();
    }
    if (room.placed === undefined) {
      if (!this.closed) this.socket.unsubscribe(roomTopic(roomId));
      return;
    }
    this.channels -= 1;
    const topic = roomTopic(roomId);
    for (const place of room.placed) this.unsubscribeAt(place, topic);
    room.placed = NO_PLACES;
  }

  /** Where a joined user channel is subscribed now (node ids; '' for the shared socket). */
  placesOf(channelId: string): readonly string[] {
    return this.rooms.get(channelId)?.placed ?? [];
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

  /** Each room state (seq beacon, online figures) of a joined room, as it arrives. */
  onState(listener: RoomStateListener): () => void {
    this.stateListeners.add(listener);
    return () => {
      this.stateListeners.delete(listener);
    };
  }

  /** The last room state of a joined room, if one came since it was joined. */
  stateOf(roomId: string): RoomState | undefined {
    return this.rooms.get(roomId)?.state;
  }

  onGap(listener: GapListener): () => void {
    this.gapListeners.add(listener);
    return () => {
      this.gapListeners.delete(listener);
    };
  }

  /**
   * Ids of the nodes (or relays) whose connection completed its handshake, and for a node, its
   * user-channel connection too: the manager activates a joining node once every subscriber lists
   * it, so the channels it will own are subscribed there before any message is routed to it.
   */
  get connected(): string[] {
    const ids: string[] = [];
    for (const id of this.handshaken) {
      const link = this.channelLinks.get(id);
      if (link === undefined || link.handshaken) ids.push(id);
    }
    return ids;
  }

  get stats(): RoomSubscriberStats {
    return {
      ...this.counters,
      lost: { ...this.lost },
      late: { ...this.late },
      rooms: this.rooms.size,
      connected: this.handshaken.size,
      channels: this.channels,
      channelMoves: this.channelMoves,
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
    clearTimeout(this.handoverTimer);
    this.handoverTimer = undefined;
    this.handovers = [];
    clearInterval(this.claimTimer);
    this.claimTimer = undefined;
    this.claimedRooms.clear();
    this.waitingLanes.clear();
    this.settlingLanes.clear();
    await this.membership.close();
    this.socket.close();
    for (const link of this.channelLinks.values()) link.socket.close();
    this.channelLinks.clear();
  }

  /** Connects to nodes that appeared, disconnects from those that left or moved. */
  private follow(topology: Topology): void {
    if (this.closed) return;
    this.followChannels(topology);
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

  /**
   * Opens a user-channel socket to each serving node (none when relayed) before placing the
   * channels by the new owners, and closes the sockets of nodes that left after.
   */
  private followChannels(topology: Topology): void {
    const owners = channelOwners(topology, this.region);
    const wanted = owners.relayed ? new Map<string, string>() : subscriptionTargets(topology, this.region);
    const gone: ChannelLink[] = [];
    for (const [id, link] of this.channelLinks) {
      if (wanted.get(id) === link.endpoint) continue;
      this.channelLinks.delete(id);
      gone.push(link);
    }
    for (const [id, endpoint] of wanted) {
      if (this.channelLinks.has(id)) continue;
      const link: ChannelLink = { nodeId: id, endpoint, socket: this.newSocket(), handshaken: false };
      this.channelLinks.set(id, link);
      // Listening first: a handshake before the listener is there would never be seen.
      if (this.started) this.startLink(link);
      try {
        link.socket.connect(endpoint);
      } catch (error) {
        this.logger.error(
          `subscriber: cannot connect channels to ${id} at ${endpoint}: ${describeError(error)}`,
        );
      }
    }
    if (gone.length > 0) {
      // Their subscriptions went with their sockets.
      const goneIds = new Set(gone.map((link) => link.nodeId));
      for (const room of this.rooms.values()) {
        if (room.placed !== undefined)
          room.placed = this.placeLists.of(room.placed.filter((place) => !goneIds.has(place)));
      }
      for (const link of gone) link.socket.close();
    }
    if (gone.length === 0 && sameChannelOwners(owners, this.owners)) return;
    this.owners = owners;
    // Lists are made afresh for the new owners, so the interned ones never outgrow the topology.
    this.placeLists.clear();
    for (const room of this.rooms.values()) {
      if (room.placed !== undefined) this.place(room, roomTopic(room.roomId), true);
    }
  }

  /**
   * Subscribes a user channel where it is wanted now, first; places it leaves are unsubscribed
   * after the handover, while publishers that saw the change late may still route there.
   */
  private place(room: JoinedRoom, topic: Buffer, moved: boolean): void {
    let placed = room.placed;
    if (placed === undefined || this.closed) return;
    const before = room.wanted ?? NO_PLACES;
    const wanted = this.placeLists.of(channelPlacement(room.roomId, this.owners));
    room.wanted = wanted;
    for (const place of wanted) {
      if (placed.includes(place)) continue;
      if (!this.subscribeAt(place, topic)) continue;
      placed = [...placed, place];
      // A channel placed for the first time (no node before) has not moved.
      if (moved && before.length > 0) this.channelMoves += 1;
    }
    placed = this.placeLists.of(placed);
    room.placed = placed;
    // A place wanted before and not now starts its handover; one not wanted before already has one.
    for (const place of placed) {
      if (!wanted.includes(place) && before.includes(place)) this.handOver(room, place);
    }
  }

  private handOver(room: JoinedRoom, place: string): void {
    this.handovers.push({ room, place, at: monotonicMs() + this.channelHandoverMs });
    if (this.handoverTimer === undefined) this.scheduleHandovers();
  }

  private scheduleHandovers(): void {
    const next = this.handovers[0];
    if (next === undefined || this.closed) return;
    this.handoverTimer = setTimeout(
      () => {
        this.handoverTimer = undefined;
        this.endHandovers();
      },
      Math.max(0, next.at - monotonicMs()),
    );
    this.handoverTimer.unref();
  }

  /** Unsubscribes the places whose handover is over and that are still not wanted. */
  private endHandovers(): void {
    const now = monotonicMs();
    let done = 0;
    while (done < this.handovers.length && this.handovers[done].at <= now) {
      const { room, place } = this.handovers[done];
      done += 1;
      const placed = room.placed;
      if (placed === undefined || this.rooms.get(room.roomId) !== room) continue;
      if (room.wanted?.includes(place) || !placed.includes(place)) continue;
      this.unsubscribeAt(place, roomTopic(room.roomId));
      room.placed = this.placeLists.of(placed.filter((other) => other !== place));
    }
    this.handovers = this.handovers.slice(done);
    this.scheduleHandovers();
  }

  /** False when the place has no socket (a node not in the topology yet). */
  private subscribeAt(place: string, topic: Buffer): boolean {
    if (place === SHARED_PLACEMENT) {
      this.socket.subscribe(topic);
      return true;
    }
    const link = this.channelLinks.get(place);
    if (link === undefined) return false;
    link.socket.subscribe(topic);
    return true;
  }

  private unsubscribeAt(place: string, topic: Buffer): void {
    if (this.closed) return;
    if (place === SHARED_PLACEMENT) this.socket.unsubscribe(topic);
    else this.channelLinks.get(place)?.socket.unsubscribe(topic);
  }

  private newSocket(): Subscriber {
    return new Subscriber({
      linger: 0,
      receiveHighWaterMark: this.receiveHighWaterMark,
      maxMessageSize: BROADCAST_MESSAGE_LIMITS.deliveryBytes,
      ...broadcastCurveOptions(this.security),
    });
  }

  private startLink(link: ChannelLink): void {
    link.socket.events.on('handshake', () => {
      link.handshaken = true;
    });
    link.socket.events.on('disconnect', () => {
      link.handshaken = false;
    });
    void this.read(link.socket);
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

  private read(socket: Subscriber): Promise<void> {
    return readLoop(
      socket,
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
    if (frames.length === 2) {
      this.readState(frames);
      return;
    }
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
    const lane = (lanes[meta.lane] ??= this.newLane(room));
    const batch: RoomBatch = {
      roomId: room.roomId,
      lane: LANE_NAMES[meta.lane],
      firstSeq: meta.firstSeq,
      lastSeq: meta.lastSeq,
      count: meta.count,
      body,
    };
    if (lane.offer(batch, monotonicMs())) this.wait(lane);
    // A user channel's first batch opens a gap below it for late seqs, with nothing waiting.
    if (lane.hasOpenGaps) this.settleLater(lane);
  }

  /**
   * A room lane drops seqs that come after its gap was reported (clients read them from history);
   * a user channel has no history, so its lanes deliver them late instead (docs/broadcast-protocol.md
   * "User channels: late seqs").
   */
  private newLane(room: JoinedRoom): LaneReorderBuffer {
    if (room.placed === undefined) return new LaneReorderBuffer(this.sink, { settleMs: this.lossSettleMs });
    return new LaneReorderBuffer(this.sink, { settleMs: this.channelLossSettleMs, deliverLate: true });
  }

  /** `[topic, state]`: a room's state (docs/broadcast-protocol.md "Room state"). */
  private readState(frames: Buffer[]): void {
    const [topic, frame] = frames as [Buffer, Buffer];
    const roomId = roomOfTopic(topic);
    let state: RoomState;
    try {
      if (roomId === undefined) throw new FrameError('not a room topic');
      state = decodeRoomStateFrame(roomId, frame);
    } catch {
      this.counters.malformed += 1;
      return;
    }
    const room = this.rooms.get(state.roomId);
    if (room === undefined) {
      this.counters.unjoined += 1;
      return;
    }
    this.counters.states += 1;
    state.roomId = room.roomId;
    room.state = state;
    this.claim(room, state);
    for (const listener of this.stateListeners) {
      try {
        listener(state);
      } catch (error) {
        this.logger.error(`subscriber: a room state listener failed: ${describeError(error)}`);
      }
    }
  }

  /** Remembers the seqs a state names beyond what was delivered; the grace decides whether they are lost. */
  private claim(room: JoinedRoom, state: RoomState): void {
    if (room.claim !== undefined || room.lanes === undefined) return;
    const seqs: [number, number] = [state.normalSeq, state.importantSeq];
    const ahead = room.lanes.some((lane, code) => {
      const next = lane?.nextSeq;
      return next !== undefined && seqs[code] >= next;
    });
    if (!ahead) return;
    room.claim = { seqs, at: monotonicMs(), nexts: [room.lanes[0]?.nextSeq, room.lanes[1]?.nextSeq] };
    this.claimedRooms.add(room);
    if (this.claimTimer !== undefined || this.closed) return;
    this.claimTimer = setInterval(() => this.checkClaims(), Math.max(10, Math.floor(this.beaconGraceMs / 4)));
    this.claimTimer.unref();
  }

  /** Seqs a state named that still have not come after the grace: a gap, reported like any other. */
  private checkClaims(): void {
    const now = monotonicMs();
    for (const room of this.claimedRooms) {
      const claim = room.claim;
      if (claim !== undefined && now - claim.at < this.beaconGraceMs) continue;
      this.claimedRooms.delete(room);
      room.claim = undefined;
      if (claim === undefined) continue;
      room.lanes?.forEach((lane, code) => {
        // A lane that kept receiving batches finds its gaps through them (a paced or flooded lane
        // trails its latest seq by more than the grace): only a lane that stood still is behind.
        if (lane === undefined || lane.nextSeq !== claim.nexts[code]) return;
        try {
          if (!lane.reach(room.roomId, LANE_NAMES[code], claim.seqs[code], now)) return;
        } catch (error) {
          this.logger.error(`subscriber: checking a room state failed: ${describeError(error)}`);
          return;
        }
        this.counters.beaconGaps += 1;
        this.settleLater(lane);
      });
    }
    if (this.claimedRooms.size === 0) {
      clearInterval(this.claimTimer);
      this.claimTimer = undefined;
    }
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
