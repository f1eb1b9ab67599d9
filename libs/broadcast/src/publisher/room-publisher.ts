import type { BusSecurity } from '@live-im/config';
import type { Lane, Topology } from '@live-im/contracts';
import { BroadcastLogger } from '../socket/broadcast-logger';
import { LANE_CODES } from '../lane';
import { ClusterMembership } from '../membership/cluster-membership';
import { FrameError, isTraceId, roomIdBytes } from '../protocol/frames';
import { rendezvousOwner } from '../protocol/rendezvous';
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
  private routes = new Map<string, RoomRoute>();
  private readonly counters: NodePushLinkCounters = { unsent: 0, overflow: 0, batches: 0 };
  private published = 0;
  private noRoute = 0;
  private readonly logger: BroadcastLogger;
  private readonly linkOptions: NodePushLinkOptions;
  private closed = false;

  constructor(options: RoomPublisherOptions) {
    this.logger = options.logger ?? console;
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
    const links = [...this.links.values()];
    this.links.clear();
    this.routes = new Map();
    await Promise.all(links.map((link) => link.close(this.linkOptions.sendTimeoutMs)));
  }

  private route(roomId: string): RoomRoute {
    // Validates the room id once per room (roomIdBytes throws FrameError for a bad one).
    const idBytes = roomIdBytes(roomId);
    const ownerId = rendezvousOwner(roomId, this.activeIds);
    const route: RoomRoute = {
      link: ownerId === undefined ? undefined : this.links.get(ownerId),
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
    for (const node of topology.nodes) {
      if (node.kind === 'broadcast' && node.state === 'active' && node.pull !== null)
        wanted.set(node.id, node.pull);
    }
    let changed = false;
    for (const [id, link] of this.links) {
      if (wanted.get(id) === link.endpoint) continue;
      this.links.delete(id);
      changed = true;
      // What is queued for it still goes: a draining node publishes what it holds.
      void link.close(this.linkOptions.sendTimeoutMs);
      this.logger.log(`publisher: stopped pushing to node ${id}`);
    }
    for (const [id, endpoint] of wanted) {
      if (this.links.has(id)) continue;
      this.links.set(id, new NodePushLink(id, endpoint, this.counters, this.linkOptions));
      changed = true;
      this.logger.log(`publisher: pushing to node ${id} at ${endpoint}`);
    }
    if (!changed) return;
    this.activeIds = [...this.links.keys()].sort();
    this.routes = new Map();
  }
}
