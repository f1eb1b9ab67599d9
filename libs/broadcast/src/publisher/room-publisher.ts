import type { BusSecurity } from '@live-im/config';
import type { Lane, Topology } from '@live-im/contracts';
import { BroadcastLogger } from '../socket/broadcast-logger';
import { LANE_CODES } from '../lane';
import { ClusterMembership } from '../membership/cluster-membership';
import { FrameError, isTraceId, roomIdBytes } from '../protocol/frames';
import { rendezvousOwner } from '../protocol/rendezvous';
import { encodeRoomStates, type RoomState } from '../protocol/room-state';
import { isUserChannel } from '../subscriber/subscription-targets';
import { NodePushLink, NodePushLinkCounters, NodePushLinkOptions } from './node-push-link';

/** One room message as room-service hands it over: the envelope is already JSON-encoded. */
export interface RoomPublication {
  roomId: string;
  lane: Lane;
  /** Per room per lane, gapless, ≥ 1. */
  seq: number;
  /**
   * The UTF-8 JSON envelope (`RoomMessage`); sent as is, never parsed. Its bytes are copied before
   * `publish` returns, so the caller may reuse the buffer at once.
   */
  body: Buffer;
  /**
   * The request id of the call that produced the message, so the node's log lines can name it.
   * Left out when it is not `[A-Za-z0-9_-]{1,64}` (it only serves logs).
   */
  traceId?: string;
}

export interface RoomPublisherOptions {
  /** CURVE towards the nodes and the node manager; plain when absent or off. */
  security?: BusSecurity;
  managerRouter: string;
  managerPub: string;
  /** This publisher's member id (e.g. `room-service-<pod>`). */
  id: string;
  region: string;
  heartbeatMs?: number;
  /** A PUSH message closes at this many bytes. Default 256 KiB. */
  maxBatchBytes?: number;
  /** Bytes waiting per node before messages for it are dropped. Default 64 MiB. */
  maxQueuedBytesPerNode?: number;
  /** How long a batch may wait for an unreachable or saturated node. Default 1000. */
  sendTimeoutMs?: number;
  /** Batches the socket holds per node. Default 10 000. */
  sendHighWaterMark?: number;
  /**
   * How long user channels keep going to a node that started draining, so that subscribers, which
   * subscribe a channel only at its owner, are subscribed at the new owner before it gets any.
   * Keep it below the nodes' DRAIN_GRACE_MS. Default 300.
   */
  channelHandoverMs?: number;
  logger?: BroadcastLogger;
}

export interface RoomPublisherStats extends NodePushLinkCounters {
  /** Messages handed to a node's link. */
  published: number;
  /** Messages dropped because no broadcast node was active (the room log keeps them). */
  noRoute: number;
  /** Active broadcast nodes this publisher pushes to. */
  nodes: number;
  topologyVersion: number | undefined;
}

export const DEFAULT_PUBLISHER_CHANNEL_HANDOVER_MS = 300;

/** Cached routes kept at most; past it the cache restarts (rooms come and go). */
const MAX_CACHED_ROOMS = 200_000;

interface RoomRoute {
  link: NodePushLink | undefined;
  /** The validated room id, latin1, as the meta carries it. */
  roomIdBytes: Buffer;
}

/**
 * Sends room messages to the broadcast node that owns each room (docs/broadcast-protocol.md
 * "Publishing"): one PUSH link per active node, following the topology of the cluster membership.
 * A room's owner is computed once per set of active nodes (the rendezvous weight is BigInt
 * arithmetic, far too slow per message), and each link coalesces a turn's messages into one PUSH.
 */
export class RoomPublisher {
  readonly membership: ClusterMembership;
  private readonly links = new Map<string, NodePushLink>();
  private activeIds: string[] = [];
  /** Draining nodes user channels still go to, for the handover (by node id). */
  private readonly handingOver = new Map<string, NodePushLink>();
  /** activeIds and the handing-over nodes, sorted: the set user channels are routed by. */
  private channelIds: string[] = [];
  private readonly channelHandoverMs: number;
  private routes = new Map<string, RoomRoute>();
  private readonly counters: NodePushLinkCounters = { unsent: 0, overflow: 0, batches: 0, statesUnsent: 0 };
  private published = 0;
  private noRoute = 0;
  private readonly logger: BroadcastLogger;
  private readonly linkOptions: NodePushLinkOptions;
  private closed = false;

  constructor(options: RoomPublisherOptions) {
    this.logger = options.logger ?? console;
    this.channelHandoverMs = options.channelHandoverMs ?? DEFAULT_PUBLISHER_CHANNEL_HANDOVER_MS;
    const sendTimeoutMs = options.sendTimeoutMs ?? 1000;
    this.linkOptions = {
      maxBatchBytes: options.maxBatchBytes ?? 256 * 1024,
      maxQueuedBytes: options.maxQueuedBytesPerNode ?? 64 * 1024 * 1024,
      sendTimeoutMs,
      sendHighWaterMark: options.sendHighWaterMark ?? 10_000,
      logger: this.logger,
      security: options.security,
    };
    this.membership = new ClusterMembership({
      managerRouter: options.managerRouter,
      managerPub: options.managerPub,
      self: { id: options.id, kind: 'publisher', region: options.region },
      heartbeatMs: options.heartbeatMs,
      logger: this.logger,
      security: options.security,
    });
    this.membership.onTopology((topology) => this.follow(topology));
  }

  /** Starts following the cluster; resolves at once (messages before the first topology have no route). */
  async start(): Promise<void> {
    await this.membership.start();
  }

  /**
   * Routes one message to its room's owner; false when it was dropped (no active node, or the
   * node's queue is full). Throws FrameError for a room id or seq the protocol cannot carry.
   */
  publish(message: RoomPublication): boolean {
    if (!(message.seq >= 1 && Number.isSafeInteger(message.seq)))
      throw new FrameError('seq must be a positive integer');
    const lane = LANE_CODES[message.lane];
    if (lane === undefined) throw new FrameError(`unknown lane ${String(message.lane)}`);
    let route = this.routes.get(message.roomId);
    if (route === undefined) route = this.route(message.roomId);
    const link = route.link;
    if (link === undefined || this.closed) {
      this.noRoute += 1;
      return false;
    }
    const traceId = isTraceId(message.traceId) ? message.traceId : undefined;
    if (!link.append(lane, message.seq, route.roomIdBytes, message.body, traceId)) return false;
    this.published += 1;
    return true;
  }

  /**
   * Sends each room's state to the node that owns the room, one ROOM_STATE push per node. Returns
   * how many states were handed to a link; the rest had no route or met a full queue.
   */
  publishStates(states: readonly RoomState[]): number {
    if (this.closed) return 0;
    const byLink = new Map<NodePushLink, RoomState[]>();
    for (const state of states) {
      const link = (this.routes.get(state.roomId) ?? this.route(state.roomId)).link;
      if (link === undefined) continue;
      const list = byLink.get(link);
      if (list === undefined) byLink.set(link, [state]);
      else list.push(state);
    }
    let sent = 0;
    for (const [link, list] of byLink)
      if (link.appendRoomStates(encodeRoomStates(list), list.length)) sent += list.length;
    return sent;
  }

  /** Resolves once every message published so far has been handed to the sockets. */
  async flushed(): Promise<void> {
    await Promise.all([...this.links.values()].map((link) => link.whenIdle()));
  }

  get stats(): RoomPublisherStats {
    return {
      published: this.published,
      noRoute: this.noRoute,
      ...this.counters,
      nodes: this.links.size,
      topologyVersion: this.membership.topology?.version,
    };
  }

  /** The node a room's messages go to now (for logs and tests). */
  ownerOf(roomId: string): string | undefined {
    return (this.routes.get(roomId) ?? this.route(roomId)).link?.nodeId;
  }

  /** Lets queued batches leave (bounded by the send timeout), then closes every socket. */
  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    await this.membership.close();
    const links = [...this.links.values(), ...this.handingOver.values()];
    this.links.clear();
    this.handingOver.clear();
    this.routes = new Map();
    await Promise.all(links.map((link) => link.close(this.linkOptions.sendTimeoutMs)));
  }

  private route(roomId: string): RoomRoute {
    // Validates the room id once per room (roomIdBytes throws FrameError for a bad one).
    const idBytes = roomIdBytes(roomId);
    const channel = isUserChannel(roomId);
    const ownerId = rendezvousOwner(roomId, channel ? this.channelIds : this.activeIds);
    const route: RoomRoute = {
      link: ownerId === undefined ? undefined : (this.links.get(ownerId) ?? this.handingOver.get(ownerId)),
      roomIdBytes: idBytes,
    };
    if (this.routes.size >= MAX_CACHED_ROOMS) this.routes = new Map();
    this.routes.set(roomId, route);
    return route;
  }

  /** One link per active broadcast node; rooms are re-routed only when that set changes. */
  private follow(topology: Topology): void {
    if (this.closed) return;
    const wanted = new Map<string, string>();
    const draining = new Map<string, string>();
    for (const node of topology.nodes) {
      if (node.kind !== 'broadcast' || node.pull === null) continue;
      if (node.state === 'active') wanted.set(node.id, node.pull);
      else if (node.state === 'draining') draining.set(node.id, node.pull);
    }
    let changed = false;
    for (const [id, link] of this.links) {
      if (wanted.get(id) === link.endpoint) continue;
      this.links.delete(id);
      changed = true;
      if (draining.get(id) === link.endpoint && this.channelHandoverMs > 0) {
        this.handOver(id, link);
        continue;
      }
      // What is queued for it still goes: a draining node publishes what it holds.
      void link.close(this.linkOptions.sendTimeoutMs);
      this.logger.log(`publisher: stopped pushing to node ${id}`);
    }
    for (const [id, link] of this.handingOver) {
      if (draining.get(id) === link.endpoint) continue;
      this.handingOver.delete(id);
      changed = true;
      void link.close(this.linkOptions.sendTimeoutMs);
    }
    for (const [id, endpoint] of wanted) {
      if (this.links.has(id)) continue;
      this.links.set(id, new NodePushLink(id, endpoint, this.counters, this.linkOptions));
      changed = true;
      this.logger.log(`publisher: pushing to node ${id} at ${endpoint}`);
    }
    if (!changed) return;
    this.reroute();
  }

  /** Rooms leave a draining node at once; user channels after the handover. */
  private handOver(id: string, link: NodePushLink): void {
    this.handingOver.set(id, link);
    this.logger.log(`publisher: node ${id} drains; user channels follow in ${this.channelHandoverMs} ms`);
    setTimeout(() => {
      if (this.handingOver.get(id) !== link) return;
      this.handingOver.delete(id);
      this.reroute();
      void link.close(this.linkOptions.sendTimeoutMs);
      this.logger.log(`publisher: stopped pushing to node ${id}`);
    }, this.channelHandoverMs).unref();
  }

  private reroute(): void {
    this.activeIds = [...this.links.keys()].sort();
    this.channelIds = [...this.activeIds, ...this.handingOver.keys()].sort();
    this.routes = new Map();
  }
}
